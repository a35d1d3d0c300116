"""A caseworker opens a case from a triaged report, records consent, an assessment and a
plan; the supervisor approves the plan. In Chromium, on a phone-sized screen."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from conftest import browser_sign_in
from kinga.access.models import Relation
from kinga.access.services import access_grant
from kinga.cases.models import Case, CasePlan, Consent, PlanState
from kinga.places.models import County

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_case_from_report_to_approved_plan(live_server, browser_page, personas) -> None:
    from kinga.intake.services import ReportInput, report_log_call

    page = browser_page
    base = live_server.url
    county = County.objects.get(name="Mombasa")
    report, _code = report_log_call(
        operator=personas.helpline,
        data=ReportInput(
            categories=["sexual_exploitation"],
            narrative="A girl of about 15 is taken to a guest house in Bamburi at night.",
            county_id=county.pk,
            age_bands=["15-17"],
            danger_now="no",
        ),
    )
    # the report waits in the Mombasa triage queue of the caseworker's agency
    access_grant(
        matter=report.access_matter(),
        relation=Relation.TRIAGE_AREA,
        actor=None,
        agency=personas.ngo,
        source_type="intake.report",
        source_id=report.pk,
    )

    browser_sign_in(page, base, personas.caseworker)
    page.goto(f"{base}/intake/triage/{report.pk}/")
    page.check("input[name=decision][value=open_case]")
    page.fill("#id_reason", "Child at risk of commercial sexual exploitation in Bamburi.")
    page.click("#decision-form button[type=submit]")
    case = Case.objects.get(source_report_id=report.pk)

    page.goto(f"{base}/cases/")
    page.click(f"text={case.code}")
    assert page.locator("h1").inner_text() == case.code

    page.click("text=Record consent")
    page.select_option("#id_purpose", "referral")
    page.select_option("#id_recipient_agency", label=personas.shelter.name)
    page.select_option("#id_given_by", "guardian")
    page.select_option("#id_basis", "assent")
    page.check("#id_child_assented")
    page.fill("#id_explained", "Explained in Kiswahili to the child and her grandmother.")
    page.click("main form button[type=submit]")
    assert Consent.objects.filter(case=case).count() == 1

    page.click("#wellbeing >> text=Assessment")
    page.select_option("#id_kind", "screening")
    page.select_option("#id_trafficking_status", "possible")
    page.select_option("#id_status_decided_by", "caseworker")
    page.check("input[name=palermo_acts][value=recruitment]")
    page.check("input[name=exploitation_types][value=travel_and_tourism]")
    page.select_option("#id_age_basis", "apparent")
    page.fill("#id_assessed_age", "15")
    page.select_option("#id_risk_level", "high")
    page.check("input[name=needs][value=shelter]")
    page.fill("#id_child_views", "I want to finish school.")
    page.click("main form button[type=submit]")
    assert case.assessments.count() == 1

    page.click("text=Add a goal or service")
    page.select_option("#id_kind", "service")
    page.select_option("#id_need", "shelter")
    page.fill("#id_description", "Safe place at the rescue home while the family is assessed")
    page.fill("#id_due_on", (timezone.localdate() + datetime.timedelta(days=7)).isoformat())
    page.click("main form button[type=submit]")
    page.click("text=Submit for approval")
    plan = CasePlan.objects.get(case=case)
    assert plan.state == PlanState.SUBMITTED

    page.context.clear_cookies()
    browser_sign_in(page, base, personas.supervisor)
    page.goto(f"{base}/cases/my-work/")
    page.click(f"text={case.code}")
    page.click("text=Approve plan")
    plan.refresh_from_db()
    assert plan.state == PlanState.APPROVED
    assert "Case plan v1 approved" in page.locator("#timeline").inner_text()
