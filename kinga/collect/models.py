"""Field collection: volunteers, their phones' tokens, and what the phones sent.

A volunteer (a community health volunteer, a paralegal, a hotel-sector focal point) belongs
to the agency that supervises them. Each phone gets its own token: ODK Collect is given the
URL `/odk/key/<token>/`, so the phone needs no password, and a supervisor revokes a lost
phone's token at once. Only a keyed hash of the token is kept.

A submission is stored before the phone is answered, keyed by its `instanceID`. It stays
as the phone encrypted it (the envelope and each `.enc` file, under the deployment's RSA
key, and again under the data keys at rest); the report it made holds what it said.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.access.policy import Matter
from kinga.intake.models import Danger
from kinga.lib.fields import EncryptedTextField


class Volunteer(models.Model):
    """Someone who reports from the field with ODK Collect, under an agency's supervision."""

    name = EncryptedTextField(_("name"))
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("supervising agency"),
        on_delete=models.PROTECT,
        related_name="field_volunteers",
    )
    county = models.ForeignKey(
        "places.County",
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("field volunteer")
        verbose_name_plural = _("field volunteers")
        indexes = [
            # the supervisor's list: an agency's volunteers, most recently active first
            models.Index(fields=["agency", "last_sent_at"], name="collect_volunteer_agency"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        """Return the volunteer's code for lists, the audit log and triage (never a name)."""
        return f"V-{self.pk:04d}" if self.pk else "V-new"


class DeviceToken(models.Model):
    """One phone's key to the OpenRosa endpoints; kept only as a keyed hash."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="tokens"
    )
    token_hash = models.CharField(_("token (keyed hash)"), max_length=64, unique=True)
    label = models.CharField(_("phone"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("phone token")
        verbose_name_plural = _("phone tokens")

    def __str__(self) -> str:
        return f"token {self.pk} of {self.volunteer}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class SubmissionStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for its attachments")
    FILED = "filed", _("Filed as a report")
    STORED = "stored", _("Stored")
    QUARANTINED = "quarantined", _("Quarantined")
    CONFLICT = "conflict", _("Conflicting resend")


class QuarantineReason(models.TextChoices):
    NONE = "", _("None")
    NOT_XML = "not_xml", _("Not a form submission")
    NOT_ENCRYPTED = "not_encrypted", _("Sent without encryption")
    NO_KEY = "no_key", _("No key of this deployment opens it")
    CORRUPT = "corrupt", _("Damaged: it does not decrypt to a form")
    SIGNATURE = "signature", _("Its signature does not match its content")
    UNKNOWN_FORM = "unknown_form", _("A form this server does not publish")
    INVALID = "invalid", _("An answer the form does not offer")
    NOT_ON_CASE = "not_on_case", _("A case code the volunteer's agency does not work on")


class Submission(models.Model):
    """What one phone sent for one filled form, stored before the phone is answered.

    `instance_id` (the form's `meta/instanceID`) is the idempotency key: one submission per
    instance, besides conflicting resends (the same instance with other content), kept
    apart for review.
    """

    instance_id = models.CharField(_("instance ID"), max_length=100)
    form_id = models.CharField(_("form"), max_length=64, blank=True)
    form_version = models.CharField(_("form version"), max_length=64, blank=True)
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="+"
    )
    token = models.ForeignKey(
        DeviceToken,
        verbose_name=_("phone token"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=16, choices=SubmissionStatus.choices)
    quarantine_reason = models.CharField(
        _("why quarantined"),
        max_length=16,
        choices=QuarantineReason.choices,
        blank=True,
        default=QuarantineReason.NONE,
    )
    # The submission file as the phone sent it (an encrypted envelope), base64, encrypted
    # again at rest; its SHA-256 tells a resend from a conflicting one.
    envelope = EncryptedTextField(_("envelope"))
    envelope_digest = models.CharField(_("envelope digest"), max_length=64)
    files_expected = models.JSONField(_("files the envelope names"), default=list, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # The phone's own times (the form's start and end), as the phone wrote them.
    started_on_phone = models.DateTimeField(_("started on the phone"), null=True, blank=True)
    finished_on_phone = models.DateTimeField(_("finished on the phone"), null=True, blank=True)
    report = models.OneToOneField(
        "intake.Report",
        verbose_name=_("report"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="field_submission",
    )
    # An awareness-event form files an event (a home visit names its submission itself).
    event = models.OneToOneField(
        "awareness.Event",
        verbose_name=_("awareness event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="field_submission",
    )
    conflict_of = models.ForeignKey(
        "self",
        verbose_name=_("conflicts with"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conflicts",
    )

    class Meta:
        verbose_name = _("field submission")
        verbose_name_plural = _("field submissions")
        constraints = [
            # nothing doubled: one submission per instance (a conflicting resend is kept apart)
            models.UniqueConstraint(
                fields=["instance_id"],
                condition=~Q(status="conflict"),
                name="collect_submission_instance_unique",
            ),
        ]
        indexes = [
            # a volunteer's submissions, newest first (the supervisor's pages)
            models.Index(fields=["volunteer", "received_at"], name="collect_sub_volunteer"),
            # the quarantine and the waiting list
            models.Index(fields=["status", "received_at"], name="collect_sub_status"),
        ]

    def __str__(self) -> str:
        return f"submission {self.pk}"

    @property
    def form_title(self) -> str:
        """Return the title of the form it filled (its id for a form Kinga does not publish)."""
        from kinga.collect.xforms import FORMS  # the forms' module reads the gazetteer's models

        spec = FORMS.get(self.form_id)
        return str(spec.title) if spec is not None else self.form_id


class SubmissionFile(models.Model):
    """A file that came with a submission (encrypted on the phone: `<name>.enc`)."""

    submission = models.ForeignKey(
        Submission, verbose_name=_("submission"), on_delete=models.PROTECT, related_name="files"
    )
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"))
    digest = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("content"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("submission file")
        verbose_name_plural = _("submission files")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "name"], name="collect_file_submission_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VisitNeed(models.TextChoices):
    """What a child or family needs, as the home-visit form offers it."""

    SAFETY = "safety", _("Safety")
    HEALTH = "health", _("Health care")
    COUNSELLING = "counselling", _("Counselling")
    SCHOOL = "school", _("School")
    FOOD = "food", _("Food or shelter")
    LEGAL = "legal", _("Legal help")


class HomeVisit(models.Model):
    """A home visit a volunteer made on a case, filed from the field to the case's team.

    It is a record inside the case, in its care section: the case's caseworker reads it
    (and marks it read); nobody outside the case sees it. A volunteer files on a case only
    when their agency works on it; any other case code is quarantined, unread.
    """

    access_matter_type: ClassVar[str] = MatterType.CASE
    access_matter_field: ClassVar[str] = "case_id"
    section: ClassVar[str] = "care"

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="+"
    )
    submission = models.OneToOneField(
        Submission,
        verbose_name=_("submission"),
        on_delete=models.PROTECT,
        related_name="home_visit",
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField(_("visited on"))
    child_seen = models.BooleanField(_("child seen"))
    danger_now = models.CharField(_("child in danger now"), max_length=8, choices=Danger.choices)
    needs = models.JSONField(_("needs"), default=list, blank=True)
    notes = EncryptedTextField(_("what the volunteer saw and heard"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("read by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        indexes = [
            # the caseworker's list: a case's visits, unread first, newest first
            models.Index(fields=["case", "read_at", "received_at"], name="collect_visit_case"),
        ]

    def __str__(self) -> str:
        return f"home visit {self.pk}"

    def access_matter(self) -> Matter:
        return Matter(type=MatterType.CASE, id=self.case_id)
