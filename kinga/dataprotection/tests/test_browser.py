"""The data protection officer records a breach, scopes it from the audit log and drafts the
notice before the 72 hours run out; then answers a request in Kiswahili on a desk screen.
In Chromium, at phone width first. Screenshots go to /tmp, never into the repository."""

from __future__ import annotations

import os
import tempfile

import pytest
from django.utils import timezone

from conftest import browser_sign_in
from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import audit_record
from kinga.cases.tests.conftest import open_case
from kinga.dataprotection.models import Breach, BreachRisk, SubjectRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.path.join(tempfile.gettempdir(), "kinga-dataprotection")


def test_the_officer_records_scopes_and_drafts_before_the_clock_runs_out(
    live_server, browser_page, personas
) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page = browser_page
    base = live_server.url
    officer = personas.data_protection_officer
    case = open_case(personas)
    # someone from another agency opened the case on the day of the theft
    audit_record(
        action=AuditAction.VIEW,
        actor=personas.caseworker_other,
        record_type="cases.case",
        record_id=case.pk,
        matter_type="case",
        matter_id=case.pk,
    )

    browser_sign_in(page, base, officer)
    page.click("nav >> text=Breach register")
    page.click("text=Record a suspected breach")
    page.select_option("#id_kind", "unauthorised_access")
    page.fill(
        "#id_description",
        "A caseworker's account was used from an unknown phone to open a child's case.",
    )
    page.fill("#id_children_affected", "1")
    page.fill("#id_people_affected", "0")  # a mistake: fewer people than children
    page.click("main form button[type=submit]")
    # the page says what to fix and keeps what was typed
    assert page.locator(".has-error").count() >= 1
    assert "unknown phone" in page.input_value("#id_description")
    page.fill("#id_people_affected", "2")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#clock")
    breach = Breach.objects.get()
    assert "h left to notify" in page.locator("h1").inner_text()
    page.screenshot(path=f"{SHOTS}/breach-phone-en.png", full_page=True)

    page.fill("#id_reference", case.code)
    page.click("#records button[type=submit]")
    page.wait_for_selector(f"#records >> text={case.code}")
    page.click("#scope button[type=submit]")
    page.wait_for_selector("#scope table")
    scope = page.locator("#scope table").inner_text()
    assert personas.caseworker_other.username in scope

    page.check("input[name=risk][value=high_risk]")
    page.fill("#id_assessment", "The child's name and the shelter's area were seen by an outsider.")
    page.check("#id_subjects_notice_required")
    page.click("#assess button[type=submit]")
    page.wait_for_selector("text=Assessment recorded.")
    breach.refresh_from_db()
    assert breach.risk == BreachRisk.HIGH_RISK

    page.click("text=to the Data Commissioner")
    notice = page.input_value("#notice-text")
    assert breach.code in notice and "section 43" in notice
    assert timezone.now() < breach.commissioner_deadline  # drafted before the clock ran out
    page.screenshot(path=f"{SHOTS}/notice-phone-en.png", full_page=True)
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, actor=officer, record_type="dataprotection.breach"
    ).exists()

    # the same officer, in Kiswahili at a desk, records a request about the child
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/")
    page.select_option("#lang-select", "sw")
    page.click("form.lang-switch button")
    page.goto(f"{base}/data-protection/requests/new/")
    page.select_option("#id_kind", "access")
    page.fill("#id_case_code", case.code)
    page.fill("#id_requester_name", "Mama wa mtoto")
    page.select_option("#id_on_behalf", "parent")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#identity")
    assert "Ombi" in page.locator("h1").inner_text()
    page.check("input[name=check][value=birth_certificate]")
    page.click("#identity button[type=submit]")
    page.wait_for_selector("#export")
    page.screenshot(path=f"{SHOTS}/request-desk-sw.png", full_page=True)
    assert SubjectRequest.objects.get().identity_check == "birth_certificate"
    for path in ("retention/", "holds/", "processing/"):
        page.goto(f"{base}/data-protection/{path}")
        assert page.locator("h1").count() == 1
        page.screenshot(path=f"{SHOTS}/{path.strip('/')}-desk-sw.png", full_page=True)
