"""Notify staff in the app (and, where the messaging backends exist, by SMS or email)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from kinga.notifications.models import Notification

if TYPE_CHECKING:
    from kinga.accounts.models import User


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    text: str,
    link: str = "",
    kind: str = "",
    actor: User | None = None,
) -> list[Notification]:
    """Leave a notification for each recipient. `text` must not name a child or a case detail."""
    notes = [
        Notification(recipient=user, text=text[:300], link=link[:300], kind=kind)
        for user in {user.pk: user for user in recipients}.values()
    ]
    return Notification.objects.bulk_create(notes)


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; return how many."""
    mine = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        mine = mine.filter(pk=notification_id)
    return mine.update(read_at=timezone.now())
