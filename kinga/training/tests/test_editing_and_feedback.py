"""Issue 18: courses and sessions are edited with an audit of what changed, and nothing
recorded is lost by an edit; written feedback after a session is stored, shown to the
trainer without names, and counted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from kinga.audit.models import AuditEvent
from kinga.places.models import County
from kinga.training import services
from kinga.training.models import Audience, Participant
from kinga.training.tests.conftest import Training

pytestmark = pytest.mark.django_db


def _course_fields(t: Training, **changes: Any) -> dict[str, Any]:
    fields = {name: getattr(t.course, name) for name in services.COURSE_FIELDS}
    return {**fields, **changes}


def _session_fields(t: Training, **changes: Any) -> dict[str, Any]:
    fields = {name: getattr(t.session, name) for name in services.SESSION_FIELDS}
    fields["agencies"] = list(t.session.agencies.all())
    return {**fields, **changes}


def test_editing_a_course_audits_the_fields_that_changed(training: Training) -> None:
    t = training
    services.course_update(
        actor=t.p.trainer,
        course=t.course,
        **_course_fields(t, duration_days=4, objectives="Interview a child once, and well."),
    )
    t.course.refresh_from_db()
    assert t.course.duration_days == 4
    event = AuditEvent.objects.filter(record_type="training.course", action="change").get()
    assert sorted(event.fields) == ["duration_days", "objectives"]
    assert "Interview" not in str(event.detail)  # names, never values


def test_the_highest_score_cannot_fall_below_a_recorded_score(training: Training) -> None:
    t = training
    someone = services.participant_add(actor=t.p.trainer, session=t.session, user=t.p.investigator)
    services.participant_record(
        actor=t.p.trainer,
        participant=someone,
        days_present=[],
        pre_score=9,
        post_score=18,
        feedback_rating=None,
    )
    with pytest.raises(ValidationError) as refused:
        services.course_update(
            actor=t.p.trainer, course=t.course, **_course_fields(t, test_max_score=15)
        )
    assert "18" in str(refused.value)
    t.course.refresh_from_db()
    assert t.course.test_max_score == 20


def test_editing_a_session_keeps_every_day_someone_was_present(training: Training) -> None:
    t = training
    someone = services.participant_add(actor=t.p.trainer, session=t.session, user=t.p.investigator)
    last_day = t.session.ends_on
    services.participant_record(
        actor=t.p.trainer,
        participant=someone,
        days_present=[last_day],
        pre_score=10,
        post_score=None,
        feedback_rating=None,
    )
    with pytest.raises(ValidationError) as refused:
        services.session_update(
            actor=t.p.trainer,
            session=t.session,
            **_session_fields(t, ends_on=last_day - dt.timedelta(days=1)),
        )
    assert last_day.isoformat() in str(refused.value)
    # nor can the course change once scores are recorded
    from kinga.training.tests.conftest import make_course

    other = make_course(t.p, title="Prosecuting trafficking")
    with pytest.raises(ValidationError):
        services.session_update(
            actor=t.p.trainer, session=t.session, **_session_fields(t, course=other)
        )
    # a change that loses nothing is saved and audited; a session of one kind is not joint
    services.session_update(
        actor=t.p.trainer,
        session=t.session,
        **_session_fields(
            t,
            venue="Kilifi County Hall",
            county=County.objects.get(name="Kilifi"),
            audiences=[Audience.POLICE],
        ),
    )
    t.session.refresh_from_db()
    assert t.session.venue == "Kilifi County Hall" and not t.session.joint
    event = AuditEvent.objects.filter(record_type="training.session", action="change").get()
    assert set(event.fields) == {"venue", "county", "audiences", "joint"}


def test_only_trainers_edit(training: Training) -> None:
    t = training
    for outsider in (t.p.supervisor, t.p.admin, t.p.analyst):
        with pytest.raises(Http404):
            services.course_update(actor=outsider, course=t.course, **_course_fields(t))
        with pytest.raises(Http404):
            services.session_update(actor=outsider, session=t.session, **_session_fields(t))


def test_the_edit_pages_save_and_refuse_others(training: Training, client_for: Any) -> None:
    t = training
    trainer = client_for(t.p.trainer)
    page = trainer.get(f"/training/sessions/{t.session.pk}/edit/")
    assert page.status_code == 200 and "Mombasa Law Courts" in page.content.decode()
    data = {
        "course": t.course.pk,
        "starts_on": t.session.starts_on.isoformat(),
        "ends_on": t.session.ends_on.isoformat(),
        "venue": "Bamburi Police Training Hall",
        "county": t.session.county_id,
        "facilitators": t.session.facilitators,
        "audiences": [Audience.POLICE, Audience.PROSECUTOR],
        "agencies": [t.p.police.pk],
    }
    assert trainer.post(f"/training/sessions/{t.session.pk}/edit/", data).status_code == 302
    t.session.refresh_from_db()
    assert t.session.venue == "Bamburi Police Training Hall"
    assert list(t.session.agencies.all()) == [t.p.police]
    # a bad edit keeps what was typed and says what to fix
    bad = {**data, "venue": "Kwale Hall", "ends_on": "2020-01-01"}
    response = trainer.post(f"/training/sessions/{t.session.pk}/edit/", bad)
    assert response.status_code == 400
    assert "Kwale Hall" in response.content.decode()
    assert "The last day is before the first day." in response.content.decode()
    course_page = trainer.get(f"/training/courses/{t.course.pk}/edit/")
    assert course_page.status_code == 200
    for outsider in (t.p.supervisor, t.p.caseworker, t.p.admin):
        client = client_for(outsider)
        assert client.get(f"/training/sessions/{t.session.pk}/edit/").status_code == 404
        assert client.post(f"/training/courses/{t.course.pk}/edit/", {}).status_code == 404


def test_written_feedback_is_stored_shown_without_names_and_counted(
    training: Training, client_for: Any
) -> None:
    t = training
    first = services.participant_add(actor=t.p.trainer, session=t.session, user=t.p.investigator)
    second = services.participant_add(
        actor=t.p.trainer, session=t.session, name="Cpl. Zawadi Mwenda", audience="police"
    )
    services.participant_add(actor=t.p.trainer, session=t.session, user=t.p.prosecutor)
    trainer = client_for(t.p.trainer)
    response = trainer.post(
        f"/training/participants/{first.pk}/",
        {
            "days": [],
            "pre_score": "8",
            "post_score": "",
            "feedback_rating": "4",
            "feedback_text": "The mock interview with an intermediary was the best part.",
        },
    )
    assert response.status_code == 302
    services.participant_record(
        actor=t.p.trainer,
        participant=second,
        days_present=[],
        pre_score=None,
        post_score=None,
        feedback_rating=2,
        feedback_text="Too little time on online exploitation.",
    )
    first.refresh_from_db()
    assert first.feedback_text.startswith("The mock interview")
    stored = Participant.objects.filter(pk=first.pk).values_list("feedback_text", flat=True)
    assert stored[0].startswith("The mock")  # read back through the encrypted field
    event = AuditEvent.objects.filter(
        record_type="training.participant", record_id=str(first.pk), action="change"
    ).get()
    assert "feedback_text" in event.fields
    page = trainer.get(f"/training/sessions/{t.session.pk}/").content.decode()
    feedback = page[page.index('id="feedback"') :]
    assert "2 of 3 participants wrote feedback; 2 rated the session." in feedback
    assert "Mean rating: 3.0 of 5." in feedback
    assert "intermediary was the best part" in feedback and "online exploitation" in feedback
    # the feedback section names nobody
    assert "Zawadi" not in feedback and "Omari" not in feedback
    # too long a text is refused with the reason, and nothing is lost of what was typed
    long_text = "x" * 4001
    response = trainer.post(
        f"/training/participants/{first.pk}/",
        {"days": [], "pre_score": "8", "post_score": "", "feedback_text": long_text},
    )
    assert response.status_code == 400
    first.refresh_from_db()
    assert first.feedback_text.startswith("The mock interview")
