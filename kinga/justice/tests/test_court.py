"""The court record: adjournments with their reasons, the warning, and the reminders."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kinga.justice import selectors, services
from kinga.justice.models import (
    Adjournment,
    AdjournmentParty,
    AdjournmentReason,
    CourtEvent,
    CourtEventState,
)
from kinga.justice.tests.conftest import World, child_case
from kinga.messaging.models import OutboundMessage
from kinga.notifications.models import Notification
from kinga.tasks.registry import PERIODIC

pytestmark = pytest.mark.django_db


def _adjourn(world: World, event: CourtEvent, reason: str, days: int = 14) -> CourtEvent:
    services.court_event_adjourn(
        event=event,
        actor=world.personas.prosecutor,
        requested_by=AdjournmentParty.PROSECUTION,
        reason=reason,
        next_date=event.scheduled_for + datetime.timedelta(days=days),
        officer_present=reason != AdjournmentReason.OFFICER_ABSENT,
    )
    return CourtEvent.objects.get(previous=event)


def test_adjournments_are_counted_with_who_asked_and_why(world: World, settings: Any) -> None:
    settings.KINGA_ADJOURNMENT_WARNING = 2
    event = world.hearing
    reasons = [
        AdjournmentReason.OFFICER_ABSENT,
        AdjournmentReason.FILE_MISSING,
        AdjournmentReason.OFFICER_ABSENT,
    ]
    for reason in reasons:
        event = _adjourn(world, event, reason)
    assert Adjournment.objects.filter(event__prosecution=world.prosecution).count() == 3
    funnel = selectors.justice_funnel(viewer=world.personas.analyst)
    assert dict(funnel.adjournment_reasons) == {
        "Investigating officer absent": 2,
        "Police file or exhibits missing": 1,
    }
    # the child came each time and was not heard: three trips for nothing
    paths = selectors.court_paths_for_case(viewer=world.personas.caseworker, case=world.case)
    assert paths[0].adjournments == 3 and paths[0].wasted_trips == 3
    assert paths[0].adjournment_warning is True
    assert paths[0].next_dates[0].when == timezone.localtime(event.scheduled_for)
    # past the set number, the team and the child's caseworker are warned
    warned = Notification.objects.filter(kind="court_adjournments")
    assert {n.recipient_id for n in warned} >= {
        world.personas.investigator.pk,
        world.personas.prosecutor.pk,
        world.personas.caseworker.pk,
    }


def test_the_next_date_follows_the_adjourned_one(world: World) -> None:
    with pytest.raises(Exception, match="next date"):
        services.court_event_adjourn(
            event=world.hearing,
            actor=world.personas.prosecutor,
            requested_by=AdjournmentParty.DEFENCE,
            reason=AdjournmentReason.DEFENCE_REQUEST,
            next_date=world.hearing.scheduled_for - datetime.timedelta(days=1),
        )
    world.hearing.refresh_from_db()
    assert world.hearing.state == CourtEventState.SCHEDULED


def test_the_hearing_reminder_reaches_the_investigator_by_sms_too(world: World) -> None:
    p = world.personas
    p.investigator.phone = "+254722000111"
    p.investigator.save(update_fields=["phone"])
    Notification.objects.all().delete()
    sent = services.court_reminders_send(today=timezone.localdate())
    assert sent == 1
    reminded = set(
        Notification.objects.filter(kind="court_reminder").values_list("recipient_id", flat=True)
    )
    assert reminded == {p.investigator.pk, p.prosecutor.pk, p.caseworker.pk}
    assert [m.to for m in OutboundMessage.objects.all()] == ["+254722000111"]
    # once per court date, however often the job runs
    assert services.court_reminders_send(today=timezone.localdate()) == 0
    assert "justice.court_reminders" in PERIODIC


def test_a_date_beyond_the_reminder_window_waits(world: World, settings: Any) -> None:
    settings.KINGA_COURT_REMINDER_DAYS = 1
    assert services.court_reminders_send(today=timezone.localdate()) == 0


def test_the_calendar_shows_each_attendee_their_dates(world: World, client_for: Any) -> None:
    p = world.personas
    for user in (p.investigator, p.prosecutor, p.caseworker):
        response = client_for(user).get(reverse("justice:calendar"))
        assert response.status_code == 200
        assert "Shanzu Law Courts" in response.content.decode(), user.username
    caseworker_page = client_for(p.caseworker).get(reverse("justice:calendar")).content.decode()
    assert "E123 of 2026" not in caseworker_page
    for user in (p.counsellor, p.service_provider, p.caseworker_other):
        rows = selectors.court_calendar(viewer=user, start=timezone.localdate())
        assert rows == [], user.username
    assert client_for(p.analyst).get(reverse("justice:calendar")).status_code == 404


def test_the_path_to_verdict_counts_days_per_step(world: World) -> None:
    # a second child, whose case was opened first and whose number is not the incident's
    sister = child_case(world.personas, given_name="Neema")
    assert sister.pk != world.incident.pk
    services.incident_link_case(
        incident=world.incident, actor=world.personas.investigator, case_code=sister.code
    )
    opened = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)
    type(sister).objects.filter(pk=sister.pk).update(opened_at=opened)
    steps = {step.label: step for step in selectors.path_of(world.incident)}
    assert steps["Report"].reached_on is not None
    assert steps["Case opened"].reached_on == timezone.localdate(opened)
    # the child was in care before this report: that step took no time of this path
    assert steps["Report"].reached_on > timezone.localdate(opened)
    assert steps["Case opened"].earlier and steps["Case opened"].days is None
    # and the next step counts from the report, never from the older case
    assert not steps["Incident opened"].earlier
    assert (
        steps["Incident opened"].days
        == (steps["Incident opened"].reached_on - steps["Report"].reached_on).days
    )
    assert all(step.days is None or step.days >= 0 for step in steps.values())
    assert steps["Incident opened"].reached_on == timezone.localdate()
    assert steps["Decision to charge"].reached_on == timezone.localdate()
    assert steps["Plea"].reached_on is None and steps["Judgment"].reached_on is None


def test_a_conviction_concludes_the_incident_and_takes_a_sentence(world: World) -> None:
    p = world.personas
    sheet = services.current_sheet(world.prosecution)
    assert sheet is not None
    counts = list(sheet.counts.order_by("number"))
    for count in counts:
        services.plea_enter(
            count=count, actor=p.prosecutor, plea="not_guilty", entered_on=timezone.localdate()
        )
    world.prosecution.refresh_from_db()
    assert world.prosecution.status == "trial"
    services.count_outcome_record(
        count=counts[0], actor=p.prosecutor, outcome="convicted", decided_on=timezone.localdate()
    )
    services.count_outcome_record(
        count=counts[1], actor=p.prosecutor, outcome="acquitted", decided_on=timezone.localdate()
    )
    services.sentence_record(
        count=counts[0],
        actor=p.prosecutor,
        kind="imprisonment",
        months=360,
        passed_on=timezone.localdate(),
        compensation_kes=500000,
    )
    with pytest.raises(Exception, match="conviction"):
        services.sentence_record(
            count=counts[1], actor=p.prosecutor, kind="fine", passed_on=timezone.localdate()
        )
    world.incident.refresh_from_db()
    world.prosecution.refresh_from_db()
    assert world.incident.stage == "concluded"
    assert world.prosecution.status == "concluded" and world.prosecution.compensation_kes == 500000
    # the child's supporters read the outcome per count in their own language
    with translation.override("sw"):
        (path,) = selectors.court_paths_for_case(viewer=p.caseworker, case=world.case)
    assert path.outcomes[0].startswith("Shtaka 1: "), path.outcomes
    assert all(not outcome.startswith("Count") for outcome in path.outcomes)


def test_each_attendees_home_counts_the_court_dates_of_the_week(
    world: World, client_for: Any
) -> None:
    """Issue 13 point 5 with issue 14: the court date in the world is within the week."""
    p = world.personas
    for user in (p.investigator, p.prosecutor, p.caseworker):
        counts = {
            str(w.label): w.count
            for w in selectors.home_work(viewer=user, today=timezone.localdate())
        }
        assert counts["Court dates in the next 7 days"] == 1, user.username
        page = client_for(user).get("/").content.decode()
        assert "Court dates in the next 7 days" in page, user.username
    for user in (p.counsellor, p.service_provider, p.caseworker_other, p.analyst):
        counts = {
            str(w.label): w.count
            for w in selectors.home_work(viewer=user, today=timezone.localdate())
        }
        assert counts.get("Court dates in the next 7 days", 0) == 0, user.username
