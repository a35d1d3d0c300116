"""The counsellor's journey (issue 22 point 1), in Kiswahili on a phone: from the case list to
a case they are on, a counselling session recorded (a date not yet come first refused, the
notes kept), the session on the case; a case they are not on is "not found". Then the same
pages in English on a desk. Every screen passes the accessibility check."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kinga.cases import services as case_services
from kinga.cases.models import CounsellingSession, RoleOnCase
from kinga.cases.tests.conftest import open_case
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

NOTES = "Alizungumza kuhusu shule na bibi yake; analala vizuri zaidi wiki hii."


def test_a_counsellor_records_a_session_in_kiswahili_on_a_phone(journey, personas) -> None:
    page = journey.page
    page.set_viewport_size(PHONE)
    case = open_case(personas)
    case_services.case_team_add(
        case=case,
        user=personas.counsellor,
        role_on_case=RoleOnCase.COUNSELLOR,
        actor=personas.caseworker,
    )
    not_theirs = open_case(personas, given_name="Halima")
    sign_in(journey, personas.counsellor, language="sw")
    screen(journey, "counsellor's home")

    page.click(".main-nav a[href='/cases/']")
    page.wait_for_selector(f"main a:has-text('{case.code}')")
    assert not_theirs.code not in page.inner_text("main")
    screen(journey, "the counsellor's cases")
    page.click(f"main a:has-text('{case.code}')")
    page.wait_for_selector(f"main a[href='/cases/{case.pk}/add/session/']")
    screen(journey, "a case the counsellor is on")

    page.click(f"main a[href='/cases/{case.pk}/add/session/']")
    page.wait_for_selector("#id_held_on")
    screen(journey, "record a counselling session")
    session_path = path_of(journey)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page.fill("#id_held_on", tomorrow.isoformat())
    page.select_option("#id_session_type", "individual")
    page.select_option("#id_attendance", "attended")
    page.fill("#id_notes", NOTES)
    page.click("main form button[type=submit]")
    # a session that has not happened yet: refused on its date, the notes kept
    page.wait_for_selector("main p.error")
    assert page.input_value("#id_notes") == NOTES
    assert page.input_value("#id_session_type") == "individual"
    assert not CounsellingSession.objects.exists()
    screen(journey, "a session refused")

    today = timezone.localdate()
    page.fill("#id_held_on", today.isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/cases/{case.pk}/")
    screen(journey, "the case with the session")
    session = CounsellingSession.objects.get(case=case)
    assert session.counsellor == personas.counsellor and session.held_on == today
    assert session.notes == NOTES

    # a case they are not on is not found, the same as one that does not exist
    response = page.goto(f"{journey.base_url}/cases/{not_theirs.pk}/")
    assert response is not None and response.status == 404
    assert "Halima" not in page.content()
    screen(journey, "a case the counsellor is not on")

    revisit(
        journey,
        ["/cases/", f"/cases/{case.pk}/", session_path],
        language="en",
        viewport=DESK,
    )
