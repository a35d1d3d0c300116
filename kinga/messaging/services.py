"""Send SMS through the configured backend (by a task, with retry), and apply delivery reports.

`message_send` only stores the message and its sending task in the caller's transaction
(the outbox); `message_deliver`, run by the worker, is the one place that calls the gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from kinga.lib.crypto import keyed_hash
from kinga.lib.messages import absolute_link, link_check, message_render, message_values_check
from kinga.lib.phones import normalise_phone
from kinga.messaging.backends import TemporaryFailure, get_backend
from kinga.messaging.models import STATE_RANK, MessageState, OutboundMessage
from kinga.tasks.registry import task
from kinga.tasks.services import backoff, task_enqueue

if TYPE_CHECKING:
    from kinga.accounts.models import User

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 6
SEND_TASK = "messaging.send"


def phone_index(raw: str) -> str:
    """Return the blind index of a phone number, normalised first."""
    return keyed_hash(normalise_phone(raw), purpose="phone")


@transaction.atomic  # not durable: it joins the transaction of the change that sends it
def message_send(*, to: str, text: str, kind: str) -> OutboundMessage:
    """Store an SMS and queue its sending; the worker hands it to the backend.

    `text` must not hold a report's content or a name. Nothing is sent before the caller's
    transaction commits; if it rolls back, neither the message nor its task exists.
    """
    number = normalise_phone(to)
    message = OutboundMessage(
        to=number,
        to_index=keyed_hash(number, purpose="phone"),
        text=text[:480],
        kind=kind,
    )
    message.full_clean()
    message.save()
    task_enqueue(name=SEND_TASK, payload={"message_id": message.pk})
    return message


@transaction.atomic  # not durable: it joins the transaction of the change that sends it
def message_send_staff(
    *,
    recipient: User,
    message: str,
    values: Mapping[str, str | int] | None = None,
    link: str = "",
    kind: str,
) -> OutboundMessage:
    """Store an SMS to a staff member's work phone as a message key with its values, and
    queue it; the worker renders it in the recipient's language, with the link under
    `KINGA_BASE_URL`, when it sends it. Raise ValueError when the work phone is no number.
    """
    number = normalise_phone(recipient.phone)
    sms = OutboundMessage(
        to=number,
        to_index=keyed_hash(number, purpose="phone"),
        recipient=recipient,
        message=message,
        values=message_values_check(values or {}),
        link=link_check(link),
        kind=kind,
    )
    sms.full_clean()
    sms.save()
    task_enqueue(name=SEND_TASK, payload={"message_id": sms.pk})
    return sms


def message_text(message: OutboundMessage) -> str:
    """Return the text to send: a reporter's as stored; a staff member's rendered now, in
    their language, with the link under the deployment's base URL."""
    if not message.message:
        return message.text
    language = message.recipient.preferred_language if message.recipient else None
    text = message_render(message=message.message, values=message.values, language=language)
    link = absolute_link(message.link)
    return f"{text} {link}"[:480] if link else text[:480]


@task(SEND_TASK)
def message_deliver(payload: dict[str, Any], now: datetime) -> None:
    """Hand one queued message to the backend; raise to retry when the provider is down."""
    message = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .select_related("recipient")
        .filter(pk=payload["message_id"])
        .first()
    )
    if message is None or message.state != MessageState.QUEUED:
        return  # sent already (a retried task), or gone
    message.attempts += 1
    message.text = message_text(message)
    try:
        result = get_backend().send(to=message.to, text=message.text, reference=str(message.pk))
    except TemporaryFailure as error:
        message.failure_reason = str(error)[:64]
        message.updated_at = now
        if message.attempts >= MAX_SEND_ATTEMPTS:
            message.state = MessageState.NOT_SENT
            log.warning("SMS #%s not sent after %d attempts", message.pk, message.attempts)
        else:
            # A new task, stored with the attempt count, retries after a growing wait.
            task_enqueue(
                name=SEND_TASK,
                payload={"message_id": message.pk},
                run_after=now + backoff(message.attempts),
            )
        message.save(update_fields=["attempts", "state", "failure_reason", "updated_at", "text"])
        return
    message.state = result.state
    message.failure_reason = result.failure_reason
    message.provider_message_id = result.provider_message_id
    message.sent_at = now
    message.updated_at = now
    message.save(
        update_fields=[
            "text",
            "attempts",
            "state",
            "failure_reason",
            "provider_message_id",
            "sent_at",
            "updated_at",
        ]
    )


def state_may_change(current: str, new: str) -> bool:
    """Return whether a delivery report may move a message from `current` to `new`.

    Final states stay final, and a late report of an earlier state is ignored.
    """
    if new not in STATE_RANK or new == MessageState.QUEUED:
        return False
    return STATE_RANK[MessageState(new)] > STATE_RANK[MessageState(current)]


@transaction.atomic(durable=True)
def message_delivery_report(
    *, provider_message_id: str, status: str, failure_reason: str = "", network_code: str = ""
) -> OutboundMessage | None:
    """Apply a provider's delivery report; return the message, or None when it is unknown.

    Reports repeat and arrive out of order: applying one twice, or an older one after a
    newer, changes nothing.
    """
    message = (
        OutboundMessage.objects.select_for_update()
        .filter(provider_message_id=provider_message_id)
        .first()
    )
    if message is None or not provider_message_id:
        return None
    if not state_may_change(message.state, status):
        return message
    message.state = status
    message.failure_reason = failure_reason[:64]
    message.network_code = network_code[:16]
    message.updated_at = timezone.now()
    message.save(update_fields=["state", "failure_reason", "network_code", "updated_at"])
    return message
