"""A partner's system refers a child in: it arrives in triage as a report through intake's
one pipeline, marked as the partner's with its own reference, once per reference; triage
decides it as any report; the partner learns what became of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Personas
from kinga.api import webhooks
from kinga.api.models import CONTENT_SCOPES, Scope, scope_allowed_for
from kinga.api.tests.conftest import Connected
from kinga.api.tests.test_webhooks import hooks_dir, received, subscribe, verify
from kinga.audit.models import AuditEvent
from kinga.intake.models import Alert, Channel, Decision, Report
from kinga.intake.services import report_decide
from kinga.places.models import Ward
from kinga.tasks.services import run_due

__all__ = ["hooks_dir"]  # a fixture, used by name

pytestmark = pytest.mark.django_db

PATH = "/api/v1/referrals-in/"


def referral(personas: Personas, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": "GBV-2026-0042",
        "reason": "A girl of 14 seen at the GBV centre says a man at the ferry sells her.",
        "services": ["rescue_shelter", "counselling"],
        "categories": ["sexual_exploitation"],
        "county_id": personas.ngo.county_id,
        "age_bands": ["12-14"],
        "danger_now": "no",
        "language": "sw",
    }
    body.update(changes)
    return body


def post(client: Client, body: dict[str, Any]) -> Any:
    return client.post(PATH, json.dumps(body), content_type="application/json")


@pytest.fixture
def hospital_system(personas: Personas, connect: Callable[..., Connected]) -> Connected:
    return connect(
        personas.hospital,
        [Scope.REFERRAL_SEND, Scope.REPORT_READ, Scope.WEBHOOK_MANAGE],
        name="GBV centre records",
    )


def test_sending_referrals_in_reveals_no_case_and_any_agency_may_hold_it(
    personas: Personas,
) -> None:
    assert Scope.REFERRAL_SEND not in CONTENT_SCOPES
    for kind in ("ngo", "shelter", "hospital", "police_unit", "childrens_services"):
        assert scope_allowed_for(Scope.REFERRAL_SEND, kind)
        # what it sent is read back by the same system only: any kind may hold it
        assert scope_allowed_for(Scope.REPORT_READ, kind)
    # filing helpline calls stays the helpline's
    assert not scope_allowed_for(Scope.REPORT_WRITE, "hospital")


def test_a_referral_posted_twice_with_the_same_reference_makes_one_report_in_triage(
    personas: Personas, hospital_system: Connected, client_for: Callable[..., Client]
) -> None:
    # in force at once: no second person needed
    assert Scope.REFERRAL_SEND in hospital_system.integration.scopes
    client = hospital_system.client()
    first = post(client, referral(personas))
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True
    assert body["reference"] == "GBV-2026-0042"
    assert "follow_up_code" not in body
    again = post(client, referral(personas))
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["report"]["id"] == body["report"]["id"]
    report = Report.objects.get()
    assert report.channel == Channel.PARTNER
    assert report.narrative.startswith("A girl of 14")
    assert report.logged_by_id == hospital_system.integration.account_id
    assert report.raw_payload["services"] == ["rescue_shelter", "counselling"]
    assert report.raw_payload["reference"] == "GBV-2026-0042"
    # through intake's pipeline: routed into the county's triage, audited as the system
    assert report.routed_at is not None
    assert AuditEvent.objects.filter(
        action="create",
        record_type="intake.report",
        record_id=str(report.pk),
        actor=hospital_system.integration.account,
    ).exists()
    # the caseworker of the triage queue sees it marked as the partner's referral
    caseworker = client_for(personas.caseworker)
    queue = caseworker.get(reverse("intake:triage"))
    assert queue.status_code == 200
    assert "Referral from a partner agency" in queue.content.decode()
    page = caseworker.get(reverse("intake:triage_report", args=[report.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Referred by a partner agency" in text
    assert "Coast General Hospital GBV Centre" in text
    assert "GBV-2026-0042" in text
    assert "Rescue and shelter, Counselling" in text


def test_another_partners_same_reference_is_another_referral_it_cannot_read(
    personas: Personas, hospital_system: Connected, connect: Callable[..., Connected]
) -> None:
    shelter = connect(
        personas.shelter, [Scope.REFERRAL_SEND, Scope.REPORT_READ], name="Salama records"
    )
    mine = post(hospital_system.client(), referral(personas)).json()["report"]["id"]
    theirs = post(shelter.client(), referral(personas, reason="Another child, another story."))
    assert theirs.status_code == 201
    assert theirs.json()["created"] is True
    assert theirs.json()["report"]["id"] != mine
    assert Report.objects.count() == 2
    # neither reads the other's, with the same 404 as a missing one
    assert shelter.client().get(f"/api/v1/reports/{mine}/").status_code == 404
    assert [i["id"] for i in shelter.client().get("/api/v1/reports/").json()["items"]] == [
        theirs.json()["report"]["id"]
    ]
    assert Report.objects.get(pk=mine).narrative.startswith("A girl of 14")


def test_a_token_without_the_scope_is_refused_and_nothing_is_filed(
    personas: Personas, connect: Callable[..., Connected]
) -> None:
    reader = connect(personas.hospital, [Scope.REPORT_READ], name="Reader only")
    answer = post(reader.client(), referral(personas))
    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/problem+json"
    assert "referral:send" in answer.json()["detail"]
    assert not Report.objects.exists()


def test_validation_errors_name_each_field_and_store_nothing(
    personas: Personas, hospital_system: Connected
) -> None:
    answer = post(
        hospital_system.client(),
        referral(personas, reference="has space", services=["spa"], reason="", categories=[]),
    )
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    fields = {error["field"] for error in answer.json()["errors"]}
    assert {"reference", "services.0", "reason", "categories"} <= fields
    # a reason of spaces only is named too, as the caller called it
    blank = post(hospital_system.client(), referral(personas, reason="   "))
    assert blank.status_code == 422
    assert [e["field"] for e in blank.json()["errors"]] == ["reason"]
    missing = (Ward.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    place = post(hospital_system.client(), referral(personas, ward_id=missing))
    assert place.status_code == 422
    assert [e["field"] for e in place.json()["errors"]] == ["ward_id"]
    assert not Report.objects.exists()


def test_a_child_in_danger_now_raises_the_alert_as_any_report(
    personas: Personas, hospital_system: Connected
) -> None:
    answer = post(hospital_system.client(), referral(personas, danger_now="yes"))
    assert answer.status_code == 201
    report = Report.objects.get()
    assert Alert.objects.filter(report=report).exists()


def test_the_partner_learns_what_triage_made_of_it(
    personas: Personas, hospital_system: Connected, hooks_dir: Path
) -> None:
    made = subscribe(hospital_system, "report.changed", "https://gbv.example/hooks")
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    report_id = post(hospital_system.client(), referral(personas)).json()["report"]["id"]
    report = Report.objects.get(pk=report_id)
    report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.OPEN_CASE,
        reason="A child at risk: opening a case with the hospital's referral.",
    )
    now = timezone.now()
    webhooks.webhooks_fan_out({}, now)
    run_due(now=now)
    [line] = received(hooks_dir)
    assert verify(secret, line["headers"]["Kinga-Signature"], line["body"].encode())
    said = json.loads(line["body"])
    assert said["event"] == "report.changed"
    assert said["data"]["report"]["id"] == report_id
    assert said["data"]["report"]["decision"] == "open_case"
    # the case's content is not the partner's to read
    assert "ferry" not in line["body"]
    state = hospital_system.client().get(f"/api/v1/reports/{report_id}/").json()
    assert state["decision"] == "open_case"
    assert state["status"] != "received"


def test_what_a_partner_sends_is_shown_as_text_never_as_markup(
    personas: Personas, hospital_system: Connected, client_for: Callable[..., Client]
) -> None:
    answer = post(
        hospital_system.client(),
        referral(personas, reason='<script>alert("x")</script> a girl at the ferry'),
    )
    assert answer.status_code == 201
    report_id = answer.json()["report"]["id"]
    page = client_for(personas.caseworker).get(reverse("intake:triage_report", args=[report_id]))
    text = page.content.decode()
    assert '<script>alert("x")</script>' not in text
    assert "&lt;script&gt;" in text
    # a reference with markup never gets in: it is refused, naming the field
    bad = post(hospital_system.client(), referral(personas, reference="<b>x</b>"))
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["reference"]


def test_a_person_cannot_file_on_the_partner_channel(personas: Personas) -> None:
    from django.core.exceptions import PermissionDenied

    from kinga.intake.services import ReportInput, report_log_call

    for person in (personas.caseworker, personas.helpline, personas.admin):
        with pytest.raises(PermissionDenied):
            report_log_call(
                operator=person,
                data=ReportInput(categories=["other"], narrative="x"),
                channel=Channel.PARTNER,
                reference="api:1:forged",
            )
    assert not Report.objects.exists()
