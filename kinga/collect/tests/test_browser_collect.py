"""A supervisor sets up a volunteer's phone; the phone reports; triage sees who sent it.

In Chromium, at phone and desk widths, in English and Kiswahili. The phone itself is the
OpenRosa test client (it speaks the protocol as Collect does), on the same database.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from conftest import browser_sign_in
from kinga.collect.models import Volunteer
from kinga.collect.tests.conftest import FIELD_REPORT
from kinga.collect.tests.odk import Collect
from kinga.intake.models import Report
from kinga.intake.services.routing import route
from kinga.intake.tests.conftest import alert_chain_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "width", "heading", "add_button"),
    [
        ("en", 390, "Field volunteers", "Add the volunteer"),
        ("sw", 1280, "Wajitolea wa nyanjani", "Ongeza mjitolea huyu"),
    ],
)
def test_a_supervisor_sets_up_a_phone_and_triage_sees_the_volunteer(
    live_server: Any,
    browser_page: Any,
    personas: Any,
    language: str,
    width: int,
    heading: str,
    add_button: str,
    tmp_path: Any,
) -> None:
    alert_chain_ensure()
    # screenshots to look at: KINGA_SCREENSHOT_DIR when set, else the test's own folder
    shots = Path(os.environ.get("KINGA_SCREENSHOT_DIR") or tmp_path)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_sign_in(page, live_server.url, personas.supervisor)
    if language == "sw":
        page.select_option("#lang-select", "sw")
        page.click(".lang-switch button")
    page.click(f".main-nav >> text={heading}")
    assert page.locator("h1").inner_text() == heading
    # nothing typed is lost when the form is refused
    page.fill("#id_name", "   ")
    page.select_option("#id_county", label="Kilifi")
    page.click(f"button:has-text('{add_button}')")
    assert page.locator("#id_county option:checked").inner_text() == "Kilifi"
    assert not Volunteer.objects.exists()
    page.fill("#id_name", "Mwanaisha Chande")
    page.click(f"button:has-text('{add_button}')")
    volunteer = Volunteer.objects.get()
    assert volunteer.code in page.locator("h1").inner_text()
    page.fill("#id_label", "Tecno Spark")
    page.click("main form.stacked button[type=submit]")
    assert page.locator(".qr svg").is_visible()
    page.screenshot(path=shots / f"collect-token-{language}-{width}.png", full_page=True)
    url = page.locator(".token-url").text_content() or ""
    assert "/odk/key/" in url
    # the phone reports with that URL (the test server's host stands for the deployment's)
    path = url.split("/odk/", 1)[1]
    collect = Collect(Client(), f"http://testserver/odk/{path}")
    response, _instance = collect.fill_and_send("kinga_field_report", FIELD_REPORT)
    assert response.status_code == 201
    report = Report.objects.get()
    route(report, now=report.received_at)
    # the supervisor sees what the volunteer sent, and when
    page.goto(f"{live_server.url}/collect/volunteers/{volunteer.pk}/")
    assert report.reference in page.content()
    page.screenshot(path=shots / f"collect-volunteer-{language}-{width}.png", full_page=True)
    # triage (Mombasa's children's officer) sees the field report and who sent it
    page.context.clear_cookies()
    browser_sign_in(page, live_server.url, personas.children_officer)
    page.goto(f"{live_server.url}/intake/triage/{report.pk}/")
    origin = page.locator(".field-origin").inner_text()
    assert volunteer.code in origin
    assert personas.ngo.name in origin
    page.screenshot(path=shots / f"collect-triage-{language}-{width}.png", full_page=True)
