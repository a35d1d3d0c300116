"""Benchmarks: the case page with 300 timeline entries, and the case list over 100,000 cases.

Both write rows, so they need a scratch database (its name contains "bench", or
KINGA_BENCH_SCRATCH=1):

    DATABASE_URL=sqlite:///var/bench.sqlite3 kinga migrate
    DATABASE_URL=sqlite:///var/bench.sqlite3 kinga bench case_page case_list

The rows belong to agencies named "Bench ..." and stay for the next run, which reuses them
(audit events cannot be deleted, by design).

- case_page: one case whose timeline holds 300 entries (notes of each sensitivity,
  sessions, wellbeing checks, tasks, promises, consents) is requested through Django's
  test Client inside this process, signed in as its caseworker with two-factor passed:
  p50/p95 server time and the number of queries of one request (CaptureQueriesContext).
  Reference: a bare SELECT of the same timeline rows and notes. Targets: p50 <= 150 ms and
  <= 25 queries.
- case_list: 100,000 cases (`--quick`: 10,000) over 20 agencies, each with its team
  grants; the supervisor of the largest agency (a fifth of the cases) asks for
  `/cases/?status=active&page=3`. Reference: a bare SELECT of the same 25 rows by owning
  agency, without the policy, the audit or the page. Target: p50 <= 100 ms.
"""

from __future__ import annotations

import datetime
import os
import random
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from kinga.lib.bench import BenchResult, database_label, percentile, record

RUNS = 40
PAGE_ENTRIES = 300


def _scratch_database() -> bool:
    name = str(settings.DATABASES["default"].get("NAME", ""))
    return "bench" in name.lower() or os.environ.get("KINGA_BENCH_SCRATCH") == "1"


def _refuse(name: str, out: Callable[[str], None]) -> bool:
    if _scratch_database():
        return False
    out(
        f"  skipped: {name} writes cases and needs a scratch database — "
        "DATABASE_URL=sqlite:///var/bench.sqlite3 (a name containing 'bench') "
        "or KINGA_BENCH_SCRATCH=1"
    )
    return True


def _agency(name: str, county: Any) -> Any:
    from kinga.accounts.models import Agency

    agency, _ = Agency.objects.get_or_create(name=name, defaults={"kind": "ngo", "county": county})
    return agency


