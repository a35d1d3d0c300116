"""Dates that can be true (issue 13 point 7): nothing that happened is dated after today,
an expiry is not before its start, each refusal shows on its form field in English and
Kiswahili, and the timeline is ordered by the day things happened."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kinga.cases import services
from kinga.cases.models import CaseEvent, ConsentGivenBy, ConsentPurpose
from kinga.people.models import PersonKind
from kinga.people.services import person_create

TODAY = timezone.localdate()
TOMORROW = TODAY + datetime.timedelta(days=1)
FUTURE = "This date is in the future. Enter the day it happened (today or before)."
FUTURE_SW = "Tarehe hii ni ya siku zijazo. Andika siku lilipotokea (leo au kabla)."


def _consent(p: Any, case: Any, **dates: Any) -> Any:
    return services.consent_record(
        case=case,
        actor=p.caseworker,
        purpose=ConsentPurpose.REFERRAL,
        recipient_agency=p.shelter,
        given_by=ConsentGivenBy.PARENT,
        explained="Explained in Kiswahili what the shelter will know.",
        **dates,
    )


def _assessment(p: Any, case: Any, day: datetime.date) -> Any:
    return services.assessment_record(
        case=case,
        actor=p.caseworker,
        kind="screening",
        assessed_on=day,
        trafficking_status="possible",
        status_decided_by="caseworker",
        age_basis="apparent",
        assessed_age=15,
        risk_level="medium",
    )


# Each service that records something that happened, with the field that dates it.
RECORDS: dict[str, tuple[str, Callable[[Any, Any, datetime.date], Any]]] = {
    "consent": ("given_on", lambda p, case, day: _consent(p, case, given_on=day)),
    "assessment": ("assessed_on", _assessment),
    "session": (
        "held_on",
        lambda p, case, day: services.session_record(
            case=case,
            actor=p.counsellor,
            held_on=day,
            session_type="individual",
            attendance="attended",
        ),
    ),
    "wellbeing": (
        "measured_on",
        lambda p, case, day: services.wellbeing_record(
            case=case, actor=p.counsellor, measured_on=day, scores=[2, 2, 2, 2, 2, 2]
        ),
    ),
    "safety": (
        "occurred_on",
        lambda p, case, day: services.safety_event_record(
            case=case, actor=p.caseworker, occurred_on=day, kind="threat"
        ),
    ),
    "reintegration": (
        "recorded_on",
        lambda p, case, day: services.reintegration_record(
            case=case, actor=p.caseworker, recorded_on=day, domain="school", status="achieved"
        ),
    ),
    "follow_up": (
        "held_on",
        lambda p, case, day: services.follow_up_record(
            case=case, actor=p.caseworker, held_on=day, outcome="well"
        ),
    ),
    "interview_held": (
        "held_on",
        lambda p, case, day: services.interview_record(
            case=case,
            actor=p.investigator,
            held_on=day,
            purpose="Statement",
            present="Investigator, intermediary",
            place="Child-friendly room",
            recording_reference="EX-1",
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_each_happened_date_refuses_the_future(personas, case, name) -> None:
    field, record = RECORDS[name]
    with pytest.raises(ValidationError) as refused:
        record(personas, case, TOMORROW)
    assert refused.value.message_dict[field] == [FUTURE]
    # today and before are true dates
    saved = record(personas, case, TODAY - datetime.timedelta(days=3))
    assert getattr(saved, field) == TODAY - datetime.timedelta(days=3)


def test_a_planned_interview_may_lie_ahead(personas, case) -> None:
    planned = services.interview_plan(
        case=case, actor=personas.investigator, held_on=TOMORROW, purpose="Statement"
    )
    assert planned.held_on == TOMORROW


def test_a_date_of_birth_cannot_be_after_today(personas) -> None:
    with pytest.raises(ValidationError) as refused:
        person_create(
            actor=personas.caseworker,
            kind=PersonKind.CHILD,
            given_name="Zawadi",
            date_of_birth=TOMORROW,
        )
    assert refused.value.message_dict["date_of_birth"] == [FUTURE]


def test_a_consent_cannot_expire_before_it_was_given(personas, case) -> None:
    with pytest.raises(ValidationError) as refused:
        _consent(
            personas,
            case,
            given_on=TODAY - datetime.timedelta(days=2),
            expires_on=TODAY - datetime.timedelta(days=5),
        )
    assert refused.value.message_dict["expires_on"] == [
        "The expiry date cannot be before the date it was given."
    ]
    same_day = _consent(personas, case, given_on=TODAY, expires_on=TODAY)
    assert same_day.is_live


# Forms of the case page, with what each posts besides its date.
FORMS = {
    "session": ("held_on", {"session_type": "individual", "attendance": "attended"}),
    "safety": ("occurred_on", {"kind": "threat"}),
    "reintegration": ("recorded_on", {"domain": "school", "status": "achieved"}),
    "follow_up": ("held_on", {"outcome": "well"}),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_the_form_shows_the_message_on_its_date_field(personas, case, client_for, form) -> None:
    field, data = FORMS[form]
    user = personas.counsellor if form == "session" else personas.caseworker
    client = client_for(user)
    response = client.post(f"/cases/{case.pk}/add/{form}/", {field: TOMORROW.isoformat(), **data})
    assert response.status_code == 200
    body = response.content.decode()
    assert FUTURE in body
    assert CaseEvent.objects.filter(case=case, kind__in=["session", "safety"]).count() == 0
    client.cookies["django_language"] = "sw"
    response = client.post(f"/cases/{case.pk}/add/{form}/", {field: TOMORROW.isoformat(), **data})
    assert FUTURE_SW in response.content.decode()


def test_the_consent_form_refuses_an_expiry_before_it_was_given(personas, case, client_for):  # type: ignore[no-untyped-def]
    response = client_for(personas.caseworker).post(
        f"/cases/{case.pk}/add/consent/",
        {
            "purpose": ConsentPurpose.REFERRAL,
            "recipient_agency": personas.shelter.pk,
            "given_by": ConsentGivenBy.PARENT,
            "basis": "consent",
            "explained": "Explained what the shelter will know.",
            "given_on": TODAY.isoformat(),
            "expires_on": (TODAY - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "The expiry date cannot be before the date it was given." in response.content.decode()
    assert case.consents.count() == 0


def test_the_timeline_is_ordered_by_when_things_happened(personas, case, client_for) -> None:
    last_week = TODAY - datetime.timedelta(days=7)
    yesterday = TODAY - datetime.timedelta(days=1)
    # entered in this order: a follow-up of yesterday, then a session held last week
    services.follow_up_record(
        case=case, actor=personas.caseworker, held_on=yesterday, outcome="well"
    )
    services.session_record(
        case=case,
        actor=personas.counsellor,
        held_on=last_week,
        session_type="individual",
        attendance="attended",
    )
    services.case_risk_set(case=case, risk_level="high", actor=personas.caseworker)
    body = client_for(personas.caseworker).get(f"/cases/{case.pk}/").content.decode()
    risk = body.index("Risk level: High")
    follow_up = body.index(f'<time datetime="{yesterday.isoformat()}">')
    session = body.index(f'<time datetime="{last_week.isoformat()}">')
    # newest happening first: the risk change (today), the follow-up, then the session
    assert risk < follow_up < session
    # when the session was entered is shown beside the day it happened
    entry = body[session : body.index("</li>", session)]
    assert "entered" in entry and TODAY.isoformat() in entry
