"""Reports from every channel, their follow-up additions, and alerts of children in danger.

What identifies anyone (the narrative, the free place, the reporter's contact and phone,
online handles, the raw channel payload) is encrypted; the county, sub-county, ward, age
bands and dates stay clear for triage and analysis. The reporter's follow-up code is kept
only as a keyed hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.access.policy import Matter
from kinga.accounts.models import AgencyKind, Role
from kinga.assist.lexicon import SIGNALS, signal_label
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


# A campaign's reporting code: letters and digits, as printed on a poster (`?c=PWANI24`).
CAMPAIGN_CODE_MAX = 16
_CAMPAIGN_CODE = re.compile(r"[A-Z0-9]{2,16}")


def campaign_code_normalise(code: str) -> str:
    """Return a campaign code as stored (upper case, no spaces or dashes), or "" when what
    was given cannot be one (a report is never refused for its campaign code)."""
    cleaned = "".join(ch for ch in (code or "")[:40].upper() if ch not in " -_")
    return cleaned if _CAMPAIGN_CODE.fullmatch(cleaned) else ""


# The roles a danger alert can reach: each has an alert_recipient row in the access policy.
ALERT_ROLE_CHOICES = ("caseworker", "helpline", "investigator", "supervisor")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    USSD = "ussd", _("USSD")
    SMS = "sms", _("SMS")
    HELPLINE = "helpline", _("Helpline call")
    WALK_IN = "walk_in", _("Walk-in")
    POLICE = "police", _("Police")
    FIELD = "field", _("Field volunteer (ODK Collect)")
    PARTNER = "partner", _("Referral from a partner agency")


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


class TextLanguage(models.TextChoices):
    """The language a report's words were written in, as detected (never asked)."""

    NONE = "", _("Not detected")
    KISWAHILI = "sw", _("Kiswahili")
    ENGLISH = "en", _("English")
    SHENG = "sheng", _("Sheng")
    MIXED = "mixed", _("Kiswahili and English mixed")


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
    # What the report's words suggest (`kinga.assist`), as codes: a suggestion that may raise
    # the priority and that a triager confirms or rejects (`SignalReview`), never a decision.
    text_signals = models.JSONField(
        _("what the words suggest"), default=list, blank=True, validators=[EachOf(SIGNALS)]
    )
    text_language = models.CharField(
        _("language of the words"), max_length=8, choices=TextLanguage.choices, blank=True
    )
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
    # The awareness campaign the reporter came through (its code on a poster's `?c=`), as
    # `campaign_code_normalise` keeps it; awareness counts reports by it. Never refused:
    # an unknown or malformed code is dropped, the report is not.
    campaign_code = models.CharField(
        _("campaign code"), max_length=CAMPAIGN_CODE_MAX, blank=True, default=""
    )

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
            # reports a campaign brought (awareness); partial, so the many reports without
            # a code write no entry
            models.Index(
                fields=["campaign_code", "received_at"],
                condition=~Q(campaign_code=""),
                name="intake_campaign",
            ),
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

    def text_signal_labels(self) -> list[str]:
        """Return the names of what the words suggest, in the reader's language."""
        language = translation.get_language() or "en"
        return [signal_label(code, language) for code in self.text_signals]

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


class AlertScope(models.TextChoices):
    COUNTY = "county", _("The report's county")
    PROGRAMME = "programme", _("The whole programme")


class AlertStep(models.Model):
    """One step of the fallback chain a danger alert goes up until someone acknowledges it.

    The chain is data an administrator reads and changes in the admin ("Alert chain"). A
    step reaches the active people holding one of its roles, in active agencies of its kind
    (any kind when blank), of the report's county or of the whole programme, on call or
    not. A step that reaches nobody new is passed at once; a step that reached someone waits
    `wait_minutes` for an acknowledgement before the alert goes up to the next. After the
    last step, everyone alerted is reminded again after each wait until someone acts.
    """

    order = models.PositiveSmallIntegerField(
        _("order"), unique=True, help_text=_("Steps run from the lowest number up.")
    )
    agency_kind = models.CharField(
        _("agency kind"),
        max_length=32,
        choices=AgencyKind.choices,
        blank=True,
        help_text=_("Leave empty for agencies of every kind."),
    )
    roles = models.JSONField(
        _("roles"),
        default=list,
        validators=[EachOf(ALERT_ROLE_CHOICES)],
        help_text=_(
            "The roles reached, as a list: investigator, caseworker, supervisor, helpline."
        ),
    )
    scope = models.CharField(
        _("where"), max_length=16, choices=AlertScope.choices, default=AlertScope.COUNTY
    )
    on_call_only = models.BooleanField(
        _("only those on call"), default=False, help_text=_("Reach only people marked on call.")
    )
    wait_minutes = models.PositiveSmallIntegerField(
        _("minutes to wait"),
        default=15,
        help_text=_("How long this step waits for an acknowledgement before the next step."),
    )

    class Meta:
        verbose_name = _("alert chain step")
        verbose_name_plural = _("alert chain")
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(condition=Q(wait_minutes__gte=1), name="intake_alertstep_waits"),
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.describe()}"

    def clean(self) -> None:
        if not self.roles:
            raise ValidationError({"roles": _("Name at least one role.")})

    def get_roles_display(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(role, role)) for role in self.roles]

    def describe(self) -> str:
        """Return who the step reaches, in the reader's language."""
        from django.utils.translation import gettext

        who = ", ".join(self.get_roles_display())
        kind = self.get_agency_kind_display() if self.agency_kind else gettext("any agency")
        where = self.get_scope_display()
        text = gettext("%(who)s of %(kind)s, %(where)s") % {
            "who": who,
            "kind": kind,
            "where": str(where).lower(),
        }
        if self.on_call_only:
            text = gettext("%(text)s, on call") % {"text": text}
        return text


