"""Joint training: courses, sessions, participants, attendance, tests and certificates.

Training records are about staff, not children, so they are not matters of the access
policy; what a role may do with them is a capability (`training.manage` for trainers,
`training.coverage` for the supervisors who see their own agency's coverage). An external
participant's name, agency and role are still encrypted: a trainee list says who works on
trafficking cases, which is worth protecting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import AgencyKind
from kinga.lib.fields import EncryptedJSONField, EncryptedTextField


@deconstructible
class EachOf:
    """Check that every item of a JSON list is one of the allowed values."""

    def __init__(self, values: Iterable[str]) -> None:
        self.values = tuple(sorted(values))

    def __call__(self, value: Any) -> None:
        if not isinstance(value, list) or not set(value) <= set(self.values):
            raise ValidationError(_("Choose from the list."), code="invalid_choice")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EachOf) and self.values == other.values

    def __hash__(self) -> int:
        return hash(self.values)


class Audience(models.TextChoices):
    """The kinds of participant a course is for; a joint session has more than one."""

    POLICE = "police", _("Police")
    PROSECUTOR = "prosecutor", _("Prosecutors")
    JUDICIAL = "judicial", _("Judicial officers")
    CHILDRENS_OFFICER = "childrens_officer", _("Children's officers")
    SOCIAL_WORKER = "social_worker", _("Social workers")
    HEALTH_WORKER = "health_worker", _("Health workers")
    COMMUNITY = "community", _("Community volunteers")


# The kind of participant a member of staff is, by their agency's kind.
AUDIENCE_OF_AGENCY_KIND: dict[str, str] = {
    AgencyKind.POLICE_UNIT: Audience.POLICE,
    AgencyKind.PROSECUTION_OFFICE: Audience.PROSECUTOR,
    AgencyKind.CHILDRENS_SERVICES: Audience.CHILDRENS_OFFICER,
    AgencyKind.NGO: Audience.SOCIAL_WORKER,
    AgencyKind.SHELTER: Audience.SOCIAL_WORKER,
    AgencyKind.LEGAL_AID: Audience.SOCIAL_WORKER,
    AgencyKind.HELPLINE: Audience.SOCIAL_WORKER,
    AgencyKind.HOSPITAL: Audience.HEALTH_WORKER,
    AgencyKind.TRAINING_INSTITUTION: Audience.JUDICIAL,
}


def is_joint(audiences: Iterable[str]) -> bool:
    """Return whether participants of these kinds make a joint session (more than one kind)."""
    return len(set(audiences)) > 1


class Course(models.Model):
    title = models.CharField(_("title"), max_length=200, unique=True)
    objectives = models.TextField(_("objectives"))
    modules = models.TextField(_("modules"), help_text=_("One module a line."))
    duration_days = models.PositiveSmallIntegerField(
        _("duration (days)"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    audiences = models.JSONField(_("for"), default=list, validators=[EachOf(Audience.values)])
    test_max_score = models.PositiveSmallIntegerField(
        _("highest test score"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("The same test is sat before and after the course."),
    )
    refresher_months = models.PositiveSmallIntegerField(
        _("refresher due after (months)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def module_list(self) -> list[str]:
        return [line.strip() for line in self.modules.splitlines() if line.strip()]

    def clean(self) -> None:
        if not self.audiences:
            raise ValidationError({"audiences": _("Choose who the course is for.")})


class Question(models.Model):
    """One question of a course's test, with its answer key."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    text = models.TextField(_("question"))
    answer_key = models.TextField(_("answer key"))
    points = models.PositiveSmallIntegerField(
        _("points"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("test question")
        verbose_name_plural = _("test questions")
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="training_question_once"),
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.number}"


