"""Case summaries and court dates for the agencies on a case's team, and aggregate figures
with small counts hidden exactly as the dashboards hide them."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from conftest import Personas, make_user
from kinga.access.models import AccessGrant, Relation
from kinga.accounts.models import Agency, AgencyKind, Role
from kinga.api.auth import principal_of
from kinga.api.models import CONTENT_SCOPES, Scope
from kinga.api.tests.conftest import Connected
from kinga.audit.models import AuditAction, AuditEvent
from kinga.cases import services as case_services
from kinga.cases.models import Case, RoleOnCase
from kinga.insights import selectors as insights
from kinga.insights.services import paths_refresh
from kinga.intake.models import Channel, Report
from kinga.justice.tests.conftest import World as CourtWorld
from kinga.justice.tests.conftest import build_world
from kinga.places.models import County

pytestmark = pytest.mark.django_db


@pytest.fixture
def court(personas: Personas) -> CourtWorld:
    return build_world(personas)


def _counselling_agency(personas: Personas, case: Case) -> Agency:
    """An agency on the case's team only through a counsellor: summary, never justice."""
    agency = Agency.objects.create(
        name="Tumaini counselling", kind=AgencyKind.NGO, county=personas.ngo.county
    )
    counsellor = make_user("tumaini_counsellor", agency, Role.COUNSELLOR)
    case_services.case_team_add(
        case=case, user=counsellor, role_on_case=RoleOnCase.COUNSELLOR, actor=personas.caseworker
    )
    return agency


def test_case_and_court_scopes_reveal_content_and_wait_for_a_second_person() -> None:
    assert Scope.CASE_READ in CONTENT_SCOPES
    assert Scope.JUSTICE_READ in CONTENT_SCOPES
    assert Scope.FIGURES_READ not in CONTENT_SCOPES


