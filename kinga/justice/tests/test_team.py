"""Changing the investigation's team, its steps and its account of what happened."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from kinga.access import policy
from kinga.accounts.models import Role
from kinga.audit.models import AuditEvent
from kinga.justice import services
from kinga.justice.models import InvestigationOfficer, InvestigationTask
from kinga.justice.tests.conftest import World

pytestmark = pytest.mark.django_db


def _second_officer(world: World) -> Any:
    p = world.personas
    other = make_user("juma_investigator", p.police, Role.INVESTIGATOR)
    services.officer_add(incident=world.incident, actor=p.investigator, user=other)
    return other


def _officer(world: World, user: Any) -> InvestigationOfficer:
    return InvestigationOfficer.objects.get(
        incident=world.incident, user=user, ended_at__isnull=True
    )


def test_an_officer_taken_off_loses_the_incident_and_the_team_keeps_it(world: World) -> None:
    p = world.personas
    other = _second_officer(world)
    assert policy.can(other, "view", world.incident, "justice")
    services.officer_remove(
        officer=_officer(world, other), actor=p.investigator, reason="Transferred to Kilifi"
    )
    assert not policy.can(other, "view", world.incident, "summary")
    assert policy.can(p.investigator, "view", world.incident, "justice")
    assert services.team_of(world.incident) == [p.investigator]
    event = AuditEvent.objects.filter(record_type="justice.investigationofficer").latest("pk")
    assert event.fields == ["ended_at"]
    # the typed reason is kept encrypted with the event, never in its clear detail
    assert event.reason == "Transferred to Kilifi"
    assert "Transferred" not in str(event.detail)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT detail, reason FROM audit_auditevent WHERE id = %s", [event.pk])
        detail, stored_reason = cursor.fetchone()
    assert "Kilifi" not in str(detail) and "Kilifi" not in str(stored_reason)


def test_the_last_officer_and_an_officer_with_open_steps_stay(world: World) -> None:
    p = world.personas
    with pytest.raises(ValidationError, match="at least one officer"):
        services.officer_remove(
            officer=_officer(world, p.investigator), actor=p.investigator, reason="Leave"
        )
    other = _second_officer(world)
    services.task_add(
        incident=world.incident,
        actor=p.investigator,
        title="Trace the M-Pesa payments",
        due_on=timezone.localdate() + datetime.timedelta(days=7),
        assigned_to=other,
    )
    with pytest.raises(ValidationError, match="1 open step"):
        services.officer_remove(officer=_officer(world, other), actor=p.investigator, reason="x")
    assert policy.can(other, "view", world.incident, "justice")


def test_a_step_given_to_another_officer_moves_and_tells_them(world: World) -> None:
    p = world.personas
    other = _second_officer(world)
    task = services.task_add(
        incident=world.incident,
        actor=p.investigator,
        title="Visit the lodge",
        due_on=timezone.localdate() + datetime.timedelta(days=3),
        assigned_to=p.investigator,
    )
    later = timezone.localdate() + datetime.timedelta(days=10)
    services.task_change(
        task=task,
        actor=p.investigator,
        title="Visit the lodge at Mtwapa",
        due_on=later,
        assigned_to=other,
    )
    task.refresh_from_db()
    assert (task.title, task.due_on, task.assigned_to) == (
        "Visit the lodge at Mtwapa",
        later,
        other,
    )
    assert other.notifications.filter(kind="justice_task").exists()
    event = AuditEvent.objects.filter(record_type="justice.investigationtask").latest("pk")
    assert set(event.fields) == {"title", "due_on", "assigned_to"}
    services.officer_remove(officer=_officer(world, p.investigator), actor=other, reason="Promoted")
    with pytest.raises(ValidationError, match="officer on the team"):
        services.task_change(
            task=task, actor=other, title=task.title, due_on=later, assigned_to=p.investigator
        )


def test_correcting_what_happened_keeps_the_police_references(
    world: World, client_for: Any
) -> None:
    incident = world.incident
    station, ob = incident.investigation.station, incident.investigation.ob_number
    ward = incident.county.sub_counties.first().wards.first()
    client = client_for(world.personas.investigator)
    url = reverse("justice:incident_edit", args=[incident.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "county": incident.county_id,
            "ward": ward.pk,
            "summary": "Two girls recruited at a disco in Mtwapa and taken to a lodge",
            "exploitation_types": [],
            "control_methods": [],
            "began_on": "2026-03-01",
            "ended_on": "2026-03-20",
            "buyer_origin": "",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.ward == ward
    assert incident.summary.startswith("Two girls recruited")
    assert (incident.began_on, incident.ended_on) == (
        datetime.date(2026, 3, 1),
        datetime.date(2026, 3, 20),
    )
    assert (incident.investigation.station, incident.investigation.ob_number) == (station, ob)


def test_a_ward_of_another_county_is_refused_with_the_reason(world: World, client_for: Any) -> None:
    incident = world.incident
    from kinga.places.models import Ward

    elsewhere = (
        Ward.objects.filter(sub_county__county__coastal=True)
        .exclude(sub_county__county=incident.county)
        .first()
    )
    response = client_for(world.personas.investigator).post(
        reverse("justice:incident_edit", args=[incident.pk]),
        {"county": incident.county_id, "ward": elsewhere.pk, "summary": "changed"},
    )
    assert response.status_code == 200
    assert "This ward is not in the county chosen." in response.content.decode()
    incident.refresh_from_db()
    assert incident.summary != "changed"


def test_outsiders_cannot_edit_remove_or_reassign(world: World, client_for: Any) -> None:
    p = world.personas
    other = _second_officer(world)
    task = services.task_add(
        incident=world.incident,
        actor=p.investigator,
        title="Call the hotel",
        due_on=timezone.localdate(),
        assigned_to=p.investigator,
    )
    urls = [
        reverse("justice:incident_edit", args=[world.incident.pk]),
        reverse("justice:officer_remove", args=[_officer(world, other).pk]),
        reverse("justice:task_edit", args=[task.pk]),
    ]
    for outsider in (p.caseworker, p.counsellor, p.service_provider):
        client = client_for(outsider)
        for url in urls:
            assert client.get(url).status_code == 404, (outsider, url)
            assert client.post(url, {"reason": "x", "title": "x"}).status_code == 404
    assert InvestigationTask.objects.get(pk=task.pk).title == "Call the hotel"
    assert _officer(world, other).ended_at is None
