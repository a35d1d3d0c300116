"""Reads of notifications: a user's own, and nobody else's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from kinga.notifications.models import Notification

if TYPE_CHECKING:
    from kinga.accounts.models import User


def inbox(*, user: User) -> QuerySet[Notification]:
    """Return the user's notifications, unread first, newest first."""
    return Notification.objects.filter(recipient=user).order_by("read_at", "-created_at")


def unread_count(*, user: User) -> int:
    """Return how many of the user's notifications are unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
