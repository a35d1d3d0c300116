"""Webhooks out: subscriptions to events the integration may see, signed deliveries by the
worker from the audit chain (the outbox), retries with back-off, and the delivery log."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from kinga.api import webhooks
from kinga.api.models import Delivery, DeliveryState, Scope, Subscription
from kinga.api.tests.conftest import Connected
from kinga.audit.models import AuditEvent
from kinga.referrals.models import Referral
from kinga.referrals.tests.test_referrals import World, consent_to, send
from kinga.tasks.models import Task
from kinga.tasks.services import run_due

pytestmark = pytest.mark.django_db

RECEIVER = "https://partner.example/kinga-hooks"


def subscribe(system: Connected, event: str, url: str = RECEIVER) -> Any:
    return system.client().post(
        "/api/v1/webhooks/",
        json.dumps({"event": event, "url": url}),
        content_type="application/json",
    )


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """A receiver written from the guide: split the header, recompute, compare, check age."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"]) and (
        abs(time.time() - timestamp) <= tolerance
    )


def received(directory: Path) -> list[dict[str, Any]]:
    path = directory / "webhooks.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def hooks_dir(settings: Any, tmp_path: Path) -> Path:
    settings.KINGA_WEBHOOK_BACKEND = "file"
    settings.KINGA_WEBHOOK_FILE_DIR = str(tmp_path)
    return tmp_path


@pytest.fixture
def shelter_system(world: World, connect: Callable[..., Connected]) -> Connected:
    return connect(
        world.p.shelter,
        [Scope.REFERRAL_READ, Scope.REFERRAL_WRITE, Scope.WEBHOOK_MANAGE],
        name="Salama system",
    )


def fan_out_and_deliver() -> None:
    now = timezone.now()
    webhooks.webhooks_fan_out({}, now)
    run_due(now=now)


def test_a_new_referral_is_delivered_signed_to_the_recipient_only(
    world: World,
    shelter_system: Connected,
    connect: Callable[..., Connected],
    hooks_dir: Path,
) -> None:
    created = subscribe(shelter_system, "referral.sent")
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    hospital = connect(
        world.p.hospital, [Scope.REFERRAL_READ, Scope.WEBHOOK_MANAGE], name="Hospital system"
    )
    assert subscribe(hospital, "referral.sent", "https://hospital.example/h").status_code == 201
    consent_to(world, world.p.shelter)
    referral = send(world)
    fan_out_and_deliver()
    lines = received(hooks_dir)
    assert [line["url"] for line in lines] == [RECEIVER]
    line = lines[0]
    body = line["body"].encode()
    assert verify(secret, line["headers"]["Kinga-Signature"], body)
    assert not verify("whsec_wrong", line["headers"]["Kinga-Signature"], body)
    assert not verify(secret, line["headers"]["Kinga-Signature"], body + b" ")
    event = json.loads(body)
    assert event["event"] == "referral.sent"
    assert event["data"]["referral"] == {
        "id": referral.pk,
        "reference": referral.reference,
        "status": "sent",
        "url": f"/api/v1/referrals/{referral.pk}/",
    }
    # the record's state, never its content
    assert "ferry" not in line["body"] and "needs" not in line["body"]
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.attempts == 1
    assert AuditEvent.objects.filter(
        action="export",
        actor=shelter_system.integration.account,
        record_type="referrals.referral",
        record_id=str(referral.pk),
    ).exists()
    # the delivery log, through the API
    sub_id = created.json()["subscription"]["id"]
    log = shelter_system.client().get(f"/api/v1/webhooks/{sub_id}/deliveries/").json()
    assert [item["state"] for item in log["items"]] == ["delivered"]
    # a second fan-out delivers nothing again
    fan_out_and_deliver()
    assert len(received(hooks_dir)) == 1


def test_state_changes_follow_and_a_closed_referral_says_only_its_state(
    world: World, shelter_system: Connected, hooks_dir: Path
) -> None:
    subscribe(shelter_system, "referral.changed")
    consent_to(world, world.p.shelter)
    referral = send(world)
    from kinga.referrals import services as referral_services

    referral_services.referral_withdraw(
        referral=referral,
        actor=world.p.caseworker,
        reason="The family took her to an aunt in Malindi.",
    )
    fan_out_and_deliver()
    events = [json.loads(line["body"]) for line in received(hooks_dir)]
    assert [e["data"]["referral"]["status"] for e in events] == ["withdrawn"]
    assert "Malindi" not in json.dumps(events)


