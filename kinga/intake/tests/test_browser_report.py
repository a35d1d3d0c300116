"""The public form in a real browser: with JavaScript (quick exit) and without it."""

from __future__ import annotations

from typing import Any

import pytest

from kinga.intake.models import Channel, Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_limits(settings: Any, transactional_db: None) -> None:
    from conftest import gazetteer_ensure

    gazetteer_ensure()
    settings.KINGA_REPORT_RATE_LIMIT = "1000/3600"
    settings.KINGA_FOLLOW_UP_RATE_LIMIT = "1000/3600"


def fill_and_send(page: Any) -> str:
    page.check("input[name=categories][value=sexual_exploitation]")
    page.fill("#id_narrative", "Wasichana wadogo wanapelekwa baa usiku")
    page.check("input[name=danger_now][value=no]")
    page.select_option("#id_county", label="Kilifi")
    page.click("button[type=submit]")
    return page.locator("#follow-up-code").inner_text()


@pytest.mark.parametrize("javascript", [True, False])
def test_report_in_kiswahili_then_follow_up(
    live_server: Any, browser_page: Any, no_limits: None, javascript: bool
) -> None:
    page = browser_page
    if not javascript:
        context = page.context.browser.new_context(java_script_enabled=False)
        page = context.new_page()
    page.goto(f"{live_server.url}/report/?lang=sw")
    assert page.locator("html").get_attribute("lang") == "sw"
    code = fill_and_send(page)
    assert len(code) == 11
    report = Report.objects.get(channel=Channel.WEB)
    assert report.county.name == "Kilifi" and report.language == "sw"
    assert page.context.cookies() == []  # nothing stored in the browser
    page.goto(f"{live_server.url}/report/follow-up/?lang=en")
    page.fill("#id_code", code)
    page.fill("#id_text", "They use a white car")
    page.click("main button[type=submit]")
    assert page.locator("#report-status").inner_text() == "Received"
    assert report.additions.count() == 1


def test_quick_exit_replaces_the_history_entry(
    live_server: Any, browser_page: Any, no_limits: None
) -> None:
    page = browser_page
    # Stand in for the neutral site, so the test never reaches the network.
    page.route("https://www.google.com/**", lambda route: route.fulfill(body="weather", status=200))
    page.goto(f"{live_server.url}/")
    page.goto(f"{live_server.url}/report/")
    page.keyboard.press("Escape")
    page.wait_for_url("https://www.google.com/**")
    page.go_back()
    # back leads to the page before the form, not to the form
    assert "/report/" not in page.url


def test_quick_exit_button_works(live_server: Any, browser_page: Any, no_limits: None) -> None:
    page = browser_page
    page.route("https://www.google.com/**", lambda route: route.fulfill(body="weather", status=200))
    page.goto(f"{live_server.url}/report/?lang=en")
    page.click("[data-quick-exit]")
    page.wait_for_url("https://www.google.com/**")
