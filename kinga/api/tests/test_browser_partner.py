"""In Chromium: the administrator registers a hospital's system that refers children in
(phone width, English) and a partner's court-date system that subscribes to `hearing.set`
(desk width, Kiswahili); the hospital's system refers a child; the caseworker of the triage
queue finds it marked as the hospital's referral, at both widths and in both languages.
Screenshots go to /tmp."""

from __future__ import annotations

import os
import tempfile

import pytest

from conftest import browser_sign_in
from kinga.api import services
from kinga.api.models import Integration, Scope, Subscription
from kinga.intake.models import Channel, Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.path.join(tempfile.gettempdir(), "kinga-api-partner")


def _register(page, base: str, name: str, agency_id: int, scopes: list[str]) -> Integration:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/integrations/new/")
    page.fill("#id_name", name)
    page.select_option("#id_agency", str(agency_id))
    for scope in scopes:
        page.check(f"input[name=scopes][value='{scope}']")
    page.click("main form button[type=submit]")
    page.wait_for_selector(f"h1 >> text={name}")
    return Integration.objects.get(name=name)


def _issue(page, base: str, integration: Integration) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/integrations/{integration.pk}/")
    page.click("main form[action$='/tokens/'] button[type=submit]")
    page.wait_for_selector("#issued .token-secret")
    return str(page.locator("#issued .token-secret").inner_text().strip())


def test_a_partner_refers_a_child_in_and_triage_sees_whose_referral_it_is(
    live_server, browser_page, personas
) -> None:
    from conftest import gazetteer_ensure
    from kinga.intake.tests.conftest import alert_chain_ensure

    gazetteer_ensure()
    alert_chain_ensure()
    os.makedirs(SHOTS, exist_ok=True)
    page = browser_page
    base = live_server.url
    browser_sign_in(page, base, personas.admin)

    # phone, English: the hospital's records system, in force at once (no case content)
    hospital = _register(
        page,
        base,
        "GBV centre records",
        personas.hospital.pk,
        [Scope.REFERRAL_SEND, Scope.REPORT_READ, Scope.WEBHOOK_MANAGE],
    )
    assert set(hospital.scopes) == {Scope.REFERRAL_SEND, Scope.REPORT_READ, Scope.WEBHOOK_MANAGE}
    assert hospital.scopes_pending == []
    assert page.locator("text=referral:send").count() >= 1
    page.screenshot(path=f"{SHOTS}/integration-referral-send-phone-en.png", full_page=True)
    hospital_token = _issue(page, base, hospital)

    # desk, Kiswahili: the partner's court-date system; justice:read waits for a second person
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/integrations/")
    page.select_option("#lang-select", "sw")
    page.click(".lang-switch button[type=submit]")
    page.wait_for_selector("html[lang=sw]")
    court = _register(
        page,
        base,
        "Pwani court dates",
        personas.ngo.pk,
        [Scope.JUSTICE_READ, Scope.WEBHOOK_MANAGE],
    )
    assert court.scopes_pending == [Scope.JUSTICE_READ]
    # the second person (the browser journey of that approval is test_browser.py's)
    services.integration_scopes_approve(actor=personas.supervisor, integration=court)
    court_token = _issue(page, base, court)
    made = page.request.post(
        f"{base}/api/v1/webhooks/",
        data={"event": "hearing.set", "url": "https://pwani.example/court"},
        headers={"Authorization": f"Bearer {court_token}"},
    )
    assert made.status == 201, made.text()
    # a system without justice:read may not ask for it: the field is named
    refused = page.request.post(
        f"{base}/api/v1/webhooks/",
        data={"event": "hearing.set", "url": "https://gbv.example/court"},
        headers={"Authorization": f"Bearer {hospital_token}"},
    )
    assert refused.status == 422
    assert refused.json()["errors"][0]["field"] == "event"
    page.goto(f"{base}/integrations/{court.pk}/")
    assert page.locator("code >> text=hearing.set").count() == 1
    page.screenshot(path=f"{SHOTS}/integration-hearing-set-desk-sw.png", full_page=True)
    assert Subscription.objects.get().integration_id == court.pk

    # the hospital's system refers a child in; a retry files nothing new
    body = {
        "reference": "GBV-2026-0042",
        "reason": "Msichana wa miaka 14 anasema mwanamume wa kivukoni anamuuza.",
        "services": ["rescue_shelter", "counselling"],
        "categories": ["sexual_exploitation"],
        "county_id": personas.ngo.county_id,
        "age_bands": ["12-14"],
        "danger_now": "no",
    }
    headers = {"Authorization": f"Bearer {hospital_token}"}
    first = page.request.post(f"{base}/api/v1/referrals-in/", data=body, headers=headers)
    assert first.status == 201, first.text()
    again = page.request.post(f"{base}/api/v1/referrals-in/", data=body, headers=headers)
    assert again.status == 200
    report = Report.objects.get(channel=Channel.PARTNER)
    # the court-date system (another agency) may not refer in, nor read the hospital's report
    not_court = page.request.post(
        f"{base}/api/v1/referrals-in/",
        data=body,
        headers={"Authorization": f"Bearer {court_token}"},
    )
    assert not_court.status == 403
    assert Report.objects.filter(channel=Channel.PARTNER).count() == 1

    # the caseworker of the triage queue: phone, English, then desk, Kiswahili
    assert page.context.browser is not None
    other = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        triage = other.new_page()
        triage.set_default_timeout(15000)
        browser_sign_in(triage, base, personas.caseworker)
        triage.goto(f"{base}/intake/triage/")
        row = triage.locator(f"tr:has-text('{report.reference}')")
        assert row.count() == 1
        assert "Referral from a partner agency" in row.inner_text()
        triage.screenshot(path=f"{SHOTS}/triage-queue-phone-en.png", full_page=True)
        triage.goto(f"{base}/intake/triage/{report.pk}/")
        marked = triage.locator(".partner-referral")
        text = marked.inner_text()
        assert "Coast General Hospital GBV Centre" in text
        assert "GBV-2026-0042" in text
        assert "Rescue and shelter" in text
        assert "kivukoni" in triage.content()  # the reason, as the report's words
        triage.screenshot(path=f"{SHOTS}/triage-referral-phone-en.png", full_page=True)
        triage.set_viewport_size({"width": 1280, "height": 900})
        triage.select_option("#lang-select", "sw")
        triage.click(".lang-switch button[type=submit]")
        triage.wait_for_selector("html[lang=sw]")
        triage.goto(f"{base}/intake/triage/{report.pk}/")
        assert "Rufaa kutoka kwa shirika mshirika" in triage.content()
        assert "GBV-2026-0042" in triage.locator(".partner-referral").inner_text()
        triage.screenshot(path=f"{SHOTS}/triage-referral-desk-sw.png", full_page=True)
    finally:
        other.close()
