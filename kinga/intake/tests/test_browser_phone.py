"""On a phone (390x844), in Chromium: a report in Kiswahili, Quick exit that leaves no
text behind for Back, and staff lists (triage, directory) that fit the screen without
sideways scrolling under a compact header (issue 13 points 11 and 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import browser_sign_in
from kinga.directory.tests.test_directory import directory  # noqa: F401  # the fixture
from kinga.intake.models import Channel, Report
from kinga.intake.tests.test_browser_report import fill_and_send, no_limits  # noqa: F401
from kinga.referrals.tests.test_browser import _service_types  # noqa: F401  # autouse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NEUTRAL = "https://www.google.com/**"


def _context(browser_page: Any, *, locale: str, viewport: dict[str, int] = PHONE) -> Any:
    """A fresh page with the browser's language and screen; the neutral site stood in for."""
    context = browser_page.context.browser.new_context(viewport=viewport, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.route(NEUTRAL, lambda route: route.fulfill(body="weather", status=200))
    return page


def _no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_report_on_a_phone_in_kiswahili(
    live_server: Any,
    browser_page: Any,
    no_limits: None,  # noqa: F811
) -> None:
    page = _context(browser_page, locale="sw-KE")
    page.goto(f"{live_server.url}/report/")
    # the browser asks for Kiswahili: the form answers in it, without ?lang=
    assert page.locator("html").get_attribute("lang") == "sw"
    assert page.locator("h1").inner_text() == "Tueleze kuhusu mtoto aliye hatarini"
    # the emergency numbers come first, as phone links
    assert page.locator("#emergency-numbers a[href='tel:116']").is_visible()
    assert page.locator("#emergency-numbers a[href='tel:999']").is_visible()
    assert _no_sideways_scroll(page)
    # wards follow the county: with Kwale chosen, only Kwale's wards are offered
    page.select_option("#id_county", label="Kwale")
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('#id_ward optgroup'))"
        ".filter(g => !g.hidden).map(g => g.label)"
    )
    assert shown and all(label.startswith("Kwale / ") for label in shown)
    page.select_option("#id_county", label="Kilifi")
    code = fill_and_send(page)
    assert len(code) == 11
    report = Report.objects.get(channel=Channel.WEB)
    assert report.language == "sw" and report.county.name == "Kilifi"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_quick_exit_then_back_brings_no_typed_text_back(
    live_server: Any,
    browser_page: Any,
    no_limits: None,  # noqa: F811  # the fixture
    viewport: dict[str, int],
) -> None:
    page = _context(browser_page, locale="sw-KE", viewport=viewport)
    page.goto(f"{live_server.url}/report/")
    page.check("input[name=categories][value=sexual_exploitation]")
    page.fill("#id_narrative", "Mwanaisha hupelekwa baa ya Mtwapa")
    page.fill("#id_reporter_contact", "0712 345 678")
    # on to the English form (another history entry), where more is typed
    page.click("a[hreflang=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    page.fill("#id_narrative", "The white car comes at night")
    page.click("[data-quick-exit]")
    page.wait_for_url(NEUTRAL)
    # Back skips the page Quick exit left (it was replaced) and finds the first form empty
    page.go_back()
    page.wait_for_load_state()
    assert "/report/" in page.url
    assert page.locator("#id_narrative").input_value() == ""
    assert page.locator("#id_reporter_contact").input_value() == ""
    assert not page.locator("input[name=categories][value=sexual_exploitation]").is_checked()
    content = page.content()
    assert "Mwanaisha" not in content and "white car" not in content
    assert Report.objects.count() == 0


def _make_reports(personas: Any) -> list[Report]:
    from kinga.intake.services import ReportInput, report_log_call
    from kinga.places.models import County, Ward

    mombasa = County.objects.get(name="Mombasa")
    ukunda = Ward.objects.get(name="Ukunda")
    reports = []
    for number, extra in enumerate(
        [
            {"danger_now": "yes", "county_id": mombasa.pk},
            {"age_bands": ["6-11"], "county_id": mombasa.pk, "ward_id": ukunda.pk},
            {"online_platform": "tiktok", "county_id": mombasa.pk},
        ]
    ):
        report, _code = report_log_call(
            operator=personas.helpline,
            data=ReportInput(
                categories=["sexual_exploitation", "trafficking", "online"],
                narrative=f"Report {number}",
                **extra,  # type: ignore[arg-type]
            ),
        )
        reports.append(report)
    return reports


def test_triage_and_directory_fit_a_phone_under_a_compact_header(
    live_server: Any,
    browser_page: Any,
    personas: Any,
    directory: Any,  # noqa: F811  # the fixture: services to list
    tmp_path: Path,
) -> None:
    reports = _make_reports(personas)
    page = browser_page
    base = live_server.url
    browser_sign_in(page, base, personas.caseworker)

    page.goto(f"{base}/intake/triage/")
    for report in reports:
        assert page.locator(f"text={report.reference}").is_visible()
    assert page.locator(".place-mismatch").first.is_visible()
    # the header takes a small part of the 844-pixel screen, not a quarter of it
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] <= 844 * 0.15
    # each report is one stacked card that says what and where, labelled
    card = page.locator("table.stack tbody tr").first
    assert card.locator("td[data-label]").count() == 7
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "triage-390x844.png"), full_page=True)

    page.goto(f"{base}/directory/")
    assert page.locator("table.stack tbody tr").count() > 0
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "directory-390x844.png"), full_page=True)

    page.goto(f"{base}/cases/")
    assert _no_sideways_scroll(page)
    assert (tmp_path / "triage-390x844.png").stat().st_size > 0
    assert (tmp_path / "directory-390x844.png").stat().st_size > 0
