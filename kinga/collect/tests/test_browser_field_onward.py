"""Issues 18 and 19 in Chromium, at phone and desk widths, in English and Kiswahili:
a supervisor stops a volunteer (their phone is refused at once); a caseworker reads a home
visit the field sent; a trainer changes a session and reads its written feedback."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import browser_sign_in
from kinga.cases.tests.conftest import open_case
from kinga.collect import services
from kinga.collect.models import HomeVisit
from kinga.collect.tests.odk import Collect
from kinga.intake.tests.conftest import alert_chain_ensure
from kinga.training import services as training
from kinga.training.models import TrainingSession
from kinga.training.tests.conftest import make_course, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [(390, "en"), (1280, "sw")]


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("KINGA_WALK_SCREENS") or tmp_path)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _start(page: Any, base: str, user: Any, width: int, language: str) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    browser_sign_in(page, base, user)


@pytest.mark.parametrize(("width", "language"), CASES)
def test_a_supervisor_stops_a_volunteer_and_the_phone_is_refused(
    live_server: Any, browser_page: Any, personas: Any, tmp_path: Path, width: int, language: str
) -> None:
    alert_chain_ensure()
    volunteer = services.volunteer_add(actor=None, name="Mzee Kombo", agency=personas.ngo)
    _token, secret = services.token_issue(actor=None, volunteer=volunteer, label="Itel")
    collect = Collect(Client(), f"http://testserver/odk/key/{secret}/")
    assert collect.form_list().status_code == 200
    page = browser_page
    _start(page, live_server.url, personas.supervisor, width, language)
    page.goto(f"{live_server.url}/collect/volunteers/{volunteer.pk}/")
    _shot(page, tmp_path, f"volunteer-{width}-{language}")
    page.click("#deactivate button")
    page.wait_for_url(re.compile(rf".*/collect/volunteers/{volunteer.pk}/$"))
    assert page.locator("#deactivate").count() == 0
    assert page.locator("main .badge").first.is_visible()
    _shot(page, tmp_path, f"volunteer-stopped-{width}-{language}")
    assert collect.form_list().status_code == 401


@pytest.mark.parametrize(("width", "language"), CASES)
def test_a_caseworker_reads_a_home_visit_from_the_field(
    live_server: Any, browser_page: Any, personas: Any, tmp_path: Path, width: int, language: str
) -> None:
    alert_chain_ensure()
    case = open_case(personas)
    volunteer = services.volunteer_add(actor=None, name="Mama Amina", agency=personas.ngo)
    _token, secret = services.token_issue(actor=None, volunteer=volunteer)
    collect = Collect(Client(), f"http://testserver/odk/key/{secret}/")
    response, _instance = collect.fill_and_send(
        "kinga_home_visit",
        {
            "case_code": case.code,
            "visited_on": timezone.localdate().isoformat(),
            "child_seen": "yes",
            "danger_now": "no",
            "needs": "school",
            "notes": "Ameanza shule tena; shangazi anauliza kuhusu ada.",
        },
    )
    assert response.status_code == 201
    page = browser_page
    _start(page, live_server.url, personas.caseworker, width, language)
    # the home leads to the visit
    page.click("main a[href='/collect/home-visits/']")
    page.click(f"main a:has-text('{case.code}')")
    assert "shangazi anauliza kuhusu ada" in page.content()
    _shot(page, tmp_path, f"home-visit-{width}-{language}")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/collect/home-visits/$"))
    assert HomeVisit.objects.get().read_by == personas.caseworker


@pytest.mark.parametrize(("width", "language"), CASES)
def test_a_trainer_changes_a_session_and_reads_its_feedback(
    live_server: Any, browser_page: Any, personas: Any, tmp_path: Path, width: int, language: str
) -> None:
    course = make_course(personas)
    session = make_session(personas, course)
    someone = training.participant_add(
        actor=personas.trainer, session=session, user=personas.investigator
    )
    page = browser_page
    _start(page, live_server.url, personas.trainer, width, language)
    page.goto(f"{live_server.url}/training/sessions/{session.pk}/")
    page.click(f"main a[href='/training/sessions/{session.pk}/edit/']")
    page.fill("#id_venue", "Bamburi Police Training Hall")
    page.fill("#id_ends_on", "2000-01-01")
    page.click("main form button[type=submit]")
    # refused with the reason; what was typed is kept
    assert page.locator("#id_venue").input_value() == "Bamburi Police Training Hall"
    page.fill("#id_ends_on", session.ends_on.isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/training/sessions/{session.pk}/$"))
    assert TrainingSession.objects.get().venue == "Bamburi Police Training Hall"
    page.goto(f"{live_server.url}/training/participants/{someone.pk}/")
    page.fill("#id_feedback_text", "Kuigiza mahojiano na mtoto kulinisaidia zaidi.")
    page.fill("#id_feedback_rating", "5")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/training/sessions/{session.pk}/$"))
    feedback = page.locator("#feedback").inner_text()
    assert "Kuigiza mahojiano na mtoto" in feedback
    assert personas.investigator.first_name not in feedback
    _shot(page, tmp_path, f"session-feedback-{width}-{language}")


@pytest.mark.parametrize(("width", "language"), CASES)
def test_a_trainer_gives_a_campaign_its_ussd_code_and_a_bad_one_is_explained(
    live_server: Any, browser_page: Any, personas: Any, tmp_path: Path, width: int, language: str
) -> None:
    import datetime as dt

    from kinga.awareness.models import Campaign
    from kinga.awareness.services import campaign_create

    campaign = campaign_create(
        actor=personas.trainer,
        name="Hoteli Salama kwa Watoto",
        message="Tell us, anonymously, on 116.",
        languages=["en", "sw"],
        channels=["beach_hotel"],
        starts_on=timezone.localdate() - dt.timedelta(days=20),
        ends_on=None,
        reporting_code="HOTELI116",
    )
    page = browser_page
    _start(page, live_server.url, personas.trainer, width, language)
    page.goto(f"{live_server.url}/awareness/campaigns/{campaign.pk}/")
    page.click(f"main a[href='/awareness/campaigns/{campaign.pk}/edit/']")
    page.fill("#id_ussd_code", "384 2025")
    page.fill("#id_promoted_numbers", "116; *384*2025#")
    page.click("main form button[type=submit]")
    # refused with what to fix; what was typed is kept
    assert page.locator("#id_promoted_numbers").input_value() == "116; *384*2025#"
    assert "*384*1234#" in page.locator("main form").inner_text()
    page.fill("#id_ussd_code", "*384*2025#")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/awareness/campaigns/{campaign.pk}/$"))
    assert Campaign.objects.get().ussd_code == "*384*2025#"
    assert "*384*2025#" in page.locator("main").inner_text()
    _shot(page, tmp_path, f"campaign-ussd-{width}-{language}")
