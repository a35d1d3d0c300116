"""The public reporter's journey (issue 22 point 1): in Kiswahili on a phone, a report with a
mistake corrected, its follow-up code, a follow-up, and Quick exit; then the same pages in
English on a desk. Every screen passes the accessibility check."""

from __future__ import annotations

import pytest

from kinga.intake.models import Channel, Report
from tests.journeys.walk_a import (
    DESK,
    NEUTRAL,
    journey_ground,  # noqa: F401  # autouse
    path_of,
    revisit,
    screen,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARRATIVE = "Wasichana wawili wadogo hupelekwa baa ya Mtwapa usiku na mwanamume wa gari jeupe"
CONTACT = "0712 345 678"
ADDED = "Gari ni Probox nyeupe, inakuja saa nne usiku"


def test_a_member_of_the_public_reports_in_kiswahili_on_a_phone(journey) -> None:
    page = journey.page
    page.route(NEUTRAL, lambda route: route.fulfill(body="weather", status=200))
    journey.goto("/report/?lang=en")
    screen(journey, "public report form")
    page.click("a[hreflang=sw]")
    page.wait_for_selector("html[lang=sw]")
    assert page.locator("h1").inner_text() == "Tueleze kuhusu mtoto aliye hatarini"
    screen(journey, "public report form")

    # a first try saying where but not what: refused, and nothing typed is lost
    page.select_option("#id_county", label="Kilifi")
    page.fill("#id_reporter_contact", CONTACT)
    page.click("main form button[type=submit]")
    page.wait_for_selector("main .error[role=alert]")
    assert not Report.objects.exists()
    assert page.locator("#id_county option:checked").inner_text() == "Kilifi"
    assert page.input_value("#id_reporter_contact") == CONTACT
    screen(journey, "public report form with its error")

    page.fill("#id_narrative", NARRATIVE)
    page.check("input[name=categories][value=sexual_exploitation]")
    page.check("input[name=danger_now][value=no]")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#follow-up-code")
    code = page.inner_text("#follow-up-code")
    assert len(code) == 11
    screen(journey, "thanks, with the follow-up code")
    report = Report.objects.get()
    assert report.channel == Channel.WEB and report.language == "sw"
    assert report.county.name == "Kilifi" and report.narrative == NARRATIVE
    assert report.reporter_contact == CONTACT
    assert page.context.cookies() == []  # nothing of the report is kept in the browser

    # later, with the code: a follow-up adds what was seen since
    page.click("main a[href*='follow-up']")
    page.wait_for_selector("#id_code")
    screen(journey, "follow-up form")
    page.fill("#id_code", code)
    page.fill("#id_text", ADDED)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#report-status")
    assert page.inner_text("#report-status") == "Imepokelewa"
    screen(journey, "follow-up status")
    assert [a.text for a in report.additions.all()] == [ADDED]

    # Quick exit leaves at once, and Back does not lead to the form
    page.click("main a[href*='/report/']")
    page.wait_for_selector("#id_narrative")
    follow_up_path = "/report/follow-up/?lang=sw"
    page.click("[data-quick-exit]")
    page.wait_for_url(NEUTRAL)
    page.go_back()
    assert path_of(journey) == follow_up_path

    revisit(
        journey,
        ["/report/?lang=en", "/report/follow-up/?lang=en"],
        language="en",
        viewport=DESK,
    )
