"""Outgoing SMS: an outbox row in the change's transaction, sent by the worker only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kinga.messaging import backends
from kinga.messaging.models import MessageKind, MessageState, OutboundMessage
from kinga.messaging.services import (
    SEND_TASK,
    message_deliver,
    message_delivery_report,
    message_send,
    phone_index,
)
from kinga.tasks.models import Task
from kinga.tasks.services import run_due

pytestmark = pytest.mark.django_db


class Recording:
    """A backend that records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def send(self, *, to: str, text: str, reference: str) -> backends.SendResult:
        self.sent.append({"to": to, "text": text, "reference": reference})
        return backends.SendResult(provider_message_id=f"rec-{reference}", state="Sent")


@pytest.fixture
def gateway(monkeypatch: Any) -> Recording:
    recording = Recording()
    monkeypatch.setattr("kinga.messaging.services.get_backend", lambda: recording)
    return recording


def test_sending_stores_a_message_and_nothing_leaves_before_the_worker(gateway: Recording) -> None:
    """Issue 12 point 4: `message_send` writes the message and its task in the caller's
    transaction (an outbox); the gateway is called only by the worker, after the commit."""
    with transaction.atomic():
        message = message_send(to="0712 345 678", text="Asante", kind=MessageKind.ACKNOWLEDGEMENT)
        assert gateway.sent == []
    assert gateway.sent == []  # still nothing: the request never talks to the gateway
    assert Task.objects.filter(name=SEND_TASK, payload={"message_id": message.pk}).exists()
    assert run_due(now=timezone.now()) == 1
    assert gateway.sent == [{"to": "+254712345678", "text": "Asante", "reference": str(message.pk)}]
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.provider_message_id == f"rec-{message.pk}"


def test_a_message_of_a_rolled_back_change_is_never_sent(gateway: Recording) -> None:
    """Issue 12 point 4: when the change that sends a message fails, neither the message nor
    its task survives, so the worker has nothing to send."""
    with pytest.raises(RuntimeError), transaction.atomic():
        message_send(to="0712345678", text="Asante", kind=MessageKind.ACKNOWLEDGEMENT)
        raise RuntimeError("the change failed")
    assert not OutboundMessage.objects.exists()
    assert not Task.objects.exists()
    assert run_due(now=timezone.now()) == 0
    assert gateway.sent == []


def test_a_repeated_send_task_does_not_send_twice(gateway: Recording) -> None:
    """Issue 12 point 7: a send task run again (a retry, or a dead worker's task taken over)
    finds the message sent and sends nothing more."""
    message = message_send(to="0712345678", text="Asante", kind=MessageKind.ACKNOWLEDGEMENT)
    now = timezone.now()
    message_deliver({"message_id": message.pk}, now)
    message_deliver({"message_id": message.pk}, now)
    assert len(gateway.sent) == 1


def test_the_number_is_encrypted_and_found_by_its_blind_index(gateway: Recording) -> None:
    """Issue 12 point 7: the recipient's number is not stored in clear; its keyed index
    finds the message whatever way the number was written."""
    message = message_send(to="0712345678", text="Asante", kind=MessageKind.ACKNOWLEDGEMENT)
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "to" FROM messaging_outboundmessage WHERE id = %s',
            [message.pk],
        )
        (stored,) = cursor.fetchone()
    assert "712345678" not in str(stored)
    assert OutboundMessage.objects.filter(to_index=phone_index("+254 712 345678")).get() == message


def test_a_number_that_is_not_a_phone_is_refused_before_anything_is_stored() -> None:
    """Issue 12 point 7: a bad number fails the call; no message or task is left behind."""
    with pytest.raises(ValueError), transaction.atomic():
        message_send(to="not a number", text="Asante", kind=MessageKind.ACKNOWLEDGEMENT)
    assert not OutboundMessage.objects.exists()
    assert not Task.objects.exists()


def test_delivery_reports_are_a_top_level_change(gateway: Recording) -> None:
    """Issue 12 point 4: applying a delivery report is a durable service: it is its own
    transaction, never part of another."""
    message = message_send(to="0712345678", text="Asante", kind=MessageKind.ACKNOWLEDGEMENT)
    run_due(now=timezone.now())
    message.refresh_from_db()
    with pytest.raises(RuntimeError), transaction.atomic():
        message_delivery_report(provider_message_id=message.provider_message_id, status="Success")
    reported = message_delivery_report(
        provider_message_id=message.provider_message_id, status="Success"
    )
    assert reported is not None and reported.state == MessageState.SUCCESS


def test_a_delivery_report_without_an_id_touches_nothing(gateway: Recording) -> None:
    """Issue 12 point 7: a report with an empty provider id cannot match an unsent message
    (whose provider id is still empty)."""
    message = message_send(to="0712345678", text="Asante", kind=MessageKind.ACKNOWLEDGEMENT)
    assert message_delivery_report(provider_message_id="", status="Success") is None
    message.refresh_from_db()
    assert message.state == MessageState.QUEUED


def test_the_file_backend_writes_one_line_per_message(settings: Any, tmp_path: Path) -> None:
    """Issue 12 point 7: tests and development send to a file inside the test's own folder,
    never to the network."""
    settings.KINGA_SMS_BACKEND = "file"
    settings.KINGA_SMS_FILE_DIR = str(tmp_path / "sms")
    message_send(to="0712345678", text="Asante", kind=MessageKind.ACKNOWLEDGEMENT)
    run_due(now=timezone.now())
    lines = (tmp_path / "sms" / "outbox.jsonl").read_text().splitlines()
    assert len(lines) == 1 and '"+254712345678"' in lines[0]


def test_an_unknown_backend_name_is_refused(settings: Any) -> None:
    """Issue 12 point 7: a misspelt backend fails loudly instead of dropping messages."""
    settings.KINGA_SMS_BACKEND = "carrier-pigeon"
    with pytest.raises(ValueError, match="KINGA_SMS_BACKEND"):
        backends.get_backend()
