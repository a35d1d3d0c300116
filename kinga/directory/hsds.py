"""Open Referral HSDS 3.0: the directory as nested JSON records, out and in.

Export writes the public view of the directory: a confidential location appears under a
neutral name, at its sub-county's centroid, with no ward, address, description or
directions.
Import maps what Kinga holds and lists everything it could not map, field by field.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Field, Prefetch, QuerySet
from django.utils.dateparse import parse_date, parse_time

from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.directory import services
from kinga.directory.models import (
    Contact,
    CostOption,
    EligibleSex,
    Language,
    Location,
    LocationType,
    Organization,
    Phone,
    PhoneType,
    Schedule,
    ScheduleFrequency,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    TaxonomyTerm,
)
from kinga.directory.selectors import (
    KINGA_TAXONOMY,
    confidential_location_name,
    location_unseal,
)

Record = dict[str, Any]

HSDS_VERSION = "3.0"
# Schedules are kept in Africa/Nairobi time, UTC+3 all year.
NAIROBI_UTC_OFFSET = 3


def _clean(record: Record) -> Record:
    """Drop empty optional values; HSDS leaves out what is not known."""
    return {key: value for key, value in record.items() if value is not None and value != ""}


def _time(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M:%S") if value is not None else None


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- export -------------------------------------------------------------------------------


def language_record(language: Language) -> Record:
    return _clean(
        {
            "id": str(language.id),
            "name": language.name,
            "code": language.code,
            "note": language.note,
        }
    )


def phone_record(phone: Phone) -> Record:
    return _clean(
        {
            "id": str(phone.id),
            "number": phone.number,
            "extension": phone.extension,
            "type": phone.type,
            "description": phone.description,
            "languages": [language_record(language) for language in phone.languages.all()],
        }
    )


def contact_record(contact: Contact) -> Record:
    return _clean(
        {
            "id": str(contact.id),
            "name": contact.name,
            "title": contact.title,
            "department": contact.department,
            "email": contact.email,
            "phones": [phone_record(phone) for phone in contact.phones.all()],
        }
    )


def schedule_record(schedule: Schedule) -> Record:
    return _clean(
        {
            "id": str(schedule.id),
            "service_id": str(schedule.service_id) if schedule.service_id else None,
            "location_id": str(schedule.location_id) if schedule.location_id else None,
            "service_at_location_id": (
                str(schedule.service_at_location_id) if schedule.service_at_location_id else None
            ),
            "valid_from": _date(schedule.valid_from),
            "valid_to": _date(schedule.valid_to),
            "dtstart": _date(schedule.dtstart),
            "timezone": NAIROBI_UTC_OFFSET,
            "until": _date(schedule.until),
            "count": schedule.count,
            "wkst": schedule.wkst,
            "freq": schedule.freq,
            "interval": schedule.interval,
            "byday": schedule.byday,
            "byweekno": schedule.byweekno,
            "bymonthday": schedule.bymonthday,
            "byyearday": schedule.byyearday,
            "description": schedule.description,
            "opens_at": _time(schedule.opens_at),
            "closes_at": _time(schedule.closes_at),
            "schedule_link": schedule.schedule_link,
            "attending_type": schedule.attending_type,
            "notes": schedule.notes,
        }
    )


def location_record(location: Location) -> Record:
    """Return the public HSDS record of a location; a confidential one keeps its secrets."""
    record: Record = {
        "id": str(location.id),
        "location_type": location.location_type,
        "organization_id": str(location.organization_id) if location.organization_id else None,
        "latitude": location.public_latitude,
        "longitude": location.public_longitude,
        "languages": [language_record(language) for language in location.languages.all()],
        "schedules": [schedule_record(schedule) for schedule in location.schedules.all()],
    }
    if location.confidential:
        # A house's own line could be looked up to its address; the organisation's stays.
        record["name"] = confidential_location_name(location)
        return _clean(record)
    record.update(
        {
            "phones": [phone_record(phone) for phone in location.phones.all()],
            "url": location.url,
            "name": location.name,
            "alternate_name": location.alternate_name,
            "description": location.description,
            "transportation": location.transportation,
            "external_identifier": location.external_identifier,
            "external_identifier_type": location.external_identifier_type,
            "contacts": [contact_record(contact) for contact in location.contacts.all()],
        }
    )
    if location.has_address:
        record["addresses"] = [
            _clean(
                {
                    "id": str(location.address_id),
                    "attention": location.address_attention,
                    "address_1": location.address_1 or location.city,
                    "address_2": location.address_2,
                    "city": location.city or (location.ward.name if location.ward else ""),
                    "region": location.region,
                    "state_province": location.state_province,
                    "country": location.country,
                    "address_type": (
                        LocationType.POSTAL
                        if location.location_type == LocationType.POSTAL
                        else LocationType.PHYSICAL
                    ),
                }
            )
            | {
                # Required by the schema even where, as in most of Kenya, there is none.
                "postal_code": location.postal_code,
                "state_province": location.state_province,
            }
        ]
    return _clean(record)


def organization_core_record(organization: Organization) -> Record:
    return _clean(
        {
            "id": str(organization.id),
            "name": organization.name,
            "alternate_name": organization.alternate_name,
            "description": organization.description or organization.name,
            "email": organization.email,
            "website": organization.website,
            "tax_status": organization.tax_status,
            "tax_id": organization.tax_id,
            "year_incorporated": organization.year_incorporated,
            "legal_status": organization.legal_status,
            "uri": organization.uri,
            "parent_organization_id": (
                str(organization.parent_organization_id)
                if organization.parent_organization_id
                else None
            ),
            "contacts": [contact_record(contact) for contact in organization.contacts.all()],
            "phones": [phone_record(phone) for phone in organization.phones.all()],
            "locations": [location_record(location) for location in organization.locations.all()],
        }
    )


def _attribute(service: Service, term: TaxonomyTerm) -> Record:
    return {
        "id": str(uuid.uuid5(service.id, str(term.id))),
        "link_id": str(service.id),
        "link_type": "service_type",
        "link_entity": "service",
        "taxonomy_term_id": str(term.id),
        "taxonomy_term": _clean(
            {
                "id": str(term.id),
                "code": term.code,
                "name": term.name,
                "description": term.description or term.name,
                "parent_id": str(term.parent_id) if term.parent_id else None,
                "taxonomy": term.taxonomy,
                "language": "en",
                "term_uri": term.term_uri,
            }
        ),
    }


def service_at_location_record(sal: ServiceAtLocation, *, with_service: bool = False) -> Record:
    record: Record = {
        "id": str(sal.id),
        "service_id": str(sal.service_id),
        "location_id": str(sal.location_id),
        "description": sal.description,
        "contacts": [contact_record(contact) for contact in sal.contacts.all()],
        "phones": [phone_record(phone) for phone in sal.phones.all()],
        "schedules": [schedule_record(schedule) for schedule in sal.schedules.all()],
        "location": location_record(sal.location),
    }
    if with_service:
        record["service"] = service_record(sal.service, nested=True)
    return _clean(record)


def service_record(service: Service, *, nested: bool = False) -> Record:
    """Return the full HSDS record of a service (without its locations when nested)."""
    record: Record = {
        "id": str(service.id),
        "organization_id": str(service.organization_id),
        "name": service.name,
        "alternate_name": service.alternate_name,
        "description": service.description,
        "url": service.url,
        "email": service.email,
        "status": service.status,
        "interpretation_services": service.interpretation_services,
        "application_process": service.application_process,
        "fees_description": service.fees_description,
        "wait_time": service.wait_time,
        "accreditations": service.accreditations,
        "eligibility_description": service.eligibility_description,
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "licenses": service.licenses,
        "alert": service.alert,
        "last_modified": service.last_modified.isoformat(),
        "phones": [phone_record(phone) for phone in service.phones.all()],
        "schedules": [
            schedule_record(schedule)
            for schedule in service.schedules.all()
            if schedule.service_at_location_id is None
        ],
        "languages": [language_record(language) for language in service.languages.all()],
        "contacts": [contact_record(contact) for contact in service.contacts.all()],
        "cost_options": [
            _clean(
                {
                    "id": str(option.id),
                    "valid_from": _date(option.valid_from),
                    "valid_to": _date(option.valid_to),
                    "option": option.option,
                    "currency": option.currency,
                    "amount": float(option.amount) if option.amount is not None else None,
                    "amount_description": option.amount_description,
                }
            )
            for option in service.cost_options.all()
        ],
        "attributes": [_attribute(service, term) for term in service.service_types.all()],
    }
    if service.eligible_sex != EligibleSex.ANY and not service.eligibility_description:
        record["eligibility_description"] = f"{service.get_eligible_sex_display()} only"
    if not nested:
        record["organization"] = organization_core_record(service.organization)
        record["service_at_locations"] = [
            service_at_location_record(sal) for sal in service.service_at_locations.all()
        ]
    return _clean(record)


def organization_record(organization: Organization) -> Record:
    record = organization_core_record(organization)
    record["services"] = [
        service_record(service, nested=True) for service in organization.services.all()
    ]
    return record


_LOCATION_PREFETCH = [
    "languages",
    "phones__languages",
    "schedules",
    "contacts__phones__languages",
]


def _locations() -> QuerySet[Location]:
    return Location.objects.select_related("ward__sub_county", "sub_county").prefetch_related(
        *_LOCATION_PREFETCH
    )


def _services() -> QuerySet[Service]:
    return Service.objects.select_related("organization").prefetch_related(
        "phones__languages",
        "schedules",
        "languages",
        "contacts__phones__languages",
        "cost_options",
        "service_types",
        "organization__contacts__phones__languages",
        "organization__phones__languages",
        Prefetch("organization__locations", queryset=_locations()),
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.prefetch_related(
                "contacts__phones__languages",
                "phones__languages",
                "schedules",
                Prefetch("location", queryset=_locations()),
            ),
        ),
    )


def export_services(services: QuerySet[Service] | None = None) -> list[Record]:
    """Return the full public records of these services (all by default)."""
    chosen = services if services is not None else _services()
    return [service_record(service) for service in chosen.order_by("name")]


def service_queryset() -> QuerySet[Service]:
    """Return services with everything their HSDS records need, prefetched."""
    return _services()


def export_directory(directory: Path, *, actor_label: str = "export-hsds") -> dict[str, int]:
    """Write organization.json, service.json and service_at_location.json into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    organizations = [
        organization_record(organization)
        for organization in Organization.objects.prefetch_related(
            "contacts__phones__languages",
            "phones__languages",
            Prefetch("locations", queryset=_locations()),
            Prefetch("services", queryset=_services()),
        ).order_by("name")
    ]
    services = export_services()
    sals = [
        service_at_location_record(sal, with_service=True)
        for sal in ServiceAtLocation.objects.select_related("service__organization")
        .prefetch_related(
            "contacts__phones__languages",
            "phones__languages",
            "schedules",
            Prefetch("location", queryset=_locations()),
            Prefetch("service", queryset=_services()),
        )
        .order_by("service__name", "pk")
    ]
    for name, records in (
        ("organization", organizations),
        ("service", services),
        ("service_at_location", sals),
    ):
        (directory / f"{name}.json").write_text(
            json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    counts = {
        "organization": len(organizations),
        "service": len(services),
        "service_at_location": len(sals),
    }
    with transaction.atomic():
        audit_record(
            action=AuditAction.EXPORT,
            actor=None,
            actor_label=actor_label,
            record_type="directory.directory",
            detail={"format": "hsds-3.0", **counts},
        )
    return counts


# --- import -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did, and everything it could not map."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1

    def skip(self, where: str, what: str) -> None:
        line = f"{where}: {what}"
        if line not in self.unmapped:  # nested copies of one record report once
            self.unmapped.append(line)


# Fields of each HSDS object that Kinga maps; anything else present is reported.
_HANDLED: dict[str, set[str]] = {
    "organization": {
        "id", "name", "alternate_name", "description", "email", "website", "tax_status",
        "tax_id", "year_incorporated", "legal_status", "uri", "parent_organization_id",
        "contacts", "phones", "locations", "services",
    },
    "service": {
        "id", "organization_id", "name", "alternate_name", "description", "url", "email",
        "status", "interpretation_services", "application_process", "fees_description",
        "wait_time", "accreditations", "eligibility_description", "minimum_age",
        "maximum_age", "licenses", "alert", "last_modified", "phones", "schedules",
        "service_at_locations", "languages", "organization", "cost_options", "contacts",
        "attributes", "fees",
    },
    "location": {
        "id", "location_type", "url", "organization_id", "name", "alternate_name",
        "description", "transportation", "latitude", "longitude", "external_identifier",
        "external_identifier_type", "languages", "addresses", "contacts", "phones",
        "schedules",
    },
    "service_at_location": {
        "id", "service_id", "location_id", "description", "contacts", "phones", "schedules",
        "location", "service",
    },
    "phone": {
        "id", "number", "extension", "type", "description", "languages", "location_id",
        "service_id", "organization_id", "contact_id", "service_at_location_id",
    },
    "contact": {
        "id", "name", "title", "department", "email", "phones", "organization_id",
        "service_id", "service_at_location_id", "location_id",
    },
    "schedule": {
        "id", "valid_from", "valid_to", "dtstart", "timezone", "until", "count", "wkst",
        "freq", "interval", "byday", "byweekno", "bymonthday", "byyearday", "description",
        "opens_at", "closes_at", "schedule_link", "attending_type", "notes", "service_id",
        "location_id", "service_at_location_id",
    },
    "language": {"id", "name", "code", "note", "service_id", "location_id", "phone_id"},
    "cost_option": {
        "id", "valid_from", "valid_to", "option", "currency", "amount", "amount_description",
        "service_id",
    },
}  # fmt: skip


class _Importer:
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.services: set[uuid.UUID] = set()
        self.locations: set[uuid.UUID] = set()

    # helpers
    def _uuid(self, value: Any, where: str) -> uuid.UUID:
        try:
            return uuid.UUID(str(value))
        except (TypeError, ValueError):
            fresh = uuid.uuid4()
            self.report.skip(where, f"id {value!r} is not a UUID; given {fresh}")
            return fresh

    def _extra(self, kind: str, record: Record, where: str) -> None:
        for key in sorted(set(record) - _HANDLED[kind]):
            value = record[key]
            if value in (None, "", [], {}):
                continue
            self.report.skip(where, f"field {key!r} is not held by Kinga")

    def _text(self, record: Record, key: str, limit: int | None = None) -> str:
        value = record.get(key)
        if value is None:
            return ""
        text = str(value)
        return text[:limit] if limit else text

    def _int(self, record: Record, key: str, where: str) -> int | None:
        value = record.get(key)
        if value in (None, ""):
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.report.skip(where, f"{key} {value!r} is not a whole number")
            return None
        if number < 0:
            self.report.skip(where, f"{key} {value!r} is negative")
            return None
        return number

    def _date(self, record: Record, key: str, where: str) -> dt.date | None:
        value = record.get(key)
        if not value:
            return None
        parsed = parse_date(str(value)[:10])
        if parsed is None:
            self.report.skip(where, f"{key} {value!r} is not a date")
        return parsed

    def _time(self, record: Record, key: str, where: str) -> dt.time | None:
        value = record.get(key)
        if not value:
            return None
        try:
            parsed = parse_time(str(value)[:8])
        except ValueError:
            parsed = None
        if parsed is None:
            self.report.skip(where, f"{key} {value!r} is not a time")
        return parsed

    def _store(self, record: services.DirectoryRecord, where: str) -> None:
        """Store a record through the directory's import step, validated by its model.

        A field the model refuses and may leave empty is left out and reported; anything
        else (a missing name, a broken constraint) stops the import with what was wrong.
        """
        try:
            services.record_store(record)
            return
        except ValidationError as error:
            problems = getattr(error, "error_dict", None)
            if problems is None or NON_FIELD_ERRORS in problems:
                raise ValueError(f"{where}: {'; '.join(error.messages)}") from error
            for name, errors in problems.items():
                field = record._meta.get_field(name)
                if not (isinstance(field, Field) and field.blank):
                    raise ValueError(f"{where}: {name}: {'; '.join(error.messages)}") from error
                messages = "; ".join(str(message) for item in errors for message in item.messages)
                self.report.skip(where, f"{name} {getattr(record, name)!r} left out: {messages}")
                setattr(record, field.attname, field.get_default())
        try:
            services.record_store(record)
        except ValidationError as error:
            raise ValueError(f"{where}: {'; '.join(error.messages)}") from error

    # objects
    def language(self, record: Record, **owner: Any) -> None:
        where = f"language {record.get('id')}"
        self._extra("language", record, where)
        language_id = self._uuid(record.get("id"), where)
        language = Language.objects.filter(pk=language_id).first()
        created = language is None
        if language is None:
            language = Language(id=language_id)
        language.name = self._text(record, "name", 100)
        language.code = self._text(record, "code", 16)
        language.note = self._text(record, "note", 300)
        for name, value in owner.items():
            setattr(language, name, value)
        self._store(language, where)
        self.report.count("language", created)

    def phone(self, record: Record, **owner: Any) -> Phone:
        where = f"phone {record.get('id')}"
        self._extra("phone", record, where)
        phone_type = self._text(record, "type")
        if phone_type and phone_type not in PhoneType.values:
            self.report.skip(where, f"phone type {phone_type!r} is not known; kept as voice")
            phone_type = PhoneType.VOICE
        phone_id = self._uuid(record.get("id"), where)
        phone = Phone.objects.filter(pk=phone_id).first()
        created = phone is None
        if phone is None:
            phone = Phone(id=phone_id)
        # One HSDS phone row may hang off several records; keep every link.
        phone.number = self._text(record, "number", 40).strip().strip('"').strip()
        phone.extension = self._int(record, "extension", where)
        phone.type = phone_type or PhoneType.VOICE
        phone.description = self._text(record, "description", 300)
        for name, value in owner.items():
            setattr(phone, name, value)
        self._store(phone, where)
        self.report.count("phone", created)
        for language in record.get("languages") or []:
            self.language(language, phone=phone)
        return phone

    def contact(self, record: Record, **owner: Any) -> None:
        where = f"contact {record.get('id')}"
        self._extra("contact", record, where)
        contact_id = self._uuid(record.get("id"), where)
        contact = Contact.objects.filter(pk=contact_id).first()
        created = contact is None
        if contact is None:
            contact = Contact(id=contact_id)
        contact.name = self._text(record, "name", 200)
        contact.title = self._text(record, "title", 200)
        contact.department = self._text(record, "department", 200)
        contact.email = self._text(record, "email", 254)
        for name, value in owner.items():
            setattr(contact, name, value)
        self._store(contact, where)
        self.report.count("contact", created)
        for phone in record.get("phones") or []:
            self.phone(phone, contact=contact)

    def schedule(self, record: Record, **owner: Any) -> None:
        where = f"schedule {record.get('id')}"
        self._extra("schedule", record, where)
        freq = self._text(record, "freq").upper()
        if freq and freq not in ScheduleFrequency.values:
            self.report.skip(where, f"frequency {freq!r} is not weekly or monthly")
            freq = ""
        byday = self._text(record, "byday", 40)
        offset = record.get("timezone")
        if offset not in (None, NAIROBI_UTC_OFFSET):
            self.report.skip(
                where, f"timezone UTC{offset:+} differs from Nairobi; times kept as written"
            )
        if record.get("byweekno") or record.get("bymonthday") or record.get("byyearday"):
            self.report.skip(
                where, "week, month-day and year-day rules are kept but not used for open now"
            )
        schedule_id = self._uuid(record.get("id"), where)
        schedule = Schedule.objects.filter(pk=schedule_id).first()
        created = schedule is None
        if schedule is None:
            schedule = Schedule(id=schedule_id)
        schedule.valid_from = self._date(record, "valid_from", where)
        schedule.valid_to = self._date(record, "valid_to", where)
        schedule.dtstart = self._date(record, "dtstart", where)
        schedule.until = self._date(record, "until", where)
        schedule.count = self._int(record, "count", where)
        schedule.wkst = self._text(record, "wkst", 2)
        schedule.freq = freq
        schedule.interval = self._int(record, "interval", where)
        schedule.byday = byday
        schedule.byweekno = self._text(record, "byweekno", 100)
        schedule.bymonthday = self._text(record, "bymonthday", 100)
        schedule.byyearday = self._text(record, "byyearday", 100)
        schedule.opens_at = self._time(record, "opens_at", where)
        schedule.closes_at = self._time(record, "closes_at", where)
        schedule.description = self._text(record, "description")
        schedule.schedule_link = self._text(record, "schedule_link", 200)
        schedule.attending_type = self._text(record, "attending_type", 200)
        schedule.notes = self._text(record, "notes")
        for name, value in owner.items():
            setattr(schedule, name, value)
        # the weekday mask comes from BYDAY in the import step, as in every write
        self._store(schedule, where)
        self.report.count("schedule", created)

    def location(self, record: Record, organization: Organization | None) -> Location:
        where = f"location {record.get('id')}"
        self._extra("location", record, where)
        location_id = self._uuid(record.get("id"), where)
        location = Location.objects.filter(pk=location_id).first()
        created = location is None
        if location is None:
            location = Location(id=location_id)
        else:
            location_unseal(location)
        location_type = self._text(record, "location_type")
        if location_type not in LocationType.values:
            self.report.skip(where, f"location_type {location_type!r} unknown; kept as physical")
            location_type = LocationType.PHYSICAL
        location.location_type = location_type
        location.organization = organization or location.organization
        for key, limit in (
            ("name", 200),
            ("alternate_name", 200),
            ("description", None),
            ("transportation", None),
            ("url", 200),
            ("external_identifier", 100),
            ("external_identifier_type", 100),
        ):
            setattr(location, key, self._text(record, key, limit))
        latitude, longitude = record.get("latitude"), record.get("longitude")
        if location.confidential and latitude is not None:
            # What an export gives of a confidential location is its sub-county's centroid;
            # taking it back would overwrite the sealed exact point with it.
            self.report.skip(where, "coordinates of a confidential location kept as they are")
        elif latitude is not None and longitude is not None:
            try:
                lat, lon = float(latitude), float(longitude)
            except (TypeError, ValueError):
                lat = lon = float("nan")
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                location.latitude, location.longitude = lat, lon
            else:
                self.report.skip(
                    where, f"coordinates ({latitude}, {longitude}) are not on Earth; left out"
                )
        addresses = record.get("addresses") or []
        if addresses:
            address = addresses[0]
            location.address_id = self._uuid(address.get("id"), f"address {address.get('id')}")
            location.address_attention = self._text(address, "attention", 200)
            location.address_1 = self._text(address, "address_1", 200)
            location.address_2 = self._text(address, "address_2", 200)
            location.city = self._text(address, "city", 100)
            location.region = self._text(address, "region", 100)
            location.state_province = self._text(address, "state_province", 100)
            location.postal_code = self._text(address, "postal_code", 20)
            country = self._text(address, "country")
            if len(country) == 2:
                location.country = country.upper()
            else:
                self.report.skip(where, f"country {country!r} is not a two-letter code")
            for extra in addresses[1:]:
                self.report.skip(where, f"second address {extra.get('id')} left out (one held)")
        # placed (sub-county, sealed place, public point) by the import step
        self._store(location, where)
        self.locations.add(location.pk)
        self.report.count("location", created)
        for language in record.get("languages") or []:
            self.language(language, location=location)
        for phone in record.get("phones") or []:
            self.phone(phone, location=location)
        for contact in record.get("contacts") or []:
            self.contact(contact, location=location)
        for schedule in record.get("schedules") or []:
            self.schedule(schedule, location=location)
        return location

    def organization(self, record: Record) -> Organization:
        where = f"organization {record.get('id')}"
        self._extra("organization", record, where)
        organization_id = self._uuid(record.get("id"), where)
        organization = Organization.objects.filter(pk=organization_id).first()
        created = organization is None
        if organization is None:
            organization = Organization(id=organization_id)
        for key, limit in (
            ("name", 200),
            ("alternate_name", 200),
            ("description", None),
            ("email", 254),
            ("website", 200),
            ("tax_status", 100),
            ("tax_id", 100),
            ("legal_status", 100),
            ("uri", 200),
        ):
            setattr(organization, key, self._text(record, key, limit))
        organization.year_incorporated = self._int(record, "year_incorporated", where)
        parent = record.get("parent_organization_id")
        if parent:
            parent_organization = Organization.objects.filter(pk=self._uuid(parent, where)).first()
            if parent_organization is None:
                self.report.skip(where, f"parent organisation {parent} is not in the directory")
            organization.parent_organization = parent_organization
        self._store(organization, where)
        self.report.count("organization", created)
        for phone in record.get("phones") or []:
            self.phone(phone, organization=organization)
        for contact in record.get("contacts") or []:
            self.contact(contact, organization=organization)
        for location in record.get("locations") or []:
            self.location(location, organization)
        for service in record.get("services") or []:
            self.service(service, organization)
        return organization

    def service(self, record: Record, organization: Organization | None = None) -> Service:
        where = f"service {record.get('id')}"
        self._extra("service", record, where)
        if isinstance(record.get("organization"), dict):
            organization = self.organization(record["organization"])
        elif record.get("organization_id"):
            organization = (
                Organization.objects.filter(pk=self._uuid(record["organization_id"], where)).first()
                or organization
            )
        service_id = self._uuid(record.get("id"), where)
        service = Service.objects.filter(pk=service_id).first()
        if organization is None:
            if service is None:
                raise ValueError(f"{where}: no organisation given or known; cannot import")
            organization = service.organization
        created = service is None
        if service is None:
            service = Service(id=service_id)
        service.organization = organization
        for key, limit in (
            ("name", 200),
            ("alternate_name", 200),
            ("description", None),
            ("url", 200),
            ("email", 254),
            ("interpretation_services", None),
            ("application_process", None),
            ("fees_description", None),
            ("wait_time", 200),
            ("accreditations", None),
            ("eligibility_description", None),
            ("licenses", None),
            ("alert", None),
        ):
            setattr(service, key, self._text(record, key, limit))
        if record.get("fees") and record.get("fees") != record.get("fees_description"):
            self.report.skip(where, "field 'fees' (deprecated in HSDS 3.0) left out")
        status = self._text(record, "status")
        if status not in ServiceStatus.values:
            self.report.skip(where, f"status {status!r} is not an HSDS status; kept as inactive")
            status = ServiceStatus.INACTIVE
        service.status = status
        service.minimum_age = self._int(record, "minimum_age", where)
        service.maximum_age = self._int(record, "maximum_age", where)
        if (
            service.minimum_age is not None
            and service.maximum_age is not None
            and service.minimum_age > service.maximum_age
        ):
            self.report.skip(where, "minimum_age above maximum_age; both left out")
            service.minimum_age = service.maximum_age = None
        self._store(service, where)
        self.services.add(service.pk)
        self.report.count("service", created)
        for language in record.get("languages") or []:
            self.language(language, service=service)
        for phone in record.get("phones") or []:
            self.phone(phone, service=service)
        for contact in record.get("contacts") or []:
            self.contact(contact, service=service)
        for schedule in record.get("schedules") or []:
            self.schedule(schedule, service=service)
        for option in record.get("cost_options") or []:
            self.cost_option(option, service)
        self.attributes(record.get("attributes") or [], service, where)
        for sal in record.get("service_at_locations") or []:
            self.service_at_location(sal, service=service)
        return service

    def cost_option(self, record: Record, service: Service) -> None:
        where = f"cost_option {record.get('id')}"
        self._extra("cost_option", record, where)
        amount: Decimal | None = None
        if record.get("amount") is not None:
            try:
                amount = Decimal(str(record["amount"]))
            except InvalidOperation:
                self.report.skip(where, f"amount {record['amount']!r} is not a number")
        option_id = self._uuid(record.get("id"), where)
        option = CostOption.objects.filter(pk=option_id).first()
        created = option is None
        if option is None:
            option = CostOption(id=option_id)
        option.service = service
        option.valid_from = self._date(record, "valid_from", where)
        option.valid_to = self._date(record, "valid_to", where)
        option.option = self._text(record, "option", 200)
        option.currency = self._text(record, "currency", 3).upper()
        option.amount = amount
        option.amount_description = self._text(record, "amount_description", 300)
        self._store(option, where)
        self.report.count("cost_option", created)

    def attributes(self, attributes: Iterable[Record], service: Service, where: str) -> None:
        known = {term.code: term for term in TaxonomyTerm.objects.filter(taxonomy=KINGA_TAXONOMY)}
        by_id = {str(term.id): term for term in known.values()}
        for attribute in attributes:
            term_record = attribute.get("taxonomy_term") or {}
            term_id = str(attribute.get("taxonomy_term_id") or term_record.get("id") or "")
            term = by_id.get(term_id) or known.get(str(term_record.get("code") or ""))
            if term is None:
                label = term_record.get("name") or term_id or attribute.get("id")
                self.report.skip(
                    where,
                    f"attribute {attribute.get('id')} (taxonomy term {label!r}) is not one "
                    "of Kinga's service types",
                )
                continue
            services.service_types_add(service=service, terms=[term])

    def service_at_location(
        self, record: Record, *, service: Service | None = None
    ) -> ServiceAtLocation | None:
        where = f"service_at_location {record.get('id')}"
        self._extra("service_at_location", record, where)
        if service is None and isinstance(record.get("service"), dict):
            service = self.service(record["service"])
        if service is None and record.get("service_id"):
            service = Service.objects.filter(pk=self._uuid(record["service_id"], where)).first()
        location: Location | None = None
        if isinstance(record.get("location"), dict):
            location = self.location(record["location"], service.organization if service else None)
        elif record.get("location_id"):
            location = Location.objects.filter(pk=self._uuid(record["location_id"], where)).first()
        if service is None or location is None:
            self.report.skip(where, "service or location unknown; link left out")
            return None
        sal_id = self._uuid(record.get("id"), where)
        sal = ServiceAtLocation.objects.filter(pk=sal_id).first()
        if sal is None:
            sal = ServiceAtLocation.objects.filter(service=service, location=location).first()
        created = sal is None
        if sal is None:
            sal = ServiceAtLocation(id=sal_id)
        sal.service, sal.location = service, location
        sal.description = self._text(record, "description")
        self._store(sal, where)
        self.report.count("service_at_location", created)
        for phone in record.get("phones") or []:
            self.phone(phone, service_at_location=sal)
        for contact in record.get("contacts") or []:
            self.contact(contact, service_at_location=sal)
        for schedule in record.get("schedules") or []:
            self.schedule(schedule, service_at_location=sal, service=service)
        return sal


def _kind(record: Record, hint: str) -> str:
    for kind in ("service_at_location", "organization", "service"):
        if hint.startswith(kind):
            return kind
    if "status" in record:
        return "service"
    if "location" in record or "service" in record:
        return "service_at_location"
    return "organization"


def import_file(path: Path, *, actor_label: str = "import-hsds") -> ImportReport:
    """Load one HSDS JSON file (an object or an array of objects) into the directory.

    The kind of record comes from the file name (organization*.json, service*.json,
    service_at_location*.json) or, failing that, from the record's fields.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    records: list[Record] = data if isinstance(data, list) else [data]
    report = ImportReport()
    importer = _Importer(report)
    with transaction.atomic(durable=True):
        for record in records:
            kind = _kind(record, path.stem)
            if kind == "organization":
                importer.organization(record)
            elif kind == "service":
                importer.service(record)
            else:
                importer.service_at_location(record)
        services.import_finish(
            actor=None,
            actor_label=actor_label,
            services=importer.services,
            locations=importer.locations,
            detail={
                "format": "hsds-3.0",
                "file": path.name,
                "created": report.created,
                "updated": report.updated,
                "unmapped": len(report.unmapped),
            },
        )
    return report
