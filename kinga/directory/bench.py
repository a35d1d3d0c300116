"""Benchmark: directory search (type + nearest + open now) over 5,000 services.

Run it against a scratch database (`DATABASE_URL=sqlite:////tmp/bench.sqlite3 kinga migrate
&& DATABASE_URL=... kinga bench directory_search`): it adds 5,000 synthetic services under
organisations named "[bench] ...", measures, and deletes them again (also after a failure).
It writes rows without services or audit events, as they are not real directory entries.

Each search is timed through `directory_search` and, as the reference, as the same filter
written as bare SQL on the same tables, with the same distance ordering and the same fetch
of the rows shown.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from kinga.directory.models import (
    Location,
    Organization,
    Schedule,
    SearchEntry,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from kinga.directory.open_now import NAIROBI
from kinga.directory.selectors import FIRST_RADIUS_KM, directory_search
from kinga.directory.services import location_places_refresh
from kinga.lib.bench import BenchResult, database_label, percentile, record
from kinga.places.geo import bounding_box, haversine_km
from kinga.places.models import Ward

MARKER = "[bench] "
HOURS = [
    (0b1111111, dt.time(0), dt.time(0)),
    (0b0011111, dt.time(8), dt.time(17)),
    (0b0111111, dt.time(18), dt.time(7)),
    (0b1111111, dt.time(7), dt.time(19)),
]


def _cleanup() -> None:
    with transaction.atomic():
        organizations = Organization.objects.filter(name__startswith=MARKER)
        Schedule.objects.filter(service__organization__in=organizations).delete()
        SearchEntry.objects.filter(service__organization__in=organizations).delete()
        ServiceAtLocation.objects.filter(service__organization__in=organizations).delete()
        Service.service_types.through.objects.filter(
            service__organization__in=organizations
        ).delete()
        Service.objects.filter(organization__in=organizations).delete()
        Location.objects.filter(organization__in=organizations).delete()
        organizations.delete()


def _populate(count: int, rng: random.Random) -> None:
    wards = list(Ward.objects.filter(sub_county__county__coastal=True).select_related("sub_county"))
    terms = list(TaxonomyTerm.objects.filter(taxonomy="kinga-service-types"))
    organizations = [
        Organization(name=f"{MARKER}provider {index}", description="benchmark")
        for index in range(count // 50)
    ]
    Organization.objects.bulk_create(organizations)
    services, locations, sals, schedules, links = [], [], [], [], []
    entries: list[SearchEntry] = []
    through = Service.service_types.through
    for index in range(count):
        organization = organizations[index % len(organizations)]
        ward = rng.choice(wards)
        latitude, longitude = ward.centroid
        confidential = rng.random() < 0.1
        location = Location(
            organization=organization,
            name=f"bench place {index}",
            ward=ward,
            confidential=confidential,
            latitude=latitude + rng.uniform(-0.03, 0.03),
            longitude=longitude + rng.uniform(-0.03, 0.03),
        )
        location_places_refresh(location)  # a confidential one's ward and point sealed
        minimum = rng.choice([None, 0, 5, 10, 15])
        service = Service(
            organization=organization,
            name=f"bench service {index}",
            minimum_age=minimum,
            maximum_age=rng.choice([None, 17, 24]) if minimum is None or minimum < 17 else None,
            eligible_sex=rng.choice(["any", "any", "female", "male"]),
        )
        sal = ServiceAtLocation(service=service, location=location)
        for term in rng.sample(terms, rng.choice([1, 1, 2])):
            links.append(through(service=service, taxonomyterm=term))
            entries.append(
                SearchEntry(
                    service_at_location=sal,
                    service=service,
                    service_type=term,
                    minimum_age=service.minimum_age,
                    maximum_age=service.maximum_age,
                    eligible_sex=service.eligible_sex,
                    public_latitude=location.public_latitude,
                    public_longitude=location.public_longitude,
                )
            )
        for mask, opens_at, closes_at in rng.sample(HOURS, rng.choice([1, 2])):
            schedules.append(
                Schedule(
                    service=service,
                    weekdays=mask,
                    byday="",
                    opens_at=opens_at,
                    closes_at=closes_at,
                )
            )
        services.append(service)
        locations.append(location)
        sals.append(sal)
    Location.objects.bulk_create(locations, batch_size=500)
    Service.objects.bulk_create(services, batch_size=500)
    ServiceAtLocation.objects.bulk_create(sals, batch_size=500)
    through.objects.bulk_create(links, batch_size=500)
    Schedule.objects.bulk_create(schedules, batch_size=500)
    SearchEntry.objects.bulk_create(entries, batch_size=500)


REFERENCE_SQL = """
SELECT e.service_at_location_id
FROM referrals_searchentry e
WHERE e.service_type_id = %s AND e.active
  AND e.public_latitude BETWEEN %s AND %s AND e.public_longitude BETWEEN %s AND %s
  AND EXISTS (
    SELECT 1 FROM referrals_schedule sc
    WHERE sc.service_id = e.service_id
      AND (sc.service_at_location_id IS NULL
           OR sc.service_at_location_id = e.service_at_location_id)
      AND (((sc.weekdays & %s) > 0 AND sc.opens_at <= %s
            AND (sc.closes_at > %s OR sc.closes_at <= sc.opens_at))
        OR ((sc.weekdays & %s) > 0 AND sc.closes_at <= sc.opens_at AND sc.closes_at > %s)))