class TrainingSession(models.Model):
    """One run of a course: where, when, who facilitates, which kinds of participant."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions"
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    venue = models.CharField(_("venue"), max_length=200)
    county = models.ForeignKey(
        "places.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+"
    )
    facilitators = models.CharField(_("facilitators"), max_length=300)
    audiences = models.JSONField(
        _("taking part"), default=list, validators=[EachOf(Audience.values)]
    )
    # Kept with the audiences by `clean` (the one place that decides it), so coverage counts
    # joint sessions in SQL.
    joint = models.BooleanField(_("joint session"), default=False)
    agencies = models.ManyToManyField(
        "accounts.Agency", verbose_name=_("agencies taking part"), blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="training_session_ends_after_it_starts",
            ),
        ]
        indexes = [
            # coverage and the dashboard: sessions by county, newest first
            models.Index(fields=["county", "starts_on"], name="training_session_county"),
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.starts_on:%Y-%m-%d}"

    def clean(self) -> None:
        if not self.audiences:
            raise ValidationError({"audiences": _("Choose who takes part.")})
        if self.starts_on and self.ends_on:
            if self.ends_on < self.starts_on:
                raise ValidationError({"ends_on": _("The last day is before the first day.")})
            if (self.ends_on - self.starts_on).days > 60:
                raise ValidationError({"ends_on": _("A session lasts at most 60 days.")})
        self.joint = is_joint(self.audiences)

    def days(self) -> list[dt.date]:
        count = (self.ends_on - self.starts_on).days + 1
        return [self.starts_on + dt.timedelta(days=offset) for offset in range(count)]


FEEDBACK_MAX = 4000


class Participant(models.Model):
    """Someone on a session's list: a member of staff, or an outsider named here.

    Scores are out of the course's `test_max_score`; an empty score means the test was not
    sat (never zero: a zero is a score).
    """

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member of staff"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_places",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = EncryptedTextField(_("name"), blank=True)
    agency_name = EncryptedTextField(_("agency (if not in Kinga)"), blank=True)
    job_title = EncryptedTextField(_("role or rank"), blank=True)
    audience = models.CharField(_("kind"), max_length=32, choices=Audience.choices)
    pre_score = models.PositiveSmallIntegerField(_("pre-test score"), null=True, blank=True)
    post_score = models.PositiveSmallIntegerField(_("post-test score"), null=True, blank=True)
    feedback_rating = models.PositiveSmallIntegerField(
        _("feedback (1 to 5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    # What the participant wrote after the session (a feedback form): shown to trainers
    # without the writer's name, encrypted like the names (it may name colleagues).
    feedback_text = EncryptedTextField(_("written feedback"), blank=True, default="")
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"],
                condition=Q(user__isnull=False),
                name="training_participant_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"participant {self.pk}"

    def display_name(self) -> str:
        if self.user is not None:
            return str(self.user.get_full_name() or self.user.get_username())
        return str(self.name)

    def certificate_blocked(self, days_present: int) -> str:
        """Return why the participant cannot have a certificate yet, or "" when they can:
        present on every day of the session and the post-test sat."""
        if days_present < len(self.session.days()):
            return str(_("Not present on every day of the session."))
        if self.post_score is None:
            return str(_("Has not sat the post-test."))
        return ""

    def clean(self) -> None:
        if len(self.feedback_text) > FEEDBACK_MAX:
            raise ValidationError(
                {"feedback_text": _("At most %(max)s characters.") % {"max": FEEDBACK_MAX}}
            )
        if self.user_id is None and not self.name.strip():
            raise ValidationError({"name": _("Give the participant's name.")})
        maximum = self.session.course.test_max_score
        for field in ("pre_score", "post_score"):
            value = getattr(self, field)
            if value is not None and value > maximum:
                raise ValidationError({field: _("A score is at most %(max)s.") % {"max": maximum}})


class Attendance(models.Model):
    """A participant present on one day of the session (absence is no row)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attendance"
    )
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["participant", "day"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "day"], name="training_present_once"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} · {self.day}"


class RevokeReason(models.TextChoices):
    ERROR = "error", _("Issued in error")
    MISCONDUCT = "misconduct", _("Misconduct")
    NAME = "name", _("Wrong name (a new one is issued)")


class Certificate(models.Model):
    """A certificate of completion. The code is printed on it; only its keyed hash is
    searched, and the public check shows the name on the certificate and nothing else."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="certificates"
    )
    code = EncryptedTextField(_("verification code"))
    code_index = models.CharField(_("code (blind index)"), max_length=32, unique=True)
    name_on_certificate = EncryptedTextField(_("name on the certificate"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_reason = models.CharField(
        _("why revoked"), max_length=16, choices=RevokeReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            # a revoked certificate may be replaced (a misspelt name), never doubled
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(revoked_at__isnull=True),
                name="training_one_live_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"certificate {self.pk}"


class ImportBatch(models.Model):
    """An uploaded attendance or score sheet between its preview and its import.

    The rows (names among them) are kept encrypted, and emptied once imported or dropped:
    nothing is written to the session until the trainer confirms, and then all at once.
    """

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="import_batches"
    )
    filename = models.CharField(_("file"), max_length=200)
    columns = models.JSONField(_("columns"), default=list)
    rows = EncryptedJSONField(_("rows"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    imported_rows = models.PositiveIntegerField(_("rows imported"), default=0)
    skipped_rows = models.PositiveIntegerField(_("rows skipped"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"import {self.pk}"
