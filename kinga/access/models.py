"""The relationships that grant access to a matter, and break-glass grants.

`access` never imports the capability apps. They write rows here through
`kinga.access.services` when a case team changes, a referral opens or closes, a report
enters an area's triage queue, or a break-glass grant is made. Scoping any queryset is
then one subquery on `AccessGrant`, in the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.lib.fields import EncryptedTextField


class MatterType(models.TextChoices):
    CASE = "case", _("Case")
    REPORT = "report", _("Report")
    INVESTIGATION = "investigation", _("Investigation")
    PROSECUTION = "prosecution", _("Prosecution")
    # What happened to one or more children, with its investigation and prosecutions: the
    # one matter of every justice record (see kinga.access.policy, "Justice records").
    INCIDENT = "incident", _("Incident")


class Relation(models.TextChoices):
    TEAM_MEMBER = "team_member", _("Member of the team")
    AGENCY_ON_TEAM = "agency_on_team", _("Agency on the team")
    REFERRAL_RECIPIENT = "referral_recipient", _("Receiving a referral")
    TRIAGE_AREA = "triage_area", _("Triage area")
    AUTHOR = "author", _("Logged it")
    ALERT_RECIPIENT = "alert_recipient", _("Alerted: a child in danger")
    BREAK_GLASS = "break_glass", _("Break-glass")
    # The data protection officer answering a data subject's request about a person on the
    # matter, from the identity check until the decision (kinga.dataprotection).
    SUBJECT_REQUEST = "subject_request", _("Answering a data subject's request")


class AccessGrantQuerySet(models.QuerySet["AccessGrant"]):
    def live(self) -> AccessGrantQuerySet:
        """Return the grants in force now: started, not ended, not revoked."""
        now = timezone.now()
        return self.filter(
            Q(starts_at__lte=now),
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
            revoked_at__isnull=True,
        )


class AccessGrant(models.Model):
    """Who (a user, or every member of an agency) stands in what relation to which matter."""

    matter_type = models.CharField(_("matter type"), max_length=16, choices=MatterType.choices)
    matter_id = models.BigIntegerField(_("matter"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_grants",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_grants",
    )
    relation = models.CharField(_("relation"), max_length=24, choices=Relation.choices)
    # The role of the person through whom an agency came onto the matter: the policy caps
    # what the grant gives at what that role has (see `kinga.access.policy.CAPPED_BY`).
    via_role = models.CharField(_("through the role"), max_length=32, blank=True)
    starts_at = models.DateTimeField(_("from"), default=timezone.now)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # What made the grant (a team membership, a referral, a break-glass grant), to revoke it.
    source_type = models.CharField(_("source"), max_length=48, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(agency__isnull=True))
                | (Q(user__isnull=True) & Q(agency__isnull=False)),
                name="access_grant_user_xor_agency",
            ),
            # an agency on a team always came through someone's role; the policy caps it
            models.CheckConstraint(
                condition=~Q(relation="agency_on_team") | ~Q(via_role=""),
                name="access_grant_agency_on_team_has_role",
            ),
        ]
        indexes = [
            # policy.visible(): matters a user stands in relation to
            # (with the validity columns, so the live() test is answered from the index)
            models.Index(
                fields=[
                    "user",
                    "matter_type",
                    "relation",
                    "matter_id",
                    "revoked_at",
                    "starts_at",
                    "ends_at",
                ],
                name="access_user_live",
            ),
            # policy.visible(): matters an agency stands in relation to (with the role it
            # came through, which caps it)
            models.Index(
                fields=[
                    "agency",
                    "matter_type",
                    "relation",
                    "matter_id",
                    "revoked_at",
                    "starts_at",
                    "ends_at",
                    "via_role",
                ],
                name="access_agency_live",
            ),
            # policy.can() and revocation: grants on one matter
            models.Index(fields=["matter_type", "matter_id"], name="access_matter"),
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"agency {self.agency_id}"
        via = f" via {self.via_role}" if self.via_role else ""
        return f"{who} {self.relation}{via} {self.matter_type}:{self.matter_id}"


class BreakGlassReview(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    FLAGGED = "flagged", _("Flagged as misuse")


class BreakGlassGrant(models.Model):
    """Emergency access to a matter the user is not on, with a reason, for a set time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    matter_type = models.CharField(_("matter type"), max_length=16, choices=MatterType.choices)
    matter_id = models.BigIntegerField(_("matter"))
    reason = EncryptedTextField(_("reason"))
    starts_at = models.DateTimeField(_("from"), default=timezone.now)
    ends_at = models.DateTimeField(_("until"))
    access_grant = models.OneToOneField(
        AccessGrant, on_delete=models.PROTECT, related_name="break_glass"
    )
    review = models.CharField(
        _("review"),
        max_length=16,
        choices=BreakGlassReview.choices,
        default=BreakGlassReview.PENDING,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="break_glass_reviews",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = EncryptedTextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("break-glass grant")
        verbose_name_plural = _("break-glass grants")
        ordering = ["-starts_at"]
        indexes = [
            # the review queue
            models.Index(fields=["review", "starts_at"], name="access_bg_review"),
            # "break-glass on this case" banner
            models.Index(fields=["matter_type", "matter_id", "ends_at"], name="access_bg_matter"),
        ]

    def __str__(self) -> str:
        return f"break-glass {self.user_id} on {self.matter_type}:{self.matter_id}"

    @property
    def is_live(self) -> bool:
        return (
            self.starts_at <= timezone.now() < self.ends_at and self.access_grant.revoked_at is None
        )
