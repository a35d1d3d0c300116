"""The service directory, shaped on Open Referral HSDS 3.0.

Organisations run services; a service is delivered at locations (service_at_location);
phones, contacts and schedules hang off any of them, as HSDS's tables do. Every record has
a UUID, so an HSDS export and re-import keeps identities.

A location can be *confidential* (a shelter): its street address and exact coordinates are
kept here but never leave through lists, exports or the API, which place it by its
sub-county at most. `public_latitude` and `public_longitude` hold what anyone may see and
search on: the exact point for a public location, the sub-county's centroid for a
confidential one. At rest, every location's address lines and directions are encrypted,
and a confidential location keeps its ward and exact point only in `sealed_place`
(encrypted); in clear it has its sub-county and nothing finer.

The tables keep the names they had when the directory lived in `kinga.referrals`
(`db_table`), so moving the app moved no row; `kinga.referrals` holds the referral
workflow and points at `ServiceAtLocation`.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kinga.lib.fields import EncryptedJSONField, EncryptedTextField

# Tables are named as when the directory was part of referrals: the move kept every row.
TABLE_PREFIX = "referrals_"

# Bits of Schedule.weekdays: Monday is bit 0, as in Python's date.weekday().
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class ServiceType(models.TextChoices):
    """Kinga's taxonomy of service types; TaxonomyTerm.code holds one of these."""

    RESCUE_SHELTER = "rescue_shelter", _("Rescue and shelter")
    COUNSELLING = "counselling", _("Counselling")
    MEDICAL = "medical", _("Medical care")
    POST_RAPE_CARE = "post_rape_care", _("Post-rape care")
    LEGAL_AID = "legal_aid", _("Legal aid")
    FAMILY_TRACING = "family_tracing", _("Family tracing and reunification")
    EDUCATION = "education", _("Education support")
    LIVELIHOOD = "livelihood", _("Livelihood and skills training")
    REPATRIATION = "repatriation", _("Repatriation")
    HELPLINE = "helpline", _("Helpline")


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DEFUNCT = "defunct", _("Defunct")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")


class EligibleSex(models.TextChoices):
    ANY = "any", _("Any")
    FEMALE = "female", _("Girls and women")
    MALE = "male", _("Boys and men")


class LocationType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    POSTAL = "postal", _("Postal")
    VIRTUAL = "virtual", _("Virtual (phone or online)")


class PhoneType(models.TextChoices):
    VOICE = "voice", _("Voice")
    TEXT = "text", _("SMS")
    FAX = "fax", _("Fax")
    CELL = "cell", _("Mobile")
    VIDEO = "video", _("Video")
    PAGER = "pager", _("Pager")
    TEXTPHONE = "textphone", _("Textphone")


class ScheduleFrequency(models.TextChoices):
    WEEKLY = "WEEKLY", _("Weekly")
    MONTHLY = "MONTHLY", _("Monthly")


class TaxonomyTerm(models.Model):
    """One term of a service taxonomy, with its Kiswahili label."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    name_sw = models.CharField(_("name in Kiswahili"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    taxonomy = models.CharField(_("taxonomy"), max_length=100, default="kinga-service-types")
    term_uri = models.URLField(_("term URI"), blank=True)

    class Meta:
        db_table = TABLE_PREFIX + "taxonomyterm"
        verbose_name = _("taxonomy term")
        verbose_name_plural = _("taxonomy terms")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["taxonomy", "code"], name="referrals_taxonomy_term_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Return the name in the active language (Kiswahili when there is one)."""
        if self.name_sw and (get_language() or "").startswith("sw"):
            return self.name_sw
        return self.name