ORDER BY (e.public_latitude - %s) * (e.public_latitude - %s)
  + (e.public_longitude - %s) * (e.public_longitude - %s) * %s
LIMIT %s
"""

REFERENCE_FETCH = """
SELECT sal.id, s.name, o.name, loc.name, loc.confidential, w.name,
  loc.public_latitude, loc.public_longitude
FROM referrals_serviceatlocation sal
JOIN referrals_service s ON s.id = sal.service_id
JOIN referrals_organization o ON o.id = s.organization_id
JOIN referrals_location loc ON loc.id = sal.location_id
LEFT JOIN places_ward w ON w.id = loc.ward_id
WHERE sal.id IN ({})
"""


def _reference_search(
    term_id: Any, latitude: float, longitude: float, when: dt.datetime, limit: int
) -> list[Any]:
    local = when.astimezone(NAIROBI)
    moment = local.time().replace(microsecond=0).isoformat()
    today, yesterday = 1 << local.weekday(), 1 << ((local.weekday() - 1) % 7)
    scale = math.cos(math.radians(latitude)) ** 2
    radius = FIRST_RADIUS_KM
    with connection.cursor() as cursor:
        while True:
            south, north, west, east = bounding_box(
                latitude=latitude, longitude=longitude, radius_km=radius
            )
            cursor.execute(
                REFERENCE_SQL,
                [
                    *(term_id, south, north, west, east),
                    *(today, moment, moment, yesterday, moment),
                    *(latitude, latitude, longitude, longitude, scale, limit),
                ],
            )
            top = [row[0] for row in cursor.fetchall()]
            if len(top) >= limit or radius > 400:
                break
            radius *= 4
        if not top:
            return []
        cursor.execute(REFERENCE_FETCH.format(",".join(["%s"] * len(top))), top)
        rows = cursor.fetchall()
    # The same great-circle distances the selector computes for the rows it shows.
    return sorted(
        rows,
        key=lambda row: haversine_km(
            latitude_a=latitude, longitude_a=longitude, latitude_b=row[6], longitude_b=row[7]
        ),
    )


def directory_search_bench(*, out: Callable[[str], None], quick: bool = False) -> None:
    """Time 500 searches (type + nearest + open now) against the bare-SQL reference."""
    count, searches = (1_000, 100) if quick else (5_000, 500)
    rng = random.Random(6)  # noqa: S311  # synthetic data, reproducible
    _cleanup()
    try:
        _populate(count, rng)
        terms = list(TaxonomyTerm.objects.filter(taxonomy="kinga-service-types"))
        wards = list(Ward.objects.filter(sub_county__county__coastal=True))
        start = dt.datetime(2026, 3, 2, tzinfo=NAIROBI)  # a Monday
        queries = []
        for _ in range(searches):
            ward = rng.choice(wards)
            when = start + dt.timedelta(minutes=rng.randrange(7 * 24 * 60))
            queries.append((rng.choice(terms), *ward.centroid, when))
        through_field = Service.service_types.through._meta.get_field("taxonomyterm")
        kinga_ms, reference_ms, hits = [], [], 0
        for term, latitude, longitude, when in queries:
            began = time.perf_counter()
            results = directory_search(
                service_type=term.code,
                latitude=latitude,
                longitude=longitude,
                open_at=when,
                limit=20,
            )
            kinga_ms.append((time.perf_counter() - began) * 1000)
            hits += len(results)
            term_id = through_field.get_db_prep_value(term.pk, connection)
            began = time.perf_counter()
            _reference_search(term_id, latitude, longitude, when, 20)
            reference_ms.append((time.perf_counter() - began) * 1000)
    finally:
        _cleanup()
    p95 = percentile(kinga_ms, 0.95)
    record(
        BenchResult(
            name="directory_search",
            database=database_label(),
            figures={
                "services": count,
                "searches": searches,
                "mean_hits": round(hits / searches, 1),
                "p50_ms": percentile(kinga_ms, 0.5),
                "p95_ms": p95,
                "reference_p50_ms": percentile(reference_ms, 0.5),
                "reference_p95_ms": percentile(reference_ms, 0.95),
            },
            ratio=p95 / percentile(reference_ms, 0.95),
            ratio_label="p95 kinga/bare-sql",
            target="p95 <= 20 ms",
            passed=p95 <= 20,
        ),
        out,
    )


BENCHMARKS = {"directory_search": directory_search_bench}
