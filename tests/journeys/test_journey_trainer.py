"""The trainer's journey (issue 22 point 1), in Kiswahili on a phone: plan a joint session
for police and prosecutors, add a participant, record their days and pre- and post-test
scores (the session's gain follows), then record an awareness event of a campaign. The
pages seen are revisited in English on a desk."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from kinga.awareness import services as awareness
from kinga.awareness.models import Event
from kinga.places.models import Ward
from kinga.training.models import Participant, TrainingSession
from kinga.training.tests.conftest import make_course
from tests.journeys.walk_b import DESK, PHONE, path_of, revisit, screen, walk_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_trainer_runs_a_session_records_scores_and_an_awareness_event(journey, personas) -> None:
    p = personas
    course = make_course(p)
    today = timezone.localdate()
    campaign = awareness.campaign_create(
        actor=p.trainer,
        name="Hoteli salama kwa watoto",
        message="Piga 116 ukiona mtoto hatarini.",
        languages=["sw", "en"],
        channels=["beach_hotel"],
        starts_on=today - datetime.timedelta(days=30),
        ends_on=None,
    )
    page = journey.page
    seen: list[str] = []

    walk_as(journey, p.trainer, language="sw", size=PHONE)
    page.click(".main-nav a[href='/training/']")
    screen(journey, "the sessions")
    seen.append(path_of(journey))
    page.click("main a[href='/training/sessions/new/']")
    screen(journey, "a new session")
    seen.append(path_of(journey))
    starts = today - datetime.timedelta(days=3)
    page.select_option("#id_course", str(course.pk))
    page.fill("#id_starts_on", starts.isoformat())
    page.fill("#id_ends_on", (starts + datetime.timedelta(days=2)).isoformat())
    page.fill("#id_venue", "Ukumbi wa Mahakama, Mombasa")
    page.select_option("#id_county", label="Mombasa")
    page.fill("#id_facilitators", "Hon. A. Mwangi")
    page.check("input[name=audiences][value=police]")
    page.check("input[name=audiences][value=prosecutor]")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/training/sessions/\d+/$"))
    session = TrainingSession.objects.get()
    assert session.joint and session.venue == "Ukumbi wa Mahakama, Mombasa"
    screen(journey, "the session")
    seen.append(path_of(journey))

    page.click(f"main a[href='/training/sessions/{session.pk}/participants/new/']")
    screen(journey, "adding a participant")
    seen.append(path_of(journey))
    page.fill("#id_name", "Cpl. Amina Wekesa")
    page.select_option("#id_agency", str(p.police.pk))
    page.fill("#id_job_title", "Koplo")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/training/sessions/{session.pk}/$"))
    participant = Participant.objects.get(session=session)
    assert participant.agency == p.police

    page.click(f"main a[href='/training/participants/{participant.pk}/']")
    screen(journey, "a participant's days and scores")
    seen.append(path_of(journey))
    for box in page.locator("input[name=days]").all():
        box.check()
    page.fill("#id_pre_score", "9")
    page.fill("#id_post_score", "16")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/training/sessions/{session.pk}/$"))
    screen(journey, "the session with its scores")
    participant.refresh_from_db()
    assert (participant.pre_score, participant.post_score) == (9, 16)
    assert participant.attendance.count() == 3
    # one participant sat both tests: the session's mean gain is theirs (16 - 9)
    assert "7.0" in page.inner_text("main")

    page.click(".main-nav a[href='/awareness/']")
    screen(journey, "the campaigns")
    seen.append(path_of(journey))
    page.click(f"main a[href='/awareness/campaigns/{campaign.pk}/']")
    screen(journey, "a campaign")
    seen.append(path_of(journey))
    page.click(f"main a[href='/awareness/campaigns/{campaign.pk}/events/new/']")
    screen(journey, "a new awareness event")
    seen.append(path_of(journey))
    ward = Ward.objects.filter(sub_county__county__name="Kwale").order_by("name").first()
    assert ward is not None
    page.fill("#id_held_on", today.isoformat())
    page.select_option("#id_event_type", "beach_hotel")
    page.select_option("#id_ward", str(ward.pk))
    page.check("input[name=audiences] >> nth=0")
    page.fill("#id_estimated_reach", "45")
    page.fill("#id_facilitators", "Mwakio Mghanga")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/awareness/events/\d+/$"))
    screen(journey, "the event recorded")
    seen.append(path_of(journey))
    event = Event.objects.get(campaign=campaign)
    assert (event.ward, event.estimated_reach) == (ward, 45)

    revisit(journey, seen, language="en", size=DESK)
