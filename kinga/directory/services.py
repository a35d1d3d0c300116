"""Writes to the service directory. Each one runs in a transaction and writes one audit event."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.directory.models import (
    WEEKDAY_CODES,
    Contact,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    ScheduleFrequency,
    SearchEntry,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    TaxonomyTerm,
)
from kinga.directory.selectors import location_unseal

if TYPE_CHECKING:
    from kinga.accounts.models import User

MIDNIGHT = dt.time(0, 0)


def weekdays_from_byday(byday: str) -> int:
    """Return the weekday bitmask (Monday = 1) of an iCalendar BYDAY list like "MO,TU".

    Prefixed days ("1MO", "-1FR", monthly rules) still name their weekday.
    """
    mask = 0
    for part in byday.upper().replace(" ", "").split(","):
        code = part[-2:]
        if code in WEEKDAY_CODES:
            mask |= 1 << WEEKDAY_CODES.index(code)
    return mask


def byday_from_weekdays(mask: int) -> str:
    """Return the BYDAY list of a weekday bitmask."""
    return ",".join(code for bit, code in enumerate(WEEKDAY_CODES) if mask & (1 << bit))


def location_places_refresh(location: Location) -> None:
    """Set the sub-county, seal a confidential location's place, and set the public point.

    A confidential location keeps nothing finer than its sub-county in clear: its ward and
    exact point go into `sealed_place` (encrypted), and it is shown and searched at the
    sub-county's centroid, so neither a list nor a search by coordinates can be used to
    close in on a shelter. A public location is shown at its exact point, else its ward's
    centroid. Call before every save of a location.
    """
    location_unseal(location)
    ward = location.ward
    if ward is not None:
        location.sub_county = ward.sub_county
    if location.confidential:
        if ward is not None or location.latitude is not None:
            location.sealed_place = {
                "ward": ward.pk if ward is not None else None,
                "latitude": location.latitude,
                "longitude": location.longitude,
            }
        location.ward = None
        location.latitude = location.longitude = None
        sub_county = location.sub_county
        if sub_county is not None:
            location.public_latitude, location.public_longitude = sub_county.centroid
        else:
            location.public_latitude = location.public_longitude = None
    elif location.latitude is not None and location.longitude is not None:
        location.public_latitude, location.public_longitude = location.latitude, location.longitude
    elif ward is not None:
        location.public_latitude, location.public_longitude = ward.centroid
    else:
        location.public_latitude = location.public_longitude = None


# The columns location_places_refresh may set, saved with every change of a location.
PLACE_FIELDS = [
    "sub_county",
    "ward",
    "latitude",
    "longitude",
    "sealed_place",
    "public_latitude",
    "public_longitude",
]


def search_entries_refresh(
    *,
    services: Iterable[Service] | None = None,
    locations: Iterable[Location] | None = None,
) -> int:
    """Rebuild the search index rows of these services and of the services at these
    locations (of everything when both are None). Return how many rows it now holds."""
    sals = ServiceAtLocation.objects.select_related("service", "location")
    if services is not None or locations is not None:
        service_ids = [service.pk for service in services or []]
        location_ids = [location.pk for location in locations or []]
        sals = sals.filter(
            models.Q(service_id__in=service_ids) | models.Q(location_id__in=location_ids)
        )
    chosen = list(sals.prefetch_related("service__service_types"))
    SearchEntry.objects.filter(service_at_location__in=[sal.pk for sal in chosen]).delete()
    if services is None and locations is None:
        SearchEntry.objects.all().delete()
    entries = [
        SearchEntry(
            service_at_location=sal,
            service=sal.service,
            service_type=term,
            active=sal.service.status == ServiceStatus.ACTIVE,
            minimum_age=sal.service.minimum_age,
            maximum_age=sal.service.maximum_age,
            eligible_sex=sal.service.eligible_sex,
            public_latitude=sal.location.public_latitude,
            public_longitude=sal.location.public_longitude,
        )
        for sal in chosen
        for term in sal.service.service_types.all()
    ]
    SearchEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


def _apply(instance: models.Model, changes: Mapping[str, Any]) -> list[str]:
    changed = []
    for name, value in changes.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _audit(*, action: str, actor: User | None, record: models.Model, fields: Iterable[str]) -> None:
    audit_record(
        action=action,
        actor=actor,
        record_type=record._meta.label_lower,
        record_id=record.pk,
        fields=fields,
        actor_label="" if actor is not None else "directory",
    )


@transaction.atomic
def organization_create(
    *, actor: User | None, name: str, description: str, **fields: Any
) -> Organization:
    """Create an organisation in the directory."""
    organization = Organization(name=name, description=description, **fields)
    organization.full_clean()
    organization.save(force_insert=True)
    _audit(
        action=AuditAction.CREATE,
        actor=actor,
        record=organization,
        fields=["name", "description", *fields],
    )
    return organization


@transaction.atomic
def organization_update(
    *, organization: Organization, actor: User | None, changes: Mapping[str, Any]
) -> Organization:
    """Change an organisation's own fields."""
    changed = _apply(organization, changes)
    if changed:
        organization.full_clean()
        organization.save(update_fields=[*changed, "last_modified"])
        _audit(action=AuditAction.CHANGE, actor=actor, record=organization, fields=changed)
    return organization


