"""Reports from every channel, their follow-up additions, and alerts of children in danger.

What identifies anyone (the narrative, the free place, the reporter's contact and phone,
online handles, the raw channel payload) is encrypted; the county, sub-county, ward, age
bands and dates stay clear for triage and analysis. The reporter's follow-up code is kept
only as a keyed hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.access.policy import Matter
from kinga.lib.fields import EncryptedJSONField, EncryptedTextField


@deconstructible
class EachOf:
    """Check that every item of a list is one of the allowed values (a JSON list of choices).

    The values are kept, not the choices class, so that a change of choices shows in a
    migration as a change of a field's `choices` does.
    """

    def __init__(self, values: Iterable[str]) -> None:
        self.values = tuple(sorted(values))

    def __call__(self, value: Any) -> None:
        if not isinstance(value, list) or not set(value) <= set(self.values):
            raise ValidationError("not one of the choices", code="invalid_choice")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EachOf) and self.values == other.values

    def __hash__(self) -> int:
        return hash(self.values)


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    USSD = "ussd", _("USSD")
    SMS = "sms", _("SMS")
    HELPLINE = "helpline", _("Helpline call")
    WALK_IN = "walk_in", _("Walk-in")
    POLICE = "police", _("Police")


class Category(models.TextChoices):
    SEXUAL_EXPLOITATION = "sexual_exploitation", _("A child used for sex for money or gifts")
    TRAFFICKING = "trafficking", _("A child taken, moved or sold")
    ONLINE = "online", _("Online: photos, videos or chats")
    SEXUAL_ABUSE = "sexual_abuse", _("Sexual abuse of a child")
    OTHER = "other", _("Other harm to a child")


class AgeBand(models.TextChoices):
    UNDER_6 = "0-5", _("Under 6")
    SIX_TO_11 = "6-11", _("6 to 11")
    TWELVE_TO_14 = "12-14", _("12 to 14")
    FIFTEEN_TO_17 = "15-17", _("15 to 17")
    UNKNOWN = "unknown", _("Not sure")


class Danger(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not sure")


class ReporterRelation(models.TextChoices):
    SELF = "self", _("I am the child")
    PARENT = "parent", _("Parent or guardian")
    RELATIVE = "relative", _("Relative")
    NEIGHBOUR = "neighbour", _("Neighbour or community member")
    TEACHER = "teacher", _("Teacher")
    TOURISM_WORKER = "tourism_worker", _("Hotel or tourism worker")
    PROFESSIONAL = "professional", _("Health, social or police worker")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not said")


class Platform(models.TextChoices):
    NONE = "", _("None")
    FACEBOOK = "facebook", _("Facebook")
    WHATSAPP = "whatsapp", _("WhatsApp")
    INSTAGRAM = "instagram", _("Instagram")
    TIKTOK = "tiktok", _("TikTok")
    TELEGRAM = "telegram", _("Telegram")
    SNAPCHAT = "snapchat", _("Snapchat")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    """What a reporter may see: neutral words only."""

    RECEIVED = "received", _("Received")
    IN_REVIEW = "in_review", _("Being looked at")
    ACTION_TAKEN = "action_taken", _("Action taken")
    CLOSED = "closed", _("Closed")


class Decision(models.TextChoices):
    NONE = "", _("Not decided")
    OPEN_CASE = "open_case", _("Open a new case")
    ADD_TO_CASE = "add_to_case", _("Add to an existing case")
    OPEN_INCIDENT = "open_incident", _("Open an incident")
    REFER = "refer", _("Refer")
    NO_FURTHER_ACTION = "no_further_action", _("No further action")


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")


class Report(models.Model):
    access_matter_type = MatterType.REPORT
    access_matter_field = "pk"

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    language = models.CharField(
        _("language"), max_length=2, choices=[("en", "English"), ("sw", "Kiswahili")], default="sw"
    )
    categories = models.JSONField(
        _("what is happening"), default=list, blank=True, validators=[EachOf(Category.values)]
    )
    narrative = EncryptedTextField(_("what happened"), blank=True)
    county = models.ForeignKey(
        "places.County", verbose_name=_("county"), on_delete=models.PROTECT, null=True, blank=True
    )
    sub_county = models.ForeignKey(
        "places.SubCounty",
        verbose_name=_("sub-county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # No index of its own: intake_ward (ward, received_at) serves every look-up by ward, and
    # each index is one more page written with every report.
    ward = models.ForeignKey(
        "places.Ward",
        verbose_name=_("ward"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    place_detail = EncryptedTextField(_("place (village, street, venue)"), blank=True)
    # The county, sub-county and ward given do not lie in one another (a ward of Kwale
    # with the county Kilifi): kept as said, never refused, and shown to triage to check.
    place_mismatch = models.BooleanField(_("place does not add up"), default=False)
    children_count = models.PositiveSmallIntegerField(_("how many children"), null=True, blank=True)
    age_bands = models.JSONField(
        _("age bands"), default=list, blank=True, validators=[EachOf(AgeBand.values)]
    )
    danger_now = models.CharField(
        _("a child in danger now"), max_length=8, choices=Danger.choices, default=Danger.UNKNOWN
    )
    online_platform = models.CharField(
        _("online platform"), max_length=16, choices=Platform.choices, blank=True
    )
    online_handle = EncryptedTextField(_("online account or group"), blank=True)
    reporter_relation = models.CharField(
        _("reporter is"),
        max_length=16,
        choices=ReporterRelation.choices,
        default=ReporterRelation.UNKNOWN,
    )
    reporter_contact = EncryptedTextField(_("reporter's contact"), blank=True)
    reporter_phone = EncryptedTextField(_("reporter's phone"), blank=True)
    reporter_phone_index = models.CharField(_("phone (blind index)"), max_length=32, blank=True)
    callback_consent = models.BooleanField(_("may be called back"), default=False)
    raw_payload = EncryptedJSONField(_("channel payload"), null=True, blank=True)
    channel_reference = models.CharField(
        _("channel message or session id"), max_length=100, blank=True
    )
    channel_complete = models.BooleanField(_("all questions answered"), default=True)
    # A keyed hash of a USSD session's answers: a repeated screen is found in one UPDATE.
    answers_digest = models.CharField(_("answers digest"), max_length=32, blank=True)
    follow_up_hash = models.CharField(_("follow-up code (hashed)"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    repeat_signals = models.JSONField(_("repeat signals"), default=list, blank=True)
    routed_at = models.DateTimeField(_("entered triage"), null=True, blank=True)
    logged_by = models.ForeignKey(  # indexed by intake_logged_by (logged_by, received_at)
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports_logged",
        db_index=False,
    )
    decision = models.CharField(
        _("decision"), max_length=24, choices=Decision.choices, blank=True, default=Decision.NONE
    )
    decision_reason = EncryptedTextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports_decided",
    )
    case_code = models.CharField(_("case code"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # a channel's retry of the same message or session never makes a second report
            models.UniqueConstraint(
                fields=["channel", "channel_reference"],
                condition=~Q(channel_reference=""),
                name="intake_report_channel_reference_unique",
            ),
            models.UniqueConstraint(
                fields=["follow_up_hash"],
                condition=~Q(follow_up_hash=""),
                name="intake_report_follow_up_unique",
            ),
            models.CheckConstraint(
                condition=Q(priority__lte=3), name="intake_report_priority_range"
            ),
        ]
        indexes = [
            # triage queue: undecided reports, by priority then age
            models.Index(fields=["decision", "priority", "received_at"], name="intake_queue"),
            # repeat signal: the same phone within 30 days
            models.Index(fields=["reporter_phone_index", "received_at"], name="intake_phone"),
            # repeat signal: the same ward within 72 hours
            models.Index(fields=["ward", "received_at"], name="intake_ward"),
            # the helpline operator's own recent calls
            models.Index(fields=["logged_by", "received_at"], name="intake_logged_by"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """Return the report's reference for staff, SMS and alerts (never its content)."""
        return f"R-{self.pk:06d}" if self.pk else "R-new"

    def access_matter(self) -> Matter:
        return Matter(type=MatterType.REPORT, id=self.pk)

    @property
    def is_open(self) -> bool:
        return self.decision == Decision.NONE

    @property
    def child_in_danger(self) -> bool:
        """Return whether the reporter said a child is in danger now."""
        return self.danger_now == Danger.YES

    def get_categories_display(self) -> list[str]:
        labels = dict(Category.choices)
        return [str(labels.get(code, code)) for code in self.categories]

    def get_age_bands_display(self) -> list[str]:
        labels = dict(AgeBand.choices)
        return [str(labels.get(code, code)) for code in self.age_bands]


