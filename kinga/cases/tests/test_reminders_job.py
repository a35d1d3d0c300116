"""The daily case reminders run from the worker's schedule, not from cron."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from kinga.cases import services
from kinga.cases.models import Case
from kinga.notifications.models import Notification
from kinga.tasks.models import ScheduledJob

pytestmark = pytest.mark.django_db


def test_the_worker_alone_sends_the_daily_case_reminders(personas: Any, case: Case) -> None:
    """Issue 12 point 6: `kinga worker` sends the day's reminders from its schedule: an
    overdue promise reaches its owner on the first poll, not again the same day, and again
    the next day."""
    moment = timezone.now()
    today = timezone.localdate(moment)
    services.promise_make(
        case=case,
        actor=personas.caseworker,
        kind="return_call",
        description="Call back about the school fees",
        due_on=today - datetime.timedelta(days=2),
    )
    notes = Notification.objects.filter(recipient=personas.caseworker, kind="promise_overdue")

    def worker(at: datetime.datetime) -> None:
        call_command("worker", "--once", "--now", at.isoformat(), stdout=StringIO())

    worker(moment)
    assert notes.count() == 1
    worker(moment + datetime.timedelta(hours=1))
    assert notes.count() == 1
    job = ScheduledJob.objects.get(name="cases.reminders")
    assert job.next_due == moment + datetime.timedelta(days=1)
    worker(moment + datetime.timedelta(days=1, minutes=1))
    assert notes.count() == 2


def test_there_is_no_cron_command_for_reminders() -> None:
    """Issue 12 point 6: the reminders have one way to run (the worker); the old management
    command meant for cron is gone, so they cannot be sent twice by two schedulers."""
    from django.core.management import get_commands

    assert "case_reminders" not in get_commands()
