"""Keyboard only (issue 22 point 2): the public report form filled and sent, and the triage
queue worked to a decision, with Tab, Space, the arrows, Enter and typing; no clicks. On those
pages every stop of the Tab key shows where the focus is."""

from __future__ import annotations

import pytest

from conftest import browser_sign_in
from kinga.cases.models import Case
from kinga.intake.models import Channel, Decision, Report
from kinga.intake.tests.test_web_and_triage import make_report
from tests.journeys.walk_a import (
    DESK,
    every_stop_shows_focus,
    focused,
    journey_ground,  # noqa: F401  # autouse
    path_of,
    screen,
    tab_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARRATIVE = "A boy of 12 sells boiled eggs at the Likoni ferry at night and a man drives him away"


def test_the_public_form_is_filled_and_sent_with_the_keyboard_alone(
    journey,
) -> None:
    page = journey.page
    journey.goto("/report/?lang=en")
    screen(journey, "public report form")
    assert every_stop_shows_focus(page) == []

    journey.goto("/report/?lang=en")
    unseen: list[str] = []
    tab_to(page, "input[name=categories][value=trafficking]", unseen=unseen)
    page.keyboard.press("Space")
    tab_to(page, "#id_narrative", unseen=unseen)
    page.keyboard.type(NARRATIVE)
    # a radio group is one Tab stop; the arrows choose within it
    tab_to(page, "input[name=danger_now]", unseen=unseen)
    for _ in range(6):
        if page.evaluate("() => document.activeElement.value") == "no":
            break
        page.keyboard.press("ArrowDown")
    assert page.is_checked("input[name=danger_now][value=no]")
    tab_to(page, "#id_county", unseen=unseen)
    page.keyboard.type("Mombasa")
    assert page.locator("#id_county option:checked").inner_text() == "Mombasa"
    tab_to(page, "main form button[type=submit]", unseen=unseen)
    assert unseen == []
    page.keyboard.press("Enter")
    page.wait_for_selector("#follow-up-code")
    screen(journey, "thanks, with the follow-up code")

    report = Report.objects.get()
    assert report.channel == Channel.WEB and report.narrative == NARRATIVE
    assert report.categories == ["trafficking"] and report.danger_now == "no"
    assert report.county.name == "Mombasa"


def test_the_triage_queue_is_worked_to_a_decision_with_the_keyboard_alone(
    journey, personas
) -> None:
    page = journey.page
    page.set_viewport_size(DESK)
    report = make_report(narrative=NARRATIVE, age_bands=["12-14"])
    browser_sign_in(page, journey.base_url, personas.caseworker)

    journey.goto("/intake/triage/")
    screen(journey, "triage queue")
    assert every_stop_shows_focus(page) == []

    journey.goto("/intake/triage/")
    unseen: list[str] = []
    tab_to(page, f"main a[href='/intake/triage/{report.pk}/']", unseen=unseen)
    page.keyboard.press("Enter")
    page.wait_for_selector("#decision-form")
    screen(journey, "a report to triage")
    assert path_of(journey) == f"/intake/triage/{report.pk}/"
    assert every_stop_shows_focus(page) == []

    tab_to(page, "input[name=decision]", unseen=unseen)
    for _ in range(8):
        if page.evaluate("() => document.activeElement.value") == "open_case":
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")  # the first radio of a group with none chosen is only focused
    assert page.is_checked("input[name=decision][value=open_case]")
    tab_to(page, "#id_reason", unseen=unseen)
    page.keyboard.type("A boy taken from the ferry at night: he needs a case at once")
    tab_to(page, "#decision-form button[type=submit]", unseen=unseen)
    assert focused(page) is not None
    assert unseen == []
    page.keyboard.press("Enter")
    page.wait_for_selector("#source-report")
    screen(journey, "the case just opened")

    report.refresh_from_db()
    assert report.decision == Decision.OPEN_CASE
    case = Case.objects.get(source_report_id=report.pk)
    assert path_of(journey) == f"/cases/{case.pk}/"


def test_the_focus_check_finds_a_stop_without_a_visible_focus(
    journey,
) -> None:
    page = journey.page
    journey.goto("/report/?lang=en")
    # hide the focus, as a careless theme would (through the CSSOM: the CSP refuses a <style>)
    page.evaluate(
        """() => document.querySelectorAll('a, input, textarea, select, button').forEach(e => {
             e.style.setProperty('outline', 'none', 'important');
             e.style.setProperty('box-shadow', 'none', 'important');
           })"""
    )
    unseen = every_stop_shows_focus(page)
    assert "textarea narrative" in unseen and "a Quick exit (Esc)" in unseen
