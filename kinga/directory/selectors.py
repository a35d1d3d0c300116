"""Reads of the service directory.

The directory is reference data every browsing role may search, except one thing: the
address and exact point of a confidential location (a shelter). Lists, search results,
exports and the API never carry them; a page shows them only when
`location_address_visible_to` says so.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import (
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from kinga.access.policy import can_do, deny
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.directory.models import (
    EligibleSex,
    Location,
    LocationType,
    Organization,
    Phone,
    Schedule,
    SearchEntry,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    TaxonomyTerm,
)
from kinga.directory.open_now import (
    OPEN_NOW_CONDITION,
    open_now_parameters,
    open_schedules,
)
from kinga.places.geo import bounding_box, haversine_km
from kinga.places.models import Ward

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User

    Viewer = User | AnonymousUser | None

KINGA_TAXONOMY = "kinga-service-types"
# Roles of a provider's staff who keep its directory entries current.
MAINTAINER_ROLES = (Role.SERVICE_PROVIDER, Role.SUPERVISOR)
# The first search radius; it widens (x4, then unbounded) until `limit` results are found.
FIRST_RADIUS_KM = 25.0
# What a search result shows, loaded with it.
_SHOWN = ("service__organization", "location__ward__sub_county", "location__sub_county")
# ... and the fields of those a result row shows (the rest stay in the database).
_SHOWN_FIELDS = (
    "service__name",
    "service__status",
    "service__minimum_age",
    "service__maximum_age",
    "service__eligible_sex",
    "service__organization__name",
    "service__organization__agency",
    "location__name",
    "location__location_type",
    "location__confidential",
    "location__address_1",
    "location__city",
    "location__public_latitude",
    "location__public_longitude",
    "location__organization",
    "location__ward__name",
    "location__ward__sub_county__name",
    "location__sub_county__name",
)


def location_address_visible_to(viewer: Viewer, location: Location) -> bool:
    """Return whether the directory shows the viewer the location's street address and point.

    A public location's address is for everyone who may browse. A confidential one's only
    for staff of the agency that runs it: those handling an open referral to it see it on
    the referral's page (`kinga.referrals.selectors.referral_address_visible_to`), never
    in the directory, so a shelter's address is shown nowhere beyond its referral.
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


def confidential_location_name(location: Location) -> str:
    """Return the neutral name a confidential location is shown under: its sub-county at
    most, never its ward (a ward and a kind of service can be enough to find a shelter)."""
    sub_county = location.sub_county
    if sub_county is None:
        return "Confidential location"
    return f"Confidential location, {sub_county.name} sub-county"


def public_place_name(location: Location) -> str:
    """Return how a location is named in lists: a confidential one by its sub-county only."""
    ward = location.ward
    if location.confidential:
        return confidential_location_name(location)
    parts = [location.name, location.address_1, location.city]
    if ward is not None:
        parts.append(f"{ward.name}, {ward.sub_county.name}")
    return " · ".join(part for part in parts if part)


def location_unseal(location: Location) -> None:
    """Put a confidential location's sealed ward and point back on it, in memory only.

    For those who may see them (its maintainers, a form that edits it); the next
    `location_places_refresh` seals them again before a save.
    """
    sealed = location.sealed_place
    if not sealed:
        return
    if location.ward_id is None and sealed.get("ward") is not None:
        location.ward = Ward.objects.select_related("sub_county").get(pk=sealed["ward"])
    if location.latitude is None and sealed.get("latitude") is not None:
        location.latitude, location.longitude = sealed["latitude"], sealed["longitude"]
    location.sealed_place = None


def directory_browsable_by(viewer: Viewer) -> bool:
    """Return whether the viewer may search the directory and open its services."""
    return can_do(viewer, "directory.browse")


def service_types() -> QuerySet[TaxonomyTerm]:
    """Return Kinga's service-type terms."""
    return TaxonomyTerm.objects.filter(taxonomy=KINGA_TAXONOMY).order_by("name")


