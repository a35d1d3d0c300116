"""Notify staff in the app, and by SMS or email where asked.

The text never names a child or holds case details: a reference and a link at most.

Side effects follow the one rule (CONTRIBUTING, "Side effects"): `notify` writes the
notifications, and the SMS and email it asks for, as rows in the caller's transaction (an
outbox); the worker (`kinga worker`) sends them after the commit. So a change and its
notifications commit or vanish together, a slow gateway never holds up the request, and a
failed send is retried. Nothing here talks to a gateway inside a request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from kinga.messaging.models import MessageKind
from kinga.messaging.services import message_send
from kinga.notifications.models import Notification
from kinga.tasks.registry import task
from kinga.tasks.services import task_enqueue

if TYPE_CHECKING:
    from kinga.accounts.models import User

EMAIL_TASK = "notifications.email"


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    text: str,
    link: str = "",
    kind: str = "",
    actor: User | None = None,
    deliver_by: Iterable[str] = (),
) -> list[Notification]:
    """Leave a notification for each recipient. `text` must not name a child or a case detail.

    `deliver_by` may add "sms" (to the recipient's work phone) and "email": both are queued
    in this transaction and sent by the worker after it commits. Call it inside the service
    that makes the change, never after (not durable: it joins the caller's transaction).
    """
    people = list({user.pk: user for user in recipients}.values())
    notes = Notification.objects.bulk_create(
        [
            Notification(recipient=user, text=text[:300], link=link[:300], kind=kind)
            for user in people
        ]
    )
    channels = set(deliver_by)
    if "sms" in channels:
        for user in people:
            if user.phone:
                try:
                    message_send(to=user.phone, text=text, kind=MessageKind.NOTIFICATION)
                except ValueError:
                    continue  # a work number that is not a phone number; the app still has it
    if "email" in channels:
        for note in notes:
            if note.recipient.email:
                task_enqueue(name=EMAIL_TASK, payload={"notification_id": note.pk})
    return notes


@task(EMAIL_TASK)
def notification_email(payload: dict[str, Any], now: datetime) -> None:
    """Email one notification to its recipient; raise (and so retry) when the mail fails."""
    note = (
        Notification.objects.select_related("recipient")
        .filter(pk=payload["notification_id"])
        .first()
    )
    if note is None or not note.recipient.email:
        return
    link = f"{settings.KINGA_BASE_URL.rstrip('/')}{note.link}" if note.link else ""
    send_mail(
        subject="Kinga",
        message=f"{note.text}\n\n{link}".strip(),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[note.recipient.email],
    )


@transaction.atomic(durable=True)
def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; return how many."""
    mine = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        mine = mine.filter(pk=notification_id)
    return mine.update(read_at=timezone.now())