def test_a_partner_on_the_team_lists_and_reads_the_case_summary_never_the_child(
    court: CourtWorld, connect: Callable[..., Connected]
) -> None:
    p = court.personas
    partner = connect(p.ngo, [Scope.CASE_READ], name="Partner case system")
    client = partner.client()
    listed = client.get("/api/v1/cases/")
    assert listed.status_code == 200, listed.content
    codes = [item["code"] for item in listed.json()["items"]]
    assert codes == [court.case.code]
    detail = client.get(f"/api/v1/cases/{court.case.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["code"] == court.case.code
    assert body["status"] == court.case.status
    assert body["county"] == "Mombasa"
    text = detail.content.decode() + listed.content.decode()
    for secret in ("Zawadi", "Mwachiro", "Mohamed", "Klaus"):
        assert secret not in text
    account = partner.integration.account
    assert AuditEvent.objects.filter(
        actor=account, action=AuditAction.LIST, record_type="cases.case"
    ).exists()
    assert AuditEvent.objects.filter(
        actor=account,
        action=AuditAction.VIEW,
        record_type="cases.case",
        matter_type="case",
        matter_id=court.case.pk,
    ).exists()


def test_another_agencys_system_sees_no_case(
    court: CourtWorld, connect: Callable[..., Connected]
) -> None:
    p = court.personas
    outsider = connect(p.other_ngo, [Scope.CASE_READ, Scope.JUSTICE_READ], name="Other NGO")
    client = outsider.client()
    assert client.get("/api/v1/cases/").json()["items"] == []
    assert client.get(f"/api/v1/cases/{court.case.pk}/").status_code == 404
    assert client.get(f"/api/v1/cases/{court.case.pk}/court-dates/").status_code == 404
    assert client.get("/api/v1/cases/999999/").status_code == 404
    # the refusals are on the case's trail, as on the pages
    assert AuditEvent.objects.filter(
        actor=outsider.integration.account,
        action=AuditAction.DENIED,
        matter_type="case",
        matter_id=court.case.pk,
    ).exists()


def test_a_token_without_the_scope_is_refused(
    court: CourtWorld, connect: Callable[..., Connected]
) -> None:
    p = court.personas
    partner = connect(p.ngo, [Scope.DIRECTORY_READ], name="Directory only")
    client = partner.client()
    for path in (
        "/api/v1/cases/",
        f"/api/v1/cases/{court.case.pk}/",
        f"/api/v1/cases/{court.case.pk}/court-dates/",
        "/api/v1/figures/reports-by-channel/",
        "/api/v1/figures/referrals-by-provider/",
    ):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert answer["Content-Type"] == "application/problem+json"


def test_the_caseworkers_agency_reads_the_next_court_dates(
    court: CourtWorld, connect: Callable[..., Connected]
) -> None:
    p = court.personas
    partner = connect(p.ngo, [Scope.CASE_READ, Scope.JUSTICE_READ], name="Partner court view")
    answer = partner.client().get(f"/api/v1/cases/{court.case.pk}/court-dates/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["code"] == court.case.code
    [path] = body["paths"]
    assert path["incident_code"] == court.incident.code
    [when] = path["next_dates"]
    assert when["court"] == "Shanzu Law Courts"
    assert when["courtroom"] == "Court 3"
    assert when["child_attends"] is True
    moment = datetime.datetime.fromisoformat(when["when"])
    # the schema gives times to the millisecond
    assert abs(moment - court.hearing.scheduled_for) < datetime.timedelta(milliseconds=1)
    text = answer.content.decode()
    # dates and places only: never the accused, the evidence or the child
    for secret in ("Mohamed", "Klaus", "PExh", "Zawadi", "E123"):
        assert secret not in text
    assert AuditEvent.objects.filter(
        actor=partner.integration.account,
        record_type="justice.courtpath",
        matter_id=court.case.pk,
    ).exists()


def test_an_agency_on_the_team_through_a_counsellor_gets_no_court_dates(
    court: CourtWorld, connect: Callable[..., Connected]
) -> None:
    p = court.personas
    agency = _counselling_agency(p, court.case)
    system = connect(agency, [Scope.CASE_READ, Scope.JUSTICE_READ], name="Counselling system")
    client = system.client()
    # the summary, as its counsellor has it; never the justice section
    assert client.get(f"/api/v1/cases/{court.case.pk}/").status_code == 200
    assert client.get(f"/api/v1/cases/{court.case.pk}/court-dates/").status_code == 404


def test_the_case_is_gone_from_the_api_when_the_agency_leaves_the_team(
    court: CourtWorld, connect: Callable[..., Connected]
) -> None:
    p = court.personas
    agency = _counselling_agency(p, court.case)
    system = connect(agency, [Scope.CASE_READ], name="Leaving system")
    assert system.client().get(f"/api/v1/cases/{court.case.pk}/").status_code == 200
    AccessGrant.objects.filter(
        agency=agency, relation=Relation.AGENCY_ON_TEAM, matter_id=court.case.pk
    ).update(revoked_at=timezone.now())
    assert system.client().get(f"/api/v1/cases/{court.case.pk}/").status_code == 404
    assert system.client().get("/api/v1/cases/").json()["items"] == []


def test_cases_are_paged_and_filtered(
    personas: Personas, connect: Callable[..., Connected]
) -> None:
    from kinga.cases.tests.conftest import open_case

    cases = [open_case(personas, given_name=f"Child{n}") for n in range(3)]
    partner = connect(personas.ngo, [Scope.CASE_READ], name="Paging system")
    client = partner.client()
    first = client.get("/api/v1/cases/?limit=2").json()
    assert [item["id"] for item in first["items"]] == [cases[0].pk, cases[1].pk]
    rest = client.get(f"/api/v1/cases/?limit=2&cursor={first['next_cursor']}").json()
    assert [item["id"] for item in rest["items"]] == [cases[2].pk]
    assert rest["next_cursor"] is None
    assert client.get("/api/v1/cases/?status=closed").json()["items"] == []
    later = (timezone.now() + datetime.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert client.get(f"/api/v1/cases/?opened_after={later}").json()["items"] == []
    bad = client.get("/api/v1/cases/?cursor=nonsense")
    assert bad.status_code == 422
    assert "cursor" in bad.content.decode()


# Figures ---------------------------------------------------------------------------------


def _reports(county: County, channel: str, count: int, when: datetime.datetime) -> None:
    for _n in range(count):
        Report.objects.create(
            channel=channel, categories=["other"], county=county, received_at=when
        )


def test_figures_match_the_dashboards_and_hide_small_counts(
    personas: Personas, connect: Callable[..., Connected], settings: Any
) -> None:
    settings.KINGA_INSIGHTS_K = 5
    mombasa = County.objects.get(name="Mombasa")
    kwale = County.objects.get(name="Kwale")
    when = timezone.now() - datetime.timedelta(days=3)
    _reports(mombasa, Channel.WEB, 12, when)
    _reports(mombasa, Channel.USSD, 7, when)
    _reports(mombasa, Channel.SMS, 2, when)
    _reports(kwale, Channel.WEB, 30, when)
    reporting = connect(personas.ngo, [Scope.FIGURES_READ], name="County reporting tool")
    answer = reporting.client().get("/api/v1/figures/reports-by-channel/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["k"] == 5
    assert body["county_id"] == personas.ngo.county_id
    month = timezone.localdate(when).strftime("%Y-%m")
    [row] = [row for row in body["rows"] if row["code"] == month]
    cells = dict(zip(body["columns"], row["cells"], strict=True))
    # Kwale's reports are another county's; the 2 SMS reports are hidden, and so is the
    # smallest other count of the line (else the total gives them back)
    assert cells["sms"] is None
    assert cells["ussd"] is None
    assert cells["web"] == 12
    # the same cells as the reporting dashboard counts for the same viewer and period (the
    # dashboards count the summary the worker keeps: counted now, as the worker would)
    paths_refresh()
    principal = principal_of(reporting.integration)
    table = insights.reports_by_channel(
        viewer=principal,
        filters=insights.Filters(
            start=datetime.date.fromisoformat(body["start"]),
            end=datetime.date.fromisoformat(body["end"]),
        ),
        audit=False,
    )
    for row in body["rows"]:
        for column, value in zip(body["columns"], row["cells"], strict=True):
            assert table.cell(row["code"], column).value == value, (row["code"], column)
        assert table.cell(row["code"], "").value == row["total"]
    assert AuditEvent.objects.filter(
        actor=reporting.integration.account, record_type="api.figure"
    ).exists()


def test_referral_figures_match_the_dashboard(
    personas: Personas, connect: Callable[..., Connected], world: Any
) -> None:
    from kinga.referrals.tests.test_referrals import consent_to, send

    # a referral to the hospital in the agency's own county (the shelter's is another)
    assert personas.hospital.county_id == personas.ngo.county_id
    consent_to(world, personas.hospital)
    send(world, place=world.hospital_place)
    reporting = connect(personas.ngo, [Scope.FIGURES_READ], name="Referral figures")
    body = reporting.client().get("/api/v1/figures/referrals-by-provider/").json()
    principal = principal_of(reporting.integration)
    table = insights.referrals_by_provider(
        viewer=principal,
        filters=insights.Filters(
            start=datetime.date.fromisoformat(body["start"]),
            end=datetime.date.fromisoformat(body["end"]),
        ),
        audit=False,
    )
    for row in body["rows"]:
        for column, value in zip(body["columns"], row["cells"], strict=True):
            assert table.cell(row["code"], column).value == value
    # one referral: below k, hidden everywhere it could be read
    assert body["total"] is None


def test_a_figure_period_is_checked_with_the_field_named(
    personas: Personas, connect: Callable[..., Connected]
) -> None:
    reporting = connect(personas.ngo, [Scope.FIGURES_READ], name="Period checks")
    client = reporting.client()
    for query, field in (
        ("start=2026-12-01&end=2026-01-01", "start"),
        ("start=2020-01-01&end=2026-01-01", "start"),
        ("start=1000-01-01", "start"),
        ("end=9999-12-31", "end"),
        ("start=12345", "start"),
        ("start=2026-02-30", "start"),
    ):
        answer = client.get(f"/api/v1/figures/reports-by-channel/?{query}")
        assert answer.status_code == 422, query
        assert [error["field"] for error in answer.json()["errors"]] == [field], query
