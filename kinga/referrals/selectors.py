"""Reads of the service directory.

The directory is reference data every browsing role may search, except one thing: the
address and exact point of a confidential location (a shelter). Lists, search results,
exports and the API never carry them; a page shows them only when
`location_address_visible_to` says so.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from kinga.access.policy import can_do, deny
from kinga.accounts.models import Role
from kinga.places.geo import bounding_box, haversine_km
from kinga.referrals.models import (
    EligibleSex,
    Location,
    LocationType,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    TaxonomyTerm,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User

    Viewer = User | AnonymousUser | None

NAIROBI = ZoneInfo("Africa/Nairobi")
KINGA_TAXONOMY = "kinga-service-types"
# Roles of a provider's staff who keep its directory entries current.
MAINTAINER_ROLES = (Role.SERVICE_PROVIDER, Role.SUPERVISOR)
# The first search radius; it widens (x4, then unbounded) until `limit` results are found.
FIRST_RADIUS_KM = 25.0


def location_address_visible_to(viewer: Viewer, location: Location) -> bool:
    """Return whether the viewer may see the location's street address and exact point.

    A public location's address is for everyone who may browse. A confidential one's only
    for staff of the agency that runs it.
    TODO(issue 6): the referral half also opens it to those handling a referral to it.
    """
    if not location.confidential:
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    organization = location.organization
    return (
        organization is not None
        and organization.agency_id is not None
        and getattr(viewer, "agency_id", None) == organization.agency_id
    )


def directory_browsable_by(viewer: Viewer) -> bool:
    """Return whether the viewer may search the directory and open its services."""
    return can_do(viewer, "directory.browse")


def service_types() -> QuerySet[TaxonomyTerm]:
    """Return Kinga's service-type terms."""
    return TaxonomyTerm.objects.filter(taxonomy=KINGA_TAXONOMY).order_by("name")