class Alert(models.Model):
    """A report of a child in danger, sent up the fallback chain until someone acts."""

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
    # The `order` of the chain's step reached last (None: nobody was reached yet), and how
    # many times the alert went up: an escalation task names the count it expects, so a
    # task run twice acts once.
    step_order = models.PositiveSmallIntegerField(_("step reached"), null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)

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


class ChildSex(models.TextChoices):
    GIRL = "girl", _("Girl")
    BOY = "boy", _("Boy")
    GIRLS_AND_BOYS = "both", _("Girls and boys")
    UNKNOWN = "unknown", _("Not known")


class CallLanguage(models.TextChoices):
    KISWAHILI = "sw", _("Kiswahili")
    ENGLISH = "en", _("English")
    GIRIAMA = "giriama", _("Giriama")
    DIGO = "digo", _("Digo")
    DURUMA = "duruma", _("Duruma")
    POKOMO = "pokomo", _("Pokomo")
    TAITA = "taita", _("Taita (Kidawida)")
    SOMALI = "somali", _("Somali")
    OTHER = "other", _("Other")


class SupportGiven(models.TextChoices):
    COUNSELLING = "counselling", _("Counselling")
    INFORMATION = "information", _("Information")
    REFERRAL = "referral", _("Referred to a service")
    EMERGENCY = "emergency", _("Emergency response called")


class CallOutcome(models.TextChoices):
    REPORTED = "reported", _("Report passed on for action")
    SUPPORTED = "supported", _("Support given, nothing more needed")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    REFERRED = "referred", _("Referred to a service")
    DROPPED = "dropped", _("Call dropped")


class HelplineCall(models.Model):
    """One call to the helpline: what the operator keeps about the call itself.

    A first call logs a report (what the caller said about a child); a later call about the
    same child is a follow-up, linked to the first call and its report. The report holds
    what is reported; the call holds who called, for how long, in which language, what the
    caller was given and what came of it.
    """

    access_matter_type = MatterType.REPORT
    access_matter_field = "report_id"

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="calls")
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-up of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    operator = models.ForeignKey(  # indexed by intake_call_operator (operator, started_at)
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="helpline_calls",
        db_index=False,
    )
    started_at = models.DateTimeField(_("call started"), default=timezone.now)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), null=True, blank=True
    )
    caller_relation = models.CharField(
        _("caller is"),
        max_length=16,
        choices=ReporterRelation.choices,
        default=ReporterRelation.UNKNOWN,
    )
    child_sex = models.CharField(
        _("sex of the child"), max_length=8, choices=ChildSex.choices, default=ChildSex.UNKNOWN
    )
    language = models.CharField(
        _("language of the call"),
        max_length=16,
        choices=CallLanguage.choices,
        default=CallLanguage.KISWAHILI,
    )
    support_given = models.JSONField(
        _("support given"), default=list, blank=True, validators=[EachOf(SupportGiven.values)]
    )
    support_note = EncryptedTextField(_("what was said or given"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices)
    follow_up_due = models.DateField(_("follow-up due"), null=True, blank=True)

    class Meta:
        verbose_name = _("helpline call")
        verbose_name_plural = _("helpline calls")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__lte=600), name="intake_call_duration_range"
            ),
        ]
        indexes = [
            # "my calls": the operator's calls, newest first
            models.Index(fields=["operator", "started_at"], name="intake_call_operator"),
        ]

    def __str__(self) -> str:
        return f"call {self.pk} on {self.report}"

    def access_matter(self) -> Matter:
        return Matter(type=MatterType.REPORT, id=self.report_id)

    @property
    def first_call(self) -> HelplineCall:
        """Return the call this one follows up (itself when it is the first)."""
        return self.follow_up_of or self

    def get_support_given_display(self) -> list[str]:
        labels = dict(SupportGiven.choices)
        return [str(labels.get(code, code)) for code in self.support_given]


class SignalVerdict(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    # a signal the words carry that the assist did not suggest, added by the triager
    MISSED = "missed", _("Added: the assist missed it")


class SignalReview(models.Model):
    """A triager's decision on one signal of a report: the label that measures the assist.

    It keeps codes only (the signal, the rules that raised it, the lexicon's version): the
    report's words stay on the report, encrypted, and never leave the system as labels.
    """

    access_matter_type = MatterType.REPORT
    access_matter_field = "report_id"

    report = models.ForeignKey(  # indexed by intake_signal_review_once (report, signal)
        Report, on_delete=models.PROTECT, related_name="signal_reviews", db_index=False
    )
    signal = models.CharField(
        _("signal"), max_length=16, choices=[(code, code) for code in SIGNALS]
    )
    verdict = models.CharField(_("decision"), max_length=16, choices=SignalVerdict.choices)
    rules = models.JSONField(_("rules that raised it"), default=list, blank=True)
    lexicon_version = models.CharField(_("lexicon version"), max_length=32)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        related_name="signal_reviews",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)

    class Meta:
        verbose_name = _("decision on a signal")
        verbose_name_plural = _("decisions on signals")
        constraints = [
            models.UniqueConstraint(fields=["report", "signal"], name="intake_signal_review_once"),
        ]
        indexes = [
            # the measures: decisions of each signal
            models.Index(fields=["signal", "verdict"], name="intake_signal_review_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.signal} {self.verdict} on {self.report}"

    def access_matter(self) -> Matter:
        return Matter(type=MatterType.REPORT, id=self.report_id)
