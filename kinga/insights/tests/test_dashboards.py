"""The dashboards: known counts and medians, each role its own figures, every view audited."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from kinga.access import policy
from kinga.audit.models import AuditEvent
from kinga.insights import selectors
from kinga.insights.selectors import Filters
from kinga.insights.tests.conftest import Known

pytestmark = pytest.mark.django_db


def _year(**changes: Any) -> Filters:
    today = timezone.localdate()
    return Filters(start=today - datetime.timedelta(days=365), end=today, **changes)


def test_the_funnel_counts_and_medians_on_a_known_data_set(personas: Any, known: Known) -> None:
    cohort = selectors.reports_in(_year(county_id=known.kwale.pk))
    counts = selectors.funnel_counts(cohort)
    assert counts == {
        "reports": 20,
        "triaged": 16,
        "cases": 12,
        "incidents": 8,
        "investigations": 6,
        "files": 3,
        "charged": 0,
        "judgment": 0,
        "conviction": 0,
    }
    medians = selectors.funnel_medians(cohort)
    assert medians["triaged"] == pytest.approx(2.0, abs=0.01)
    assert medians["cases"] == pytest.approx(4.0, abs=0.01)
    assert medians["incidents"] == pytest.approx(10.0, abs=0.01)
    assert medians["investigations"] == pytest.approx(1.0, abs=0.01)
    assert medians["files"] == pytest.approx(20.0, abs=0.01)
    assert medians["charged"] is None


def test_the_funnel_page_shows_kwale_and_hides_small_counts(
    personas: Any, known: Known, client_for: Any
) -> None:
    f = _year()
    response = client_for(personas.analyst).get(
        "/insights/funnel/",
        {"start": f.start.isoformat(), "end": f.end.isoformat(), "county": known.kwale.pk},
    )
    assert response.status_code == 200
    body = response.content.decode()
    steps = {step.key: step for step in response.context["funnel"].steps}
    assert steps["reports"].reached.value == 20
    # 4 lost at triage is below k: hidden, and the 16 triaged with it (20 - 16 gives 4)
    assert steps["triaged"].lost is not None and steps["triaged"].lost.hidden
    assert steps["triaged"].reached.hidden
    assert steps["cases"].reached.value == 12
    # 3 files is below k: hidden, never shown as 3
    assert steps["files"].reached.hidden
    assert "Secret narrative" not in body
    assert "<svg" in body and "<table" in body
    event = AuditEvent.objects.filter(record_type="insights.dashboard", record_id="funnel").latest(
        "seq"
    )
    assert event.actor_id == personas.analyst.pk
    assert event.detail["county_id"] == known.kwale.pk


def test_a_median_of_fewer_than_k_reports_is_not_shown(personas: Any, known: Known) -> None:
    # Mombasa has 7 reports and one case: the case step (1) is hidden, and its median too
    result = selectors.funnel(viewer=personas.analyst, filters=_year(county_id=known.mombasa.pk))
    steps = {step.key: step for step in result.steps}
    assert steps["reports"].reached.value == 7
    assert steps["cases"].reached.hidden
    assert steps["cases"].median_days is None


def test_the_justice_side_when_thin_says_so(personas: Any, known: Known, client_for: Any) -> None:
    result = selectors.funnel(viewer=personas.analyst, filters=_year(county_id=known.mombasa.pk))
    assert result.justice_thin
    response = client_for(personas.analyst).get("/insights/funnel/")
    assert response.status_code == 200


def test_reports_by_channel_month_by_month(personas: Any, known: Known) -> None:
    table = selectors.reports_by_channel(viewer=personas.analyst, filters=_year())
    footer, total = table.footer()
    assert total.value == 27
    by_channel = dict(zip([code for code, _ in table.columns], footer, strict=True))
    assert by_channel["sms"].value == 10
    assert by_channel["web"].value == 10
    assert by_channel["helpline"].value == 7


def test_a_supervisor_counts_only_the_county_of_their_agency(
    personas: Any, known: Known, client_for: Any
) -> None:
    # the supervisor's agency serves Mombasa: Kwale's 20 reports are not theirs to count
    assert personas.supervisor.agency.county == known.mombasa
    result = selectors.funnel(viewer=personas.supervisor, filters=_year())
    assert result.steps[0].reached.value == 7
    client = client_for(personas.supervisor)
    f = _year()
    asked = client.get(
        "/insights/funnel/",
        {"start": f.start.isoformat(), "end": f.end.isoformat(), "county": known.kwale.pk},
    )
    # Kwale is not among the choices: the form says so and the figures stay Mombasa's
    assert asked.status_code == 200
    assert "county" in asked.context["form"].errors
    assert asked.context["funnel"].steps[0].reached.value == 7


@pytest.mark.parametrize(
    "url", ["/insights/", "/insights/funnel/", "/insights/reporting/", "/insights/referrals/"]
)
def test_roles_that_count_nothing_get_a_404(personas: Any, client_for: Any, url: str) -> None:
    for user in [
        personas.caseworker,
        personas.counsellor,
        personas.investigator,
        personas.prosecutor,
        personas.service_provider,
        personas.helpline,
        personas.trainer,
        personas.admin,
    ]:
        assert client_for(user).get(url).status_code == 404, (user.username, url)
    assert client_for(None).get(url).status_code == 302


def test_each_role_counts_only_its_dashboards(personas: Any) -> None:
    """The policy's COUNTING table, walked for every role and dashboard."""
    for user in personas.all_users():
        for dashboard in policy.COUNTING[policy.Role.ANALYST]:
            want = {
                role_dashboards.get(dashboard)
                for role, role_dashboards in policy.COUNTING.items()
                if role in user.role_set
            } - {None}
            got = policy.counting_scope(user, dashboard)
            if not want:
                assert got is None, (user.username, dashboard)
            else:
                assert got in want, (user.username, dashboard)
    assert policy.counting_scope(personas.analyst, "ctdc") == "programme"
    assert policy.counting_scope(personas.supervisor, "ctdc") is None
    assert policy.counting_scope(personas.supervisor, "funnel") == "county"
    assert policy.counting_scope(None, "funnel") is None


def test_an_invalid_period_is_said_and_kept(personas: Any, client_for: Any) -> None:
    response = client_for(personas.analyst).get(
        "/insights/reporting/", {"start": "2026-05-01", "end": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "end" in response.context["form"].errors
    assert 'value="2026-05-01"' in response.content.decode()


def test_referrals_page_renders(personas: Any, client_for: Any) -> None:
    response = client_for(personas.analyst).get("/insights/referrals/")
    assert response.status_code == 200
    assert response.context["tables"][0][0].key == "referrals_by_provider"


def test_survivors_counts_cases_by_risk_and_status(
    personas: Any, known: Known, client_for: Any
) -> None:
    table = selectors.cases_by_risk_and_status(viewer=personas.analyst, filters=_year())
    # 12 Kwale cases and 1 Mombasa case, all active and not yet assessed
    assert table.cell("unknown", "active").value == 13
    assert table.footer()[1].value == 13
    # a supervisor counts Mombasa's one case: below k, hidden
    mine = selectors.cases_by_risk_and_status(viewer=personas.supervisor, filters=_year())
    assert mine.cell("unknown", "active").hidden
    response = client_for(personas.analyst).get("/insights/survivors/")
    assert response.status_code == 200
    assert client_for(personas.caseworker).get("/insights/survivors/").status_code == 404
    exported = client_for(personas.analyst).get("/insights/export/cases_by_risk_and_status.csv")
    assert exported.status_code == 200