def _user(username: str, agency: Any, role: str) -> Any:
    from kinga.accounts.models import RoleAssignment, User

    user, created = User.objects.get_or_create(
        username=username, defaults={"agency": agency, "first_name": username.title()}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        RoleAssignment.objects.create(user=user, role=role)
    return user


def _signed_in(user: Any) -> Client:
    from kinga.accounts.services import authenticator_ensure

    device = authenticator_ensure(user=user)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def _count_queries(call: Callable[[], Any]) -> int:
    """Return how many SQL statements the call runs (Django resets its own query log at
    each request, so count through an execute wrapper instead)."""
    count = 0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        call()
    return count


def _time(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # warm caches and connections
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


# --- case page ---------------------------------------------------------------------------------


def _page_case() -> tuple[Any, Any]:
    from kinga.cases import services
    from kinga.cases.models import Case, CaseEvent, RoleOnCase
    from kinga.people.services import person_create
    from kinga.places.models import County

    county = County.objects.get(name="Mombasa")
    agency = _agency("Bench Page Agency", county)
    caseworker = _user("bench_page_caseworker", agency, "caseworker")
    counsellor = _user("bench_page_counsellor", agency, "counsellor")
    shelter = _agency("Bench Page Shelter", county)
    case = Case.objects.filter(caseworker=caseworker).order_by("pk").first()
    if case is not None and CaseEvent.objects.filter(case=case).count() >= PAGE_ENTRIES:
        return case, caseworker
    child = person_create(actor=caseworker, kind="child", given_name="Bench", age_estimate=15)
    case = services.case_open(child=child, county=county, actor=caseworker)
    services.case_team_add(
        case=case, user=counsellor, role_on_case=RoleOnCase.COUNSELLOR, actor=caseworker
    )
    rng = random.Random(7)
    today = timezone.localdate()
    while CaseEvent.objects.filter(case=case).count() < PAGE_ENTRIES:
        pick = rng.random()
        day = today - datetime.timedelta(days=rng.randint(0, 400))
        if pick < 0.35:
            services.note_add(
                case=case,
                actor=caseworker,
                sensitivity=rng.choice(["general", "care"]),
                text="Visited the family; school fees discussed and a safety plan reviewed.",
            )
        elif pick < 0.55:
            services.session_record(
                case=case,
                actor=counsellor,
                held_on=day,
                session_type="individual",
                attendance="attended",
                notes="Worked on sleep and trusted adults.",
            )
        elif pick < 0.65:
            services.wellbeing_record(
                case=case,
                actor=counsellor,
                measured_on=day,
                scores=[rng.randint(0, 3) for _ in range(6)],
            )
        elif pick < 0.8:
            services.task_create(
                case=case,
                actor=caseworker,
                title="Call the school",
                assigned_to=caseworker,
                due_on=day,
            )
        elif pick < 0.95:
            services.promise_make(
                case=case,
                actor=caseworker,
                kind="return_call",
                description="Call back",
                due_on=day,
            )
        else:
            services.consent_record(
                case=case,
                actor=caseworker,
                purpose="referral",
                recipient_agency=shelter,
                given_by="guardian",
                explained="Explained in Kiswahili.",
            )
    return case, caseworker


def case_page(*, out: Callable[[str], None], quick: bool) -> None:
    """Time the case page of a case with 300 timeline entries against a bare SELECT."""
    if _refuse("case_page", out):
        return
    from kinga.cases.models import CaseEvent, Note

    # no transaction around it: the case is built by services, each durable (issue 12)
    case, caseworker = _page_case()
    _analyze()
    client = _signed_in(caseworker)
    url = f"/cases/{case.pk}/"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    queries = _count_queries(lambda: client.get(url))
    runs = 10 if quick else RUNS
    page = _time(lambda: client.get(url), runs)

    def reference() -> None:
        list(
            CaseEvent.objects.filter(case=case)
            .order_by("-occurred_on", "-created_at")
            .values_list("occurred_on", "created_at", "kind", "summary", "created_by__username")
        )
        list(Note.objects.filter(case=case).values_list("pk", "text"))

    bare = _time(reference, runs)
    p50 = percentile(page, 0.5)
    result = BenchResult(
        name="case_page",
        database=database_label(),
        figures={
            "entries": CaseEvent.objects.filter(case=case).count(),
            "p50_ms": p50,
            "p95_ms": percentile(page, 0.95),
            "queries": queries,
            "reference_p50_ms": percentile(bare, 0.5),
        },
        ratio=p50 / percentile(bare, 0.5),
        ratio_label="page/bare-select",
        target="p50 <= 150 ms and <= 25 queries",
        passed=p50 <= 150 and queries <= 25,
    )
    record(result, out)


# --- case list -----------------------------------------------------------------------------------


def _list_world(size: int, out: Callable[[str], None]) -> tuple[Any, Any]:
    from kinga.access.models import AccessGrant, Relation
    from kinga.accounts.models import Role
    from kinga.cases.models import Case, CaseStatus, RiskLevel
    from kinga.people.models import Person
    from kinga.places.models import County

    counties = list(County.objects.filter(coastal=True).order_by("pk"))
    agencies = [
        _agency(f"Bench List Agency {n:02d}", counties[n % len(counties)]) for n in range(20)
    ]
    workers = [
        _user(f"bench_list_caseworker_{n:02d}", a, "caseworker") for n, a in enumerate(agencies)
    ]
    supervisor = _user("bench_list_supervisor", agencies[0], "supervisor")
    have = Case.objects.filter(owning_agency__in=agencies).count()
    if have >= size:
        return supervisor, agencies[0]
    out(f"  writing {size - have:,} cases ...")
    rng = random.Random(11)
    now = timezone.now()
    statuses = [CaseStatus.ACTIVE] * 5 + [CaseStatus.FOLLOW_UP] * 2 + [CaseStatus.CLOSED] * 3
    risks = list(RiskLevel.values)
    batch = 5_000
    year = 2020
    start_number = 1 + (
        Case.objects.filter(year=year).order_by("-number").values_list("number", flat=True).first()
        or 0
    )
    made = have
    number = start_number
    while made < size:
        count = min(batch, size - made)
        with transaction.atomic():
            persons = Person.objects.bulk_create(
                [Person(kind="child", age_band="15-17") for _ in range(count)]
            )
            rows = []
            for person in persons:
                # the first agency owns a fifth of the cases; the rest share the remainder
                owner = 0 if rng.random() < 0.2 else rng.randint(1, 19)
                status = rng.choice(statuses)
                county = agencies[owner].county
                rows.append(
                    Case(
                        code=f"{county.prefix}-{year}-{number:06d}"[:20],
                        county=county,
                        year=year,
                        number=number,
                        child=person,
                        status=status,
                        risk_level=rng.choice(risks),
                        owning_agency=agencies[owner],
                        caseworker=workers[owner],
                        opened_by=workers[owner],
                        opened_at=now - datetime.timedelta(minutes=rng.randint(0, 3 * 525_600)),
                        closed_at=now if status == CaseStatus.CLOSED else None,
                        updated_at=now,
                    )
                )
                number += 1
            cases = Case.objects.bulk_create(rows)
            grants = []
            for case in cases:
                grants.append(
                    AccessGrant(
                        matter_type="case",
                        matter_id=case.pk,
                        relation=Relation.AGENCY_ON_TEAM,
                        agency_id=case.owning_agency_id,
                        via_role=Role.CASEWORKER,
                        source_type="cases.team_agency",
                        source_id=f"case-{case.pk}",
                    )
                )
                grants.append(
                    AccessGrant(
                        matter_type="case",
                        matter_id=case.pk,
                        relation=Relation.TEAM_MEMBER,
                        user_id=case.caseworker_id,
                        source_type="cases.team",
                        source_id=f"bench-{case.pk}",
                    )
                )
            AccessGrant.objects.bulk_create(grants)
        made += count
    return supervisor, agencies[0]


def _analyze() -> None:
    """Refresh the planner's statistics, as a maintained database has them (on SQLite,
    without them the planner scans every grant of every case instead of the viewer's)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def case_list(*, out: Callable[[str], None], quick: bool) -> None:
    """Time the filtered, paginated case list over 100,000 cases against a bare SELECT."""
    if _refuse("case_list", out):
        return
    from kinga.cases.models import Case

    size = 10_000 if quick else 100_000
    supervisor, agency = _list_world(size, out)
    _analyze()
    client = _signed_in(supervisor)
    url = "/cases/?status=active&page=3"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    queries = _count_queries(lambda: client.get(url))
    runs = 10 if quick else RUNS
    page = _time(lambda: client.get(url), runs)

    def reference() -> None:
        rows = Case.objects.filter(owning_agency=agency, status="active")
        list(
            rows.order_by("-opened_at", "-pk").values_list(
                "code",
                "status",
                "risk_level",
                "opened_at",
                "caseworker__username",
                "owning_agency__name",
            )[50:75]
        )

    bare = _time(reference, runs)
    p50 = percentile(page, 0.5)
    result = BenchResult(
        name="case_list",
        database=database_label(),
        figures={
            "cases": Case.objects.count(),
            "visible": Case.objects.filter(owning_agency=agency).count(),
            "p50_ms": p50,
            "p95_ms": percentile(page, 0.95),
            "queries": queries,
            "reference_p50_ms": percentile(bare, 0.5),
        },
        ratio=p50 / percentile(bare, 0.5),
        ratio_label="list/bare-select",
        target="p50 <= 100 ms",
        passed=p50 <= 100,
    )
    record(result, out)


BENCHMARKS = {"case_page": case_page, "case_list": case_list}
