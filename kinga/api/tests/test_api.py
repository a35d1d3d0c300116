"""The open API: a helpline call filed once per call id through intake's pipeline, triage
state out, referrals to the integration's agency, the directory, scopes, problem details,
rate limits, the schema and the documentation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from conftest import Personas
from kinga.access import policy
from kinga.api.models import Scope
from kinga.api.tests.conftest import Connected
from kinga.audit.models import AuditEvent
from kinga.intake.models import Channel, HelplineCall, Report
from kinga.places.models import Ward
from kinga.referrals.models import Referral
from kinga.referrals.tests.test_referrals import World, consent_to, send

pytestmark = pytest.mark.django_db

CALL: dict[str, Any] = {
    "call_id": "CALL-2026-000123",
    "categories": ["sexual_exploitation"],
    "narrative": "A girl of about 13 is taken to a guest house near the ferry at night.",
    "age_bands": ["12-14"],
    "danger_now": "no",
    "reporter_relation": "neighbour",
    "call": {"language": "sw", "duration_minutes": 12, "child_sex": "girl"},
}


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_a_call_posted_twice_with_the_same_id_makes_one_report(
    helpline_system: Connected,
) -> None:
    client = helpline_system.client()
    first = post(client, "/api/v1/reports/", CALL)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True
    assert len(body["follow_up_code"]) >= 8
    again = post(client, "/api/v1/reports/", CALL)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["follow_up_code"] is None
    assert again.json()["report"]["id"] == body["report"]["id"]
    report = Report.objects.get()
    assert report.channel == Channel.HELPLINE
    assert report.narrative == CALL["narrative"]
    # through intake's pipeline: the call's record, routed into triage, audited as the system
    assert HelplineCall.objects.get().report_id == report.pk
    assert report.routed_at is not None
    account = helpline_system.integration.account
    assert AuditEvent.objects.filter(
        action="create", record_type="intake.report", record_id=str(report.pk), actor=account
    ).exists()
    # another call id is another report
    other = post(client, "/api/v1/reports/", {**CALL, "call_id": "CALL-2026-000124"})
    assert other.status_code == 201
    assert Report.objects.count() == 2


def test_the_same_call_id_of_two_systems_is_two_reports(
    personas: Personas, helpline_system: Connected, connect: Callable[..., Connected]
) -> None:
    other = connect(personas.helpline_centre, [Scope.REPORT_WRITE], name="Second desk")
    assert post(helpline_system.client(), "/api/v1/reports/", CALL).status_code == 201
    assert post(other.client(), "/api/v1/reports/", CALL).status_code == 201
    assert Report.objects.count() == 2


def test_validation_errors_name_each_field_and_store_nothing(helpline_system: Connected) -> None:
    response = post(
        helpline_system.client(),
        "/api/v1/reports/",
        {**CALL, "categories": [], "danger_now": "maybe", "call_id": "has space"},
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/validation")
    assert problem["status"] == 422
    assert problem["instance"] == "/api/v1/reports/"
    fields = {error["field"] for error in problem["errors"]}
    assert {"categories", "danger_now", "call_id"} <= fields
    assert not Report.objects.exists()


def test_a_place_not_in_the_gazetteer_is_named(helpline_system: Connected) -> None:
    missing = (Ward.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    response = post(helpline_system.client(), "/api/v1/reports/", {**CALL, "ward_id": missing})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["ward_id"]
    assert not Report.objects.exists()


def test_a_body_that_is_not_json_is_a_problem_not_a_crash(helpline_system: Connected) -> None:
    response = helpline_system.client().post(
        "/api/v1/reports/", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"


def test_the_system_reads_the_state_of_its_own_reports_only(
    personas: Personas, helpline_system: Connected, connect: Callable[..., Connected]
) -> None:
    created = post(helpline_system.client(), "/api/v1/reports/", CALL).json()
    report_id = created["report"]["id"]
    state = helpline_system.client().get(f"/api/v1/reports/{report_id}/")
    assert state.status_code == 200
    assert state.json()["status"] == "received"
    assert "narrative" not in state.json()
    listed = helpline_system.client().get("/api/v1/reports/").json()
    assert [item["id"] for item in listed["items"]] == [report_id]
    # another system of the same helpline did not file it: the same 404 as a missing one
    other = connect(personas.helpline_centre, [Scope.REPORT_READ], name="Second desk")
    refused = other.client().get(f"/api/v1/reports/{report_id}/")
    missing = other.client().get("/api/v1/reports/99999999/")
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == {**missing.json(), "instance": refused.json()["instance"]}
    assert other.client().get("/api/v1/reports/").json()["items"] == []
    assert AuditEvent.objects.filter(
        action="denied", actor=other.integration.account, record_id=str(report_id)
    ).exists()


def test_scopes_are_enforced(personas: Personas, connect: Callable[..., Connected]) -> None:
    reader = connect(personas.helpline_centre, [Scope.DIRECTORY_READ], name="Directory only")
    response = post(reader.client(), "/api/v1/reports/", CALL)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/insufficient-scope")
    assert "report:write" in response.json()["detail"]
    assert reader.client().get("/api/v1/referrals/").status_code == 403
    assert reader.client().get("/api/v1/reports/").status_code == 403
    assert not Report.objects.exists()


def test_a_scope_awaiting_approval_gives_nothing(personas: Personas) -> None:
    from kinga.api import services

    integration = services.integration_register(
        actor=personas.admin,
        agency=personas.shelter,
        name="Salama system",
        scopes=[Scope.REFERRAL_READ],
    )
    issued = services.token_issue(
        actor=personas.admin, integration=integration, scopes=[Scope.REFERRAL_READ]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    response = client.get("/api/v1/referrals/")
    assert response.status_code == 403
    assert "approval" in response.json()["detail"]


def test_a_partner_reads_the_referrals_made_to_its_agency_and_no_others(
    world: World, connect: Callable[..., Connected]
) -> None:
    p = world.p
    consent_to(world, p.shelter)
    referral = send(world)
    shelter = connect(p.shelter, [Scope.REFERRAL_READ], name="Salama system")
    listed = shelter.client().get("/api/v1/referrals/")
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [item["id"] for item in items] == [referral.pk]
    assert items[0]["needs"] == ["shelter", "safety"]
    # the minimum the service needs: no name, no reason text, no case
    text = json.dumps(items[0])
    assert "ferry" not in text and "case" not in items[0]
    detail = shelter.client().get(f"/api/v1/referrals/{referral.pk}/")
    assert detail.status_code == 200
    assert AuditEvent.objects.filter(
        action="view", record_type="referrals.referral", actor=shelter.integration.account
    ).exists()
    # the hospital's system sees nothing of it: an empty list and the same 404
    hospital = connect(p.hospital, [Scope.REFERRAL_READ], name="Hospital system")
    assert hospital.client().get("/api/v1/referrals/").json()["items"] == []
    assert hospital.client().get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    # nor does the sending NGO's system (it is not a recipient; its people would use the pages)
    ngo = connect(p.ngo, [Scope.REFERRAL_READ], name="Pwani system")
    assert ngo.client().get(f"/api/v1/referrals/{referral.pk}/").status_code == 404


def test_referral_lists_page_with_a_cursor_and_filter_by_state_and_date(
    world: World, connect: Callable[..., Connected]
) -> None:
    p = world.p
    consent_to(world, p.shelter)
    first = send(world)
    second = send(world, urgency="routine")
    shelter = connect(p.shelter, [Scope.REFERRAL_READ], name="Salama system")
    page = shelter.client().get("/api/v1/referrals/?limit=1").json()
    assert [item["id"] for item in page["items"]] == [first.pk]
    following = shelter.client().get(f"/api/v1/referrals/?limit=1&cursor={page['next_cursor']}")
    assert [item["id"] for item in following.json()["items"]] == [second.pk]
    assert following.json()["next_cursor"] is None
    assert shelter.client().get("/api/v1/referrals/?status=completed").json()["items"] == []
    later = shelter.client().get("/api/v1/referrals/?sent_after=2999-01-01T00:00:00Z")
    assert later.json()["items"] == []
    bad = shelter.client().get("/api/v1/referrals/?cursor=bm9wZQ")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"
    assert Referral.objects.count() == 2


def test_the_directory_reads_as_hsds(helpline_system: Connected, world: World) -> None:
    response = helpline_system.client().get("/api/v1/directory/services/?limit=1")
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert {"id", "name", "organization_id", "status"} <= set(item)
    one = helpline_system.client().get(f"/api/v1/directory/services/{item['id']}/")
    assert one.status_code == 200
    assert one.json()["id"] == item["id"]
    missing = helpline_system.client().get(
        "/api/v1/directory/services/00000000-0000-0000-0000-000000000000/"
    )
    assert missing.status_code == 404


def test_no_token_no_answer(personas: Personas, client_for: Callable[..., Client]) -> None:
    anonymous = Client().get("/api/v1/referrals/")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.json()["type"].endswith("/unauthorised")
    # a signed-in session is not a token: the API never reads cookies
    assert client_for(personas.service_provider).get("/api/v1/referrals/").status_code == 401
    wrong = Client(HTTP_AUTHORIZATION="Bearer kinga_nothing").get("/api/v1/referrals/")
    assert wrong.status_code == 401


def test_a_token_post_needs_no_csrf_token(helpline_system: Connected) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {helpline_system.secret}")
    response = post(client, "/api/v1/reports/", CALL)
    assert response.status_code == 201


def test_rate_limit_headers_and_refusal(
    personas: Personas, connect: Callable[..., Connected]
) -> None:
    system = connect(personas.helpline_centre, [Scope.DIRECTORY_READ], name="Slow", rate=2)
    client = system.client()
    first = client.get("/api/v1/directory/services/")
    assert first["RateLimit-Limit"] == "2"
    assert first["RateLimit-Remaining"] == "1"
    assert 0 < int(first["RateLimit-Reset"]) <= 60
    assert client.get("/api/v1/directory/services/")["RateLimit-Remaining"] == "0"
    refused = client.get("/api/v1/directory/services/")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert int(refused["Retry-After"]) > 0
    assert refused["RateLimit-Remaining"] == "0"


def test_unknown_paths_are_problem_details(helpline_system: Connected) -> None:
    response = helpline_system.client().get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_schema_and_the_documentation_are_served_here(helpline_system: Connected) -> None:
    schema = Client().get("/api/v1/schema/")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    for path in ("/api/v1/reports/", "/api/v1/referrals/", "/api/v1/directory/services/"):
        assert path in document["paths"], path
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    docs = Client().get("/api/v1/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    guide = Client().get("/api/v1/guide/")
    assert guide.status_code == 200
    assert "curl" in guide.content.decode()
    # the receiver's recipe is readable text, not swallowed as a tag by the browser
    assert "t=(unix time),v1=(hex)" in guide.content.decode()
    swahili = Client(HTTP_ACCEPT_LANGUAGE="sw").get("/api/v1/guide/")
    translation.activate("en")  # the request left Kiswahili active in this thread
    assert "Mwongozo" in swahili.content.decode()


def test_the_integration_principal_is_not_a_person(helpline_system: Connected) -> None:
    account = helpline_system.integration.account
    assert account.roles.count() == 0
    fresh = type(account).objects.get(pk=account.pk)
    assert fresh.role_set == frozenset()
    assert not policy.can_do(fresh, "report.log_call")


def test_a_partner_answers_a_referral_through_the_same_workflow(
    world: World, connect: Callable[..., Connected]
) -> None:
    from kinga.notifications.models import Notification

    p = world.p
    consent_to(world, p.shelter)
    referral = send(world)
    shelter = connect(p.shelter, [Scope.REFERRAL_READ, Scope.REFERRAL_WRITE], name="Salama system")
    reader = connect(p.shelter, [Scope.REFERRAL_READ], name="Salama reader")
    assert reader.client().post(f"/api/v1/referrals/{referral.pk}/accept/").status_code == 403
    hospital = connect(p.hospital, [Scope.REFERRAL_WRITE], name="Hospital system")
    assert hospital.client().post(f"/api/v1/referrals/{referral.pk}/accept/").status_code == 404
    accepted = shelter.client().post(f"/api/v1/referrals/{referral.pk}/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.answered_by_id == shelter.integration.account_id
    assert AuditEvent.objects.filter(
        action="change", record_type="referrals.referral", actor=shelter.integration.account
    ).exists()
    assert Notification.objects.filter(recipient=p.caseworker).exists()
    # a move the state machine does not allow is a conflict, saying what it can become
    again = shelter.client().post(f"/api/v1/referrals/{referral.pk}/accept/")
    assert again.status_code == 409
    assert again.json()["type"].endswith("/conflict")
    assert shelter.client().post(f"/api/v1/referrals/{referral.pk}/start/").status_code == 200
    # feedback too short names the field and changes nothing
    short = post(shelter.client(), f"/api/v1/referrals/{referral.pk}/complete/", {"feedback": "ok"})
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "feedback"
    referral.refresh_from_db()
    assert referral.status == "in_progress"
    done = post(
        shelter.client(),
        f"/api/v1/referrals/{referral.pk}/complete/",
        {"feedback": "She stayed three weeks and went home with her aunt."},
    )
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    # its window closes with the referral, as a person's does
    assert shelter.client().get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