def _service_links_set(
    *,
    service: Service,
    service_types: Iterable[TaxonomyTerm] | None,
    locations: Iterable[Location] | None,
) -> list[str]:
    touched = []
    if service_types is not None:
        terms = {term.pk: term for term in service_types}
        current = set(service.service_types.values_list("pk", flat=True))
        if set(terms) != current:
            service.service_types.set(list(terms.values()))
            touched.append("service_types")
    if locations is not None:
        wanted_locations = {location.pk: location for location in locations}
        existing = {sal.location_id: sal for sal in service.service_at_locations.all()}
        for location_id in set(existing) - set(wanted_locations):
            sal = existing[location_id]
            sal.schedules.all().delete()
            sal.phones.all().delete()
            sal.contacts.all().delete()
            sal.delete()
            touched.append("service_at_locations")
        for location_id in set(wanted_locations) - set(existing):
            ServiceAtLocation.objects.create(
                service=service, location=wanted_locations[location_id]
            )
            touched.append("service_at_locations")
    return sorted(set(touched))


@transaction.atomic
def service_create(
    *,
    organization: Organization,
    actor: User | None,
    fields: Mapping[str, Any],
    service_types: Iterable[TaxonomyTerm] = (),
    locations: Iterable[Location] = (),
) -> Service:
    """Create a service of the organisation, with its types and the locations it runs at."""
    service = Service(organization=organization, **fields)
    service.full_clean()
    service.save(force_insert=True)
    links = _service_links_set(service=service, service_types=service_types, locations=locations)
    search_entries_refresh(services=[service])
    _audit(action=AuditAction.CREATE, actor=actor, record=service, fields=[*fields, *links])
    return service


@transaction.atomic
def service_update(
    *,
    service: Service,
    actor: User | None,
    changes: Mapping[str, Any],
    service_types: Iterable[TaxonomyTerm] | None = None,
    locations: Iterable[Location] | None = None,
) -> Service:
    """Change a service, its types and the locations it runs at."""
    changed = _apply(service, changes)
    if changed:
        service.full_clean()
        service.save(update_fields=[*changed, "last_modified"])
    links = _service_links_set(service=service, service_types=service_types, locations=locations)
    if changed or links:
        search_entries_refresh(services=[service])
        if links and not changed:
            service.save(update_fields=["last_modified"])
        _audit(action=AuditAction.CHANGE, actor=actor, record=service, fields=[*changed, *links])
    return service


@transaction.atomic
def location_create(
    *, organization: Organization | None, actor: User | None, fields: Mapping[str, Any]
) -> Location:
    """Create a location; a confidential one needs a ward (kept sealed)."""
    location = Location(organization=organization, **fields)
    location_places_refresh(location)
    location.full_clean()
    location.save(force_insert=True)
    _audit(action=AuditAction.CREATE, actor=actor, record=location, fields=list(fields))
    return location


@transaction.atomic
def location_update(
    *, location: Location, actor: User | None, changes: Mapping[str, Any]
) -> Location:
    """Change a location, seal a confidential one's place, refresh its public point."""
    location_unseal(location)
    changed = _apply(location, changes)
    if changed:
        location_places_refresh(location)
        location.full_clean()
        location.save(update_fields=sorted({*changed, *PLACE_FIELDS}))
        search_entries_refresh(locations=[location])
        _audit(action=AuditAction.CHANGE, actor=actor, record=location, fields=changed)
    return location


