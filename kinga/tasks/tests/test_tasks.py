"""The task queue: claimed once, run once, recovered from a dead worker, retried on failure."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from kinga.tasks.models import Task, TaskState
from kinga.tasks.registry import HANDLERS, task
from kinga.tasks.services import (
    LEASE,
    _claim_if_unchanged,
    run_due,
    task_claim,
    task_enqueue,
    task_run,
)

RAN: list[tuple[int, str]] = []


@pytest.fixture
def counted() -> Iterator[list[tuple[int, str]]]:
    """Register `test.count`, which records the id it ran with and the thread that ran it."""

    @task("test.count")
    def count(payload: dict[str, Any], now: datetime) -> None:
        RAN.append((int(payload["n"]), threading.current_thread().name))

    RAN.clear()
    yield RAN
    HANDLERS.pop("test.count", None)
    RAN.clear()


@pytest.mark.django_db
def test_a_task_queued_in_a_rolled_back_transaction_never_exists() -> None:
    """Issue 12 point 4: a task is written in the transaction of its change (an outbox), so
    a change that rolls back leaves no task behind to run."""
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        task_enqueue(name="test.count", payload={"n": 1})
        raise RuntimeError("the change failed")
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_a_dead_workers_lease_is_recovered_after_the_lease(counted: list[Any]) -> None:
    """Issue 12 point 7: a task claimed by a worker that died is run by another worker once
    its lease has passed, and not before."""
    stored = task_enqueue(name="test.count", payload={"n": 7})
    now = timezone.now()
    assert [t.pk for t in task_claim(worker="dead", now=now)] == [stored.pk]
    # the "dead" worker never runs it; another worker sees nothing while the lease holds
    assert task_claim(worker="alive", now=now + LEASE - timedelta(seconds=1)) == []
    later = now + LEASE + timedelta(seconds=1)
    assert run_due(worker="alive", now=later) == 1
    stored.refresh_from_db()
    assert stored.state == TaskState.DONE
    assert stored.locked_by == "alive"
    assert [n for n, _ in counted] == [7]
    assert run_due(worker="alive", now=later + LEASE * 2) == 0  # done stays done


@pytest.mark.django_db
def test_a_worker_holding_a_stale_read_cannot_claim_a_task_another_claimed(
    counted: list[Any],
) -> None:
    """Issue 12 point 7 (SQLite's path, step by step): two workers read the same due task;
    the first compare-and-set wins, the second finds it changed and claims nothing."""
    task_enqueue(name="test.count", payload={"n": 1})
    now = timezone.now()
    seen_by_a = Task.objects.get()
    seen_by_b = Task.objects.get()
    assert _claim_if_unchanged(seen_by_a, worker="a", now=now)
    assert not _claim_if_unchanged(seen_by_b, worker="b", now=now)
    assert Task.objects.get().locked_by == "a"


@pytest.mark.django_db
def test_a_recovered_lease_is_claimed_by_one_worker_only(counted: list[Any]) -> None:
    """Issue 12 point 7: when a dead worker's lease expires, two workers that both see it
    due cannot both take it over."""
    task_enqueue(name="test.count", payload={"n": 1})
    now = timezone.now()
    task_claim(worker="dead", now=now)
    later = now + LEASE + timedelta(seconds=1)
    stale_a = Task.objects.get()
    stale_b = Task.objects.get()
    assert _claim_if_unchanged(stale_a, worker="a", now=later)
    assert not _claim_if_unchanged(stale_b, worker="b", now=later)


@pytest.mark.django_db
def test_a_task_without_a_handler_fails_and_is_retried_not_lost() -> None:
    """Issue 12 point 7: a task whose handler is unknown is kept, with its error, and
    retried later (a deploy may bring the handler) instead of vanishing."""
    stored = task_enqueue(name="test.nobody", payload={})
    now = timezone.now()
    (claimed,) = task_claim(worker="w", now=now)
    assert task_run(task=claimed, now=now) is False
    stored.refresh_from_db()
    assert stored.state == TaskState.QUEUED
    assert stored.attempts == 1
    assert "LookupError" in stored.last_error
    assert stored.run_after > now


@pytest.mark.django_db
def test_a_task_that_always_fails_gives_up_after_its_attempts() -> None:
    """Issue 12 point 7: retries stop at `max_attempts`; the task is kept as failed."""

    @task("test.broken")
    def broken(payload: dict[str, Any], now: datetime) -> None:
        raise RuntimeError("broken")

    try:
        stored = task_enqueue(name="test.broken", payload={})
        Task.objects.filter(pk=stored.pk).update(max_attempts=3)
        now = timezone.now()
        for hour in range(6):
            run_due(worker="w", now=now + timedelta(hours=hour))
        stored.refresh_from_db()
        assert stored.state == TaskState.FAILED
        assert stored.attempts == 3
        assert stored.finished_at is not None
    finally:
        HANDLERS.pop("test.broken", None)


@pytest.mark.django_db(transaction=True)
def test_two_workers_in_threads_never_run_the_same_task(counted: list[Any]) -> None:
    """Issue 12 point 7: two workers on their own database connections (threads), polling
    the same queue at once, run every task exactly once between them (SQLite and
    PostgreSQL: each claims by its own path)."""
    total = 60
    for n in range(total):
        task_enqueue(name="test.count", payload={"n": n})
    now = timezone.now()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            while run_due(worker=threading.current_thread().name, now=now, limit=7):
                pass
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
    assert sorted(n for n, _ in counted) == list(range(total))  # each once, none twice
    assert Task.objects.filter(state=TaskState.DONE).count() == total
