"""The schedule of periodic jobs, kept in the database and run by `kinga worker`.

No cron and no timer in a process: every worker, every poll, calls `schedule_enqueue_due`.
A due job is claimed with one conditional UPDATE (compare-and-set on its `next_due`): on
SQLite one writer at a time, on PostgreSQL the row lock makes a second UPDATE re-read the row
and find it no longer due. The winner queues the job's task in the same transaction, so a
crash between the two loses neither, and the task machinery runs it once (with retry, and a
dead worker's lease recovered).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from kinga.tasks.models import ScheduledJob, Task, TaskState
from kinga.tasks.registry import PERIODIC, interval_of
from kinga.tasks.services import task_enqueue

log = logging.getLogger(__name__)


@transaction.atomic(durable=True)
def schedule_sync(*, now: datetime) -> list[ScheduledJob]:
    """Make a schedule row for every registered periodic job (due at once when new) and keep
    each row's interval equal to the code's (or its setting's); return the rows."""
    jobs = []
    for name in sorted(PERIODIC):
        seconds = max(int(interval_of(name).total_seconds()), 1)
        job, created = ScheduledJob.objects.get_or_create(
            name=name, defaults={"interval_seconds": seconds, "next_due": now}
        )
        if not created and job.interval_seconds != seconds:
            ScheduledJob.objects.filter(pk=job.pk).update(interval_seconds=seconds)
            job.interval_seconds = seconds
        jobs.append(job)
    return jobs


def _following(due: datetime, interval: timedelta, now: datetime) -> datetime:
    """Return the next due time after `due`: one interval on, keeping the job's rhythm, but
    never in the past (a worker that was down for a week runs a daily job once, not 7 times)."""
    following = due + interval
    return following if following > now else now + interval


def schedule_enqueue_due(*, worker: str, now: datetime) -> list[str]:
    """Queue a task for every periodic job due at `now` that this worker claims; return
    their names. Safe to call from any number of workers at once."""
    queued = []
    due = ScheduledJob.objects.filter(enabled=True, next_due__lte=now).values_list(
        "pk", "name", "interval_seconds", "next_due"
    )
    for pk, name, seconds, next_due in list(due):
        with transaction.atomic(durable=True):  # a top-level change of its own
            claimed = ScheduledJob.objects.filter(
                pk=pk, enabled=True, next_due=next_due, next_due__lte=now
            ).update(
                next_due=_following(next_due, timedelta(seconds=seconds), now),
                last_queued_at=now,
                last_queued_by=worker[:64],
            )
            if not claimed:
                continue  # another worker claimed it first
            if Task.objects.filter(
                name=name, state__in=[TaskState.QUEUED, TaskState.RUNNING]
            ).exists():
                # The last run is still waiting or retrying: it does the same work.
                log.info("periodic job %s still pending; not queued again", name)
                continue
            task_enqueue(name=name, payload={}, run_after=now)
            queued.append(name)
    return queued