def test_subscriptions_are_never_wider_than_the_reads(
    world: World, connect: Callable[..., Connected], shelter_system: Connected
) -> None:
    no_reports = subscribe(shelter_system, "report.changed")
    assert no_reports.status_code == 422
    assert no_reports.json()["errors"][0]["field"] == "event"
    plain = subscribe(shelter_system, "referral.sent", "http://partner.example/hooks")
    assert plain.status_code == 422
    assert plain.json()["errors"][0]["field"] == "url"
    reader = connect(world.p.shelter, [Scope.REFERRAL_READ], name="Reader")
    assert subscribe(reader, "referral.sent").status_code == 403
    assert not Subscription.objects.exists()


def test_the_signing_secret_is_encrypted_at_rest(
    shelter_system: Connected, hooks_dir: Path
) -> None:
    secret = subscribe(shelter_system, "referral.sent").json()["secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM api_subscription")
        stored = cursor.fetchone()[0]
    assert secret not in str(stored)
    listed = shelter_system.client().get("/api/v1/webhooks/").json()
    assert "secret" not in listed[0]


class Flaky:
    answers: list[int] = []

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        return self.answers.pop(0)


def test_a_failed_delivery_is_retried_with_back_off_and_logged(
    world: World, shelter_system: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(webhooks._BACKENDS, "flaky", Flaky)
    monkeypatch.setattr("django.conf.settings.KINGA_WEBHOOK_BACKEND", "flaky")
    Flaky.answers = [500, 503, 204]
    subscribe(shelter_system, "referral.sent")
    consent_to(world, world.p.shelter)
    send(world)
    now = timezone.now()
    webhooks.webhooks_fan_out({}, now)
    run_due(now=now)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("pending", 1, "http_500")
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    run_due(now=now + timedelta(seconds=10))  # not due yet
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    run_due(now=now + timedelta(seconds=31))
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_error) == (2, "http_503")
    assert delivery.next_attempt_at == now + timedelta(seconds=31 + 60)
    run_due(now=now + timedelta(seconds=200))
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.attempts == 3
    assert not Task.objects.filter(name=webhooks.DELIVER, state="queued").exists()


def test_delivery_gives_up_after_the_last_attempt(
    world: World, shelter_system: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(webhooks._BACKENDS, "flaky", Flaky)
    monkeypatch.setattr("django.conf.settings.KINGA_WEBHOOK_BACKEND", "flaky")
    Flaky.answers = [500] * webhooks.MAX_ATTEMPTS
    subscribe(shelter_system, "referral.sent")
    consent_to(world, world.p.shelter)
    send(world)
    moment = timezone.now()
    webhooks.webhooks_fan_out({}, moment)
    for _attempt in range(webhooks.MAX_ATTEMPTS + 2):
        run_due(now=moment)
        moment += timedelta(hours=2)
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == webhooks.MAX_ATTEMPTS


def test_an_ended_subscription_gets_nothing_more(
    world: World, shelter_system: Connected, hooks_dir: Path
) -> None:
    sub_id = subscribe(shelter_system, "referral.sent").json()["subscription"]["id"]
    consent_to(world, world.p.shelter)
    send(world)
    now = timezone.now()
    webhooks.webhooks_fan_out({}, now)
    ended = shelter_system.client().delete(f"/api/v1/webhooks/{sub_id}/")
    assert ended.status_code == 200
    assert ended.json()["is_active"] is False
    run_due(now=now)
    assert received(hooks_dir) == []
    assert Delivery.objects.get().last_error == "subscription_ended"


def test_another_integrations_subscription_is_not_found(
    world: World, shelter_system: Connected, connect: Callable[..., Connected]
) -> None:
    sub_id = subscribe(shelter_system, "referral.sent").json()["subscription"]["id"]
    other = connect(world.p.hospital, [Scope.WEBHOOK_MANAGE], name="Hospital system")
    assert other.client().delete(f"/api/v1/webhooks/{sub_id}/").status_code == 404
    assert other.client().get(f"/api/v1/webhooks/{sub_id}/deliveries/").status_code == 404
    assert Subscription.objects.get().is_active


def test_the_http_backend_refuses_private_addresses() -> None:
    backend = webhooks.HttpBackend()
    for url in ("https://127.0.0.1/x", "https://10.0.0.5/x", "http://example.org/x"):
        with pytest.raises(webhooks.DeliveryError):
            backend.post(url, b"{}", {})
    assert Referral.objects.count() == 0
