"""The schedule of periodic jobs: kept in the database, each due run queued and run once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from kinga.tasks.models import ScheduledJob, Task, TaskState
from kinga.tasks.registry import HANDLERS, PERIODIC, periodic
from kinga.tasks.schedule import schedule_enqueue_due, schedule_sync
from kinga.tasks.services import run_due

JOB = "test.hourly"
RUNS: list[datetime] = []


@pytest.fixture
def hourly() -> Iterator[list[datetime]]:
    """Register a job that runs every hour and records when it ran."""

    @periodic(JOB, every=timedelta(hours=1))
    def job(payload: dict[str, Any], now: datetime) -> None:
        RUNS.append(now)

    RUNS.clear()
    yield RUNS
    PERIODIC.pop(JOB, None)
    HANDLERS.pop(JOB, None)
    RUNS.clear()


def test_the_apps_register_their_periodic_jobs() -> None:
    """Issue 12 point 6: case reminders and the audit checkpoint are jobs of the worker's
    schedule (registered when Django starts), not cron entries or a timer."""
    assert {"cases.reminders", "audit.checkpoint"} <= set(PERIODIC)
    assert "cases.reminders" in HANDLERS and "audit.checkpoint" in HANDLERS


@pytest.mark.django_db
def test_the_schedule_lives_in_the_database_and_follows_the_setting(settings: Any) -> None:
    """Issue 12 point 6: each job is a row with its interval and next due time; a new job is
    due at once, and the checkpoint's interval follows its setting."""
    now = timezone.now()
    schedule_sync(now=now)
    reminders = ScheduledJob.objects.get(name="cases.reminders")
    assert reminders.interval_seconds == 24 * 3600
    assert reminders.next_due == now
    settings.KINGA_AUDIT_CHECKPOINT_MINUTES = 7
    schedule_sync(now=now + timedelta(hours=2))
    checkpoint = ScheduledJob.objects.get(name="audit.checkpoint")
    assert checkpoint.interval_seconds == 7 * 60
    assert checkpoint.next_due == now  # a sync never moves a job's due time


@pytest.mark.django_db
def test_a_due_job_runs_once_per_interval(hourly: list[datetime]) -> None:
    """Issue 12 point 6: a job runs when due, then not again until its interval has passed."""
    now = timezone.now()
    schedule_sync(now=now)
    assert JOB in schedule_enqueue_due(worker="w", now=now)
    run_due(worker="w", now=now)
    assert hourly == [now]
    assert JOB not in schedule_enqueue_due(worker="w", now=now + timedelta(minutes=59))
    assert JOB in schedule_enqueue_due(worker="w", now=now + timedelta(minutes=61))
    run_due(worker="w", now=now + timedelta(minutes=61))
    assert len(hourly) == 2


@pytest.mark.django_db
def test_a_worker_back_after_a_long_stop_runs_a_missed_job_once(hourly: list[datetime]) -> None:
    """Issue 12 point 6: after a week without a worker an hourly job runs once, not 168
    times, and its next run is an interval later."""
    now = timezone.now()
    schedule_sync(now=now)
    week = now + timedelta(days=7)
    assert schedule_enqueue_due(worker="w", now=week).count(JOB) == 1
    assert JOB not in schedule_enqueue_due(worker="w", now=week)
    assert ScheduledJob.objects.get(name=JOB).next_due == week + timedelta(hours=1)


@pytest.mark.django_db
def test_a_job_still_retrying_is_not_queued_again(hourly: list[datetime]) -> None:
    """Issue 12 point 6: while the last run of a job waits or retries, a due time queues no
    second copy of the same work."""
    now = timezone.now()
    schedule_sync(now=now)
    schedule_enqueue_due(worker="w", now=now)  # queued, not yet run
    later = now + timedelta(hours=1, minutes=1)
    assert JOB not in schedule_enqueue_due(worker="w", now=later)
    assert Task.objects.filter(name=JOB).count() == 1


@pytest.mark.django_db
def test_a_disabled_job_does_not_run(hourly: list[datetime]) -> None:
    """Issue 12 point 6: an operator can switch a job off in its row."""
    now = timezone.now()
    schedule_sync(now=now)
    ScheduledJob.objects.filter(name=JOB).update(enabled=False)
    assert JOB not in schedule_enqueue_due(worker="w", now=now)


@pytest.mark.django_db(transaction=True)
def test_a_due_job_runs_once_with_two_workers_at_once(hourly: list[datetime]) -> None:
    """Issue 12 points 6 and 7: two workers polling the schedule at the same moment, on
    their own connections (threads), queue and run a due job once between them."""
    now = timezone.now()
    schedule_sync(now=now)
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    queued: list[str] = []

    def work() -> None:
        try:
            start.wait()
            for _ in range(3):
                queued.extend(schedule_enqueue_due(worker=threading.current_thread().name, now=now))
                run_due(worker=threading.current_thread().name, now=now)
        except BaseException as error:  # noqa: BLE001  # reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"worker-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert queued.count(JOB) == 1
    assert hourly == [now]
    assert Task.objects.filter(name=JOB, state=TaskState.DONE).count() == 1
