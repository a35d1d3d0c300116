"""The law's duties under Kenya's Data Protection Act 2019: the breach register (s.43).

A breach is recorded by the data protection officer when it is suspected, with the moment
the deployment became aware of it: the Act gives 72 hours from then to notify the Data
Commissioner (s.43(1)(a)), and asks that the people affected be told where there is a real
risk of harm (s.43(1)(b)), unless their identity cannot be established. The clock stops when
the Commissioner is notified, or when the officer decides, with a reason kept on the record,
that no notice is owed.

What the breach touched is named by matter (a case, a report, an incident) and reference,
never copied: the audit log then says who saw those matters between two dates.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.lib.fields import EncryptedTextField

# A clock on a phone may run a little ahead of the server's.
CLOCK_SLACK = datetime.timedelta(minutes=5)

FUTURE_MOMENT = _("This moment is in the future. Enter when it happened.")


def moments_in_future(record: object, names: tuple[str, ...]) -> dict[str, ValidationError]:
    """Return, by field name, the errors of the record's moments that lie in the future."""
    latest = timezone.now() + CLOCK_SLACK
    return {
        name: ValidationError(FUTURE_MOMENT, code="future")
        for name in names
        if getattr(record, name, None) is not None and getattr(record, name) > latest
    }


# s.43(1)(a): within seventy-two hours of becoming aware of the breach.
COMMISSIONER_DEADLINE = datetime.timedelta(hours=72)


class BreachKind(models.TextChoices):
    UNAUTHORISED_ACCESS = "unauthorised_access", _("Unauthorised access by a user")
    WRONGFUL_DISCLOSURE = "wrongful_disclosure", _("Shared with someone who should not have it")
    LOST_DEVICE = "lost_device", _("Lost or stolen device or paper")
    ATTACK = "attack", _("Attack on the system (hacking, malware)")
    MISDIRECTED_MESSAGE = "misdirected_message", _("Message sent to the wrong person")
    LOSS_OF_DATA = "loss_of_data", _("Data lost or destroyed")
    OTHER = "other", _("Other")


class BreachRisk(models.TextChoices):
    UNASSESSED = "unassessed", _("Not yet assessed")
    NO_RISK = "no_risk", _("Unlikely to harm anyone")
    RISK = "risk", _("Real risk of harm")
    HIGH_RISK = "high_risk", _("High risk of harm (a child's safety)")


class BreachStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Breach(models.Model):
    """A suspected or confirmed breach of personal data, and what was done about it."""

    code = models.CharField(_("breach code"), max_length=20, unique=True)
    kind = models.CharField(_("what kind of breach"), max_length=32, choices=BreachKind.choices)
    description = EncryptedTextField(_("what happened"))
    discovered_at = models.DateTimeField(
        _("became aware"),
        help_text=_("When Kinga's people first learnt of it: the 72 hours run from here."),
    )
    occurred_from = models.DateTimeField(_("happened from"), null=True, blank=True)
    occurred_until = models.DateTimeField(_("happened until"), null=True, blank=True)
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency where it happened"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    children_affected = models.PositiveIntegerField(_("children affected (estimate)"), default=0)
    people_affected = models.PositiveIntegerField(
        _("people affected, children included (estimate)"), default=0
    )
    records_affected = models.PositiveIntegerField(_("records affected (estimate)"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    risk = models.CharField(
        _("risk to the people affected"),
        max_length=16,
        choices=BreachRisk.choices,
        default=BreachRisk.UNASSESSED,
    )
    assessment = EncryptedTextField(_("assessment"), blank=True)
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True)
    # None until assessed; False with the assessment saying why no notice is owed.
    commissioner_notice_required = models.BooleanField(
        _("the Data Commissioner must be notified"), null=True, blank=True
    )
    subjects_notice_required = models.BooleanField(
        _("the people affected must be told"), null=True, blank=True
    )
    commissioner_notified_at = models.DateTimeField(
        _("Data Commissioner notified"), null=True, blank=True
    )
    commissioner_reference = models.CharField(
        _("Commissioner's reference"), max_length=64, blank=True
    )
    # s.43(3)-style explanation when the notice went after the 72 hours.
    delay_reason = EncryptedTextField(_("why the notice was late"), blank=True)
    subjects_notified_at = models.DateTimeField(_("people affected told"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=BreachStatus.choices, default=BreachStatus.OPEN
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # How many of the clock's reminders (`REMINDER_HOURS_LEFT`) went out: each goes once.
    reminders_sent = models.PositiveSmallIntegerField(default=0, editable=False)

    past_dates = (
        "discovered_at",
        "occurred_from",
        "occurred_until",
        "commissioner_notified_at",
        "subjects_notified_at",
    )

    class Meta:
        verbose_name = _("breach")
        verbose_name_plural = _("breaches")
        ordering = ["-discovered_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_from__isnull=True)
                | Q(occurred_until__isnull=True)
                | Q(occurred_until__gte=models.F("occurred_from")),
                name="dataprotection_breach_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(people_affected__gte=models.F("children_affected")),
                name="dataprotection_breach_children_among_people",
            ),
        ]
        indexes = [
            # the clock's reminders and the officer's home: open breaches by when they began
            models.Index(fields=["status", "discovered_at"], name="dp_breach_open"),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        errors = moments_in_future(self, self.past_dates)
        if (
            self.occurred_from
            and self.discovered_at
            and self.occurred_from > self.discovered_at
            and "occurred_from" not in errors
        ):
            errors["occurred_from"] = ValidationError(
                _("It cannot have started after you became aware of it.")
            )
        if (
            self.occurred_from
            and self.occurred_until
            and self.occurred_until < self.occurred_from
            and "occurred_until" not in errors
        ):
            errors["occurred_until"] = ValidationError(
                _("The end of the period cannot be before its start.")
            )
        if self.children_affected > self.people_affected and "people_affected" not in errors:
            errors["people_affected"] = ValidationError(
                _("The people affected include the children: enter at least %(count)d.")
                % {"count": self.children_affected}
            )
        if errors:
            raise ValidationError(errors)

    @property
    def commissioner_deadline(self) -> datetime.datetime:
        """Return when the notice to the Data Commissioner is due (s.43(1)(a))."""
        return self.discovered_at + COMMISSIONER_DEADLINE

    @property
    def clock_running(self) -> bool:
        """Return whether the 72-hour clock still runs: open, not notified, notice not ruled out."""
        return (
            self.status == BreachStatus.OPEN
            and self.commissioner_notified_at is None
            and self.commissioner_notice_required is not False
        )

    def hours_left(self, now: datetime.datetime | None = None) -> float:
        """Return the hours until the deadline (negative once it has passed)."""
        now = now or timezone.now()
        return (self.commissioner_deadline - now).total_seconds() / 3600

    def notified_late(self) -> bool:
        return (
            self.commissioner_notified_at is not None
            and self.commissioner_notified_at > self.commissioner_deadline
        )


class BreachMatter(models.Model):
    """A matter the breach touched, by reference: the audit log scopes who saw it."""

    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="matters")
    matter_type = models.CharField(_("matter type"), max_length=16, choices=MatterType.choices)
    matter_id = models.BigIntegerField(_("matter"))
    reference = models.CharField(_("reference"), max_length=32)
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("matter touched by a breach")
        verbose_name_plural = _("matters touched by a breach")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["breach", "matter_type", "matter_id"], name="dp_breach_matter_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.breach_id} {self.matter_type}:{self.matter_id}"


class BreachStep(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    MATTER_ADDED = "matter_added", _("Record named as touched")
    ASSESSED = "assessed", _("Assessed")
    CONTAINED = "contained", _("Contained")
    DECISION = "decision", _("Decision")
    COMMISSIONER_NOTIFIED = "commissioner_notified", _("Data Commissioner notified")
    SUBJECTS_NOTIFIED = "subjects_notified", _("People affected told")
    CLOSED = "closed", _("Closed")


class BreachAction(models.Model):
    """One step taken on a breach, with who took it and when: the decisions log."""

    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="actions")
    step = models.CharField(_("step"), max_length=24, choices=BreachStep.choices)
    note = EncryptedTextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("breach step")
        verbose_name_plural = _("breach steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.breach_id} {self.step}"
