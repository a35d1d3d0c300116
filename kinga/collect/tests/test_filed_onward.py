"""Issue 19: a home visit reaches the case's caseworker; an awareness event becomes an event
of its campaign with its attendance; a deactivated volunteer's phones are refused at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Personas
from kinga.audit.models import AuditEvent
from kinga.awareness import services as awareness
from kinga.awareness.models import Campaign, Event
from kinga.cases.models import Case
from kinga.cases.tests.conftest import open_case
from kinga.collect import services
from kinga.collect.models import (
    DeviceToken,
    HomeVisit,
    QuarantineReason,
    Submission,
    SubmissionStatus,
    Volunteer,
)
from kinga.collect.tests.odk import Collect
from kinga.notifications.models import Notification
from kinga.places.models import Ward

pytestmark = pytest.mark.django_db


def _visit(case: Case, **extra: str) -> dict[str, str]:
    return {
        "started": "2026-12-03T09:15:02.000+03:00",
        "finished": "2026-12-03T09:31:40.000+03:00",
        "case_code": case.code.lower(),
        "visited_on": timezone.localdate().isoformat(),
        "child_seen": "yes",
        "danger_now": "no",
        "needs": "school counselling",
        "notes": "Back at school since Monday; the aunt asks about fees.",
        **extra,
    }


@pytest.fixture
def case(personas: Personas) -> Case:
    return open_case(personas)


def test_a_home_visit_reaches_the_cases_caseworker(
    personas: Personas, case: Case, phone: tuple[Collect, str], client_for: Any
) -> None:
    collect, _secret = phone
    response, instance = collect.fill_and_send("kinga_home_visit", _visit(case))
    assert response.status_code == 201
    visit = HomeVisit.objects.get()
    assert (
        visit.case_id == case.pk
        and visit.child_seen
        and visit.needs
        == [
            "counselling",
            "school",
        ]
    )
    assert visit.notes.startswith("Back at school")
    submission = Submission.objects.get(instance_id=instance)
    assert submission.status == SubmissionStatus.FILED and submission.report is None
    note = Notification.objects.get(recipient=personas.caseworker)
    assert case.code in note.text and str(visit.pk) in note.link
    # the caseworker's home counts it, the list shows it, the page shows what was seen
    caseworker = client_for(personas.caseworker)
    home = caseworker.get("/").content.decode()
    assert "Home visits from the field to read" in home
    listing = caseworker.get("/collect/home-visits/").content.decode()
    assert case.code in listing
    page = caseworker.get(f"/collect/home-visits/{visit.pk}/")
    assert page.status_code == 200 and "aunt asks about fees" in page.content.decode()
    assert AuditEvent.objects.filter(
        record_type="collect.homevisit", record_id=str(visit.pk), action="view"
    ).exists()
    # the case's timeline shows it, as a care entry linking to the visit
    timeline = caseworker.get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert timeline.status_code == 200
    body = timeline.content.decode()
    assert "Home visit from the field" in body and f"/collect/home-visits/{visit.pk}/" in body
    assert "aunt asks about fees" not in body  # the notes are read on the visit's page
    # marking it read takes it off the home
    assert caseworker.post(f"/collect/home-visits/{visit.pk}/").status_code == 302
    visit.refresh_from_db()
    assert visit.read_at is not None and visit.read_by == personas.caseworker
    assert "Home visits from the field to read" not in caseworker.get("/").content.decode()
    # sent again: still one visit
    again = collect.post(*_resend(collect, instance))
    assert again.status_code == 201
    assert HomeVisit.objects.count() == 1


def _resend(collect: Collect, instance: str) -> tuple[bytes, dict[str, bytes]]:
    submission = Submission.objects.get(instance_id=instance)
    import base64

    files = {
        stored.name: bytes(stored.content)
        for stored in submission.files.all()  # sealed as the phone sent them
    }
    return base64.b64decode(submission.envelope), files


def test_a_child_in_danger_on_a_home_visit_is_told_so(
    personas: Personas, case: Case, phone: tuple[Collect, str]
) -> None:
    collect, _secret = phone
    response, _instance = collect.fill_and_send("kinga_home_visit", _visit(case, danger_now="yes"))
    assert response.status_code == 201
    note = Notification.objects.get(recipient=personas.caseworker)
    assert "in danger now" in note.text


@pytest.mark.parametrize("code", ["other agency", "unknown"])
def test_a_home_visit_on_a_case_the_agency_does_not_work_on_is_quarantined_unread(
    personas: Personas, case: Case, client_for: Any, code: str
) -> None:
    """Another agency's volunteer (or a made-up code) cannot write into a case: the phone
    is told nothing about the case, and nothing reaches its team."""
    outsider = services.volunteer_add(actor=None, name="Mzee Kombo", agency=personas.other_ngo)
    _token, secret = services.token_issue(actor=None, volunteer=outsider)
    collect = Collect(Client(), f"http://testserver/odk/key/{secret}/")
    answers = _visit(case) if code == "other agency" else _visit(case, case_code="MSA-2026-99999")
    response, instance = collect.fill_and_send("kinga_home_visit", answers)
    # the same answer as for any submission kept for the office: nothing to probe codes with
    assert response.status_code == 201
    assert "checked at the office" in response.content.decode()
    submission = Submission.objects.get(instance_id=instance)
    assert submission.status == SubmissionStatus.QUARANTINED
    assert submission.quarantine_reason == QuarantineReason.NOT_ON_CASE
    assert not HomeVisit.objects.exists()
    assert not Notification.objects.filter(recipient=personas.caseworker).exists()


def test_only_the_cases_team_reads_a_home_visit(
    personas: Personas, case: Case, phone: tuple[Collect, str], client_for: Any
) -> None:
    collect, _secret = phone
    collect.fill_and_send("kinga_home_visit", _visit(case))
    visit = HomeVisit.objects.get()
    for outsider in (
        personas.caseworker_other,
        personas.admin,
        personas.trainer,
        personas.analyst,
        personas.investigator,
    ):
        client = client_for(outsider)
        assert client.get(f"/collect/home-visits/{visit.pk}/").status_code == 404, outsider
        assert client.post(f"/collect/home-visits/{visit.pk}/").status_code == 404, outsider
        assert case.code not in client.get("/collect/home-visits/").content.decode()
    visit.refresh_from_db()
    assert visit.read_at is None
    assert AuditEvent.objects.filter(
        record_type="collect.homevisit", record_id=str(visit.pk), action="denied"
    ).exists()


def _campaign(p: Personas) -> Campaign:
    return awareness.campaign_create(
        actor=p.trainer,
        name="Linda Mtoto Pwani",
        message="Ukiona kitu, sema: piga 116.",
        languages=["sw"],
        channels=["baraza"],
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        ends_on=None,
        reporting_code="PWANI24",
    )


def test_an_awareness_event_from_the_field_becomes_an_event_with_its_attendance(
    personas: Personas, phone: tuple[Collect, str], volunteer: Volunteer
) -> None:
    campaign = _campaign(personas)
    collect, _secret = phone
    ward = Ward.objects.filter(sub_county__county__name="Kilifi").first()
    assert ward is not None
    answers = {
        "started": "2026-12-03T09:15:02.000+03:00",
        "finished": "2026-12-03T11:01:40.000+03:00",
        "campaign": str(campaign.pk),
        "event_type": "baraza",
        "held_on": timezone.localdate().isoformat(),
        "county": str(ward.sub_county.county.code),
        "sub_county": str(ward.sub_county_id),
        "ward": str(ward.pk),
        "audience": "parents public",
        "adults": "64",
        "young_people": "23",
        "topics": "How recruiters approach girls at the beach; calling 116.",
    }
    response, instance = collect.fill_and_send("kinga_awareness_event", answers)
    assert response.status_code == 201
    event = Event.objects.get()
    assert (event.campaign, event.ward, event.event_type) == (campaign, ward, "baraza")
    assert (event.adults, event.young_people, event.estimated_reach) == (64, 23, 87)
    assert event.audiences == ["parents", "public"]
    assert event.created_by is None and event.collected_by.startswith(volunteer.code)
    submission = Submission.objects.get(instance_id=instance)
    assert submission.status == SubmissionStatus.FILED and submission.event == event
    assert AuditEvent.objects.filter(
        record_type="awareness.event",
        record_id=str(event.pk),
        actor_label=f"field:{volunteer.code}",
    ).exists()


def test_an_event_of_a_campaign_that_is_not_there_is_quarantined(
    personas: Personas, phone: tuple[Collect, str]
) -> None:
    campaign = _campaign(personas)
    collect, _secret = phone
    ward = Ward.objects.filter(sub_county__county__name="Kilifi").first()
    assert ward is not None
    answers = {
        "campaign": str(campaign.pk + 100),
        "event_type": "baraza",
        "held_on": timezone.localdate().isoformat(),
        "county": str(ward.sub_county.county.code),
        "sub_county": str(ward.sub_county_id),
        "ward": str(ward.pk),
        "audience": "parents",
        "adults": "10",
        "young_people": "0",
    }
    response, instance = collect.fill_and_send("kinga_awareness_event", answers)
    assert response.status_code == 201
    submission = Submission.objects.get(instance_id=instance)
    assert submission.quarantine_reason == QuarantineReason.INVALID
    assert not Event.objects.exists()


def test_the_event_form_is_not_published_while_no_campaign_runs(
    personas: Personas, phone: tuple[Collect, str]
) -> None:
    collect, _secret = phone
    listed = collect.form_list().content.decode()
    assert "kinga_field_report" in listed and "kinga_awareness_event" not in listed
    _campaign(personas)
    assert "kinga_awareness_event" in collect.form_list().content.decode()


def test_a_deactivated_volunteers_phones_are_refused_at_once(
    personas: Personas,
    volunteer: Volunteer,
    phone: tuple[Collect, str],
    client_for: Any,
) -> None:
    collect, _secret = phone
    assert collect.form_list().status_code == 200
    supervisor = client_for(personas.supervisor)
    response = supervisor.post(f"/collect/volunteers/{volunteer.pk}/deactivate/")
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert not volunteer.is_active
    assert not DeviceToken.objects.filter(volunteer=volunteer, revoked_at__isnull=True).exists()
    assert collect.form_list().status_code == 401
    assert collect.head().status_code == 401
    assert collect.download(f"{collect.server}/forms/kinga_home_visit.xml").status_code == 401
    before = Submission.objects.count()
    refused = collect.post(b"<data/>", {})
    assert refused.status_code == 401 and Submission.objects.count() == before
    event = AuditEvent.objects.filter(record_type="collect.volunteer", record_id=str(volunteer.pk))
    assert event.filter(action="permission_change").exists()
    # a new phone cannot be set up for them
    assert (
        supervisor.post(f"/collect/volunteers/{volunteer.pk}/token/", {"label": "x"}).status_code
        == 200
    )
    assert not DeviceToken.objects.filter(volunteer=volunteer, revoked_at__isnull=True).exists()


def test_another_agencys_supervisor_cannot_deactivate_or_see_a_volunteer(
    personas: Personas, volunteer: Volunteer, client_for: Any
) -> None:
    from conftest import make_user
    from kinga.accounts.models import Role

    kilifi_supervisor = make_user("kadzo_supervisor", personas.other_ngo, Role.SUPERVISOR)
    client = client_for(kilifi_supervisor)
    assert client.get(f"/collect/volunteers/{volunteer.pk}/").status_code == 404
    assert client.post(f"/collect/volunteers/{volunteer.pk}/deactivate/").status_code == 404
    volunteer.refresh_from_db()
    assert volunteer.is_active
    for outsider in (personas.admin, personas.caseworker, personas.trainer):
        assert (
            client_for(outsider).post(f"/collect/volunteers/{volunteer.pk}/deactivate/").status_code
            == 404
        )