class ReportAddition(models.Model):
    """More information a reporter sent later (a follow-up, a second SMS)."""

    access_matter_type = MatterType.REPORT
    access_matter_field = "report_id"

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="additions")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    text = EncryptedTextField(_("text"))
    channel_reference = models.CharField(_("channel message id"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("addition to a report")
        verbose_name_plural = _("additions to reports")
        ordering = ["received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_reference"],
                condition=~Q(channel_reference=""),
                name="intake_addition_channel_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"addition to {self.report}"

    def access_matter(self) -> Matter:
        return Matter(type=MatterType.REPORT, id=self.report_id)


class ChannelEvent(models.Model):
    """An end-of-session notice from the USSD gateway, kept whether or not a report exists."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    session_id = models.CharField(_("session id"), max_length=100)
    status = models.CharField(_("status"), max_length=32)
    error_message = models.CharField(_("error message"), max_length=200, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration"), null=True, blank=True)
    hops = models.PositiveIntegerField(_("screens"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("channel event")
        verbose_name_plural = _("channel events")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "session_id"], name="intake_event_session_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.session_id} {self.status}"


class Alert(models.Model):
    """A report of a child in danger, sent to the area's on-call staff until someone acts."""

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="alert")
    county = models.ForeignKey(
        "places.County", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    notified = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="alerts_received", blank=True
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts_acknowledged",
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        verbose_name = _("danger alert")
        verbose_name_plural = _("danger alerts")
        ordering = ["-raised_at"]
        indexes = [
            # open alerts, newest first
            models.Index(fields=["acknowledged_at", "raised_at"], name="intake_alert_open"),
        ]

    def __str__(self) -> str:
        return f"alert for {self.report}"
