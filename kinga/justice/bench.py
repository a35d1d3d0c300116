"""Benchmarks: the incident page with 50 people and 200 events, and the court calendar over
10,000 hearings.

Both write rows, so they need a scratch database (its name contains "bench", or
KINGA_BENCH_SCRATCH=1):

    make bench                      # SQLite, var/bench.sqlite3
    make bench BENCH_DATABASE_URL=postgres://kinga@127.0.0.1:55432/kinga_bench

The rows belong to agencies named "Bench Justice ..." and stay for the next run.

- incident_page: one incident with 50 people of interest (names encrypted), 200 dated
  events, 20 exhibits with their custody and a prosecution with 30 court dates, requested
  through Django's test Client signed in as its investigator: p50/p95 server time and the
  queries of one request. Reference: a bare SELECT of the same people, events and court
  dates. Target: p50 <= 150 ms and <= 45 queries.
- court_calendar: 10,000 hearings over 400 prosecutions across two years, the prosecutor on
  every incident, asks for four weeks from today (`/justice/calendar/`). Reference: a bare
  SELECT of the same dates in the window. Target: p50 <= 150 ms and <= 15 queries.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from kinga.cases.bench import _agency, _analyze, _count_queries, _refuse, _signed_in, _time, _user
from kinga.lib.bench import BenchResult, database_label, percentile, record

RUNS = 40
PEOPLE = 50
EVENTS = 200
HEARINGS = 10_000
PROSECUTIONS = 400


def _police(name: str) -> tuple[Any, Any, Any]:
    from kinga.places.models import County

    county = County.objects.get(name="Mombasa")
    police = _agency(f"Bench Justice Police {name}", county)
    if police.kind != "police_unit":
        police.kind = "police_unit"
        police.save(update_fields=["kind"])
    investigator = _user(f"bench_justice_investigator_{name}", police, "investigator")
    prosecutors = _agency(f"Bench Justice ODPP {name}", county)
    prosecutor = _user(f"bench_justice_prosecutor_{name}", prosecutors, "prosecutor")
    return county, investigator, prosecutor


def _page_incident() -> tuple[Any, Any]:
    from kinga.justice import services
    from kinga.justice.models import (
        CourtEvent,
        CustodyEntry,
        Evidence,
        Incident,
        IncidentEvent,
        PersonOfInterest,
    )
    from kinga.people.models import Person

    county, investigator, prosecutor = _police("page")
    incident = Incident.objects.filter(opened_by=investigator).order_by("pk").first()
    if incident is not None and IncidentEvent.objects.filter(incident=incident).count() >= EVENTS:
        return incident, investigator
    incident = services.incident_open(
        actor=investigator,
        facts=services.IncidentInput(
            county=county,
            station="Bench station",
            ob_number="OB 1/1/2026",
            reported_on=timezone.localdate(),
            summary="Bench incident",
        ),
    )
    rng = random.Random(5)
    today = timezone.localdate()
    with transaction.atomic():
        persons = [
            Person(kind="suspect", given_name=f"Given{n}", family_name=f"Family{n}")
            for n in range(PEOPLE)
        ]
        for person in persons:
            person.save()
        PersonOfInterest.objects.bulk_create(
            PersonOfInterest(
                incident=incident,
                person=person,
                role="recruiter",
                relationship="stranger",
                created_by=investigator,
            )
            for person in persons
        )
        IncidentEvent.objects.bulk_create(
            IncidentEvent(
                incident=incident,
                kind=rng.choice(["recruitment", "transit", "exploitation"]),
                occurred_on=today - datetime.timedelta(days=rng.randint(0, 700)),
                county=county,
                place="Mtwapa lodge",
                description="Seen with two girls",
                created_by=investigator,
            )
            for _ in range(EVENTS)
        )
        for n in range(20):
            exhibit = Evidence.objects.create(
                incident=incident,
                exhibit_number=f"PExh. {n + 1}",
                kind="physical",
                item="Phone",
                how_obtained="seized",
                obtained_on=today,
                created_by=investigator,
            )
            for sequence in (1, 2, 3):
                CustodyEntry.objects.create(
                    incident=incident,
                    evidence=exhibit,
                    sequence=sequence,
                    handed_at=timezone.now(),
                    from_holder="A",
                    to_holder="B",
                    purpose="Store",
                    created_by=investigator,
                )
    submission = services.file_send(incident=incident, actor=investigator, prosecutor=prosecutor)
    services.charge_decide(submission=submission, actor=prosecutor, decision="charge")
    people = list(PersonOfInterest.objects.filter(incident=incident)[:3])
    prosecution = services.prosecution_open(
        incident=incident,
        actor=prosecutor,
        court="Bench Court",
        court_file_number=f"B{incident.pk}",
        filed_on=today,
        counts=[services.CountInput(offence="ctipa-3", accused=p) for p in people],
    )
    CourtEvent.objects.bulk_create(
        CourtEvent(
            incident=incident,
            prosecution=prosecution,
            kind="mention",
            scheduled_for=timezone.now() + datetime.timedelta(days=n - 15),
            created_by=prosecutor,
        )
        for n in range(30)
    )
    return incident, investigator


def incident_page(*, out: Callable[[str], None], quick: bool) -> None:
    """Time the incident page of an incident with 50 people and 200 events."""
    if _refuse("incident_page", out):
        return
    from kinga.justice.models import CourtEvent, IncidentEvent, PersonOfInterest

    incident, investigator = _page_incident()
    _analyze()
    client = _signed_in(investigator)
    url = f"/justice/{incident.pk}/"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    queries = _count_queries(lambda: client.get(url))
    runs = 10 if quick else RUNS
    page = _time(lambda: client.get(url), runs)

    def reference() -> None:
        # the names decrypted, as the page shows them
        list(
            PersonOfInterest.objects.filter(incident=incident).values_list(
                "person__given_name", "person__family_name", "role"
            )
        )
        list(
            IncidentEvent.objects.filter(incident=incident)
            .order_by("occurred_on")
            .values_list("occurred_on", "kind", "place", "description")
        )
        list(CourtEvent.objects.filter(incident=incident).values_list("scheduled_for", "kind"))

    bare = _time(reference, runs)
    p50 = percentile(page, 0.5)
    record(
        BenchResult(
            name="incident_page",
            database=database_label(),
            figures={
                "people": PersonOfInterest.objects.filter(incident=incident).count(),
                "events": IncidentEvent.objects.filter(incident=incident).count(),
                "p50_ms": p50,
                "p95_ms": percentile(page, 0.95),
                "queries": queries,
                "reference_p50_ms": percentile(bare, 0.5),
            },
            ratio=p50 / percentile(bare, 0.5),
            ratio_label="page/bare-select",
            target="p50 <= 150 ms and <= 45 queries",
            passed=p50 <= 150 and queries <= 45,
        ),
        out,
    )


def _calendar_world(size: int, out: Callable[[str], None]) -> Any:
    from kinga.access.models import AccessGrant, Relation
    from kinga.justice.models import CourtEvent, Incident, Prosecution

    county, investigator, prosecutor = _police("calendar")
    have = CourtEvent.objects.filter(prosecution__lead_prosecutor=prosecutor).count()
    if have >= size:
        return prosecutor
    out(f"  writing {size - have:,} hearings ...")
    rng = random.Random(13)
    now = timezone.now()
    prosecutions_wanted = max(1, PROSECUTIONS * size // HEARINGS)
    with transaction.atomic():
        incidents = []
        for n in range(prosecutions_wanted):
            incident = Incident(
                code=f"INC-BENCH-{prosecutor.pk}-{have}-{n}",
                county=county,
                police_unit=investigator.agency,
                reported_on=now.date(),
                opened_by=investigator,
                stage="in_court",
            )
            incident.save()
            incidents.append(incident)
        prosecutions = Prosecution.objects.bulk_create(
            Prosecution(
                incident=incident,
                court="Shanzu Law Courts",
                court_file_number=f"BENCH-{incident.pk}",
                lead_prosecutor=prosecutor,
                filed_on=now.date(),
                created_by=prosecutor,
            )
            for incident in incidents
        )
        AccessGrant.objects.bulk_create(
            AccessGrant(
                matter_type="incident",
                matter_id=incident.pk,
                relation=Relation.TEAM_MEMBER,
                user=prosecutor,
                source_type="justice.team",
                source_id=str(incident.pk),
            )
            for incident in incidents
        )
        per = (size - have) // len(prosecutions) + 1
        rows = []
        for prosecution in prosecutions:
            for _ in range(per):
                rows.append(
                    CourtEvent(
                        incident_id=prosecution.incident_id,
                        prosecution=prosecution,
                        kind=rng.choice(["mention", "hearing", "plea"]),
                        scheduled_for=now
                        + datetime.timedelta(minutes=rng.randint(-525_600, 525_600)),
                        witness=rng.choice(["", "child", "investigator"]),
                        created_by=prosecutor,
                    )
                )
        CourtEvent.objects.bulk_create(rows[: size - have], batch_size=2000)
    return prosecutor


def court_calendar(*, out: Callable[[str], None], quick: bool) -> None:
    """Time the court calendar of a prosecutor over 10,000 hearings against a bare SELECT."""
    if _refuse("court_calendar", out):
        return
    from kinga.justice.models import CourtEvent

    size = 2_000 if quick else HEARINGS
    prosecutor = _calendar_world(size, out)
    _analyze()
    client = _signed_in(prosecutor)
    url = "/justice/calendar/"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    queries = _count_queries(lambda: client.get(url))
    runs = 10 if quick else RUNS
    page = _time(lambda: client.get(url), runs)
    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    end = start + datetime.timedelta(days=28)

    def reference() -> None:
        list(
            CourtEvent.objects.filter(
                prosecution__lead_prosecutor=prosecutor,
                state="scheduled",
                scheduled_for__gte=start,
                scheduled_for__lt=end,
            )
            .order_by("scheduled_for")
            .values_list("scheduled_for", "prosecution__court", "kind", "incident__code")[:500]
        )

    bare = _time(reference, runs)
    p50 = percentile(page, 0.5)
    shown = CourtEvent.objects.filter(
        prosecution__lead_prosecutor=prosecutor,
        state="scheduled",
        scheduled_for__gte=start,
        scheduled_for__lt=end,
    ).count()
    record(
        BenchResult(
            name="court_calendar",
            database=database_label(),
            figures={
                "hearings": CourtEvent.objects.filter(
                    prosecution__lead_prosecutor=prosecutor
                ).count(),
                "in_window": shown,
                "p50_ms": p50,
                "p95_ms": percentile(page, 0.95),
                "queries": queries,
                "reference_p50_ms": percentile(bare, 0.5),
            },
            ratio=p50 / percentile(bare, 0.5),
            ratio_label="page/bare-select",
            target="p50 <= 150 ms and <= 15 queries",
            passed=p50 <= 150 and queries <= 15,
        ),
        out,
    )


BENCHMARKS = {"incident_page": incident_page, "court_calendar": court_calendar}
