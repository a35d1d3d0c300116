"""In Chromium: the administrator registers a partner's system, the agency's supervisor (a
second person) approves the scopes that reveal case content, the administrator issues a
token shown once, and the system reads the case it is on the team of through the API. At
phone width in English, then at desk width in Kiswahili. Screenshots go to /tmp."""

from __future__ import annotations

import os
import tempfile

import pytest

from conftest import browser_sign_in
from kinga.api.models import Integration, Scope, Token
from kinga.cases.tests.conftest import open_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.path.join(tempfile.gettempdir(), "kinga-api")


def test_a_second_person_approves_and_the_token_is_shown_once(
    live_server, browser_page, personas
) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page = browser_page
    base = live_server.url
    case = open_case(personas)

    browser_sign_in(page, base, personas.admin)
    page.click("nav >> text=Integrations")
    page.click("text=Register an integration")
    page.fill("#id_name", "Partner case system")
    page.select_option("#id_agency", str(personas.ngo.pk))
    page.check(f"input[name=scopes][value='{Scope.CASE_READ}']")
    page.check(f"input[name=scopes][value='{Scope.FIGURES_READ}']")
    page.click("main form button[type=submit]")
    page.wait_for_selector("h1 >> text=Partner case system")
    integration = Integration.objects.get()
    # the content scope waits; the administrator cannot approve their own request
    assert integration.scopes == [Scope.FIGURES_READ]
    assert integration.scopes_pending == [Scope.CASE_READ]
    assert page.locator("text=Approve the scopes").count() == 0
    page.screenshot(path=f"{SHOTS}/integration-pending-phone-en.png", full_page=True)

    # the agency's supervisor, in a browser of their own: sees the request, approves it
    assert page.context.browser is not None
    other = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        second = other.new_page()
        second.set_default_timeout(15000)
        browser_sign_in(second, base, personas.supervisor)
        second.click("nav >> text=Integrations")
        second.click("text=Partner case system")
        second.click("text=Approve the scopes")
        second.wait_for_selector("text=case:read")
        # a supervisor approves but never sees or issues tokens
        assert second.locator("text=Issue a token").count() == 0
    finally:
        other.close()
    integration.refresh_from_db()
    assert set(integration.scopes) == {Scope.CASE_READ, Scope.FIGURES_READ}
    assert integration.approved_by_id == personas.supervisor.pk

    # the administrator issues the token, at desk width
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/integrations/{integration.pk}/")
    page.check(f"main form[action$='/tokens/'] input[name=scopes][value='{Scope.CASE_READ}']")
    page.click("main form[action$='/tokens/'] button[type=submit]")
    page.wait_for_selector("#issued .token-secret")
    secret = page.locator("#issued .token-secret").inner_text().strip()
    assert secret.startswith("kinga_")
    page.screenshot(path=f"{SHOTS}/token-once-desk-en.png", full_page=True)
    page.goto(f"{base}/integrations/{integration.pk}/")
    assert secret not in page.content()
    assert Token.objects.get().prefix in page.content()
    page.select_option("#lang-select", "sw")
    page.click(".lang-switch button[type=submit]")
    page.wait_for_selector("html[lang=sw]")
    page.screenshot(path=f"{SHOTS}/integration-desk-sw.png", full_page=True)

    # the system calls with it: the case its agency is on the team of, never the child
    answer = page.request.get(
        f"{base}/api/v1/cases/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200
    body = answer.json()
    assert [item["code"] for item in body["items"]] == [case.code]
    assert "Mwanaisha" not in answer.text()
    assert int(answer.headers["ratelimit-remaining"]) < integration.rate_per_minute
