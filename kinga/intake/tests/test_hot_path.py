"""The public channels' hot path: few statements per request, cached triage agencies,
routing soon by the worker (at once for a child in danger), SQLite using its indexes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from kinga.access.models import AccessGrant, Relation
from kinga.accounts.models import AgencyKind
from kinga.intake import services, statements
from kinga.intake.models import Alert, Channel, Report
from kinga.intake.seams import campaign_of_ussd
from kinga.intake.submission import submission_token_new
from kinga.intake.tests.conftest import run_worker
from kinga.intake.ussd import coast
from kinga.places.models import County

pytestmark = pytest.mark.django_db


def mombasa_number() -> str:
    ids = [c.id for c in coast().counties]
    return str(ids.index(County.objects.get(name="Mombasa").pk) + 1)


def triage_agencies_of(report: Report) -> set[int]:
    return set(
        AccessGrant.objects.live()
        .filter(matter_type="report", matter_id=report.pk, relation=Relation.TRIAGE_AREA)
        .values_list("agency_id", flat=True)
    )


def test_triage_agencies_are_cached_and_forgotten_when_an_agency_changes(
    personas: Any, django_assert_num_queries: Any
) -> None:
    from conftest import make_agency

    mombasa = County.objects.get(name="Mombasa").pk
    first = services.triage_agencies(county_id=mombasa)
    assert personas.ngo in first and personas.childrens_services in first
    with django_assert_num_queries(0):
        assert services.triage_agencies(county_id=mombasa) == first
    added = make_agency("Likoni Child Rights Forum", AgencyKind.NGO)
    assert added in services.triage_agencies(county_id=mombasa)
    added.is_active = False
    added.save(update_fields=["is_active"])
    assert added not in services.triage_agencies(county_id=mombasa)


def test_ussd_screens_cost_one_statement_and_the_last_a_few(
    ussd: Any, personas: Any, django_assert_num_queries: Any, django_assert_max_num_queries: Any
) -> None:
    mombasa = mombasa_number()
    sqlite = connection.vendor == "sqlite"
    with django_assert_num_queries(0):
        ussd("")
    # the campaigns' USSD codes are held in the process, loaded at most every half minute
    # (kinga.awareness.for_intake): not a statement of this screen
    campaign_of_ussd("*384*123#")
    # open, the report, the chain head claimed, the event, the head advanced, the task, close;
    # on PostgreSQL the event and the head's advance are one statement
    with django_assert_num_queries(7 if sqlite else 6) as captured:
        ussd("1")  # the first answer makes the report (and its audit event and settle task)
    sql = [q["sql"] for q in captured.captured_queries]
    assert sum(s.startswith("INSERT") for s in sql) == (3 if sqlite else 2)
    assert sqlite or sum(s.startswith("WITH stored AS (INSERT") for s in sql) == 1
    assert not any(s.startswith(("SELECT", "UPDATE")) and "intake_report" in s for s in sql)
    for text, sets_a_place in (
        ("1*1", False),
        (f"1*1*{mombasa}", True),
        (f"1*1*{mombasa}*1", True),
        (f"1*1*{mombasa}*1*2", False),
    ):
        # One UPDATE. On SQLite, setting an indexed column rewrites its index entries even
        # to the same value, so the county and sub-county are set only by the screen that
        # changes them (a first UPDATE that requires them unchanged finds nothing there).
        with django_assert_num_queries(2 if sqlite and sets_a_place else 1) as captured:
            ussd(text)
        last = captured.captured_queries[-1]["sql"]
        assert last.startswith("UPDATE")
        if sqlite and not sets_a_place:
            assert '"county_id" =' not in last and '"sub_county_id" =' not in last
    stored = Report.objects.get(channel=Channel.USSD)
    assert stored.county.name == "Mombasa" and stored.sub_county is not None
    assert stored.age_bands == ["6-11"]
    before = Report.objects.get(channel=Channel.USSD).updated_at
    # (on SQLite the narrow UPDATE is tried first: one statement more for a rare retry)
    with django_assert_max_num_queries(5 if sqlite else 4) as captured:
        ussd(f"1*1*{mombasa}*1*2")  # a repeated screen: a look, and nothing written
    assert not any(q["sql"].startswith("INSERT") for q in captured.captured_queries)
    assert Report.objects.get(channel=Channel.USSD).updated_at == before
    with django_assert_max_num_queries(7):
        assert ussd(f"1*1*{mombasa}*1*2*2*1").startswith("END Thank you")
    report = Report.objects.get(channel=Channel.USSD)
    assert report.channel_complete and report.routed_at is None
    run_worker()
    report.refresh_from_db()
    assert report.routed_at is not None
    assert personas.childrens_services.pk in triage_agencies_of(report)


def test_nothing_is_encrypted_while_the_write_turn_is_held(
    ussd: Any, personas: Any, monkeypatch: Any
) -> None:
    """On SQLite every other writer waits for the turn, so rows are prepared before it."""
    import contextlib

    from kinga.lib import fields

    held = {"now": False, "turns": 0}
    encrypted = {"outside": 0, "inside": 0}
    real_turn, real_encrypt = statements.write_turn, fields.encrypt

    @contextlib.contextmanager
    def turn() -> Any:
        with real_turn():
            held["now"] = True
            held["turns"] += 1
            try:
                yield
            finally:
                held["now"] = False

    def encrypt(text: str, *, context: str) -> str:
        encrypted["inside" if held["now"] else "outside"] += 1
        return real_encrypt(text, context=context)

    # the channels' services take the turn through `statements`; views never take it
    monkeypatch.setattr(statements, "write_turn", turn)
    monkeypatch.setattr(fields, "encrypt", encrypt)
    mombasa = mombasa_number()
    for text in ("", "1", "1*1", f"1*1*{mombasa}", f"1*1*{mombasa}*1", f"1*1*{mombasa}*1*2"):
        assert ussd(text).startswith("CON ")
    assert ussd(f"1*1*{mombasa}*1*2*2*1").startswith("END Thank you")
    page = Client().post(
        "/report/?lang=en",
        {
            "lang": "en",
            "submission": submission_token_new(),
            "categories": "sexual_exploitation",
            "narrative": "Girls taken to a bar in Mtwapa at night by a man",
            "danger_now": "no",
            "reporter_relation": "neighbour",
            "county": "",
        },
    )
    assert page.status_code == 200 and b"follow-up-code" in page.content
    assert Report.objects.count() == 2
    assert encrypted["outside"] >= 7 and encrypted["inside"] == 0
    assert held["turns"] >= 7  # every screen with an answer, and the form, wrote in a turn


def test_a_first_screen_sent_twice_makes_one_report(ussd: Any) -> None:
    from kinga.audit.models import AuditEvent
    from kinga.tasks.models import Task

    first = ussd("1")
    assert ussd("1") == first
    report = Report.objects.get(channel=Channel.USSD)
    assert report.language == "en"
    assert (
        AuditEvent.objects.filter(record_type="intake.report", record_id=str(report.pk)).count()
        == 1
    )
    assert Task.objects.filter(name="intake.route_report").count() == 1


def test_a_session_whose_first_screen_was_lost_is_made_by_the_next(ussd: Any) -> None:
    ussd("1*1")  # the gateway's request with the first answer never reached us
    report = Report.objects.get(channel=Channel.USSD)
    assert report.language == "en" and report.categories == ["sexual_exploitation"]
    assert not report.channel_complete


def test_web_post_is_one_short_transaction(
    client: Any, personas: Any, django_assert_max_num_queries: Any
) -> None:
    data = {
        "lang": "en",
        "submission": submission_token_new(),
        "categories": ["sexual_exploitation"],
        "narrative": "Girls taken to a bar in Mtwapa at night",
        "danger_now": "no",
        "reporter_relation": "neighbour",
    }
    client.get("/report/?lang=en")  # the places of the form, loaded once per process
    with django_assert_max_num_queries(8) as captured:
        response = client.post("/report/?lang=en", data)
    assert response.status_code == 200 and response.context["code"]
    sql = [q["sql"] for q in captured.captured_queries]
    # the limiter's hit is inside the transaction that stores the report
    opened = next(i for i, s in enumerate(sql) if s.startswith(("BEGIN", "SAVEPOINT")))
    assert opened < next(i for i, s in enumerate(sql) if "kinga_ratelimit" in s)
    assert not any("django_session" in s or "accounts_user" in s for s in sql)
    report = Report.objects.get(channel=Channel.WEB)
    assert report.routed_at is None
    run_worker()
    report.refresh_from_db()
    assert report.routed_at is not None and triage_agencies_of(report)


def test_a_child_in_danger_is_routed_and_alerted_in_the_request(coast_agencies: Any) -> None:
    report, _code = services.report_submit_web(
        data=services.ReportInput(
            categories=["trafficking"],
            narrative="A girl locked in a house in Likoni",
            county_id=County.objects.get(name="Mombasa").pk,
            danger_now="yes",
        ),
        submission="hot-path-danger",
        payload={},
    )
    report.refresh_from_db()
    assert report.routed_at is not None  # no worker needed
    assert coast_agencies.childrens_services.pk in triage_agencies_of(report)
    assert Alert.objects.filter(report=report).exists()


def test_sqlite_finds_a_session_by_its_index(ussd: Any) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the partial-index condition matters to SQLite's planner")
    ussd("1")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + statements._session_sql(False), ["ussd", "ATUid_1"])
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "intake_report_channel_reference_unique" in plan and "SCAN" not in plan
