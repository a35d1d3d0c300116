"""The helpline operator's journey (issue 22 point 1), in English on a desk: a call logged
(a wrong number first refused, nothing typed lost), the report made from it, the call found in
"My calls", and a follow-up call adding to the report; then the same pages in Kiswahili on a
phone. Every screen passes the accessibility check."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kinga.intake.models import Channel, HelplineCall, Report
from tests.journeys.walk_a import (
    DESK,
    PHONE,
    journey_ground,  # noqa: F401  # autouse
    path_of,
    revisit,
    screen,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARRATIVE = "Caller says two girls of about 13 are kept in a lodging at Ukunda and sent to tourists"
ADDED = "The caller saw the same girls taken to a villa in Diani last night"


def test_a_helpline_operator_logs_a_call_and_its_follow_up_in_english_on_a_desk(
    journey, personas
) -> None:
    page = journey.page
    page.set_viewport_size(DESK)
    sign_in(journey, personas.helpline, language="en")
    screen(journey, "helpline operator's home")

    page.click(".main-nav a[href='/intake/helpline/']")
    page.wait_for_selector("#id_narrative")
    screen(journey, "log a call")
    page.check("input[name=danger_now][value=no]")
    page.check("input[name=categories][value=sexual_exploitation]")
    page.select_option("#id_county", label="Kwale")
    page.fill("#id_narrative", NARRATIVE)
    page.check("input[name=child_sex][value=girl]")
    page.fill("#id_reporter_phone", "call me at the kiosk")
    page.fill("#id_duration_minutes", "12")
    page.check("input[name=support_given][value=counselling]")
    due = timezone.localdate() + datetime.timedelta(days=2)
    page.fill("#id_follow_up_due", due.isoformat())
    page.click("main form button[type=submit]")
    # a number that is not one: refused on its field, everything else as typed
    page.wait_for_selector("main p.error")
    assert "This is not a phone number." in page.inner_text("main")
    assert not Report.objects.exists()
    assert page.input_value("#id_narrative") == NARRATIVE
    assert page.is_checked("input[name=support_given][value=counselling]")
    assert page.input_value("#id_follow_up_due") == due.isoformat()
    screen(journey, "a call refused")

    page.fill("#id_reporter_phone", "0722 000 111")
    page.click("main form button[type=submit]")
    page.wait_for_selector("main .message")
    report = Report.objects.get()
    assert f"Logged as {report.reference}" in page.inner_text("main .message")
    screen(journey, "the call logged")
    assert report.channel == Channel.HELPLINE and report.narrative == NARRATIVE
    assert report.county.name == "Kwale" and report.reporter_phone.endswith("722000111")
    call = HelplineCall.objects.get(report=report)
    assert call.operator == personas.helpline and call.duration_minutes == 12
    assert call.support_given == ["counselling"] and call.follow_up_due == due

    page.click(".main-nav a[href='/intake/helpline/mine/']")
    page.wait_for_selector(f"main td:has-text('{report.reference}')")
    screen(journey, "my calls")
    page.click(f"main a[href='/intake/helpline/calls/{call.pk}/']")
    page.wait_for_selector("#report-heading")
    assert NARRATIVE in page.inner_text("main")
    screen(journey, "a call's page")
    call_path = path_of(journey)

    page.click("main a:has-text('Log a follow-up call')")
    page.wait_for_selector("#id_addition")
    screen(journey, "log a follow-up call")
    follow_up_path = path_of(journey)
    page.select_option("#id_caller_relation", "neighbour")
    page.fill("#id_addition", ADDED)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#calls-heading")
    screen(journey, "the call with its follow-up")
    assert ADDED in page.inner_text("main")
    later = HelplineCall.objects.get(follow_up_of=call)
    assert later.report == report
    assert [addition.text for addition in report.additions.all()] == [ADDED]

    revisit(
        journey,
        ["/intake/helpline/", "/intake/helpline/mine/", call_path, follow_up_path],
        language="sw",
        viewport=PHONE,
    )
