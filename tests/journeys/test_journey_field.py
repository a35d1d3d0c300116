"""The field volunteer's submission arriving (issue 22 point 1), in English on a desk: the
supervisor adds the volunteer and sets up the phone through the pages (a blank name first
refused, the county kept); the phone sends a report over OpenRosa as ODK Collect does; the
supervisor sees it on the volunteer's page, and triage sees it with who sent it. The pages
read are revisited in Kiswahili on a phone. Every screen passes the accessibility check."""

from __future__ import annotations

import pytest
from django.test import Client

from kinga.collect.models import Volunteer
from kinga.collect.tests.conftest import FIELD_REPORT
from kinga.collect.tests.odk import Collect
from kinga.intake.models import Channel, Report
from kinga.intake.services.routing import route
from tests.journeys.walk_a import (
    DESK,
    PHONE,
    journey_ground,  # noqa: F401  # autouse
    language_cookie,
    path_of,
    revisit,
    screen,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_field_volunteers_report_arrives_where_staff_see_it_in_english_on_a_desk(
    journey, personas
) -> None:
    page = journey.page
    page.set_viewport_size(DESK)
    sign_in(journey, personas.supervisor, language="en")
    page.click(".main-nav a[href='/collect/volunteers/']")
    page.wait_for_selector("#id_name")
    screen(journey, "field volunteers")

    page.fill("#id_name", "   ")
    page.select_option("#id_county", label="Mombasa")
    page.click("main button:has-text('Add the volunteer')")
    page.wait_for_selector("main .error")
    assert page.locator("#id_county option:checked").inner_text() == "Mombasa"
    assert not Volunteer.objects.exists()
    screen(journey, "a volunteer refused")
    page.fill("#id_name", "Mwanaisha Chande")
    page.click("main button:has-text('Add the volunteer')")
    page.wait_for_selector("#id_label")
    volunteer = Volunteer.objects.get()
    assert volunteer.code in page.locator("h1").inner_text()
    screen(journey, "a volunteer")
    volunteer_path = path_of(journey)

    page.fill("#id_label", "Tecno Spark")
    page.click("main form.stacked button[type=submit]")
    page.wait_for_selector(".qr svg")
    screen(journey, "the phone's set-up code")
    url = page.locator(".token-url").text_content() or ""
    assert "/odk/key/" in url

    # the phone sends a report as Collect does (the test server's host stands for the real one)
    collect = Collect(Client(), f"http://testserver/odk/{url.split('/odk/', 1)[1]}")
    response, _instance = collect.fill_and_send("kinga_field_report", FIELD_REPORT)
    assert response.status_code == 201
    report = Report.objects.get()
    assert report.channel == Channel.FIELD and report.narrative == FIELD_REPORT["narrative"]
    route(report, now=report.received_at)  # as the worker does within a second

    journey.goto(volunteer_path)
    assert report.reference in page.inner_text("main")
    screen(journey, "the volunteer with the report sent")
    revisit(journey, ["/collect/volunteers/", volunteer_path], language="sw", viewport=PHONE)

    # triage: the children's officer of Mombasa sees the report and who sent it
    page.set_viewport_size(DESK)
    language_cookie(journey, "en")
    journey.goto("/")
    page.click(".logout button")
    page.wait_for_selector("#id_username")
    sign_in(journey, personas.children_officer, language="en")
    page.click(".main-nav a[href='/intake/triage/']")
    page.wait_for_selector(f"main a:has-text('{report.reference}')")
    screen(journey, "triage with the field report")
    page.click(f"main a:has-text('{report.reference}')")
    page.wait_for_selector(".field-origin")
    origin = page.inner_text(".field-origin")
    assert volunteer.code in origin and personas.ngo.name in origin
    screen(journey, "the field report in triage")

    revisit(
        journey, ["/intake/triage/", f"/intake/triage/{report.pk}/"], language="sw", viewport=PHONE
    )