def open_filter(when: dt.datetime, *, prefix: str = "") -> Exists:
    """Return a filter: open at `when` by the hours of its service or of its own place.

    Applies to ServiceAtLocation (prefix "") and to SearchEntry (prefix
    "service_at_location_"). Every schedule of a service or of one of its places carries
    the service, so the probe is one lookup on the (service, service_at_location) index.
    """
    place = "pk" if not prefix else "service_at_location_id"
    return Exists(
        open_schedules(when)
        .filter(service=OuterRef("service_id"))
        .filter(Q(service_at_location__isnull=True) | Q(service_at_location=OuterRef(place)))
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


def _nearest(
    rows: QuerySet[Any],
    *,
    point: str,
    place: str,
    latitude: float,
    longitude: float,
    limit: int,
) -> list[DirectoryHit]:
    """Return the `limit` rows nearest to (latitude, longitude), as hits.

    `point` names the rows' public latitude/longitude fields (without the suffix) and
    `place` the field holding the service-at-location's id. The
    database keeps only the rows inside a bounding box and orders them by equirectangular
    distance, which ranks like the great-circle one at these distances; the box widens
    until it holds `limit` rows all inside its circle. Only the rows shown leave the
    database, loaded with what the page shows.
    """
    lat_field, lon_field = f"{point}latitude", f"{point}longitude"
    scale = math.cos(math.radians(latitude))
    north_south = F(lat_field) - latitude
    east_west = (F(lon_field) - longitude) * scale
    approximate = ExpressionWrapper(
        north_south * north_south + east_west * east_west, output_field=FloatField()
    )
    radius: float | None = FIRST_RADIUS_KM
    while True:
        boxed = rows.filter(**{f"{lat_field}__isnull": False})
        if radius is not None:
            south, north, west, east = bounding_box(
                latitude=latitude, longitude=longitude, radius_km=radius
            )
            boxed = boxed.filter(
                **{
                    f"{lat_field}__gte": south,
                    f"{lat_field}__lte": north,
                    f"{lon_field}__gte": west,
                    f"{lon_field}__lte": east,
                }
            )
        # Rank narrow rows first; join what a result shows for the few that are kept.
        nearest = list(
            boxed.annotate(approximate_distance=approximate)
            .order_by("approximate_distance", place)
            .values_list(place, flat=True)[:limit]
        )
        hits = _hits(nearest, latitude, longitude)
        if radius is None or (
            len(hits) == limit and all((hit.distance_km or 0.0) <= radius for hit in hits)
        ):
            return hits
        radius = radius * 4 if radius < 100 else None


# The hot path of the directory search (type + place, often + open now), written as one
# parameterised SELECT: the ORM spent ten times the database's time building the same
# query. It reads SearchEntry through its (service_type, latitude, longitude) index and
# probes Schedule through (service, service_at_location). Plain SQL that SQLite and
# PostgreSQL both run.
_NEAREST_OF_TYPE_SQL = """
SELECT e.service_at_location_id, e.public_latitude, e.public_longitude
FROM {entry} e
WHERE e.service_type_id = %s AND e.active
  AND e.public_latitude BETWEEN %s AND %s AND e.public_longitude BETWEEN %s AND %s
  {eligibility}
  {open_now}
ORDER BY (e.public_latitude - %s) * (e.public_latitude - %s)
  + (e.public_longitude - %s) * (e.public_longitude - %s) * %s, e.service_at_location_id
LIMIT %s
"""
_SERVICE_TYPE_IDS: dict[str, uuid.UUID] = {}
# The open-now probe: the rule itself is `open_now.OPEN_NOW_CONDITION`.
_OPEN_NOW_SQL = """AND EXISTS (
    SELECT 1 FROM {schedule} sc
    WHERE sc.service_id = e.service_id
      AND (sc.service_at_location_id IS NULL
           OR sc.service_at_location_id = e.service_at_location_id)
      AND {condition})"""


def _nearest_of_type(
    *,
    service_type: str,
    latitude: float,
    longitude: float,
    age: int | None,
    sex: str | None,
    open_at: dt.datetime | None,
    limit: int,
) -> list[DirectoryHit]:
    """Return the `limit` nearest services of one type, by the index in SearchEntry."""
    term = _SERVICE_TYPE_IDS.get(service_type)
    if term is None:
        term = (
            TaxonomyTerm.objects.filter(taxonomy=KINGA_TAXONOMY, code=service_type)
            .values_list("pk", flat=True)
            .first()
        )
        if term is None:
            return []
        # Kinga's own terms have fixed ids (migration 0002), so this never goes stale.
        _SERVICE_TYPE_IDS[service_type] = term
    term_field = SearchEntry._meta.get_field("service_type")
    term_value = term_field.get_db_prep_value(term, connection)
    eligibility, eligibility_parameters = "", list[Any]()
    if age is not None:
        eligibility += (
            " AND (e.minimum_age IS NULL OR e.minimum_age <= %s)"
            " AND (e.maximum_age IS NULL OR e.maximum_age >= %s)"
        )
        eligibility_parameters += [age, age]
    if sex in (EligibleSex.FEMALE, EligibleSex.MALE):
        eligibility += " AND e.eligible_sex IN (%s, %s)"
        eligibility_parameters += [EligibleSex.ANY.value, str(sex)]
    open_now, open_parameters = "", list[Any]()
    if open_at is not None:
        open_now = _OPEN_NOW_SQL.format(
            schedule=Schedule._meta.db_table, condition=OPEN_NOW_CONDITION
        )
        open_parameters = open_now_parameters(open_at)
    sql = _NEAREST_OF_TYPE_SQL.format(
        entry=SearchEntry._meta.db_table, eligibility=eligibility, open_now=open_now
    )
    scale = math.cos(math.radians(latitude)) ** 2
    place_field = SearchEntry._meta.get_field("service_at_location")
    radius: float | None = FIRST_RADIUS_KM
    with connection.cursor() as cursor:
        while True:
            south, north, west, east = bounding_box(
                latitude=latitude, longitude=longitude, radius_km=radius or 20_000
            )
            cursor.execute(
                sql,
                [
                    *(term_value, south, north, west, east),
                    *eligibility_parameters,
                    *open_parameters,
                    *(latitude, latitude, longitude, longitude, scale, limit),
                ],
            )
            nearest = [
                (
                    place_field.to_python(place_id),
                    haversine_km(
                        latitude_a=latitude,
                        longitude_a=longitude,
                        latitude_b=point_latitude,
                        longitude_b=point_longitude,
                    ),
                )
                for place_id, point_latitude, point_longitude in cursor.fetchall()
            ]
            if radius is None or (
                len(nearest) == limit and all(distance <= radius for _, distance in nearest)
            ):
                break
            radius = radius * 4 if radius < 100 else None
    distances = dict(nearest)
    places = ServiceAtLocation.objects.filter(pk__in=distances).select_related(*_SHOWN)
    hits = [DirectoryHit(place, distances[place.pk]) for place in places.only(*_SHOWN_FIELDS)]
    hits.sort(key=lambda hit: (hit.distance_km or 0.0, str(hit.service_at_location.pk)))
    return hits


def _hits(place_ids: list[Any], latitude: float, longitude: float) -> list[DirectoryHit]:
    """Load these services at locations for display, nearest first, with their distance."""
    places = (
        ServiceAtLocation.objects.filter(pk__in=place_ids)
        .select_related(*_SHOWN)
        .only(*_SHOWN_FIELDS)
    )
    hits = [
        DirectoryHit(
            found,
            haversine_km(
                latitude_a=latitude,
                longitude_a=longitude,
                latitude_b=found.location.public_latitude or 0.0,
                longitude_b=found.location.public_longitude or 0.0,
            ),
        )
        for found in places
    ]
    hits.sort(key=lambda hit: (hit.distance_km or 0.0, str(hit.service_at_location.pk)))
    return hits


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

    Everything is filtered in the database: type, age and sex eligibility, and open at a
    moment (Africa/Nairobi time) through the schedule rows of that weekday. With a type and
    a point, the search runs on SearchEntry, whose (type, latitude, longitude) index holds
    the bounding box. Distances use each location's public point, so a confidential location
    is placed at its sub-county's centroid. Virtual locations (helplines) follow the located ones.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if latitude is None or longitude is None:
        matches = _place_matches(service_type, age, sex, open_at)
        ordered = matches.select_related(*_SHOWN).order_by("service__name", "location__name", "pk")
        return [DirectoryHit(row, None) for row in ordered[:limit]]
    if service_type:
        hits = _nearest_of_type(
            service_type=service_type,
            latitude=latitude,
            longitude=longitude,
            age=age,
            sex=sex,
            open_at=open_at,
            limit=limit,
        )
    else:
        hits = _nearest(
            _place_matches(service_type, age, sex, open_at),
            point="location__public_",
            place="pk",
            latitude=latitude,
            longitude=longitude,
            limit=limit,
        )
    if len(hits) < limit:
        virtual = (
            _place_matches(service_type, age, sex, open_at)
            .filter(
                Q(location__location_type=LocationType.VIRTUAL)
                | Q(location__public_latitude__isnull=True)
            )
            .select_related(*_SHOWN)
        )
        hits += [
            DirectoryHit(row, None)
            for row in virtual.order_by("service__name", "pk")[: limit - len(hits)]
        ]
    return hits


def _place_matches(
    service_type: str | None, age: int | None, sex: str | None, open_at: dt.datetime | None
) -> QuerySet[ServiceAtLocation]:
    """Return the active services at locations that pass the search's filters."""
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
    if open_at is not None:
        matches = matches.filter(open_filter(open_at))
    return matches


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
                    "location__ward__sub_county__county",
                    "location__sub_county__county",
                    "location__organization",
                ).prefetch_related("location__phones", "schedules"),
            ),
        )
        .first()
    )
    if service is None or not (
        directory_browsable_by(viewer) or _maintains(viewer, service.organization)
    ):
        raise deny(viewer, record_type="directory.service", record_id=service_id)
    return service


