"""Notify staff in the app, and by SMS or email where asked.

The text never names a child or holds case details: a reference and a link at most. It is
stored as a message key with its values and rendered in each recipient's language when read
or sent (`kinga.lib.messages`); links are paths, made absolute with `KINGA_BASE_URL` for SMS
and email.

Side effects follow the one rule (CONTRIBUTING, "Side effects"): `notify` writes the
notifications, and the SMS and email it asks for, as rows in the caller's transaction (an
outbox); the worker (`kinga worker`) sends them after the commit. So a change and its
notifications commit or vanish together, a slow gateway never holds up the request, and a
failed send is retried. Nothing here talks to a gateway inside a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from kinga.lib.messages import absolute_link, link_check, message_render, message_values_check
from kinga.messaging.models import MessageKind
from kinga.messaging.services import message_send_staff
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
    message: str,
    values: Mapping[str, str | int] | None = None,
    link: str = "",
    kind: str = "",
    actor: User | None = None,
    deliver_by: Iterable[str] = (),
) -> list[Notification]:
    """Leave a notification for each recipient, rendered in their language when read.

    `message` is the English text marked with `gettext_noop` (so it is in the catalogues),
    with `%(name)s` placeholders filled from `values` (codes, references, counts: never a
    child's name or a case detail). `link` is a path of this site (`reverse(...)`).
    `deliver_by` may add "sms" (to the recipient's work phone) and "email": both are queued
    in this transaction and rendered and sent by the worker after it commits. Call it inside
    the service that makes the change, never after (not durable: it joins the caller's
    transaction).
    """
    checked = message_values_check(values or {})
    link_check(link)
    if len(message) > 300:
        raise ValueError("a notification's message key is at most 300 characters")
    people = list({user.pk: user for user in recipients}.values())
    notes = Notification.objects.bulk_create(
        [
            Notification(recipient=user, message=message, values=checked, link=link, kind=kind)
            for user in people
        ]
    )
    channels = set(deliver_by)
    if "sms" in channels:
        for user in people:
            if user.phone:
                try:
                    message_send_staff(
                        recipient=user,
                        message=message,
                        values=checked,
                        link=link,
                        kind=MessageKind.NOTIFICATION,
                    )
                except ValueError:
                    continue  # a work number that is not a phone number; the app still has it
    if "email" in channels:
        for note in notes:
            if note.recipient.email:
                task_enqueue(name=EMAIL_TASK, payload={"notification_id": note.pk})
    return notes


EMAIL_SUBJECT = gettext_noop("Kinga: a notice for you")


@task(EMAIL_TASK)
def notification_email(payload: dict[str, Any], now: datetime) -> None:
    """Email one notification to its recipient, in their language; raise (and so retry)
    when the mail fails."""
    note = (
        Notification.objects.select_related("recipient")
        .filter(pk=payload["notification_id"])
        .first()
    )
    if note is None or not note.recipient.email:
        return
    language = note.recipient.preferred_language
    send_mail(
        subject=message_render(message=EMAIL_SUBJECT, values=None, language=language),
        message=f"{note.text_in(language)}\n\n{absolute_link(note.link)}".strip(),
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
