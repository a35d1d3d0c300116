"""In-app notifications and the SMS and email they ask for: written with the change, sent
by the worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kinga.accounts.models import User
from kinga.messaging.models import OutboundMessage
from kinga.notifications.models import Notification
from kinga.notifications.services import notification_mark_read, notify
from kinga.tasks.models import Task
from kinga.tasks.services import run_due

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_to_a_file(settings: Any, tmp_path: Path) -> None:
    settings.KINGA_SMS_BACKEND = "file"
    settings.KINGA_SMS_FILE_DIR = str(tmp_path / "sms")


def sms_sent(settings: Any) -> list[str]:
    path = Path(settings.KINGA_SMS_FILE_DIR) / "outbox.jsonl"
    return path.read_text().splitlines() if path.exists() else []


def reachable(user: User, phone: str = "0712345678") -> User:
    User.objects.filter(pk=user.pk).update(phone=phone, email=f"{user.username}@example.org")
    user.refresh_from_db()
    return user


def test_notify_queues_sms_and_email_and_the_worker_sends_them(
    personas: Any, settings: Any
) -> None:
    """Issue 12 point 4: `notify` leaves the notification and queues its SMS and email in
    the caller's transaction; nothing is sent until the worker runs."""
    user = reachable(personas.supervisor)
    with transaction.atomic():
        notify(
            recipients=[user, user],
            message="Referral REF-1 has not been answered in time.",
            link="/referrals/1/",
            kind="referral_overdue",
            deliver_by=("sms", "email"),
        )
        assert mail.outbox == [] and sms_sent(settings) == []
    assert Notification.objects.filter(recipient=user).count() == 1  # one per person
    assert mail.outbox == [] and sms_sent(settings) == []
    run_due(now=timezone.now())
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    assert "/referrals/1/" in mail.outbox[0].body
    assert len(sms_sent(settings)) == 1


def test_notifications_of_a_rolled_back_change_are_never_sent(personas: Any, settings: Any) -> None:
    """Issue 12 point 4: a change that fails takes its notification, SMS and email with it:
    they cannot go out for something that did not happen."""
    user = reachable(personas.supervisor)
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[user], message="Case KWL-1 closed.", deliver_by=("sms", "email"))
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert not Task.objects.exists()
    run_due(now=timezone.now())
    assert mail.outbox == [] and sms_sent(settings) == []


def test_a_work_number_that_is_not_a_phone_does_not_stop_the_notification(
    personas: Any,
) -> None:
    """Issue 12 point 7: a bad work number skips the SMS; the in-app notification and the
    other recipients' SMS still happen."""
    bad = reachable(personas.supervisor, phone="ext. 12")
    good = reachable(personas.caseworker)
    notify(recipients=[bad, good], message="Case KWL-1 reassigned.", deliver_by=("sms",))
    assert Notification.objects.count() == 2
    assert OutboundMessage.objects.count() == 1


def test_the_inbox_shows_only_the_users_own_notifications(
    personas: Any, client_for: Callable[[User | None], Client]
) -> None:
    """Issue 12 point 7: a user's inbox lists their notifications and nobody else's."""
    notify(recipients=[personas.caseworker], message="Mine: case KWL-1.")
    notify(recipients=[personas.caseworker_other], message="Theirs: case KLF-9.")
    page = client_for(personas.caseworker).get(reverse("notifications:inbox"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Mine: case KWL-1." in body
    assert "Theirs: case KLF-9." not in body


def test_a_user_cannot_mark_another_users_notification_read(
    personas: Any, client_for: Callable[[User | None], Client]
) -> None:
    """Issue 12 point 7: marking read touches only the signed-in user's notifications."""
    (theirs,) = notify(recipients=[personas.caseworker_other], message="Case KLF-9.")
    (mine,) = notify(recipients=[personas.caseworker], message="Case KWL-1.")
    client = client_for(personas.caseworker)
    client.post(reverse("notifications:mark_read"), {"notification": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("notifications:mark_read"), {"notification": mine.pk})
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_marking_read_is_a_top_level_change(personas: Any) -> None:
    """Issue 12 point 4: `notification_mark_read` is a durable service (its own
    transaction), while `notify` joins the transaction of the change it reports."""
    notify(recipients=[personas.caseworker], message="Case KWL-1.")
    with pytest.raises(RuntimeError), transaction.atomic():
        notification_mark_read(user=personas.caseworker)
    with transaction.atomic():
        notify(recipients=[personas.caseworker], message="Case KWL-2.")  # joins, no error
    assert notification_mark_read(user=personas.caseworker) == 2
