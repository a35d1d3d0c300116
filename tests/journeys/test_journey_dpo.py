"""The data protection officer's journey (issue 22 point 1), in Kiswahili on a phone: record a
suspected breach in the register (a mistake first: what to fix is said and nothing typed is
lost) and assess it, record a parent's request to see what Kinga holds about their child
and check their identity, and set how long reports that led nowhere are kept. The pages
seen are revisited in English on a desk."""

from __future__ import annotations

import pytest

from kinga.cases.tests.conftest import open_case
from kinga.dataprotection.models import Breach, BreachRisk, RetentionRule, SubjectRequest
from tests.journeys.walk_b import DESK, PHONE, path_of, revisit, screen, walk_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESCRIBED = "Akaunti ya mfanyakazi ilitumika kwenye simu isiyojulikana kufungua kesi ya mtoto."


def test_a_dpo_records_a_breach_a_subjects_request_and_a_retention_period(
    journey, personas
) -> None:
    p = personas
    case = open_case(p)
    page = journey.page
    seen: list[str] = []

    walk_as(journey, p.data_protection_officer, language="sw", size=PHONE)
    page.click(".main-nav a[href='/data-protection/breaches/']")
    screen(journey, "the breach register")
    seen.append(path_of(journey))
    page.click("main a[href='/data-protection/breaches/new/']")
    screen(journey, "recording a suspected breach")
    seen.append(path_of(journey))
    page.select_option("#id_kind", "unauthorised_access")
    page.fill("#id_description", DESCRIBED)
    page.fill("#id_children_affected", "1")
    page.fill("#id_people_affected", "0")  # fewer people than children: refused
    page.click("main form button[type=submit]")
    page.wait_for_selector(".has-error")
    screen(journey, "the breach form with what to fix")
    assert page.input_value("#id_description") == DESCRIBED
    assert not Breach.objects.exists()
    page.fill("#id_people_affected", "2")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#clock")
    screen(journey, "the breach and its 72-hour clock")
    breach = Breach.objects.get()
    assert breach.description == DESCRIBED and breach.children_affected == 1
    page.check("input[name=risk][value=high_risk]")
    page.fill("#id_assessment", "Jina la mtoto na eneo la makazi vilionekana na mtu wa nje.")
    page.click("#assess button[type=submit]")
    page.wait_for_selector("#clock")
    screen(journey, "the breach assessed")
    breach.refresh_from_db()
    assert breach.risk == BreachRisk.HIGH_RISK
    seen.append(path_of(journey))

    page.click(".main-nav a[href='/data-protection/requests/']")
    screen(journey, "the data subjects' requests")
    seen.append(path_of(journey))
    page.click("main a[href='/data-protection/requests/new/']")
    screen(journey, "recording a request")
    seen.append(path_of(journey))
    page.select_option("#id_kind", "access")
    page.fill("#id_case_code", case.code)
    page.fill("#id_requester_name", "Mama wa mtoto")
    page.select_option("#id_on_behalf", "parent")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#identity")
    screen(journey, "the request, identity to check")
    page.check("input[name=check][value=birth_certificate]")
    page.click("#identity button[type=submit]")
    page.wait_for_selector("#export")
    screen(journey, "the request with its identity checked")
    seen.append(path_of(journey))
    request = SubjectRequest.objects.get()
    assert request.identity_check == "birth_certificate"
    assert request.person_id == case.child_id

    page.click(".main-nav a[href='/data-protection/retention/']")
    screen(journey, "retention")
    seen.append(path_of(journey))
    section = page.locator("#kind-reports_no_action")
    section.locator("summary").click()
    section.locator("input[name$='keep_days']").fill("1095")
    section.locator("input[name$='legal_basis']").fill(
        "Sheria ya Ulinzi wa Data 2019 kif.39: miaka mitatu kwa ripoti zinazojirudia."
    )
    section.locator("button[type=submit]").click()
    page.wait_for_selector(".messages")
    screen(journey, "retention with the period set")
    assert RetentionRule.objects.get(kind="reports_no_action").keep_days == 1095

    revisit(journey, seen, language="en", size=DESK)

    # the administrator (no data protection role) reads neither the breach nor the request
    walk_as(journey, p.admin, language="en", size=DESK)
    for path in (
        f"/data-protection/breaches/{breach.pk}/",
        f"/data-protection/requests/{request.pk}/",
    ):
        response = page.goto(f"{journey.base_url}{path}")
        assert response is not None and response.status == 404, path
        assert DESCRIBED not in page.inner_text("body") and "Mama wa mtoto" not in page.content()
