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


# --- Retention (s.39): the schedule, legal holds, and what each run did --------------------


class RetentionAction(models.TextChoices):
    ANONYMISE = "anonymise", _("Anonymise (identity and free text removed, figures kept)")
    DELETE = "delete", _("Delete")
    KEEP = "keep", _("Keep (reviewed, never changed by Kinga)")


class RetentionRule(models.Model):
    """The deployment's period for one kind of record (`kinga.dataprotection.retention.KINDS`).

    A kind without a row keeps its default period and basis; a row is written when the data
    protection officer sets them for this deployment.
    """

    kind = models.CharField(_("kind of record"), max_length=32, unique=True)
    keep_days = models.PositiveIntegerField(_("keep for (days)"))
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        constraints = [
            # a month at least: a slip of the keyboard never destroys a record tomorrow
            models.CheckConstraint(condition=Q(keep_days__gte=30), name="dp_rule_keep_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.keep_days} days"


class LegalHold(models.Model):
    """A hold on a matter a court or an investigation needs (nothing in it expires until
    lifted), or on one person's record (their identity is kept, whatever their matters'
    schedule says, and a request to delete it is refused)."""

    matter_type = models.CharField(
        _("matter type"), max_length=16, choices=MatterType.choices, blank=True
    )
    matter_id = models.BigIntegerField(_("matter"), null=True, blank=True)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reference = models.CharField(_("reference"), max_length=32)
    reason = EncryptedTextField(_("why it is held"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lift_reason = EncryptedTextField(_("why it was lifted"), blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at"]
        constraints = [
            # one live hold per matter: a second would be lifted by lifting the first
            models.UniqueConstraint(
                fields=["matter_type", "matter_id"],
                condition=Q(lifted_at__isnull=True),
                name="dp_hold_one_live_per_matter",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(lifted_at__isnull=True),
                name="dp_hold_one_live_per_person",
            ),
            # a hold is on a matter or on a person, never both, never neither
            models.CheckConstraint(
                condition=(Q(person__isnull=True, matter_id__isnull=False) & ~Q(matter_type=""))
                | Q(person__isnull=False, matter_id__isnull=True, matter_type=""),
                name="dp_hold_matter_or_person",
            ),
        ]
        indexes = [models.Index(fields=["matter_type", "matter_id"], name="dp_hold_matter")]

    def __str__(self) -> str:
        if self.person_id is not None:
            return f"hold on person:{self.person_id}"
        return f"hold on {self.matter_type}:{self.matter_id}"


class RetentionRun(models.Model):
    """One pass of the schedule: by the worker, or from the command line."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # kind -> {"due": n, "held": n, "done": n}
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"retention run {self.pk}"


class Tombstone(models.Model):
    """What remains of a record the schedule anonymised or deleted: which, when, why, how.

    Never what it held. A record has at most one: the schedule does each record once.
    """

    kind = models.CharField(_("kind of record"), max_length=32)
    record_type = models.CharField(_("record type"), max_length=64)
    record_id = models.CharField(_("record id"), max_length=64)
    matter_type = models.CharField(_("matter type"), max_length=16, blank=True)
    matter_id = models.BigIntegerField(_("matter"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=RetentionAction.choices)
    fields = models.JSONField(_("fields removed"), default=list, blank=True)
    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="tombstones")
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id"], name="dp_tombstone_once_per_record"
            ),
        ]
        indexes = [models.Index(fields=["matter_type", "matter_id"], name="dp_tombstone_matter")]

    def __str__(self) -> str:
        return f"{self.action} {self.record_type}:{self.record_id}"


# --- Data subjects' requests (s.26, s.34-s.40) ----------------------------------------------


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access: a copy of what Kinga holds")
    CORRECTION = "correction", _("Correction of false or misleading data")
    DELETION = "deletion", _("Deletion")
    OBJECTION = "objection", _("Objection to processing")
    PORTABILITY = "portability", _("Portability: the data in a reusable form")


# Days to answer, from receipt: the Data Protection (General) Regulations, 2021 (regs 8-12).
# Counsel confirms them for a deployment; an extension is a decision recorded on the request.
RESPONSE_DAYS: dict[str, int] = {
    RequestKind.ACCESS: 7,
    RequestKind.CORRECTION: 14,
    RequestKind.DELETION: 14,
    RequestKind.OBJECTION: 14,
    RequestKind.PORTABILITY: 30,
}


class OnBehalf(models.TextChoices):
    SELF = "self", _("The person themself")
    PARENT = "parent", _("A parent, for a child")
    GUARDIAN = "guardian", _("A guardian, for a child")
    GUARDIAN_AD_LITEM = "guardian_ad_litem", _("A guardian ad litem appointed by a court")
    CHILDRENS_OFFICER = "childrens_officer", _("A Children's Officer")
    AUTHORISED = "authorised", _("Someone the person authorised in writing (an advocate)")


class IdentityCheck(models.TextChoices):
    NATIONAL_ID = "national_id", _("National identity card or passport seen")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate and the parent's identity seen")
    COURT_ORDER = "court_order", _("Court order appointing them seen")
    KNOWN_TO_CASEWORKER = "known_to_caseworker", _("Known in person to the child's caseworker")
    AUTHORITY_LETTER = "authority_letter", _("Signed authority and identity seen")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received: identity to check")
    IN_PROGRESS = "in_progress", _("Identity checked: being answered")
    GRANTED = "granted", _("Granted")
    PARTLY_GRANTED = "partly_granted", _("Partly granted")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)


class RefusalGround(models.TextChoices):
    NONE = "", _("(none)")
    LEGAL_HOLD = "legal_hold", _("Needed in court proceedings or under a legal hold")
    INVESTIGATION = (
        "investigation",
        _("Would prejudice the investigation or prosecution of an offence (s.51(2)(b))"),
    )
    CHILD_SAFETY = "child_safety", _("Would put the child or another person at risk")
    OPEN_CASE = "open_case", _("Needed to protect the child in an open case")
    IDENTITY_NOT_VERIFIED = (
        "identity_not_verified",
        _("The requester's identity or authority was not shown"),
    )
    UNFOUNDED = "unfounded", _("Manifestly unfounded or excessive")


class SubjectRequest(models.Model):
    """A data subject's request, with who asked for whom, the identity check, the statutory
    clock, and the decision with its legal reason."""

    code = models.CharField(_("request code"), max_length=20, unique=True)
    kind = models.CharField(_("what is asked"), max_length=16, choices=RequestKind.choices)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("the person it is about"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requester_name = EncryptedTextField(_("who asked"))
    requester_contact = EncryptedTextField(_("how to reach them"), blank=True)
    on_behalf = models.CharField(_("asking as"), max_length=24, choices=OnBehalf.choices)
    details = EncryptedTextField(_("what they ask"), blank=True)
    received_at = models.DateTimeField(_("received"))
    due_at = models.DateTimeField(_("answer due"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    identity_check = models.CharField(
        _("identity check"), max_length=24, choices=IdentityCheck.choices, blank=True
    )
    identity_checked_at = models.DateTimeField(_("identity checked"), null=True, blank=True)
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("identity checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    refusal_ground = models.CharField(
        _("legal ground for refusing"),
        max_length=24,
        choices=RefusalGround.choices,
        blank=True,
        default=RefusalGround.NONE,
    )
    decision_note = EncryptedTextField(_("the decision, as told to the requester"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("data subject's request")
        verbose_name_plural = _("data subjects' requests")
        ordering = ["due_at"]
        constraints = [
            # a refusal always names its legal ground; nothing else does
            models.CheckConstraint(
                condition=(Q(status__in=["refused", "partly_granted"]) & ~Q(refusal_ground=""))
                | (~Q(status__in=["refused", "partly_granted"]) & Q(refusal_ground="")),
                name="dp_request_refusal_has_ground",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="dp_request_open")]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES

    def days_left(self, now: datetime.datetime | None = None) -> float:
        return (self.due_at - (now or timezone.now())).total_seconds() / 86400
