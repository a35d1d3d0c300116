"""Awareness campaigns, their events, and the reporting codes they promote.

A campaign may carry its own reporting code: printed on its posters as `?c=CODE` on the web
form's address, and the keyword of an SMS (the message's first word); and its own USSD code
(the service code of its channel). The reports it brought carry the code
(`intake.Report.campaign_code`, set by intake through `kinga.awareness.for_intake`) and are
counted as its own. Events are placed to the ward, so reports in their area can be
compared with the same weeks elsewhere. Nothing here is about a child: campaigns are
programme records, managed by trainers and supervisors (`awareness.manage`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from kinga.intake.models import CAMPAIGN_CODE_MAX, campaign_code_normalise


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


class Channel(models.TextChoices):
    RADIO = "radio", _("Radio")
    BARAZA = "baraza", _("Barazas")
    SCHOOLS = "schools", _("Schools")
    WORSHIP = "worship", _("Churches and mosques")
    BEACH_HOTEL = "beach_hotel", _("Beach and hotel sector")
    SOCIAL_MEDIA = "social_media", _("Social media")


class Language(models.TextChoices):
    SWAHILI = "sw", _("Kiswahili")
    ENGLISH = "en", _("English")
    MIJIKENDA = "nyf", _("Mijikenda languages")


class EventType(models.TextChoices):
    BARAZA = "baraza", _("Baraza")
    SCHOOL = "school", _("School talk")
    RADIO = "radio", _("Radio programme")
    WORSHIP = "worship", _("Church or mosque")
    BEACH_HOTEL = "beach_hotel", _("Beach or hotel staff session")
    SOCIAL_MEDIA = "social_media", _("Social media")
    OTHER = "other", _("Other")


class Audience(models.TextChoices):
    CHILDREN = "children", _("Children")
    PARENTS = "parents", _("Parents and guardians")
    TEACHERS = "teachers", _("Teachers")
    TOURISM = "tourism", _("Tourism and hotel workers")
    TRANSPORT = "transport", _("Boda boda and matatu crews")
    FAITH = "faith", _("Religious leaders")
    PUBLIC = "public", _("General public")


def validate_campaign_code(value: str) -> None:
    if value and campaign_code_normalise(value) != value:
        raise ValidationError(
            _("Use 2 to 16 capital letters and digits, with no spaces, e.g. PWANI24."),
            code="invalid",
        )


# A USSD service code as the gateway sends it (`serviceCode`): "*384*1234#", "*483*21*4#".
USSD_CODE_MAX = 32
validate_ussd_code = RegexValidator(
    r"^\*[0-9]+(\*[0-9]+)*#$",
    _("Write the USSD code as it is dialled, e.g. *384*1234#."),
    code="invalid",
)


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    message = models.TextField(_("message"))
    languages = models.JSONField(_("languages"), default=list, validators=[EachOf(Language.values)])
    channels = models.JSONField(_("channels"), default=list, validators=[EachOf(Channel.values)])
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    reporting_code = models.CharField(
        _("reporting code"),
        max_length=CAMPAIGN_CODE_MAX,
        blank=True,
        validators=[validate_campaign_code],
        help_text=_(
            "Printed on posters as ?c=CODE on the report form's address; an SMS starting "
            "with it counts for the campaign too."
        ),
    )
    # The campaign's own USSD channel: reports of sessions dialled on it count as its own.
    ussd_code = models.CharField(
        _("USSD code"),
        max_length=USSD_CODE_MAX,
        blank=True,
        default="",
        validators=[validate_ussd_code],
        help_text=_("The campaign's own USSD code, e.g. *384*1234#, if it has one."),
    )
    promoted_numbers = models.CharField(
        _("numbers promoted"),
        max_length=200,
        blank=True,
        help_text=_("e.g. 116, the USSD code, an SMS keyword."),
    )
    agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("run by"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_code"],
                condition=~Q(reporting_code=""),
                name="awareness_campaign_code_unique",
            ),
            models.UniqueConstraint(
                fields=["ussd_code"],
                condition=~Q(ussd_code=""),
                name="awareness_campaign_ussd_unique",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="awareness_campaign_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.channels:
            raise ValidationError({"channels": _("Choose at least one channel.")})
        if not self.languages:
            raise ValidationError({"languages": _("Choose at least one language.")})
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end is before the start.")})
        if self.ussd_code and not self.reporting_code:
            raise ValidationError(
                {"ussd_code": _("Give the campaign a reporting code too: its reports carry it.")}
            )


class Event(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="events"
    )
    held_on = models.DateField(_("held on"))
    event_type = models.CharField(_("type"), max_length=16, choices=EventType.choices)
    ward = models.ForeignKey(
        "places.Ward", verbose_name=_("ward"), on_delete=models.PROTECT, related_name="+"
    )
    audiences = models.JSONField(_("audience"), default=list, validators=[EachOf(Audience.values)])
    estimated_reach = models.PositiveIntegerField(
        _("estimated reach"), validators=[MaxValueValidator(5_000_000)]
    )
    materials = models.TextField(_("materials"), blank=True)
    facilitators = models.CharField(_("facilitators"), max_length=300, blank=True)
    # Attendance as counted at the event (never a list of people); empty when not counted.
    adults = models.PositiveIntegerField(
        _("adults counted"), null=True, blank=True, validators=[MaxValueValidator(100_000)]
    )
    young_people = models.PositiveIntegerField(
        _("young people under 18 counted"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100_000)],
    )
    topics = models.TextField(_("what was talked about"), blank=True)
    # An event recorded in the field (ODK Collect) names its volunteer by code and agency,
    # and has no staff author; `created_by` is the member of staff otherwise.
    collected_by = models.CharField(_("recorded in the field by"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("awareness event")
        verbose_name_plural = _("awareness events")
        ordering = ["-held_on", "pk"]
        indexes = [
            # the comparison: events by ward and date
            models.Index(fields=["ward", "held_on"], name="awareness_event_ward"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.held_on:%Y-%m-%d}"

    def attendance(self) -> int | None:
        """Return the people counted at the event (None when nobody counted)."""
        if self.adults is None and self.young_people is None:
            return None
        return (self.adults or 0) + (self.young_people or 0)

    def clean(self) -> None:
        if not self.audiences:
            raise ValidationError({"audiences": _("Choose the audience.")})
        if self.created_by_id is None and not self.collected_by:
            raise ValidationError(_("An event is recorded by staff or in the field."))
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": _("Record an event once it has been held.")})
