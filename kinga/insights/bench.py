"""Benchmark: each dashboard figure over 1,000,000 cases and 5,000,000 case events.

    DATABASE_URL=sqlite:///var/bench.sqlite3 kinga migrate
    DATABASE_URL=sqlite:///var/bench.sqlite3 kinga bench insights

It writes rows, so it needs a scratch database (a name containing "bench", or
KINGA_BENCH_SCRATCH=1). The world is written once with INSERT ... SELECT over a number
series (the ORM would take an hour) and reused by later runs: 1,250,000 reports over three
years on every coastal ward, 1,000,000 cases opened from them (each child a person),
250,000 incidents, their investigations, files, decisions to charge, prosecutions, counts
and outcomes, and 5,000,000 case events (`--quick`: a twentieth of each).

The figures read the report paths (`ReportPath`), the summary the worker rebuilds
(`insights.refresh_paths`); the benchmark rebuilds it when it is not up to date and records
how long that took. Each figure is timed through `kinga.insights.selectors` (the policy,
suppression included) for the analyst, and against a hand-written SQL
statement of the same figure over the same summary in the same run, the two in turns (and, once, the
hand-written SQL over the records themselves, for the record), for two filters: Kwale
over the last year (the browser journey) and the whole programme over the last year.
A figure is timed as its page computes it, less the page's audit event: a page view writes
one event whatever its figures, and a hand-written statement writes none; that event is
timed on its own (`insights_view_audit`), so a page costs its figures plus one of it.
Targets: each figure at most 500 ms on PostgreSQL, and Kinga / hand-written at most 1.5.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from kinga.lib.bench import BenchResult, database_label, percentile, record

FULL = {"reports": 1_250_000, "events": 5_000_000}
QUICK = {"reports": 62_500, "events": 250_000}
RUNS = 5
# a figure faster than this is timed in FAST_RUNS turns
FAST_MS = 20.0
FAST_RUNS = 25


def _scratch_database() -> bool:
    name = str(settings.DATABASES["default"].get("NAME", ""))
    return "bench" in name.lower() or os.environ.get("KINGA_BENCH_SCRATCH") == "1"


def _pg() -> bool:
    return connection.vendor == "postgresql"


# --- SQL over a number series, for both databases --------------------------------------------


def _series(count: int) -> str:
    if _pg():
        return f"generate_series(1, {int(count)}) AS g(n)"
    return (
        f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {int(count)})"
        " SELECT n FROM s) AS g"
    )


def _days_ago(expression: str) -> str:
    if _pg():
        return f"(now() - ({expression}) * interval '1 day')"
    return f"strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || ({expression}) || ' days')"


def _shift(moment: str, days: str) -> str:
    if _pg():
        return f"({moment} + ({days}) * interval '1 day')"
    return f"strftime('%Y-%m-%d %H:%M:%f', {moment}, '+' || ({days}) || ' days')"


def _as_date(moment: str) -> str:
    return f"CAST({moment} AS date)" if _pg() else f"date({moment})"


def _insert(model: type[Model], expressions: dict[str, str], source: str) -> int:
    """INSERT INTO the model's table SELECT the expressions FROM source; the fields not
    given take their default as a bound value. Return the rows written."""
    columns: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        name = field.attname
        columns.append(connection.ops.quote_name(str(field.column)))
        if name in expressions:
            # a literal % (modulo, strftime) doubled: the statement also carries parameters
            values.append(expressions[name].replace("%", "%%"))
            continue
        default = field.get_default()
        if (
            default is None
            and getattr(field, "auto_now_add", False)
            or getattr(field, "auto_now", False)
        ):
            default = timezone.now()
        if default is None and not field.null:
            raise ValueError(f"{model.__name__}.{name} needs a value")
        values.append("%s")
        params.append(field.get_db_prep_save(default, connection))
    table = connection.ops.quote_name(model._meta.db_table)
    source = source.replace("%", "%%")
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _before_new(model: type[Model], before: int) -> int:
    """Return one less than the first id written after `before`: the rows one INSERT wrote
    follow it in order (a sequence may have moved on past the table's largest id)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id) FROM {model._meta.db_table} WHERE id > %s", [before])
        row = cursor.fetchone()
    return int(row[0]) - 1 if row and row[0] is not None else before


def _max_id(model: type[Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


# --- the world --------------------------------------------------------------------------------


def _people() -> tuple[Any, Any, Any, Any]:
    from kinga.accounts.models import Agency, AgencyKind, RoleAssignment, User
    from kinga.places.models import County

    kwale = County.objects.get(name="Kwale")
    agency, _ = Agency.objects.get_or_create(
        name="Bench Insights NGO", defaults={"kind": AgencyKind.NGO, "county": kwale}
    )
    police, _ = Agency.objects.get_or_create(
        name="Bench Insights Police", defaults={"kind": AgencyKind.POLICE_UNIT, "county": kwale}
    )

    def user(username: str, role: str, at: Any) -> Any:
        found, created = User.objects.get_or_create(username=username, defaults={"agency": at})
        if created:
            found.set_unusable_password()
            found.save(update_fields=["password"])
            RoleAssignment.objects.create(user=found, role=role)
        return found

    analyst = user("bench_insights_analyst", "analyst", agency)
    worker = user("bench_insights_caseworker", "caseworker", agency)
    user("bench_insights_investigator", "investigator", police)
    return analyst, agency, police, worker


def _world(sizes: dict[str, int], out: Callable[[str], None]) -> Any:
    from kinga.cases.models import Case, CaseEvent
    from kinga.intake.models import Report
    from kinga.justice.models import (
        ChargeCount,
        ChargeDecision,
        ChargeSheet,
        CountOutcome,
        FileSubmission,
        Incident,
        Investigation,
        Prosecution,
    )
    from kinga.people.models import Person
    from kinga.places.models import Ward

    analyst, agency, police, worker = _people()
    if Case.objects.filter(owning_agency=agency).count() >= sizes["reports"] * 4 // 5:
        return analyst
    out(f"  writing {sizes['reports']:,} reports, their cases and justice, and events ...")
    started = time.perf_counter()
    wards = list(
        Ward.objects.filter(sub_county__county__coastal=True)
        .order_by("pk")
        .values_list("pk", "sub_county_id", "sub_county__county_id")
    )
    count = sizes["reports"]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_insights_ward")
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_insights_ward"
                " (i integer PRIMARY KEY, ward_id integer, sub_county_id integer,"
                " county_id integer)"
            )
            cursor.executemany(
                "INSERT INTO bench_insights_ward VALUES (%s, %s, %s, %s)",
                [(i, *ward) for i, ward in enumerate(wards)],
            )
        base = _max_id(Report)
        _insert(
            Report,
            {
                "channel": "CASE g.n % 5 WHEN 0 THEN 'web' WHEN 1 THEN 'ussd' WHEN 2 THEN 'sms'"
                " WHEN 3 THEN 'helpline' ELSE 'police' END",
                "received_at": _days_ago("g.n % 1095"),
                "updated_at": _days_ago("g.n % 1095"),
                "categories": "'[\"sexual_exploitation\"]'",
                "age_bands": "'[\"12-14\"]'",
                "county_id": "w.county_id",
                "sub_county_id": "w.sub_county_id",
                "ward_id": "w.ward_id",
                "decided_at": "CASE WHEN g.n % 10 < 9 THEN "
                + _shift(_days_ago("g.n % 1095"), "1 + g.n % 3")
                + " END",
                "decision": "CASE WHEN g.n % 10 < 9 THEN 'open_case' ELSE '' END",
            },
            f"{_series(count)} JOIN bench_insights_ward w ON w.i = g.n % {len(wards)}",
        )
        base = _before_new(Report, base)
        out(f"    reports {time.perf_counter() - started:.0f} s")
        # a case for four reports in five, its child a person of its own
        person_base = _max_id(Person)
        cases = count * 4 // 5
        _insert(
            Person, {"kind": "'child'", "sex": "'female'", "age_band": "'12-14'"}, _series(cases)
        )
        person_base = _before_new(Person, person_base)
        case_base = _max_id(Case)
        source = f"intake_report r WHERE r.id > {base} AND (r.id - {base}) % 5 < 4"
        number = f"(r.id - {base})"
        _insert(
            Case,
            {
                "code": f"'BI-' || CAST({number} AS varchar(12))"
                if _pg()
                else f"'BI-' || {number}",
                "county_id": "r.county_id",
                "year": "1999",
                "number": number,
                "child_id": f"{person_base} + ROW_NUMBER() OVER (ORDER BY r.id)",
                "status": "CASE r.id % 4 WHEN 0 THEN 'closed' ELSE 'active' END",
                "closed_at": "CASE r.id % 4 WHEN 0 THEN r.received_at END",
                "owning_agency_id": str(agency.pk),
                "caseworker_id": str(worker.pk),
                "opened_by_id": str(worker.pk),
                "source_report_id": "r.id",
                "opened_at": _shift("r.received_at", "2"),
                "updated_at": "r.received_at",
            },
            source,
        )
        case_base = _before_new(Case, case_base)
        out(f"    cases {time.perf_counter() - started:.0f} s")
        incident_base = _max_id(Incident)
        _insert(
            Incident,
            {
                "code": "'BI-I-' || CAST(r.id AS varchar(12))" if _pg() else "'BI-I-' || r.id",
                "county_id": "r.county_id",
                "ward_id": "r.ward_id",
                "police_unit_id": str(police.pk),
                "source_report_id": "r.id",
                "reported_on": _as_date("r.received_at"),
                "opened_at": _shift("r.received_at", "5"),
                "opened_by_id": str(worker.pk),
                "updated_at": "r.received_at",
                "stage": "'investigating'",
            },
            f"intake_report r WHERE r.id > {base} AND (r.id - {base}) % 5 = 0",
        )
        incidents = f"justice_incident i WHERE i.id > {incident_base}"
        _insert(
            Investigation,
            {
                "incident_id": "i.id",
                "station": "'Bench station'",
                "ob_number": "'OB 1'",
                "lead_officer_id": str(worker.pk),
                "created_by_id": str(worker.pk),
                "created_at": _shift("i.opened_at", "1"),
            },
            f"{incidents} AND i.id % 5 < 4",
        )
        file_base = _max_id(FileSubmission)
        _insert(
            FileSubmission,
            {
                "incident_id": "i.id",
                "sent_at": _shift("i.opened_at", "30"),
                "prosecutor_id": str(worker.pk),
                "created_by_id": str(worker.pk),
                "created_at": "i.opened_at",
            },
            f"{incidents} AND i.id % 2 = 0",
        )
        _insert(
            ChargeDecision,
            {
                "incident_id": "f.incident_id",
                "submission_id": "f.id",
                "decision": "CASE f.id % 5 WHEN 0 THEN 'no_charge' ELSE 'charge' END",
                "no_charge_reason": "CASE f.id % 5 WHEN 0 THEN 'insufficient_evidence' ELSE '' END",
                "decided_at": _shift("f.sent_at", "14"),
                "created_by_id": str(worker.pk),
                "created_at": "f.sent_at",
            },
            f"justice_filesubmission f WHERE f.id > {file_base}",
        )
        prosecution_base = _max_id(Prosecution)
        _insert(
            Prosecution,
            {
                "incident_id": "d.incident_id",
                "court": "'Kwale Law Courts'",
                "court_file_number": "'BI-E' || CAST(d.id AS varchar(12))"
                if _pg()
                else "'BI-E' || d.id",
                "lead_prosecutor_id": str(worker.pk),
                "filed_on": _as_date(_shift("d.decided_at", "7")),
                "concluded_on": "CASE WHEN d.id % 2 = 0 THEN "
                + _as_date(_shift("d.decided_at", "300"))
                + " END",
                "status": "CASE WHEN d.id % 2 = 0 THEN 'concluded' ELSE 'trial' END",
                "created_by_id": str(worker.pk),
                "created_at": "d.decided_at",
            },
            "justice_chargedecision d WHERE d.decision = 'charge' AND d.incident_id IN "
            f"(SELECT id FROM justice_incident WHERE id > {incident_base})",
        )
        sheet_base = _max_id(ChargeSheet)
        _insert(
            ChargeSheet,
            {
                "incident_id": "p.incident_id",
                "prosecution_id": "p.id",
                "version": "1",
                "filed_on": "p.filed_on",
                "created_by_id": str(worker.pk),
                "created_at": "p.created_at",
            },
            f"justice_prosecution p WHERE p.id > {prosecution_base}",
        )
        from kinga.justice.models import PersonOfInterest

        accused_base = _max_id(Person)
        _insert(
            Person,
            {"kind": "'suspect'", "age_band": "'18+'"},
            f"justice_chargesheet s WHERE s.id > {sheet_base}",
        )
        accused_base = _before_new(Person, accused_base)
        poi_base = _max_id(PersonOfInterest)
        _insert(
            PersonOfInterest,
            {
                "incident_id": "s.incident_id",
                "person_id": f"{accused_base} + ROW_NUMBER() OVER (ORDER BY s.id)",
                "role": "'recruiter'",
                "relationship": "'community'",
                "created_by_id": str(worker.pk),
                "created_at": "s.created_at",
            },
            f"justice_chargesheet s WHERE s.id > {sheet_base}",
        )
        poi_base = _before_new(PersonOfInterest, poi_base)
        count_base = _max_id(ChargeCount)
        _insert(
            ChargeCount,
            {
                "incident_id": "s.incident_id",
                "sheet_id": "s.id",
                "number": "1",
                "offence": "'ctipa-3'",
                "accused_id": f"{poi_base} + ROW_NUMBER() OVER (ORDER BY s.id)",
                "created_by_id": str(worker.pk),
                "created_at": "s.created_at",
            },
            f"justice_chargesheet s WHERE s.id > {sheet_base}",
        )
        _insert(
            CountOutcome,
            {
                "incident_id": "c.incident_id",
                "count_id": "c.id",
                "outcome": "CASE c.id % 3 WHEN 0 THEN 'acquitted' ELSE 'convicted' END",
                "decided_on": "p.concluded_on",
                "created_by_id": str(worker.pk),
                "created_at": "c.created_at",
            },
            "justice_chargecount c JOIN justice_chargesheet s ON s.id = c.sheet_id"
            " JOIN justice_prosecution p ON p.id = s.prosecution_id"
            f" WHERE c.id > {count_base} AND p.concluded_on IS NOT NULL",
        )
        out(f"    justice {time.perf_counter() - started:.0f} s")
        events = sizes["events"]
        _insert(
            CaseEvent,
            {
                "case_id": f"{case_base} + 1 + g.n % {cases}",
                "kind": "'note'",
                "summary": "'Bench event'",
                "params": "'{}'",
                "occurred_on": _as_date(_days_ago("g.n % 1095")),
                "created_by_id": str(worker.pk),
                "created_at": _days_ago("g.n % 1095"),
            },
            _series(events),
        )
        out(f"    events {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return analyst


PROVIDERS = (
    ("Bench Insights Shelter", "shelter"),
    ("Bench Insights Hospital", "hospital"),
    ("Bench Insights Legal Aid", "legal_aid"),
    ("Bench Insights Children's Office", "childrens_services"),
    ("Bench Insights Counselling NGO", "ngo"),
)


def _providers() -> tuple[list[int], Any]:
    """Return the receiving agencies (one of each kind of service, spread over the coastal
    counties) and a service at a location to refer to."""
    from kinga.accounts.models import Agency
    from kinga.directory.models import Location, Organization, Service, ServiceAtLocation
    from kinga.places.models import County

    counties = list(County.objects.filter(coastal=True).order_by("pk"))
    ids = []
    for index, (name, kind) in enumerate(PROVIDERS):
        found, _ = Agency.objects.get_or_create(
            name=name, defaults={"kind": kind, "county": counties[index % len(counties)]}
        )
        ids.append(found.pk)
    organization, _ = Organization.objects.get_or_create(
        name="Bench Insights provider", defaults={"description": "benchmark"}
    )
    service, _ = Service.objects.get_or_create(organization=organization, name="Bench service")
    location, _ = Location.objects.get_or_create(organization=organization, name="Bench place")
    place, _ = ServiceAtLocation.objects.get_or_create(service=service, location=location)
    return ids, place


def _world_services(out: Callable[[str], None]) -> bool:
    """Write what the other dashboards count, once, over the world's cases and reports:
    a referral for every second case (to five kinds of provider, in every state), an
    alert for every tenth report (answered in time, late or not yet; some up the chain),
    three court dates for each prosecution and an adjournment for every adjourned one.
    Return whether anything was written (the report paths then need rebuilding)."""
    from kinga.directory.models import ServiceAtLocation
    from kinga.intake.models import Alert
    from kinga.justice.models import Adjournment, CourtEvent
    from kinga.referrals.models import Referral

    _analyst, agency, _police, worker = _people()
    if Referral.objects.filter(sending_agency=agency).exists():
        return False
    out("  writing referrals, alerts, court dates and adjournments ...")
    started = time.perf_counter()
    providers, place = _providers()
    place_id = ServiceAtLocation._meta.pk.get_db_prep_save(place.pk, connection)
    place_sql = f"'{place_id}'"  # a UUID, written by Django itself
    statuses = ["sent", "accepted", "declined", "in_progress", "completed", "withdrawn"]
    status = (
        # every second case is referred: its state turns on the half of its id
        "CASE (c.id / 2) % 6 "
        + " ".join(f"WHEN {index} THEN '{code}'" for index, code in enumerate(statuses))
        + " END"
    )
    sent = _shift("c.opened_at", "1")
    answered, closed = _shift("c.opened_at", "2"), _shift("c.opened_at", "12")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_insights_provider")
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_insights_provider (i integer PRIMARY KEY,"
                " agency_id integer)"
            )
            cursor.executemany(
                "INSERT INTO bench_insights_provider VALUES (%s, %s)", list(enumerate(providers))
            )
        _insert(
            Referral,
            {
                "matter_type": "'case'",
                "matter_id": "c.id",
                "case_id": "c.id",
                "service_at_location_id": place_sql,
                "receiving_agency_id": "p.agency_id",
                "sending_agency_id": str(agency.pk),
                "sent_by_id": str(worker.pk),
                "contact_person_id": str(worker.pk),
                "urgency": "'routine'",
                "status": status,
                "child_age_band": "'12-14'",
                "child_sex": "'female'",
                "sent_at": sent,
                # due in 3 days, or (one in two) in 60
                "due_at": _shift("c.opened_at", "4 + 57 * ((c.id / 12) % 2)"),
                "answered_at": f"CASE WHEN (c.id / 2) % 6 > 0 THEN {answered} END",
                "closed_at": f"CASE WHEN (c.id / 2) % 6 IN (2, 4, 5) THEN {closed} END",
            },
            f"cases_case c JOIN bench_insights_provider p ON p.i = c.id % {len(providers)}"
            f" WHERE c.owning_agency_id = {int(agency.pk)} AND c.id % 2 = 0",
        )
        out(f"    referrals {time.perf_counter() - started:.0f} s")
        _insert(
            Alert,
            {
                "report_id": "r.id",
                "county_id": "r.county_id",
                "raised_at": "r.received_at",
                # every tenth report (its id ends in 3), answered in 5 minutes, in 2 hours,
                # in 10 minutes, or not yet
                "acknowledged_at": "CASE (r.id / 10) % 4 WHEN 0 THEN "
                + _shift("r.received_at", "0.0035")
                + " WHEN 1 THEN "
                + _shift("r.received_at", "0.0834")
                + " WHEN 2 THEN "
                + _shift("r.received_at", "0.007")
                + " END",
                "escalations": "CASE WHEN r.id % 7 < 2 THEN 1 + r.id % 2 ELSE 0 END",
            },
            "intake_report r WHERE r.id % 10 = 3",
        )
        out(f"    alerts {time.perf_counter() - started:.0f} s")
        kinds = "CASE s.k WHEN 1 THEN 'plea' WHEN 2 THEN 'hearing' ELSE 'judgment' END"
        states = (
            "CASE (p.id + s.k) % 4 WHEN 0 THEN 'adjourned' WHEN 1 THEN 'held'"
            " WHEN 2 THEN 'scheduled' ELSE 'vacated' END"
        )
        _insert(
            CourtEvent,
            {
                "created_by_id": str(worker.pk),
                "created_at": "p.created_at",
                "incident_id": "p.incident_id",
                "prosecution_id": "p.id",
                "kind": kinds,
                "scheduled_for": _shift(_shift("p.filed_on", "0"), "30 * s.k"),
                "state": states,
            },
            "justice_prosecution p CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2"
            " UNION ALL SELECT 3) s",
        )
        reasons = [
            "officer_absent",
            "witness_absent",
            "child_not_ready",
            "file_missing",
            "defence_request",
            "accused_absent",
            "court_not_sitting",
            "interpreter_absent",
            "prosecutor_absent",
            "other",
        ]
        parties = ["prosecution", "defence", "court", "both"]
        _insert(
            Adjournment,
            {
                "created_by_id": str(worker.pk),
                "created_at": "e.created_at",
                "incident_id": "e.incident_id",
                "event_id": "e.id",
                "requested_by": "CASE e.id % 4 "
                + " ".join(f"WHEN {i} THEN '{code}'" for i, code in enumerate(parties))
                + " END",
                "reason": "CASE e.id % 10 "
                + " ".join(f"WHEN {i} THEN '{code}'" for i, code in enumerate(reasons))
                + " END",
                "next_date": _shift("e.scheduled_for", "14"),
            },
            "justice_courtevent e WHERE e.state = 'adjourned'",
        )
        out(f"    court dates {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True


# --- the figures, and their hand-written SQL ---------------------------------------------------


def _time_pair(
    mine: Callable[[], Any], hand: Callable[[], Any], runs: int
) -> tuple[list[float], list[float]]:
    """Time Kinga's figure and its hand-written statement in turns (each first in every
    other turn), so whatever else the machine does falls on both alike; a figure of a few
    milliseconds is timed in more turns (a millisecond of noise is a third of it)."""
    mine()
    hand()
    began = time.perf_counter()
    mine()
    if (time.perf_counter() - began) * 1000 < FAST_MS:
        runs = max(runs, FAST_RUNS)
    mine_ms: list[float] = []
    hand_ms: list[float] = []
    for turn in range(runs):
        order = [(mine, mine_ms), (hand, hand_ms)]
        for call, timings in order if turn % 2 == 0 else reversed(order):
            start = time.perf_counter()
            call()
            timings.append((time.perf_counter() - start) * 1000)
    return mine_ms, hand_ms


def _time(call: Callable[[], Any], runs: int) -> list[float]:
    call()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def _run_sql(sql: str, params: list[Any]) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _bounds(filters: Any) -> list[Any]:
    from kinga.insights.selectors import _since, _until

    start, end = _since(filters.start), _until(filters.end)
    if _pg():
        return [start, end]
    # Django stores SQLite datetimes as UTC text
    return [
        moment.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")
        for moment in (start, end)
    ]


def _cohort_sql(filters: Any) -> tuple[str, list[Any]]:
    sql = (
        "SELECT id, received_at, decided_at FROM intake_report"
        " WHERE received_at >= %s AND received_at < %s"
    )
    params = _bounds(filters)
    if filters.county_id is not None:
        sql += " AND county_id = %s"
        params.append(filters.county_id)
    return sql, params


def _hand_funnel(filters: Any) -> list[Any]:
    cohort, params = _cohort_sql(filters)
    sql = f"""
    WITH r AS ({cohort}),
    inc AS (SELECT i.id, i.source_report_id FROM justice_incident i
            WHERE i.source_report_id IN (SELECT id FROM r))
    SELECT
      (SELECT COUNT(*) FROM r),
      (SELECT COUNT(*) FROM r WHERE decided_at IS NOT NULL),
      (SELECT COUNT(*) FROM cases_case c WHERE c.source_report_id IN (SELECT id FROM r)),
      (SELECT COUNT(*) FROM inc),
      (SELECT COUNT(*) FROM inc WHERE inc.id IN (SELECT incident_id FROM justice_investigation)),
      (SELECT COUNT(*) FROM inc WHERE inc.id IN (SELECT incident_id FROM justice_filesubmission)),
      (SELECT COUNT(*) FROM inc WHERE inc.id IN
         (SELECT incident_id FROM justice_chargedecision WHERE decision = 'charge')),
      (SELECT COUNT(*) FROM inc WHERE inc.id IN
         (SELECT incident_id FROM justice_countoutcome WHERE outcome <> 'withdrawn')),
      (SELECT COUNT(*) FROM inc WHERE inc.id IN
         (SELECT incident_id FROM justice_countoutcome
          WHERE outcome IN ('convicted', 'convicted_lesser')))
    """
    return _run_sql(sql, params)


def _hand_median_sql(inner: str) -> str:
    if _pg():
        return f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FROM ({inner}) m"
    return (
        f"SELECT AVG(d) FROM (SELECT d FROM ({inner}) ORDER BY d "
        f"LIMIT 2 - (SELECT COUNT(*) FROM ({inner})) % 2 "
        f"OFFSET ((SELECT COUNT(*) FROM ({inner})) - 1) / 2)"
    )


def _days(later: str, earlier: str) -> str:
    if _pg():
        return (
            f"EXTRACT(EPOCH FROM (CAST({later} AS timestamptz) - CAST({earlier} AS timestamptz)))"
            " / 86400.0"
        )
    return f"julianday({later}) - julianday({earlier})"


def _hand_medians(filters: Any) -> list[Any]:
    cohort, params = _cohort_sql(filters)
    times = 1 if _pg() else 3
    inners = [
        f"SELECT {_days('decided_at', 'received_at')} AS d FROM ({cohort}) r"
        " WHERE decided_at IS NOT NULL",
        f"SELECT {_days('c.opened_at', 'r.received_at')} AS d FROM cases_case c"
        f" JOIN ({cohort}) r ON r.id = c.source_report_id",
        f"SELECT {_days('i.opened_at', 'r.received_at')} AS d FROM justice_incident i"
        f" JOIN ({cohort}) r ON r.id = i.source_report_id",
        f"SELECT {_days('v.created_at', 'i.opened_at')} AS d FROM justice_investigation v"
        f" JOIN justice_incident i ON i.id = v.incident_id JOIN ({cohort}) r"
        " ON r.id = i.source_report_id",
        f"SELECT {_days('f.sent_at', 'i.opened_at')} AS d FROM justice_filesubmission f"
        f" JOIN justice_incident i ON i.id = f.incident_id JOIN ({cohort}) r"
        " ON r.id = i.source_report_id",
        f"SELECT {_days('d.decided_at', 'f.sent_at')} AS d FROM justice_chargedecision d"
        " JOIN justice_filesubmission f ON f.id = d.submission_id"
        f" JOIN justice_incident i ON i.id = d.incident_id JOIN ({cohort}) r"
        " ON r.id = i.source_report_id WHERE d.decision = 'charge'",
        f"SELECT {_days('p.concluded_on', 'p.filed_on')} AS d FROM justice_prosecution p"
        f" JOIN justice_incident i ON i.id = p.incident_id JOIN ({cohort}) r"
        " ON r.id = i.source_report_id WHERE p.concluded_on IS NOT NULL",
    ]
    return [_run_sql(_hand_median_sql(inner), params * times) for inner in inners]


def _paths_sql(filters: Any, columns: str) -> tuple[str, list[Any]]:
    sql = (
        f"SELECT {columns} FROM insights_reportpath"  # noqa: S608  # fixed column names
        " WHERE received_at >= %s AND received_at < %s"
    )
    params = _bounds(filters)
    if filters.county_id is not None:
        sql += " AND county_id = %s"
        params.append(filters.county_id)
    return sql, params


FLAGS = (
    "triaged",
    "case_opened",
    "incident_opened",
    "investigated",
    "filed",
    "charged",
    "judged",
    "convicted",
)
DAY_STEPS = ("triaged", "cases", "incidents", "investigations", "files", "charged", "judgment")
DAYS = (
    "triage_days",
    "case_days",
    "incident_days",
    "investigation_days",
    "file_days",
    "charge_days",
    "judgment_days",
)


def _hand_path_funnel(filters: Any) -> list[Any]:
    counts = ", ".join(f"SUM(CASE WHEN {flag} THEN 1 ELSE 0 END)" for flag in FLAGS)
    sql, params = _paths_sql(filters, f"COUNT(*), {counts}")
    return _run_sql(sql, params)


def _hand_path_medians(filters: Any) -> list[Any]:
    if _pg():
        columns = ", ".join(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {d})" for d in DAYS)
        sql, params = _paths_sql(filters, columns)
        return _run_sql(sql, params)
    found = []
    for column in DAYS:
        inner, params = _paths_sql(filters, f"{column} AS d")
        inner += f" AND {column} IS NOT NULL"
        found.append(_run_sql(_hand_median_sql(inner), params * 3))
    return found


def _hand_channels(filters: Any) -> list[Any]:
    cohort, params = _paths_sql(filters, "received_at, channel")
    month = (
        "date_trunc('month', received_at AT TIME ZONE %s)"
        if _pg()
        else "strftime('%%Y-%%m', received_at)"
    )
    extra = [str(settings.TIME_ZONE)] if _pg() else []
    sql = f"SELECT {month} AS m, channel, COUNT(*) FROM ({cohort}) r GROUP BY 1, 2"
    return _run_sql(sql, extra + params if _pg() else params)


def _hand_map(filters: Any) -> list[Any]:
    sql, params = _paths_sql(filters, "county_id, sub_county_id, ward_id, COUNT(*)")
    return _run_sql(sql + " GROUP BY county_id, sub_county_id, ward_id", params)


# --- the hand-written SQL of the figures as the dashboards now read them: the monthly
# rollup for the period's whole months, the per-report summary for the days around them


def _split(filters: Any) -> tuple[str, list[Any], str, list[Any]]:
    """Return the rollup's WHERE (whole months, county) and the summary's (the days
    around them), with their parameters."""
    from kinga.insights.selectors import _since, whole_months

    months = whole_months(filters)
    where = "month >= %s AND month < %s"
    params: list[Any] = []
    edge_where = "received_at >= %s AND received_at < %s"
    edge_params: list[Any] = _bounds(filters)
    if months is None:
        where = "1 = 0"
    else:
        first, after = months
        params = [first, after] if _pg() else [first.isoformat(), after.isoformat()]
        # two ranges of the received index, as a hand would write it (one range of the
        # whole period with the whole months left out would read every path of it)
        start, end = edge_params
        edge_where = (
            "((received_at >= %s AND received_at < %s) OR (received_at >= %s AND received_at < %s))"
        )
        edge_params = [start, _moment(_since(first)), _moment(_since(after)), end]
    if filters.county_id is not None:
        where += " AND county_id = %s"
        params.append(filters.county_id)
        edge_where += " AND county_id = %s"
        edge_params.append(filters.county_id)
    return where, params, edge_where, edge_params


def _hand_rollup_funnel(filters: Any) -> list[Any]:
    where, params, edge_where, edge_params = _split(filters)
    rolled = ", ".join(["reports", *FLAGS])
    each = ", ".join(["1", *(f"CASE WHEN {flag} THEN 1 ELSE 0 END" for flag in FLAGS)])
    sums = ", ".join(f"SUM({name})" for name in ["reports", *FLAGS])
    sql = (
        # table and column names fixed here; filter values are parameters
        f"SELECT {sums} FROM (SELECT {rolled} FROM insights_monthlyrollup WHERE {where}"  # noqa: S608
        f" UNION ALL SELECT {each} FROM insights_reportpath WHERE {edge_where}) t"
    )
    return _run_sql(sql, params + edge_params)


def _hand_rollup_medians(filters: Any) -> dict[str, float | None]:
    from kinga.insights.selectors import median_of

    where, params, edge_where, edge_params = _split(filters)
    steps = dict(zip(DAY_STEPS, DAYS, strict=True))
    floor = "FLOOR" if _pg() else "CAST"
    parts = [
        # table and column names fixed here; filter values are parameters
        f"SELECT step, days, SUM(reports) FROM insights_stepdays WHERE {where}"  # noqa: S608
        " GROUP BY step, days"
    ]
    all_params = list(params)
    for step, column in steps.items():
        whole = (
            f"FLOOR({column} + 0.000001)"
            if floor == "FLOOR"
            else f"CAST({column} + 0.000001 AS integer)"
        )
        parts.append(
            # table and column names fixed here; filter values are parameters
            f"SELECT '{step}', {whole}, COUNT(*) FROM insights_reportpath"  # noqa: S608
            f" WHERE {edge_where} AND {column} IS NOT NULL GROUP BY 2"
        )
        all_params += edge_params
    histograms: dict[str, dict[int, int]] = {}
    for step, days, n in _run_sql(" UNION ALL ".join(parts), all_params):
        histogram = histograms.setdefault(str(step), {})
        histogram[int(days)] = histogram.get(int(days), 0) + int(n)
    return {step: median_of(histograms.get(step, {})) for step in steps}


def _hand_rollup_channels(filters: Any) -> list[Any]:
    where, params, edge_where, edge_params = _split(filters)
    month = (
        "date_trunc('month', received_at AT TIME ZONE %s)"
        if _pg()
        else "strftime('%%Y-%%m', received_at, '+3 hours')"
    )
    extra = [str(settings.TIME_ZONE)] if _pg() else []
    sql = (
        # table and column names fixed here; filter values are parameters
        f"SELECT CAST(month AS varchar(10)), channel, SUM(reports) FROM insights_monthlyrollup"  # noqa: S608
        f" WHERE {where} GROUP BY 1, 2 UNION ALL SELECT CAST({month} AS varchar(10)), channel,"
        f" COUNT(*) FROM insights_reportpath WHERE {edge_where} GROUP BY 1, 2"
    )
    return _run_sql(sql, params + extra + edge_params)


def _hand_rollup_map(filters: Any) -> list[Any]:
    where, params, edge_where, edge_params = _split(filters)
    places = "county_id, sub_county_id, ward_id"
    sql = (
        # table and column names fixed here; filter values are parameters
        f"SELECT {places}, SUM(n) FROM (SELECT {places}, SUM(reports) AS n"  # noqa: S608
        f" FROM insights_monthlyrollup WHERE {where} GROUP BY {places} UNION ALL"
        f" SELECT {places}, COUNT(*) FROM insights_reportpath WHERE {edge_where}"
        f" GROUP BY {places}) t GROUP BY {places}"
    )
    return _run_sql(sql, params + edge_params)


# --- the hand-written SQL of the other dashboards' figures ----------------------------------------


def _moment(value: datetime.datetime) -> Any:
    """A moment as the database compares it (SQLite: Django's UTC text)."""
    if _pg():
        return value
    return value.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")


def _day(value: datetime.date) -> Any:
    return value if _pg() else value.isoformat()


STAGE_SQL = (
    "CASE WHEN judged THEN 'judgment' WHEN charged THEN 'charged' WHEN filed THEN 'file'"
    " WHEN incident_opened THEN 'incident' WHEN case_opened THEN 'case'"
    " WHEN triaged THEN 'triaged' ELSE 'waiting' END"
)


def _hand_rollup_comparisons(filters: Any) -> list[Any]:
    """Where the period's reports stand now by month, by county and by the agency that
    triaged them (with its name): three statements, each over the rollup's whole months
    and the summary's days around them."""
    where, params, edge_where, edge_params = _split(filters)
    month = (
        "CAST(date_trunc('month', received_at AT TIME ZONE %s) AS date)"
        if _pg()
        else "strftime('%%Y-%%m-01', received_at, '+3 hours')"
    )
    zone = [str(settings.TIME_ZONE)] if _pg() else []
    found = [
        _run_sql(
            # table and column names fixed here; filter values are parameters
            "SELECT CAST(month AS varchar(10)), stage, SUM(reports) FROM insights_monthlyrollup"  # noqa: S608
            f" WHERE {where} GROUP BY 1, 2 UNION ALL SELECT CAST({month} AS varchar(10)),"
            f" {STAGE_SQL}, COUNT(*) FROM insights_reportpath WHERE {edge_where} GROUP BY 1, 2",
            params + zone + edge_params,
        )
    ]
    for dimension in ("county_id", "agency_id"):
        sql = (
            # table and column names fixed here; filter values are parameters
            f"SELECT {dimension} AS g, stage AS s, SUM(reports) AS n"  # noqa: S608
            f" FROM insights_monthlyrollup WHERE {where} GROUP BY 1, 2 UNION ALL"
            f" SELECT {dimension}, {STAGE_SQL}, COUNT(*) FROM insights_reportpath"
            f" WHERE {edge_where} GROUP BY 1, 2"
        )
        if dimension == "agency_id":
            sql = (
                f"SELECT t.g, a.name, t.s, t.n FROM ({sql}) t"  # noqa: S608  # the statement above, fixed names
                " LEFT JOIN accounts_agency a ON a.id = t.g"
            )
        found.append(_run_sql(sql, params + edge_params))
    return found


def _hand_comparisons(filters: Any) -> list[Any]:
    """Where the period's reports stand now by month, by county and by the agency that
    triaged them (with its name): three statements over the report paths."""
    found = []
    month = (
        "CAST(date_trunc('month', received_at AT TIME ZONE %s) AS date)"
        if _pg()
        else "strftime('%%Y-%%m', received_at, '+3 hours')"
    )
    sql, params = _paths_sql(filters, f"{month} AS m, {STAGE_SQL} AS s, COUNT(*)")
    found.append(
        _run_sql(sql + " GROUP BY 1, 2", ([str(settings.TIME_ZONE)] if _pg() else []) + params)
    )
    sql, params = _paths_sql(filters, f"county_id, {STAGE_SQL} AS s, COUNT(*)")
    found.append(_run_sql(sql + " GROUP BY 1, 2", params))
    sql, params = _paths_sql(filters, f"agency_id, {STAGE_SQL} AS s, COUNT(*) AS n")
    found.append(
        _run_sql(
            f"SELECT t.agency_id, a.name, t.s, t.n FROM ({sql} GROUP BY 1, 2) t"
            " LEFT JOIN accounts_agency a ON a.id = t.agency_id",
            params,
        )
    )
    return found


def _hand_survivors(filters: Any) -> list[Any]:
    from kinga.insights.selectors import _since, _until

    sql = (
        "SELECT risk_level, status, COUNT(*) FROM cases_case"
        " WHERE opened_at >= %s AND opened_at < %s"
    )
    params = [_moment(_since(filters.start)), _moment(_until(filters.end))]
    if filters.county_id is not None:
        sql += " AND county_id = %s"
        params.append(filters.county_id)
    return _run_sql(sql + " GROUP BY 1, 2", params)


def _hand_referrals(filters: Any) -> list[Any]:
    from kinga.insights.selectors import _since, _until

    now = _moment(timezone.now())
    sql = (
        "SELECT a.kind,"
        " SUM(CASE WHEN r.status = 'sent' AND r.due_at >= %s THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN r.status = 'sent' AND r.due_at < %s THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN r.status IN ('accepted', 'in_progress') THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN r.status = 'completed' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN r.status = 'declined' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN r.status = 'withdrawn' THEN 1 ELSE 0 END)"
        " FROM referrals_referral r JOIN accounts_agency a ON a.id = r.receiving_agency_id"
        " WHERE r.sent_at >= %s AND r.sent_at < %s"
    )
    params = [now, now, _moment(_since(filters.start)), _moment(_until(filters.end))]
    if filters.county_id is not None:
        sql += " AND a.county_id = %s"
        params.append(filters.county_id)
    return _run_sql(sql + " GROUP BY a.kind", params)


def _hand_grouped_medians(inner: str, params: list[Any]) -> list[Any]:
    """The median of `d` for each `g` over the inner statement's rows (NULLs left out)."""
    if _pg():
        return _run_sql(
            f"SELECT g, COUNT(d), percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FROM ({inner}) t"
            " WHERE d IS NOT NULL GROUP BY g",
            params,
        )
    # the middle one or two rows of each group, by their rank in it
    return _run_sql(
        "SELECT g, MAX(n), AVG(d) FROM (SELECT g, d, ROW_NUMBER() OVER (PARTITION BY g ORDER BY d)"
        f" AS i, COUNT(*) OVER (PARTITION BY g) AS n FROM ({inner}) t WHERE d IS NOT NULL) m"
        " WHERE i IN ((n + 1) / 2, (n + 2) / 2) GROUP BY g",
        params,
    )


def _hand_response(filters: Any) -> list[Any]:
    from kinga.insights.selectors import _since, _until, alert_target_minutes

    minutes = alert_target_minutes()
    deadline = (
        "a.raised_at + %s * interval '1 minute'"
        if _pg()
        else "strftime('%%Y-%%m-%%d %%H:%%M:%%f', a.raised_at, '+' || %s || ' minutes')"
    )
    in_time = f"a.acknowledged_at IS NOT NULL AND a.acknowledged_at <= {deadline}"
    sql = (
        f"SELECT r.county_id, SUM(CASE WHEN {in_time} THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN a.acknowledged_at IS NOT NULL AND NOT ({in_time}) THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN a.acknowledged_at IS NULL THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN a.escalations = 0 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN a.escalations > 0 THEN 1 ELSE 0 END)"
        " FROM intake_alert a JOIN intake_report r ON r.id = a.report_id"
        " WHERE a.raised_at >= %s AND a.raised_at < %s"
    )
    params: list[Any] = [
        minutes,
        minutes,
        _moment(_since(filters.start)),
        _moment(_until(filters.end)),
    ]
    if filters.county_id is not None:
        sql += " AND r.county_id = %s"
        params.append(filters.county_id)
    found = [_run_sql(sql + " GROUP BY r.county_id", params)]
    for column in ("triage_days", "case_days", "service_days"):
        inner, inner_params = _paths_sql(filters, f"county_id AS g, {column} AS d")
        found.append(_hand_grouped_medians(inner, inner_params))
    return found


def _hand_justice(filters: Any) -> list[Any]:
    from kinga.insights.selectors import _since, _until

    since, until = _moment(_since(filters.start)), _moment(_until(filters.end))
    first, last = _day(filters.start), _day(filters.end)
    county = ""
    extra: list[Any] = []
    if filters.county_id is not None:
        county = " AND i.county_id = %s"
        extra = [filters.county_id]
    found = [
        _run_sql(
            "SELECT e.kind, e.state, COUNT(*) FROM justice_courtevent e"
            " JOIN justice_incident i ON i.id = e.incident_id"
            f" WHERE e.scheduled_for >= %s AND e.scheduled_for < %s{county} GROUP BY 1, 2",
            [since, until, *extra],
        ),
        _run_sql(
            "SELECT a.reason, a.requested_by, COUNT(*) FROM justice_adjournment a"
            " JOIN justice_courtevent e ON e.id = a.event_id"
            " JOIN justice_incident i ON i.id = a.incident_id"
            f" WHERE e.scheduled_for >= %s AND e.scheduled_for < %s{county} GROUP BY 1, 2",
            [since, until, *extra],
        ),
        _run_sql(
            "SELECT c.offence, o.outcome, COUNT(*) FROM justice_countoutcome o"
            " JOIN justice_chargecount c ON c.id = o.count_id"
            " JOIN justice_incident i ON i.id = o.incident_id"
            f" WHERE o.decided_on >= %s AND o.decided_on <= %s{county} GROUP BY 1, 2",
            [first, last, *extra],
        ),
    ]
    days = (
        "p.concluded_on - p.filed_on"
        if _pg()
        else "julianday(p.concluded_on) - julianday(p.filed_on)"
    )
    inner = (
        f"SELECT 1 AS g, {days} AS d FROM justice_prosecution p"  # noqa: S608  # fixed names
        " JOIN justice_incident i ON i.id = p.incident_id"
        f" WHERE p.concluded_on >= %s AND p.concluded_on <= %s{county}"
    )
    found.append(_hand_grouped_medians(inner, [first, last, *extra]))
    return found


def _refresh(out: Callable[[str], None], *, rebuild: bool = False) -> None:
    """Rebuild the report paths when the world has more reports than the summary holds
    (or, with `rebuild`, when what they summarise was just written)."""
    from kinga.insights.models import MonthlyRollup, ReportPath
    from kinga.insights.services import paths_refresh, rollup_refresh
    from kinga.intake.models import Report

    reports = Report.objects.count()
    if not rebuild and ReportPath.objects.count() == reports:
        if not MonthlyRollup.objects.exists():
            # the paths kept from an earlier run: count the rollup from them alone
            out(f"  counting the monthly rollup of {reports:,} report paths ...")
            started = time.perf_counter()
            rows = rollup_refresh()
            record(
                BenchResult(
                    name="insights_rollup_refresh",
                    database=database_label(),
                    figures={
                        "reports": reports,
                        "rollup_rows": rows,
                        "seconds": round(time.perf_counter() - started, 1),
                    },
                ),
                out,
            )
        _incremental(out)
        return
    out(f"  rebuilding the paths of {reports:,} reports ...")
    started = time.perf_counter()
    refresh = paths_refresh()
    seconds = time.perf_counter() - started
    record(
        BenchResult(
            name="insights_paths_refresh",
            database=database_label(),
            figures={"reports": refresh.reports, "seconds": round(seconds, 1)},
        ),
        out,
    )


def _incremental(out: Callable[[str], None]) -> None:
    """Time the worker's incremental refresh after 100 reports of last month changed (their
    update time moved): what a quarter of an hour's refresh costs at this size."""
    from kinga.insights.models import PathsRefresh
    from kinga.insights.services import paths_refresh
    from kinga.intake.models import Report

    if not PathsRefresh.objects.filter(finished_at__isnull=False).exists():
        return
    month_ago = timezone.now() - datetime.timedelta(days=30)
    ids = list(
        Report.objects.filter(received_at__lt=month_ago)
        .order_by("-received_at")
        .values_list("pk", flat=True)[:100]
    )
    Report.objects.filter(pk__in=ids).update(updated_at=timezone.now())
    started = time.perf_counter()
    refresh = paths_refresh(full=False)
    record(
        BenchResult(
            name="insights_paths_incremental",
            database=database_label(),
            figures={
                "changed": len(ids),
                "written": refresh.reports,
                "seconds": round(time.perf_counter() - started, 2),
            },
        ),
        out,
    )


def insights(*, out: Callable[[str], None], quick: bool) -> None:
    """Time each dashboard figure against its hand-written SQL, on two filters."""
    if not _scratch_database():
        out("  skipped: insights writes a million cases and needs a scratch database")
        return
    from kinga.cases.models import Case, CaseEvent
    from kinga.insights import selectors
    from kinga.insights.selectors import Filters
    from kinga.places.models import County

    analyst = _world(QUICK if quick else FULL, out)
    _refresh(out, rebuild=_world_services(out))
    today = timezone.localdate()
    year = today - datetime.timedelta(days=365)
    kwale = County.objects.get(name="Kwale").pk
    runs = 3 if quick else RUNS
    # (name, Kinga's figure, the hand-written SQL of it over the same rollup and summary,
    # the hand-written SQL over the per-report summary alone: timed once, for the record)
    figures: list[
        tuple[str, Callable[[Filters], Any], Callable[[Filters], Any], Callable[[Filters], Any]]
    ] = [
        (
            "funnel_counts",
            selectors.step_counts,
            _hand_rollup_funnel,
            _hand_path_funnel,
        ),
        (
            "funnel_medians",
            selectors.step_medians,
            _hand_rollup_medians,
            _hand_path_medians,
        ),
        (
            "reports_by_channel",
            lambda f: selectors.reports_by_channel(viewer=analyst, filters=f, audit=False),
            _hand_rollup_channels,
            _hand_channels,
        ),
        (
            "hotspot_map",
            lambda f: selectors.hotspot_map(
                viewer=analyst, filters=f, measure="reports", level="ward", audit=False
            ),
            _hand_rollup_map,
            _hand_map,
        ),
        # the funnel page's comparisons (its audit event above covers them)
        (
            "comparisons",
            lambda f: selectors.comparisons(viewer=analyst, filters=f),
            _hand_rollup_comparisons,
            _hand_comparisons,
        ),
        # the other dashboards, each as its page asks it (the policy, suppression)
        (
            "survivors",
            lambda f: selectors.cases_by_risk_and_status(viewer=analyst, filters=f, audit=False),
            _hand_survivors,
            _hand_survivors,
        ),
        (
            "referrals",
            lambda f: selectors.referrals_by_provider(viewer=analyst, filters=f, audit=False),
            _hand_referrals,
            _hand_referrals,
        ),
        (
            "response",
            lambda f: selectors.response(viewer=analyst, filters=f, audit=False),
            _hand_response,
            _hand_response,
        ),
        (
            "justice",
            lambda f: selectors.justice(viewer=analyst, filters=f, audit=False),
            _hand_justice,
            _hand_justice,
        ),
    ]
    cases = Case.objects.count()
    events = CaseEvent.objects.count()
    _view_audit(analyst, Filters(start=year, end=today, county_id=kwale), runs * 4, out)
    for label, filters in [
        ("kwale_year", Filters(start=year, end=today, county_id=kwale)),
        ("programme_year", Filters(start=year, end=today)),
    ]:
        for name, kinga_call, hand_call, raw_call in figures:
            # the first ask of a filter compiles the figure's statement (kept after it)
            selectors.statements_forget()
            began = time.perf_counter()
            kinga_call(filters)
            first_ask = (time.perf_counter() - began) * 1000
            mine, hand = _time_pair(
                lambda call=kinga_call, f=filters: call(f),  # type: ignore[misc]
                lambda call=hand_call, f=filters: call(f),  # type: ignore[misc]
                runs,
            )
            raw: list[float] = []
            if raw_call is not hand_call:
                began = time.perf_counter()
                raw_call(filters)
                raw.append((time.perf_counter() - began) * 1000)
            p50, reference = percentile(mine, 0.5), percentile(hand, 0.5)
            ratio = p50 / reference if reference else float("inf")
            passed = ratio <= 1.5 and (p50 <= 500 or not _pg())
            record(
                BenchResult(
                    name=f"insights_{name}_{label}",
                    database=database_label(),
                    figures={
                        "cases": cases,
                        "events": events,
                        "p50_ms": p50,
                        "p95_ms": percentile(mine, 0.95),
                        "hand_sql_p50_ms": reference,
                        "turns": len(mine),
                        "first_ask_ms": first_ask,
                        **({"summary_sql_ms": raw[0]} if raw else {}),
                    },
                    ratio=ratio,
                    ratio_label="kinga/hand-sql",
                    target="<= 500 ms on PostgreSQL and ratio <= 1.5",
                    passed=passed,
                ),
                out,
            )


def _view_audit(analyst: Any, filters: Any, runs: int, out: Callable[[str], None]) -> None:
    """Time the audit event each dashboard page view writes (one a view, whatever its
    figures): what a page costs on top of its figures."""
    from kinga.insights import selectors

    timings = _time(
        lambda: selectors.dashboard_audit(viewer=analyst, dashboard="map", filters=filters),
        runs,
    )
    record(
        BenchResult(
            name="insights_view_audit",
            database=database_label(),
            figures={"p50_ms": percentile(timings, 0.5), "p95_ms": percentile(timings, 0.95)},
        ),
        out,
    )


BENCHMARKS = {"insights": insights}