def _maintains(viewer: Viewer, organization: Organization) -> bool:
    if viewer is None or not viewer.is_authenticated:
        return False
    agency_id = getattr(viewer, "agency_id", None)
    return (
        agency_id is not None
        and organization.agency_id == agency_id
        and viewer.has_role(*MAINTAINER_ROLES)
    )


def maintains_directory_entries(viewer: Viewer) -> bool:
    """Return whether the viewer's roles let them keep their agency's entries current."""
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and getattr(viewer, "agency_id", None) is not None
        and viewer.has_role(*MAINTAINER_ROLES)
    )


def organizations_maintained_by(*, viewer: Viewer) -> QuerySet[Organization]:
    """Return the organisations whose entries the viewer keeps current (their agency's)."""
    if viewer is None or not viewer.is_authenticated:
        return Organization.objects.none()
    agency_id = getattr(viewer, "agency_id", None)
    if agency_id is None or not viewer.has_role(*MAINTAINER_ROLES):
        return Organization.objects.none()
    return Organization.objects.filter(agency_id=agency_id)


def organization_for_maintainer(*, viewer: Viewer, organization_id: uuid.UUID) -> Organization:
    """Return the viewer's own organisation, or 404 for any other."""
    organization = organizations_maintained_by(viewer=viewer).filter(pk=organization_id).first()
    if organization is None:
        raise deny(
            viewer, record_type="directory.organization", record_id=organization_id, action="change"
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
        raise deny(viewer, record_type="directory.service", record_id=service_id, action="change")
    return service


def location_for_maintainer(*, viewer: Viewer, location_id: uuid.UUID) -> Location:
    """Return a location of the viewer's own organisation, or 404."""
    location = (
        Location.objects.filter(
            pk=location_id, organization__in=organizations_maintained_by(viewer=viewer)
        )
        .select_related("organization", "ward", "sub_county")
        .first()
    )
    if location is None:
        raise deny(viewer, record_type="directory.location", record_id=location_id, action="change")
    # Its maintainers edit the sealed ward and point of a confidential location.
    location_unseal(location)
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
        raise deny(viewer, record_type="directory.phone", record_id=phone_id, action="change")
    return phone


def organization_entries(*, organization: Organization) -> dict[str, object]:
    """Return an organisation's services, locations and phones for its maintenance page."""
    return {
        "services": organization.services.prefetch_related("service_types", "schedules"),
        "locations": organization.locations.select_related("ward__sub_county", "sub_county"),
        "phones": organization.phones.all(),
    }


def now() -> dt.datetime:
    """Return the current time (a seam for tests)."""
    return timezone.now()


def location_unseal_for(*, viewer: User, location: Location) -> None:
    """Unseal a confidential location for a viewer the directory shows it to (staff of the
    agency that runs it), and audit that read of its address and point."""
    if not location.confidential or not location_address_visible_to(viewer, location):
        return
    location_unseal(location)  # its ward and point, for this page only
    with transaction.atomic():
        audit_record(
            action=AuditAction.VIEW,
            actor=viewer,
            record_type="directory.location",
            record_id=location.pk,
            fields=["address", "coordinates"],
            # why, as a code: shown to staff of the agency that runs it
            detail={"because": "own_agency"},
        )
