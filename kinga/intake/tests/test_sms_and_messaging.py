"""Incoming SMS (idempotent on id), outgoing SMS through the worker, delivery-state rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from kinga.intake.models import Channel, Report, ReportAddition
from kinga.messaging.models import MessageState, OutboundMessage
from kinga.messaging.services import message_send, state_may_change
from kinga.tasks.models import Task, TaskState

pytestmark = pytest.mark.django_db


def incoming(
    gateway: Any, message_id: str, text: str = "Kuna mtoto Mtwapa", sender: str = "0712345678"
) -> Any:
    return gateway(
        "sms/incoming/",
        {
            "from": sender,
            "to": "21525",
            "text": text,
            "date": "2026-03-01 10:00:00",
            "id": message_id,
            "linkId": "link-1",
            "networkCode": "63902",
        },
    )


def test_incoming_sms_makes_one_report_and_one_acknowledgement(
    gateway: Any, outbox: Any, personas: Any
) -> None:
    assert incoming(gateway, "ATXid_1").status_code == 200
    assert incoming(gateway, "ATXid_1").status_code == 200  # the gateway retries
    report = Report.objects.get(channel=Channel.SMS)
    assert report.narrative == "Kuna mtoto Mtwapa"
    assert report.reporter_phone == "+254712345678"
    assert OutboundMessage.objects.count() == 1
    call_command("worker", "--once")
    sent = outbox()
    assert len(sent) == 1 and sent[0]["to"] == "+254712345678"
    assert "Mtwapa" not in sent[0]["text"]  # report text is never echoed
    assert OutboundMessage.objects.get().state == MessageState.SENT


def test_a_second_sms_the_same_day_extends_the_report(gateway: Any, personas: Any) -> None:
    incoming(gateway, "ATXid_1")
    incoming(gateway, "ATXid_2", text="Ni msichana wa miaka 14")
    incoming(gateway, "ATXid_2", text="Ni msichana wa miaka 14")
    assert Report.objects.filter(channel=Channel.SMS).count() == 1
    assert ReportAddition.objects.get().text == "Ni msichana wa miaka 14"


def test_sms_without_id_is_refused(gateway: Any) -> None:
    response = gateway("sms/incoming/", {"from": "0712345678", "text": "x"})
    assert response.status_code == 400


def test_delivery_reports_move_forward_only(gateway: Any, personas: Any) -> None:
    message = message_send(to="0712345678", text="Asante", kind="acknowledgement")
    call_command("worker", "--once")
    message.refresh_from_db()
    provider_id = message.provider_message_id
    gateway("sms/delivery/", {"id": provider_id, "status": "Buffered", "networkCode": "63902"})
    message.refresh_from_db()
    assert message.state == MessageState.BUFFERED
    gateway("sms/delivery/", {"id": provider_id, "status": "Submitted"})  # late, older
    message.refresh_from_db()
    assert message.state == MessageState.BUFFERED
    gateway(
        "sms/delivery/", {"id": provider_id, "status": "Failed", "failureReason": "DeliveryFailure"}
    )
    message.refresh_from_db()
    assert message.state == MessageState.FAILED and message.failure_reason == "DeliveryFailure"
    gateway("sms/delivery/", {"id": provider_id, "status": "Success"})  # no way out of final
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert gateway("sms/delivery/", {"id": "unknown", "status": "Success"}).status_code == 200


def test_state_rules_table() -> None:
    assert state_may_change("Queued", "Sent")
    assert state_may_change("Sent", "Success")
    assert not state_may_change("Success", "Failed")
    assert not state_may_change("Rejected", "Success")
    assert not state_may_change("Buffered", "Sent")
    assert not state_may_change("Sent", "Queued")
    assert not state_may_change("Sent", "Nonsense")


def test_sending_retries_with_backoff_then_gives_up(monkeypatch: Any, personas: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from kinga.messaging import backends

    class Down:
        def send(self, **kwargs: Any) -> Any:
            raise backends.TemporaryFailure("gateway down")

    monkeypatch.setattr("kinga.messaging.services.get_backend", lambda: Down())
    message = message_send(to="0712345678", text="Asante", kind="acknowledgement")
    now = timezone.now()
    for attempt in range(10):
        call_command("worker", "--once", "--now", (now + timedelta(hours=attempt)).isoformat())
    message.refresh_from_db()
    assert message.state == MessageState.NOT_SENT and message.attempts == 6
    assert Task.objects.filter(state=TaskState.QUEUED).count() == 0


def test_task_payload_refuses_free_text(db: None) -> None:
    from kinga.tasks.services import task_enqueue

    with pytest.raises(ValueError):
        task_enqueue(name="messaging.send", payload={"text": "Kuna mtoto hatarini sasa"})


def test_failing_task_is_retried_later(db: None) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from kinga.tasks.registry import task
    from kinga.tasks.services import run_due, task_enqueue

    calls: list[int] = []

    @task("test.flaky")
    def flaky(payload: dict[str, Any], now: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first time fails")

    stored = task_enqueue(name="test.flaky", payload={"n": 1})
    now = timezone.now()
    assert run_due(now=now) == 1
    stored.refresh_from_db()
    assert stored.state == TaskState.QUEUED and stored.attempts == 1
    assert run_due(now=now) == 0  # not yet due
    assert run_due(now=now + timedelta(minutes=5)) == 1
    stored.refresh_from_db()
    assert stored.state == TaskState.DONE and len(calls) == 2


def test_ratelimit_counts_per_key(db: None) -> None:
    from kinga.lib.ratelimit import hit

    assert all(hit(scope="t", key="1.2.3.4", limit=3, window_seconds=60, now=0) for _ in range(3))
    assert not hit(scope="t", key="1.2.3.4", limit=3, window_seconds=60, now=1)
    assert hit(scope="t", key="5.6.7.8", limit=3, window_seconds=60, now=1)
    assert hit(scope="t", key="1.2.3.4", limit=3, window_seconds=60, now=61)