@transaction.atomic
def phone_add(
    *,
    actor: User | None,
    number: str,
    phone_type: str,
    description: str = "",
    organization: Organization | None = None,
    service: Service | None = None,
    location: Location | None = None,
) -> Phone:
    """Add a phone number to an organisation, service or location."""
    if [organization, service, location].count(None) != 2:
        raise ValueError("a phone belongs to exactly one of organisation, service, location")
    phone = Phone(
        organization=organization,
        service=service,
        location=location,
        number=number.strip(),
        type=phone_type,
        description=description,
    )
    phone.full_clean()
    phone.save(force_insert=True)
    _audit(
        action=AuditAction.CREATE,
        actor=actor,
        record=phone,
        fields=["number", "type", "description"],
    )
    return phone


@transaction.atomic
def phone_remove(*, phone: Phone, actor: User | None) -> None:
    """Remove a phone number."""
    _audit(action=AuditAction.DELETE, actor=actor, record=phone, fields=["number"])
    phone.delete()


@transaction.atomic
def service_hours_set(
    *,
    service: Service,
    actor: User | None,
    hours: Mapping[int, tuple[dt.time, dt.time] | None],
    description: str = "",
) -> list[Schedule]:
    """Replace the service's weekly opening hours (weekday 0 = Monday -> span or closed).

    Days with the same hours share one schedule row, as HSDS writes them ("MO,TU,WE").
    A span whose closing time is not after its opening runs past midnight; 00:00-00:00 is
    open all day.
    """
    groups: dict[tuple[dt.time, dt.time], int] = {}
    for weekday, span in sorted(hours.items()):
        if not 0 <= weekday <= 6:
            raise ValueError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
        if span is not None:
            groups[span] = groups.get(span, 0) | (1 << weekday)
    service.schedules.filter(service_at_location__isnull=True, location__isnull=True).delete()
    created = []
    for (opens_at, closes_at), mask in groups.items():
        schedule = Schedule(
            service=service,
            freq=ScheduleFrequency.WEEKLY,
            interval=1,
            byday=byday_from_weekdays(mask),
            weekdays=mask,
            opens_at=opens_at,
            closes_at=closes_at,
            description=description,
        )
        schedule.full_clean()
        schedule.save(force_insert=True)
        created.append(schedule)
    service.save(update_fields=["last_modified"])
    _audit(action=AuditAction.CHANGE, actor=actor, record=service, fields=["schedules"])
    return created


# --- import steps ------------------------------------------------------------------------------
#
# An HSDS import (`kinga.directory.hsds.import_file`) is one change made of many records:
# it stores each through these steps, which validate the record as the model says
# (`full_clean`: field lengths, formats, choices, constraints) and save it, inside the
# import's transaction, and then closes with `import_finish`: one search refresh, one
# audit event. A step raises ValidationError for a record the model refuses.

DirectoryRecord = (
    Organization
    | Service
    | Location
    | ServiceAtLocation
    | Phone
    | Contact
    | Language
    | CostOption
    | Schedule
)


def record_store(record: DirectoryRecord) -> None:
    """Validate and save one directory record as an import step (the import audits).

    A location is placed first (sub-county, sealed place, public point), a schedule gets
    its weekday mask from its BYDAY list (none for a monthly rule), and a phone number is
    trimmed, as every other write of them does.
    """
    if isinstance(record, Location):
        location_places_refresh(record)
    elif isinstance(record, Schedule):
        record.weekdays = (
            0 if record.freq == ScheduleFrequency.MONTHLY else weekdays_from_byday(record.byday)
        )
    elif isinstance(record, Phone):
        record.number = record.number.strip()
    record.full_clean()
    record.save()


def service_types_add(*, service: Service, terms: Iterable[TaxonomyTerm]) -> None:
    """Give a service these service types as an import step (the import audits)."""
    service.service_types.add(*terms)


@transaction.atomic
def import_finish(
    *,
    actor: User | None,
    actor_label: str,
    services: Iterable[uuid.UUID],
    locations: Iterable[uuid.UUID],
    detail: Mapping[str, Any],
) -> None:
    """Close an import: rebuild the search rows of what it touched, and audit it once."""
    search_entries_refresh(
        services=Service.objects.filter(pk__in=list(services)),
        locations=Location.objects.filter(pk__in=list(locations)),
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        actor_label=actor_label if actor is None else "",
        record_type="directory.directory",
        detail=dict(detail),
    )
