"""`hearing.set`: a partner on a case's team is told, signed, when a hearing of the child's
incident is set or moved, with only what its agency may see; nobody else is told."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import Personas, make_user
from kinga.access.models import AccessGrant, Relation
from kinga.accounts.models import Agency, AgencyKind, Role
from kinga.api import webhooks
from kinga.api.models import Delivery, DeliveryState, Scope
from kinga.api.tests.conftest import Connected
from kinga.api.tests.test_webhooks import (
    fan_out_and_deliver,
    hooks_dir,
    received,
    subscribe,
    verify,
)
from kinga.audit.models import AuditEvent
from kinga.cases import services as case_services
from kinga.cases.models import Case, RoleOnCase
from kinga.justice import services as justice
from kinga.justice.models import AdjournmentParty, AdjournmentReason, CourtEvent, CourtEventKind
from kinga.justice.tests.conftest import World as CourtWorld
from kinga.justice.tests.conftest import build_world

__all__ = ["hooks_dir"]  # a fixture, used by name

pytestmark = pytest.mark.django_db

SCOPES = [Scope.JUSTICE_READ, Scope.WEBHOOK_MANAGE]
# What a court webhook never says: the accused, the evidence, the court file, the charges,
# the child.
NEVER = ("Mohamed", "Klaus", "PExh", "E123", "ctipa", "soa-15", "Zawadi", "Mwachiro")


@pytest.fixture
def court(personas: Personas) -> CourtWorld:
    world = build_world(personas)
    # the hearings the world was built with are behind the fan-out's mark
    webhooks.webhooks_fan_out({}, timezone.now())
    return world


def _counselling_agency(personas: Personas, case: Case) -> Agency:
    agency = Agency.objects.create(
        name="Tumaini counselling", kind=AgencyKind.NGO, county=personas.ngo.county
    )
    counsellor = make_user("tumaini_counsellor", agency, Role.COUNSELLOR)
    case_services.case_team_add(
        case=case, user=counsellor, role_on_case=RoleOnCase.COUNSELLOR, actor=personas.caseworker
    )
    return agency


def _mention(court: CourtWorld, days: int = 5) -> CourtEvent:
    return justice.court_event_schedule(
        prosecution=court.prosecution,
        actor=court.personas.prosecutor,
        kind=CourtEventKind.MENTION,
        scheduled_for=timezone.now() + datetime.timedelta(days=days),
        courtroom="Court 1",
    )


def test_a_hearing_set_reaches_the_agency_on_the_team_signed_and_no_one_else(
    court: CourtWorld, connect: Callable[..., Connected], hooks_dir: Path
) -> None:
    p = court.personas
    partner = connect(p.ngo, SCOPES, name="Partner court view")
    made = subscribe(partner, "hearing.set", "https://partner.example/court")
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    # another agency's system, and one on the team through a counsellor (no justice section)
    outsider = connect(p.other_ngo, SCOPES, name="Other NGO")
    assert subscribe(outsider, "hearing.set", "https://other.example/h").status_code == 201
    counselling = connect(_counselling_agency(p, court.case), SCOPES, name="Counselling")
    assert subscribe(counselling, "hearing.set", "https://tumaini.example/h").status_code == 201

    mention = _mention(court)
    fan_out_and_deliver()

    lines = received(hooks_dir)
    assert [line["url"] for line in lines] == ["https://partner.example/court"]
    line = lines[0]
    body = line["body"].encode()
    assert line["headers"]["Kinga-Event"] == "hearing.set"
    assert verify(secret, line["headers"]["Kinga-Signature"], body)
    assert not verify("whsec_wrong", line["headers"]["Kinga-Signature"], body)
    said = json.loads(body)
    assert said["event"] == "hearing.set"
    hearing = said["data"]["hearing"]
    assert hearing["id"] == mention.pk
    assert hearing["court"] == "Shanzu Law Courts"
    assert hearing["courtroom"] == "Court 1"
    assert hearing["kind"] == "mention"
    assert hearing["moved_from"] is None
    assert datetime.datetime.fromisoformat(hearing["when"]) == mention.scheduled_for
    assert said["data"]["cases"] == [
        {
            "id": court.case.pk,
            "code": court.case.code,
            "url": f"/api/v1/cases/{court.case.pk}/court-dates/",
        }
    ]
    for secret_word in NEVER:
        assert secret_word not in line["body"], secret_word
    assert court.incident.code not in line["body"]
    assert Delivery.objects.get().state == DeliveryState.DELIVERED
    # the export is audited as the partner's system
    assert AuditEvent.objects.filter(
        action="export",
        actor=partner.integration.account,
        record_type="justice.courtevent",
        record_id=str(mention.pk),
    ).exists()
    # a second run sends nothing again
    fan_out_and_deliver()
    assert len(received(hooks_dir)) == 1


def test_a_moved_hearing_is_sent_again_with_the_date_it_moved_from(
    court: CourtWorld, connect: Callable[..., Connected], hooks_dir: Path
) -> None:
    p = court.personas
    partner = connect(p.ngo, SCOPES, name="Partner court view")
    subscribe(partner, "hearing.set", "https://partner.example/court")
    before = court.hearing.scheduled_for
    justice.court_event_adjourn(
        event=court.hearing,
        actor=p.prosecutor,
        requested_by=AdjournmentParty.DEFENCE,
        reason=AdjournmentReason.DEFENCE_REQUEST,
        next_date=before + datetime.timedelta(days=14),
    )
    following = CourtEvent.objects.get(previous=court.hearing)
    fan_out_and_deliver()
    [line] = received(hooks_dir)
    hearing = json.loads(line["body"])["data"]["hearing"]
    assert hearing["id"] == following.pk
    assert datetime.datetime.fromisoformat(hearing["when"]) == following.scheduled_for
    assert datetime.datetime.fromisoformat(hearing["moved_from"]) == before
    assert hearing["kind"] == "hearing"
    # moved again: told again
    justice.court_event_adjourn(
        event=following,
        actor=p.prosecutor,
        requested_by=AdjournmentParty.COURT,
        reason=AdjournmentReason.COURT_NOT_SITTING,
        next_date=following.scheduled_for + datetime.timedelta(days=7),
    )
    fan_out_and_deliver()
    lines = received(hooks_dir)
    assert len(lines) == 2
    last = json.loads(lines[1]["body"])["data"]["hearing"]
    assert datetime.datetime.fromisoformat(last["moved_from"]) == following.scheduled_for
    for secret_word in NEVER:
        assert secret_word not in lines[1]["body"], secret_word


def test_an_agency_that_left_the_team_before_the_delivery_is_told_nothing(
    court: CourtWorld, connect: Callable[..., Connected], hooks_dir: Path
) -> None:
    p = court.personas
    agency = Agency.objects.create(name="Pwani legal", kind=AgencyKind.NGO, county=p.ngo.county)
    caseworker = make_user("pwani_caseworker", agency, Role.CASEWORKER)
    case_services.case_team_add(
        case=court.case, user=caseworker, role_on_case=RoleOnCase.CASEWORKER, actor=p.caseworker
    )
    leaving = connect(agency, SCOPES, name="Leaving system")
    subscribe(leaving, "hearing.set", "https://leaving.example/h")
    _mention(court)
    webhooks.webhooks_fan_out({}, timezone.now())
    assert Delivery.objects.filter(subscription__integration=leaving.integration).count() == 1
    AccessGrant.objects.filter(
        agency=agency, relation=Relation.AGENCY_ON_TEAM, matter_id=court.case.pk
    ).delete()
    fan_out_and_deliver()
    assert received(hooks_dir) == []
    delivery = Delivery.objects.get(subscription__integration=leaving.integration)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error == "no_longer_visible"


def test_subscribing_to_hearings_needs_the_court_dates_scope(
    court: CourtWorld, connect: Callable[..., Connected]
) -> None:
    system = connect(court.personas.ngo, [Scope.WEBHOOK_MANAGE], name="No court scope")
    answer = subscribe(system, "hearing.set")
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in answer.json()["errors"]] == ["event"]


def test_a_system_whose_court_scope_was_taken_away_is_told_nothing_more(
    court: CourtWorld, connect: Callable[..., Connected], hooks_dir: Path
) -> None:
    partner = connect(court.personas.ngo, SCOPES, name="Partner court view")
    subscribe(partner, "hearing.set", "https://partner.example/court")
    _mention(court)
    webhooks.webhooks_fan_out({}, timezone.now())
    integration = partner.integration
    integration.scopes = [Scope.WEBHOOK_MANAGE]
    integration.save(update_fields=["scopes"])
    fan_out_and_deliver()
    assert received(hooks_dir) == []
    assert Delivery.objects.get().last_error == "no_longer_visible"
