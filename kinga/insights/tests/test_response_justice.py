"""Response, justice and the comparisons: known counts, small ones hidden, each role its own."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.insights import selectors
from kinga.insights.selectors import Filters
from kinga.insights.tests.conftest import Known, court_path
from kinga.intake.models import Alert, Report
from kinga.justice.models import Adjournment, CourtEvent, Incident

pytestmark = pytest.mark.django_db


def _year(**changes: Any) -> Filters:
    today = timezone.localdate()
    return Filters(start=today - datetime.timedelta(days=365), end=today, **changes)


def _alerts(known: Known) -> None:
    """12 alerts on Kwale reports: 6 answered in 30 minutes, 5 after 3 hours (4 of those
    after going up the chain), 1 not answered (it went up too)."""
    for index, report in enumerate(known.reports[:12]):
        raised = report.received_at
        answered = None
        if index < 6:
            answered = raised + datetime.timedelta(minutes=30)
        elif index < 11:
            answered = raised + datetime.timedelta(hours=3)
        Alert.objects.create(
            report=report,
            county=known.kwale,
            raised_at=raised,
            acknowledged_at=answered,
            escalations=1 if index >= 7 else 0,
        )


def test_response_counts_children_reached_in_time_and_alerts_up_the_chain(
    personas: Any, known: Known, client_for: Any
) -> None:
    _alerts(known)
    result = selectors.response(viewer=personas.analyst, filters=_year())
    kwale = str(known.kwale.pk)
    assert result.alerts.cell(kwale, "in_time").value == 6
    # the one open alert is below k: hidden, and the 5 late with it (12 - 6 gives 6 back)
    assert result.alerts.cell(kwale, "open").hidden
    assert result.alerts.cell(kwale, "late").hidden
    assert result.alerts.cell(kwale, "").value == 12
    assert result.chain.cell(kwale, "first_step").value == 7
    assert result.chain.cell(kwale, "went_up").value == 5
    # medians from the report: Kwale's 16 triaged in 2 days, 12 cases in 4; no referral
    times = result.times
    assert times.cells[(kwale, "triaged")] == pytest.approx(2.0)
    assert times.cells[(kwale, "contact")] == pytest.approx(4.0)
    assert times.cells[(kwale, "service")] is None
    # Mombasa's one case is fewer than k: its median is not shown
    assert times.cells[(str(known.mombasa.pk), "contact")] is None
    response = client_for(personas.analyst).get("/insights/response/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Alerts that went up the fallback chain" in body and "<svg" in body
    assert AuditEvent.objects.filter(
        record_type="insights.dashboard", record_id="response", actor_id=personas.analyst.pk
    ).exists()
    # a supervisor counts Mombasa only: Kwale's alerts are not in their figures
    mine = selectors.response(viewer=personas.supervisor, filters=_year())
    assert [code for code, _label in mine.alerts.rows] == [str(known.mombasa.pk)]
    assert mine.alerts.footer()[1].value == 0
    assert client_for(personas.caseworker).get("/insights/response/").status_code == 404


def test_justice_counts_adjournments_outcomes_and_the_time_to_verdict(
    personas: Any, known: Known, client_for: Any
) -> None:
    incidents = list(Incident.objects.filter(county=known.kwale).order_by("pk"))
    for n in range(2):  # ten incidents in all
        incidents.append(
            Incident.objects.create(
                code=f"INC-EXTRA-{n}",
                county=known.kwale,
                police_unit=personas.police,
                reported_on=timezone.localdate(),
                opened_at=timezone.now() - datetime.timedelta(days=200),
                opened_by=personas.investigator,
            )
        )
    for index, incident in enumerate(incidents):
        prosecution = court_path(personas, incident, convicted=index % 2 == 0)
        event = CourtEvent.objects.create(
            incident=incident,
            prosecution=prosecution,
            kind="hearing",
            scheduled_for=timezone.now() - datetime.timedelta(days=20),
            state="adjourned",
            created_by=personas.prosecutor,
        )
        Adjournment.objects.create(
            incident=incident,
            event=event,
            requested_by="prosecution",
            reason=(
                "witness_absent"
                if index < 5
                else "officer_absent"
                if index < 8
                else "court_not_sitting"
            ),
            next_date=timezone.now() + datetime.timedelta(days=10),
            created_by=personas.prosecutor,
        )
    result = selectors.justice(viewer=personas.analyst, filters=_year())
    assert result.sittings.cell("hearing", "adjourned").value == 10
    # 3 for an absent officer and 2 for a court not sitting: both hidden, together 5, so
    # the 5 for an absent witness can be shown without giving either away
    assert result.adjournments.cell("witness_absent", "prosecution").value == 5
    assert result.adjournments.cell("officer_absent", "prosecution").hidden
    assert result.adjournments.cell("court_not_sitting", "prosecution").hidden
    assert result.adjournments.footer()[1].value == 10
    act = "Counter-Trafficking in Persons Act, 2010"
    assert result.outcomes.cell(act, "convicted").value == 5
    assert result.outcomes.cell(act, "acquitted").value == 5
    assert result.verdicts.value == 10
    assert result.verdict_days == pytest.approx(15.0)
    response = client_for(personas.analyst).get("/insights/justice/")
    assert response.status_code == 200
    assert "Median 15.0 days" in response.content.decode()
    # the justice dashboard is the programme's analysts' alone
    assert client_for(personas.supervisor).get("/insights/justice/").status_code == 404
    assert client_for(personas.prosecutor).get("/insights/justice/").status_code == 404


def test_comparisons_say_where_reports_stand_by_county_agency_and_month(
    personas: Any, known: Known, client_for: Any
) -> None:
    Report.objects.filter(pk__in=[r.pk for r in known.reports[:16]]).update(
        decided_by=personas.caseworker
    )
    from kinga.insights.services import paths_refresh

    paths_refresh()
    filters = _year(county_id=known.kwale.pk)
    by_county = selectors.stages_by_county(filters)
    kwale = str(known.kwale.pk)
    # Kwale's 20: 4 waiting, 4 triaged only, 4 with a case only, 5 with an incident, 3 filed
    assert by_county.cell(kwale, "").value == 20
    assert by_county.cell(kwale, "incident").value == 5
    assert by_county.cell(kwale, "file").hidden
    by_agency = selectors.stages_by_agency(filters)
    agency = str(personas.caseworker.agency_id)
    assert by_agency.cell(agency, "incident").value == 5
    # 4 not triaged (below k) are hidden, and so is the agency's 16: 20 - 16 gives 4 back
    assert by_agency.cell("none", "waiting").hidden
    assert by_agency.cell(agency, "").hidden
    assert by_agency.footer()[1].value == 20
    by_month = selectors.stages_by_month(filters)
    assert by_month.footer()[1].value == 20
    response = client_for(personas.supervisor).get("/insights/funnel/")
    assert response.status_code == 200
    tables = [table for table, _chart in response.context["tables"]]
    assert [table.key for table in tables] == [
        "stages_by_month",
        "stages_by_county",
        "stages_by_agency",
    ]
    # the supervisor's comparison is their county's alone
    assert [code for code, _label in tables[1].rows] == [str(known.mombasa.pk)]
