"""Queue tasks and run the due ones, with retry and backoff."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from kinga.lib.rows import insert_row
from kinga.tasks.models import Task, TaskState
from kinga.tasks.registry import HANDLERS

log = logging.getLogger(__name__)

# A task left running longer than this belonged to a worker that died; it runs again.
LEASE = timedelta(minutes=10)
# Payload values are ids and codes, never personal data.
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")


def _check_payload(payload: dict[str, Any]) -> None:
    for key, value in payload.items():
        if isinstance(value, bool | int) or value is None:
            continue
        if isinstance(value, str) and _SAFE_TEXT.match(value):
            continue
        raise ValueError(f"task payload {key!r} must be an id or a code, not free text")


def task_enqueue(*, name: str, payload: dict[str, Any], run_after: datetime | None = None) -> Task:
    """Store a task to run once due, inside the caller's transaction.

    The row commits (or rolls back) with the change that asked for it, and no worker sees
    it before then, so nothing is lost and nothing runs early.
    """
    _check_payload(payload)
    task = Task(name=name, payload=payload, run_after=run_after or timezone.now())
    insert_row(task)  # one prepared statement: reports enqueue a task on every channel
    return task


def backoff(attempts: int) -> timedelta:
    """Return the wait before retry number `attempts`: 30 s doubling, at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _due(now: datetime) -> Q:
    return Q(state=TaskState.QUEUED, run_after__lte=now) | Q(
        state=TaskState.RUNNING, locked_at__lt=now - LEASE
    )


def task_claim(*, worker: str, now: datetime, limit: int = 20) -> list[Task]:
    """Claim up to `limit` due tasks for this worker, so no other worker runs them."""
    if connection.vendor == "postgresql":
        with transaction.atomic(durable=True):
            tasks = list(
                Task.objects.select_for_update(skip_locked=True)
                .filter(_due(now))
                .order_by("run_after", "pk")[:limit]
            )
            if tasks:
                Task.objects.filter(pk__in=[t.pk for t in tasks]).update(
                    state=TaskState.RUNNING, locked_at=now, locked_by=worker
                )
            return tasks
    # SQLite has no row locks: a conditional UPDATE claims each task; only one worker wins.
    candidates = Task.objects.filter(_due(now)).order_by("run_after", "pk")[:limit]
    return [task for task in candidates if _claim_if_unchanged(task, worker=worker, now=now)]


def _claim_if_unchanged(candidate: Task, *, worker: str, now: datetime) -> bool:
    """Claim a task read earlier, only if nobody claimed it since (compare-and-set on its
    state and lease); return whether this worker won it."""
    lease = (
        Q(locked_at__isnull=True)
        if candidate.locked_at is None
        else Q(locked_at=candidate.locked_at)
    )
    won = Task.objects.filter(_due(now), lease, pk=candidate.pk, state=candidate.state).update(
        state=TaskState.RUNNING, locked_at=now, locked_by=worker
    )
    return bool(won)


def task_run(*, task: Task, now: datetime) -> bool:
    """Run one claimed task; on failure schedule a retry (or give up). Return success."""
    handler = HANDLERS.get(task.name)
    attempts = task.attempts + 1
    try:
        if handler is None:
            raise LookupError(f"no handler registered for task {task.name!r}")
        with transaction.atomic(durable=True):  # each task its own transaction
            handler(task.payload, now)
    except Exception as error:
        # Only the kind of error and its message, which handlers keep free of personal data.
        message = f"{type(error).__name__}: {error}"[:2000]
        gave_up = attempts >= task.max_attempts
        log.warning("task %s #%s failed (attempt %d): %s", task.name, task.pk, attempts, message)
        Task.objects.filter(pk=task.pk).update(
            state=TaskState.FAILED if gave_up else TaskState.QUEUED,
            attempts=attempts,
            last_error=message,
            run_after=now + backoff(attempts),
            locked_at=None,
            locked_by="",
            finished_at=now if gave_up else None,
        )
        return False
    Task.objects.filter(pk=task.pk).update(
        state=TaskState.DONE, attempts=attempts, finished_at=now, locked_at=None
    )
    return True


def run_due(*, worker: str = "worker", now: datetime | None = None, limit: int = 100) -> int:
    """Claim and run every task due at `now` (default: the current time); return how many ran."""
    return len(run_due_names(worker=worker, now=now, limit=limit))


def run_due_names(
    *, worker: str = "worker", now: datetime | None = None, limit: int = 100
) -> list[str]:
    """Claim and run every task due at `now` (default: the current time); return the names
    of the tasks run, in order (successful or not)."""
    ran: list[str] = []
    while len(ran) < limit:
        moment = now or timezone.now()
        tasks = task_claim(worker=worker, now=moment, limit=min(20, limit - len(ran)))
        if not tasks:
            break
        for task in tasks:
            task_run(task=task, now=moment)
            ran.append(task.name)
    return ran