class Organization(models.Model):
    """An organisation that provides services (HSDS organization)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    alternate_name = models.CharField(_("other name"), max_length=200, blank=True)
    description = models.TextField(_("description"))
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    tax_status = models.CharField(_("tax status"), max_length=100, blank=True)
    tax_id = models.CharField(_("tax identifier"), max_length=100, blank=True)
    year_incorporated = models.PositiveSmallIntegerField(
        _("year incorporated"), null=True, blank=True
    )
    legal_status = models.CharField(_("legal status"), max_length=100, blank=True)
    uri = models.URLField(_("URI"), blank=True)
    parent_organization = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("Kinga agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="directory_organizations",
        help_text=_("Staff of this agency keep the organisation's entries current."),
    )
    last_modified = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        db_table = TABLE_PREFIX + "organization"
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A service an organisation provides (HSDS service)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="services",
    )
    name = models.CharField(_("name"), max_length=200)
    alternate_name = models.CharField(_("other name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("web page"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    status = models.CharField(
        _("status"), max_length=32, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    interpretation_services = models.TextField(_("interpretation"), blank=True)
    application_process = models.TextField(_("how to refer"), blank=True)
    fees_description = models.TextField(
        _("fees"), blank=True, help_text=_("What the service costs, or that it is free.")
    )
    wait_time = models.CharField(_("waiting time"), max_length=200, blank=True)
    accreditations = models.TextField(_("accreditations"), blank=True)
    licenses = models.TextField(_("licences"), blank=True)
    eligibility_description = models.TextField(_("who is eligible"), blank=True)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    eligible_sex = models.CharField(
        _("sex served"), max_length=8, choices=EligibleSex.choices, default=EligibleSex.ANY
    )
    alert = models.TextField(_("alert"), blank=True)
    service_types = models.ManyToManyField(
        TaxonomyTerm,
        verbose_name=_("service types"),
        related_name="services",
        blank=True,
    )
    last_modified = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        db_table = TABLE_PREFIX + "service"
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_age__isnull=True)
                | models.Q(maximum_age__isnull=True)
                | models.Q(minimum_age__lte=models.F("maximum_age")),
                name="referrals_service_age_range_ordered",
            ),
        ]
        # No index on status or eligibility: they select little, and an index on them
        # lures SQLite's planner away from the bounding-box index directory_search needs.

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """A place where services are delivered (HSDS location with its one address)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="locations",
        null=True,
        blank=True,
    )
    location_type = models.CharField(
        _("kind of location"),
        max_length=16,
        choices=LocationType.choices,
        default=LocationType.PHYSICAL,
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    alternate_name = models.CharField(_("other name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Directions can lead to a door as surely as an address: encrypted like one.
    transportation = EncryptedTextField(_("how to get there"), blank=True)
    url = models.URLField(_("web address"), blank=True)
    confidential = models.BooleanField(
        _("confidential address"),
        default=False,
        help_text=_(
            "A shelter's address is shown only to those handling a referral to it; "
            "lists, exports and the API show its sub-county only."
        ),
    )
    # In clear for every location: what lists may show of a confidential one.
    sub_county = models.ForeignKey(
        "places.SubCounty",
        verbose_name=_("sub-county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="directory_locations",
    )
    # The ward and exact point of a public location. A confidential one keeps them only in
    # `sealed_place`; services.location_places_refresh moves them there before a save.
    ward = models.ForeignKey(
        "places.Ward",
        verbose_name=_("ward"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="directory_locations",
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    sealed_place = EncryptedJSONField(
        _("sealed ward and point"), null=True, blank=True, editable=False
    )
    # What anyone may see and search on; kept by services.location_places_refresh.
    public_latitude = models.FloatField(_("public latitude"), null=True, blank=True)
    public_longitude = models.FloatField(_("public longitude"), null=True, blank=True)
    address_id = models.UUIDField(_("address id"), default=uuid.uuid4, editable=False)
    address_attention = EncryptedTextField(_("for the attention of"), blank=True)
    address_1 = EncryptedTextField(_("street address"), blank=True)
    address_2 = EncryptedTextField(_("address line 2"), blank=True)
    city = EncryptedTextField(_("town"), blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    state_province = models.CharField(_("county"), max_length=100, blank=True)
    postal_code = EncryptedTextField(_("postal code"), blank=True)
    country = models.CharField(_("country code"), max_length=2, default="KE")
    external_identifier = models.CharField(_("external identifier"), max_length=100, blank=True)
    external_identifier_type = models.CharField(
        _("external identifier type"), max_length=100, blank=True
    )
    last_modified = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        db_table = TABLE_PREFIX + "location"
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]
        constraints = [
            # A confidential location is placed by its sub-county and by nothing finer
            # in clear: its ward and point are sealed.
            models.CheckConstraint(
                condition=models.Q(confidential=False)
                | models.Q(
                    sub_county__isnull=False,
                    ward__isnull=True,
                    latitude__isnull=True,
                    longitude__isnull=True,
                ),
                name="referrals_confidential_location_sealed",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="referrals_location_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="referrals_location_longitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
                name="referrals_location_coordinates_paired",
            ),
        ]
        indexes = [
            # directory_search: the bounding-box pre-filter on what may be shown.
            models.Index(
                fields=["public_latitude", "public_longitude"],
                name="referrals_location_public_box",
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(self.ward or self.sub_county or self.id)

    @property
    def has_address(self) -> bool:
        return bool(self.address_1 or self.city)


class ServiceAtLocation(models.Model):
    """A service delivered at one location (HSDS service_at_location)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="service_at_locations",
    )
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="service_at_locations",
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        db_table = TABLE_PREFIX + "serviceatlocation"
        verbose_name = _("service at a location")
        verbose_name_plural = _("services at locations")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "location"], name="referrals_service_at_location_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} @ {self.location}"


class Contact(models.Model):
    """A named contact point (HSDS contact): a role, not necessarily a person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="contacts",
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        db_table = TABLE_PREFIX + "contact"
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "title"]

    def __str__(self) -> str:
        return self.name or self.title or str(self.id)


class Phone(models.Model):
    """A phone number (HSDS phone), attached to any of the records HSDS allows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="phones",
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    number = models.CharField(_("number"), max_length=40)
    extension = models.PositiveIntegerField(_("extension"), null=True, blank=True)
    type = models.CharField(
        _("type"), max_length=16, choices=PhoneType.choices, default=PhoneType.VOICE
    )
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        db_table = TABLE_PREFIX + "phone"
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Language(models.Model):
    """A language a service, location or phone line works in (HSDS language)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    phone = models.ForeignKey(
        Phone, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=16, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        db_table = TABLE_PREFIX + "language"
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.code


class CostOption(models.Model):
    """What a service costs, for whom (HSDS cost_option)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cost_options")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    option = models.CharField(_("option"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_description = models.CharField(_("amount description"), max_length=300, blank=True)

    class Meta:
        db_table = TABLE_PREFIX + "costoption"
        verbose_name = _("cost option")
        verbose_name_plural = _("cost options")

    def __str__(self) -> str:
        return self.option or str(self.amount)


class Schedule(models.Model):
    """Opening hours (HSDS schedule) in Africa/Nairobi local time.

    `weekdays` is a bitmask (Monday = 1, Sunday = 64) kept from `byday` by the services,
    so "open now" is a database filter. When `closes_at` is not after `opens_at` the span
    runs past midnight into the next day; 00:00 to 00:00 is open all day.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedules",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    dtstart = models.DateField(_("first day"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    count = models.PositiveIntegerField(_("count"), null=True, blank=True)
    wkst = models.CharField(_("week starts"), max_length=2, blank=True)
    freq = models.CharField(
        _("frequency"),
        max_length=8,
        choices=ScheduleFrequency.choices,
        default=ScheduleFrequency.WEEKLY,
        blank=True,
    )
    interval = models.PositiveSmallIntegerField(_("interval"), null=True, blank=True)
    byday = models.CharField(_("days"), max_length=40, blank=True)
    byweekno = models.CharField(_("weeks of the year"), max_length=100, blank=True)
    bymonthday = models.CharField(_("days of the month"), max_length=100, blank=True)
    byyearday = models.CharField(_("days of the year"), max_length=100, blank=True)
    weekdays = models.PositiveSmallIntegerField(_("weekdays"), default=0)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    schedule_link = models.URLField(_("link"), blank=True)
    attending_type = models.CharField(_("attending"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        db_table = TABLE_PREFIX + "schedule"
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekdays__lte=127), name="referrals_schedule_weekdays_bits"
            ),
        ]
        indexes = [
            # directory_search: the open-now probe looks up a service's schedule rows.
            models.Index(
                fields=["service", "service_at_location"],
                name="referrals_schedule_open_probe",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.byday} {self.opens_at}-{self.closes_at}"

    @property
    def day_codes(self) -> list[str]:
        return [code for bit, code in enumerate(WEEKDAY_CODES) if self.weekdays & (1 << bit)]

    @property
    def all_day(self) -> bool:
        return self.opens_at is not None and self.opens_at == self.closes_at


class SearchEntry(models.Model):
    """One row per service at a location and service type: the directory search's index.

    Derived data, rebuilt by `services.search_entries_refresh` whenever a service, its types,
    its locations or a location's point changes. It carries only what may be searched on
    (the public point, never a confidential one), so one composite index answers
    "services of this type inside this box".
    """

    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, related_name="search_entries"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    service_type = models.ForeignKey(TaxonomyTerm, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    eligible_sex = models.CharField(max_length=8, choices=EligibleSex.choices)
    public_latitude = models.FloatField(null=True, blank=True)
    public_longitude = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = TABLE_PREFIX + "searchentry"
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["service_at_location", "service_type"],
                name="referrals_search_entry_once",
            ),
        ]
        indexes = [
            # directory_search: services of one type inside a bounding box.
            models.Index(
                fields=["service_type", "public_latitude", "public_longitude"],
                name="referrals_search_type_box",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_type_id} @ {self.service_at_location_id}"
