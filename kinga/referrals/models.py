"""Referrals: a child sent from a case (or, in an emergency, from a triaged report) to a
service at a location of the service directory (`kinga.directory`); see `Referral`'s
docstring for how access follows it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.access.policy import Matter
from kinga.directory.models import ServiceAtLocation
from kinga.lib.fields import EncryptedTextField


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency (answer within 4 hours)")
    URGENT = "urgent", _("Urgent (answer within 2 days)")
    ROUTINE = "routine", _("Routine (answer within 7 days)")


# How long the receiving service has to accept or decline.
ANSWER_WITHIN = {
    Urgency.EMERGENCY: timedelta(hours=4),
    Urgency.URGENT: timedelta(days=2),
    Urgency.ROUTINE: timedelta(days=7),
}


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The state machine, in one place: from a status, the statuses a referral may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.SENT: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN}
    ),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.IN_PROGRESS, ReferralStatus.WITHDRAWN}),
    ReferralStatus.IN_PROGRESS: frozenset({ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN}),
    ReferralStatus.DECLINED: frozenset(),
    ReferralStatus.COMPLETED: frozenset(),
    ReferralStatus.WITHDRAWN: frozenset(),
}
OPEN_REFERRAL_STATUSES = (
    ReferralStatus.SENT,
    ReferralStatus.ACCEPTED,
    ReferralStatus.IN_PROGRESS,
)
CLOSED_REFERRAL_STATUSES = (
    ReferralStatus.DECLINED,
    ReferralStatus.COMPLETED,
    ReferralStatus.WITHDRAWN,
)


class Referral(models.Model):
    """A child sent from a case, or in an emergency from a triaged report, to a service.

    The referral belongs to one matter, named by `matter_type` and `matter_id`: the case
    once it has one, else the report it was made from. `referral_attach_to_case` moves it
    (and the access that follows it) from the report to the case. The policy's
    `visible()` scopes one matter type by one field, so it sees only case referrals
    (`case_id`); the selectors scope both kinds with `policy.visible_matter_ids`.

    The receiving organisation sees the referral only, never the case: what it needs to
    receive the child (first name, age and age band, sex, languages, needs, urgency and the
    contact at the sending agency) is copied onto the referral when it is sent.
    """

    access_matter_type: ClassVar[str] = MatterType.CASE
    access_matter_field: ClassVar[str] = "case_id"

    matter_type = models.CharField(
        _("matter type"),
        max_length=16,
        choices=[(MatterType.CASE, _("Case")), (MatterType.REPORT, _("Report"))],
    )
    matter_id = models.BigIntegerField(_("matter"))
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    report = models.ForeignKey(
        "intake.Report",
        verbose_name=_("report"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    receiving_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("receiving agency"),
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    sending_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("sending agency"),
        on_delete=models.PROTECT,
        related_name="referrals_sent",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="referrals_sent",
    )
    contact_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contact at the sending agency"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    childrens_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Children's Officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_overseen",
    )
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    reason = EncryptedTextField(_("reason for the referral"))
    child_told = EncryptedTextField(_("what the child was told"))
    consent = models.ForeignKey(
        "cases.Consent",
        verbose_name=_("consent it rests on"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    emergency_basis = EncryptedTextField(
        _("emergency basis (best interests)"),
        blank=True,
        help_text=_("Why the child cannot wait for a case and consent: a referral from a report."),
    )
    # The minimum identity the receiving service needs.
    child_first_name = EncryptedTextField(_("child's first name"), blank=True)
    child_age_band = models.CharField(_("age band"), max_length=8, blank=True)
    # The age in years when sent (from the date of birth, else the estimate).
    child_age = models.PositiveSmallIntegerField(_("age (years)"), null=True, blank=True)
    child_sex = models.CharField(_("sex"), max_length=16, blank=True)
    child_languages = models.JSONField(_("languages"), default=list, blank=True)
    needs = models.JSONField(_("needs"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = EncryptedTextField(_("why it was declined"), blank=True)
    withdraw_reason = EncryptedTextField(_("why it was withdrawn"), blank=True)
    feedback = EncryptedTextField(_("feedback on completion"), blank=True)
    promise = models.ForeignKey(
        "cases.Promise", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    overdue_alerted_at = models.DateTimeField(_("overdue alert sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=(Q(matter_type=MatterType.CASE) & Q(case__isnull=False))
                | (
                    Q(matter_type=MatterType.REPORT)
                    & Q(case__isnull=True)
                    & Q(report__isnull=False)
                ),
                name="referrals_referral_matter_matches",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(status__in=CLOSED_REFERRAL_STATUSES),
                name="referrals_referral_closed_at_only_when_closed",
            ),
        ]
        indexes = [
            # the provider's inbox: one agency's referrals, open ones by due time
            models.Index(fields=["receiving_agency", "status", "due_at"], name="referrals_inbox"),
            # the sender's outgoing list: one agency's referrals, overdue first
            models.Index(fields=["sending_agency", "status", "due_at"], name="referrals_outgoing"),
            # the case timeline and selectors: the referrals of one matter
            models.Index(fields=["matter_type", "matter_id"], name="referrals_matter"),
            # location_address_visible_to: open referrals to one place
            models.Index(fields=["service_at_location", "status"], name="referrals_to_place"),
            # insights' report paths: the first referral sent on a report. Partial: most
            # referrals are a case's (no report), and over a column almost all NULL SQLite's
            # statistics make the planner scan every referral for each report instead
            models.Index(
                fields=["report", "sent_at"],
                condition=Q(report__isnull=False),
                name="referrals_report_sent",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """Return the code shown in lists and notifications (never the child's name)."""
        return f"RF-{self.pk:06d}" if self.pk else "RF-new"

    def access_matter(self) -> Matter:
        return Matter(type=self.matter_type, id=self.matter_id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Return whether it still waits for an answer after its due time."""
        return self.status == ReferralStatus.SENT and self.due_at < timezone.now()
