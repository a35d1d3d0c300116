"""People who appear in matters: children, guardians, suspects, witnesses, reporters.

Identity (names, aliases, exact date of birth, village, identifier values) is stored
encrypted; the age band, sex, nationality, languages and ward stay clear for analytics.
Names are found through keyed search tokens (`PersonNameToken`), identifiers through a
keyed blind index, so the database never holds either in clear.

A person is not a matter: they are seen through the matters that link to them
(`PersonLink`), under the identity section of those matters.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.lib.dates import past_dates_errors
from kinga.lib.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField


class PersonKind(models.TextChoices):
    CHILD = "child", _("Child")
    GUARDIAN = "guardian", _("Parent or guardian")
    SUSPECT = "suspect", _("Suspect")
    WITNESS = "witness", _("Witness")
    REPORTER = "reporter", _("Reporter")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    INTERSEX = "intersex", _("Intersex")
    UNKNOWN = "unknown", _("Not known")


class Language(models.TextChoices):
    """Languages a child on the coast may speak (the code is what referrals carry)."""

    KISWAHILI = "sw", _("Kiswahili")
    ENGLISH = "en", _("English")
    GIRIAMA = "nyf", _("Giriama")
    DIGO = "dig", _("Digo")
    TAITA = "dav", _("Taita")
    POKOMO = "pko", _("Pokomo")
    SOMALI = "so", _("Somali")
    ARABIC = "ar", _("Arabic")
    KIKUYU = "ki", _("Kikuyu")
    DHOLUO = "luo", _("Dholuo")
    KAMBA = "kam", _("Kamba")


def language_labels(codes: list[str]) -> list[str]:
    """Return the names of language codes in the active language (an unknown code as is)."""
    labels = dict(Language.choices)
    return [str(labels.get(code, code)) for code in codes]


class AgeBasis(models.TextChoices):
    DOCUMENT = "document", _("From a document")
    ASSESSED = "assessed", _("Assessed by a professional")
    APPARENT = "apparent", _("Apparent age")
    SELF_REPORTED = "self_reported", _("Self-reported")


class AgeBand(models.TextChoices):
    UNDER_6 = "0-5", _("0 to 5 years")
    FROM_6 = "6-11", _("6 to 11 years")
    FROM_12 = "12-14", _("12 to 14 years")
    FROM_15 = "15-17", _("15 to 17 years")
    ADULT = "18+", _("18 years or more")
    UNKNOWN = "unknown", _("Age not known")


MINOR_BANDS = frozenset({AgeBand.UNDER_6, AgeBand.FROM_6, AgeBand.FROM_12, AgeBand.FROM_15})


def age_in_years(date_of_birth: datetime.date, today: datetime.date) -> int:
    """Return the age in whole years on `today`."""
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - int(before_birthday)


def band_for_age(years: int | None) -> str:
    """Return the age band of an age in years (unknown for None)."""
    if years is None or years < 0:
        return AgeBand.UNKNOWN
    if years <= 5:
        return AgeBand.UNDER_6
    if years <= 11:
        return AgeBand.FROM_6
    if years <= 14:
        return AgeBand.FROM_12
    if years <= 17:
        return AgeBand.FROM_15
    return AgeBand.ADULT


class Person(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=PersonKind.choices)
    given_name = EncryptedTextField(_("given name"), blank=True)
    family_name = EncryptedTextField(_("family name"), blank=True)
    other_names = EncryptedTextField(_("other names"), blank=True)
    aliases = EncryptedJSONField(_("aliases"), default=list, blank=True)
    sex = models.CharField(_("sex"), max_length=16, choices=Sex.choices, blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    age_estimate = models.PositiveSmallIntegerField(
        _("estimated age (years)"), null=True, blank=True
    )
    age_basis = models.CharField(
        _("basis of age"), max_length=16, choices=AgeBasis.choices, blank=True
    )
    # Derived from the date of birth or the estimate when the person is saved through a
    # service; kept in clear for analytics. It goes stale as the person ages: re-derive
    # with `derive_age_band(today)` when it matters.
    age_band = models.CharField(
        _("age band"), max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    nationality = models.CharField(
        _("nationality"), max_length=2, blank=True, help_text=_("ISO 3166 country code")
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    home_ward = models.ForeignKey(
        "places.Ward",
        verbose_name=_("home ward"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    village = EncryptedTextField(_("village or estate"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Bumped by every save that changes the person: an edit form opened on an earlier
    # version is refused (`kinga.lib.concurrency`).
    version = models.PositiveIntegerField(_("edit version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(age_estimate__isnull=True) | models.Q(age_estimate__lte=120),
                name="people_person_age_estimate_plausible",
            ),
        ]

    def __str__(self) -> str:
        # Never the name: this string ends up in logs and admin breadcrumbs.
        return f"{self.get_kind_display()} #{self.pk}"

    def clean(self) -> None:
        """Refuse a date of birth after today."""
        super().clean()
        errors = past_dates_errors(self, ("date_of_birth",))
        if errors:
            raise ValidationError(errors)

    def derive_age_band(self, today: datetime.date | None = None) -> str:
        """Return the age band from the date of birth, else the estimate, else unknown."""
        today = today or timezone.localdate()
        if self.date_of_birth:
            return band_for_age(age_in_years(self.date_of_birth, today))
        return band_for_age(self.age_estimate)

    @property
    def is_child(self) -> bool:
        """Return whether to treat the person as a child: a minor, or of uncertain age.

        When the age is not known the person is presumed a minor (Children Act 2022):
        protections apply until someone shows otherwise.
        """
        return self.age_band != AgeBand.ADULT

    @property
    def full_name(self) -> str:
        return " ".join(
            part for part in (self.given_name, self.other_names, self.family_name) if part
        )


class IdentifierKind(models.TextChoices):
    PHONE = "phone", _("Phone number")
    NATIONAL_ID = "national_id", _("National ID")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    PASSPORT = "passport", _("Passport")
    ONLINE_HANDLE = "online_handle", _("Online handle")
    VEHICLE_PLATE = "vehicle_plate", _("Vehicle plate")


class PersonIdentifier(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="identifiers"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=IdentifierKind.choices)
    # For online handles: the platform (facebook, tiktok, whatsapp, instagram, ...).
    platform = models.CharField(_("platform"), max_length=32, blank=True)
    value = EncryptedTextField(_("value"))
    # keyed_hash(normalised value, purpose=kind or "online_handle:<platform>")
    blind_index = models.CharField(_("blind index"), max_length=32)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        indexes = [
            # selectors.person_search(phone=...) and matching: exact lookups by value.
            models.Index(fields=["blind_index", "kind"], name="people_identifier_index_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "blind_index"], name="people_identifier_once_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of person #{self.person_id}"


class PersonNameToken(models.Model):
    """A keyed token of one part of a person's names (exact, phonetic or prefix)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="name_tokens"
    )
    token = models.CharField(_("token"), max_length=32)

    class Meta:
        verbose_name = _("name token")
        verbose_name_plural = _("name tokens")
        constraints = [
            # selectors.person_search: token -> persons, answered from the index alone.
            models.UniqueConstraint(fields=["token", "person"], name="people_name_token_unique"),
        ]

    def __str__(self) -> str:
        return f"token of person #{self.person_id}"


class LinkRole(models.TextChoices):
    CHILD = "child", _("Child")
    GUARDIAN = "guardian", _("Parent or guardian")
    SUSPECT = "suspect", _("Suspect")
    WITNESS = "witness", _("Witness")
    REPORTER = "reporter", _("Reporter")


class PersonLink(models.Model):
    """A person's part in a matter; the matter's identity section decides who sees them."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="links"
    )
    matter_type = models.CharField(_("matter type"), max_length=16, choices=MatterType.choices)
    matter_id = models.BigIntegerField(_("matter"))
    role = models.CharField(_("role"), max_length=16, choices=LinkRole.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("link to a matter")
        verbose_name_plural = _("links to matters")
        indexes = [
            # selectors.person_search: persons of the matters the viewer may see.
            models.Index(fields=["matter_type", "matter_id"], name="people_link_matter_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "matter_type", "matter_id", "role"],
                name="people_link_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"person #{self.person_id} as {self.role} in {self.matter_type} #{self.matter_id}"