def _open_schedules(when: dt.datetime) -> QuerySet[Schedule]:
    """Return the schedule rows that make their service open at `when` (any timezone)."""
    local = when.astimezone(NAIROBI)
    day, moment = local.date(), local.time().replace(tzinfo=None)
    bit_today = 1 << local.weekday()
    bit_yesterday = 1 << ((local.weekday() - 1) % 7)
    overnight = Q(closes_at__lte=F("opens_at"))
    opened_today = (
        Q(day_today__gt=0) & Q(opens_at__lte=moment) & (Q(closes_at__gt=moment) | overnight)
    )
    # A span that began yesterday evening and runs past midnight.
    still_open_from_yesterday = Q(day_yesterday__gt=0) & overnight & Q(closes_at__gt=moment)
    in_force = (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    return (
        Schedule.objects.alias(
            day_today=F("weekdays").bitand(bit_today),
            day_yesterday=F("weekdays").bitand(bit_yesterday),
        )
        .filter(opened_today | still_open_from_yesterday)
        .filter(in_force)
    )


def schedules_open_at(schedules: list[Schedule], when: dt.datetime) -> bool:
    """Return whether any of these schedules is open at `when` (the same rule, in Python)."""
    local = when.astimezone(NAIROBI)
    moment = local.time().replace(tzinfo=None)
    today, yesterday = local.weekday(), (local.weekday() - 1) % 7
    for schedule in schedules:
        if schedule.opens_at is None or schedule.closes_at is None:
            continue
        if schedule.valid_from and schedule.valid_from > local.date():
            continue
        if schedule.valid_to and schedule.valid_to < local.date():
            continue
        overnight = schedule.closes_at <= schedule.opens_at
        if (
            schedule.weekdays & (1 << today)
            and schedule.opens_at <= moment
            and (overnight or moment < schedule.closes_at)
        ):
            return True
        if schedule.weekdays & (1 << yesterday) and overnight and moment < schedule.closes_at:
            return True
    return False


def open_filter(when: dt.datetime) -> Exists:
    """Return a filter on ServiceAtLocation: open at `when` by its own or its service's hours."""
    # Every schedule of a service or of one of its places carries the service, so the probe
    # is one index lookup on (service, service_at_location).
    return Exists(
        _open_schedules(when)
        .filter(service=OuterRef("service_id"))
        .filter(Q(service_at_location__isnull=True) | Q(service_at_location=OuterRef("pk")))
    )


@dataclass(frozen=True)
class DirectoryHit:
    """One search result: a service at a location, and how far it is (km) when asked."""

    service_at_location: ServiceAtLocation
    distance_km: float | None

    @property
    def service(self) -> Service:
        return self.service_at_location.service

    @property
    def location(self) -> Location:
        return self.service_at_location.location


def _open_among(
    when: dt.datetime, candidates: list[tuple[float, str, uuid.UUID, uuid.UUID]]
) -> set[uuid.UUID]:
    """Return which candidate services-at-locations are open at `when`, in one query."""
    open_rows = (
        _open_schedules(when)
        .filter(service_id__in={service_id for _, _, _, service_id in candidates})
        .values_list("service_id", "service_at_location_id")
    )
    whole_service, one_place = set(), set()
    for service_id, sal_id in open_rows:
        if sal_id is None:
            whole_service.add(service_id)
        else:
            one_place.add(sal_id)
    return {
        pk for _, _, pk, service_id in candidates if service_id in whole_service or pk in one_place
    }


def _nearest(
    matches: QuerySet[ServiceAtLocation],
    latitude: float,
    longitude: float,
    open_at: dt.datetime | None,
    limit: int,
) -> list[tuple[uuid.UUID, float | None]]:
    """Rank matches with a public point by distance, widening the box until `limit` are found.

    The open-now test runs as a second query on the few rows inside the box, so SQLite and
    PostgreSQL both drive the first from the bounding-box index.
    """
    radius: float | None = FIRST_RADIUS_KM
    while True:
        boxed = matches.filter(location__public_latitude__isnull=False)
        if radius is not None:
            south, north, west, east = bounding_box(
                latitude=latitude, longitude=longitude, radius_km=radius
            )
            boxed = boxed.filter(
                location__public_latitude__gte=south,
                location__public_latitude__lte=north,
                location__public_longitude__gte=west,
                location__public_longitude__lte=east,
            )
        found = []
        for pk, service_id, point_latitude, point_longitude in boxed.values_list(
            "pk", "service_id", "location__public_latitude", "location__public_longitude"
        ):
            distance = haversine_km(
                latitude_a=latitude,
                longitude_a=longitude,
                latitude_b=point_latitude,
                longitude_b=point_longitude,
            )
            if radius is None or distance <= radius:
                found.append((distance, str(pk), pk, service_id))
        if open_at is not None and found:
            still_open = _open_among(open_at, found)
            found = [row for row in found if row[2] in still_open]
        if len(found) >= limit or radius is None:
            break
        radius = radius * 4 if radius < 400 else None
    found.sort()
    return [(pk, distance) for distance, _, pk, _ in found[:limit]]


def directory_search(
    *,
    service_type: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    age: int | None = None,
    sex: str | None = None,
    open_at: dt.datetime | None = None,
    limit: int = 20,
) -> list[DirectoryHit]:
    """Return active services at locations that match, nearest first when a point is given.

    Filtering (type, age and sex eligibility, open at a moment in Africa/Nairobi time) runs
    in the database. With a point, a bounding box around it keeps all but the few nearby
    rows in the database; those are ordered by great-circle distance here, widening the box
    until `limit` are found. Distances use each location's public point, so a confidential
    location is placed at its ward's centroid. Virtual locations (helplines) follow the
    located ones.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    matches = ServiceAtLocation.objects.filter(service__status=ServiceStatus.ACTIVE)
    if service_type:
        matches = matches.filter(
            service__service_types__code=service_type,
            service__service_types__taxonomy=KINGA_TAXONOMY,
        )
    if age is not None:
        matches = matches.filter(
            Q(service__minimum_age__isnull=True) | Q(service__minimum_age__lte=age),
            Q(service__maximum_age__isnull=True) | Q(service__maximum_age__gte=age),
        )
    if sex in (EligibleSex.FEMALE, EligibleSex.MALE):
        matches = matches.filter(service__eligible_sex__in=[EligibleSex.ANY, sex])
    ranked: list[tuple[uuid.UUID, float | None]] = []
    if latitude is not None and longitude is not None:
        ranked = _nearest(matches, latitude, longitude, open_at, limit)
        if len(ranked) < limit:
            virtual = matches.filter(
                Q(location__location_type=LocationType.VIRTUAL)
                | Q(location__public_latitude__isnull=True)
            )
            if open_at is not None:
                virtual = virtual.filter(open_filter(open_at))
            ranked += [
                (pk, None)
                for pk in virtual.order_by("service__name", "pk").values_list("pk", flat=True)[
                    : limit - len(ranked)
                ]
            ]
    else:
        if open_at is not None:
            matches = matches.filter(open_filter(open_at))
        ordered = matches.order_by("service__name", "location__name", "pk")
        ranked = [(pk, None) for pk in ordered.values_list("pk", flat=True)[:limit]]

    rows = ServiceAtLocation.objects.filter(pk__in=[pk for pk, _ in ranked]).select_related(
        "service__organization", "location__ward__sub_county"
    )
    by_pk = {row.pk: row for row in rows}
    return [DirectoryHit(by_pk[pk], distance) for pk, distance in ranked if pk in by_pk]


def service_for_viewer(*, viewer: Viewer, service_id: uuid.UUID) -> Service:
    """Return the service for its page, or the same 404 for "absent" and "not yours"."""
    service = (
        Service.objects.filter(pk=service_id)
        .select_related("organization")
        .prefetch_related(
            "service_types",
            "phones",
            "languages",
            "cost_options",
            "schedules",
            Prefetch(
                "service_at_locations",
                queryset=ServiceAtLocation.objects.select_related(
                    "location__ward__sub_county__county", "location__organization"
                ).prefetch_related("location__phones", "schedules"),
            ),
        )
        .first()
    )
    if service is None or not (
        directory_browsable_by(viewer) or _maintains(viewer, service.organization)
    ):
        raise deny(viewer, record_type="referrals.service", record_id=service_id)
    return service


def _maintains(viewer: Viewer, organization: Organization) -> bool:
    if viewer is None or not viewer.is_authenticated:
        return False
    agency_id = getattr(viewer, "agency_id", None)
    return (
        agency_id is not None
        and organization.agency_id == agency_id
        and viewer.has_role(*MAINTAINER_ROLES)  # type: ignore[union-attr]
    )


def organizations_maintained_by(*, viewer: Viewer) -> QuerySet[Organization]:
    """Return the organisations whose entries the viewer keeps current (their agency's)."""
    if viewer is None or not viewer.is_authenticated:
        return Organization.objects.none()
    agency_id = getattr(viewer, "agency_id", None)
    if agency_id is None or not viewer.has_role(*MAINTAINER_ROLES):  # type: ignore[union-attr]
        return Organization.objects.none()
    return Organization.objects.filter(agency_id=agency_id)


def organization_for_maintainer(*, viewer: Viewer, organization_id: uuid.UUID) -> Organization:
    """Return the viewer's own organisation, or 404 for any other."""
    organization = organizations_maintained_by(viewer=viewer).filter(pk=organization_id).first()
    if organization is None:
        raise deny(
            viewer, record_type="referrals.organization", record_id=organization_id, action="change"
        )
    return organization


def service_for_maintainer(*, viewer: Viewer, service_id: uuid.UUID) -> Service:
    """Return a service of the viewer's own organisation, or 404."""
    service = (
        Service.objects.filter(
            pk=service_id, organization__in=organizations_maintained_by(viewer=viewer)
        )
        .select_related("organization")
        .first()
    )
    if service is None:
        raise deny(viewer, record_type="referrals.service", record_id=service_id, action="change")
    return service


def location_for_maintainer(*, viewer: Viewer, location_id: uuid.UUID) -> Location:
    """Return a location of the viewer's own organisation, or 404."""
    location = (
        Location.objects.filter(
            pk=location_id, organization__in=organizations_maintained_by(viewer=viewer)
        )
        .select_related("organization", "ward")
        .first()
    )
    if location is None:
        raise deny(viewer, record_type="referrals.location", record_id=location_id, action="change")
    return location


def phone_for_maintainer(*, viewer: Viewer, phone_id: uuid.UUID) -> Phone:
    """Return a phone of the viewer's own organisation (directly, or of its services or
    locations), or 404."""
    mine = organizations_maintained_by(viewer=viewer)
    phone = (
        Phone.objects.filter(pk=phone_id)
        .filter(
            Q(organization__in=mine)
            | Q(service__organization__in=mine)
            | Q(location__organization__in=mine)
        )
        .first()
    )
    if phone is None:
        raise deny(viewer, record_type="referrals.phone", record_id=phone_id, action="change")
    return phone


def organization_entries(*, organization: Organization) -> dict[str, object]:
    """Return an organisation's services, locations and phones for its maintenance page."""
    return {
        "services": organization.services.prefetch_related("service_types", "schedules"),
        "locations": organization.locations.select_related("ward__sub_county"),
        "phones": organization.phones.all(),
    }


def now() -> dt.datetime:
    """Return the current time (a seam for tests)."""
    return timezone.now()
