"""Issue 22 point 3: the worker outlives a database restart instead of dying with it.

When PostgreSQL restarts, the worker's next poll fails with a database error. A worker that
died of it would leave every queued SMS reply, routing and alert escalation to nobody until
someone restarted it; it drops the broken connection, waits and polls again. (The crash
test in tests/test_crash.py restarts a real PostgreSQL under it.)
"""

from __future__ import annotations

import os
import signal
from datetime import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError

from kinga.tasks.management.commands import worker as worker_command


@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_a_poll_is_survived_and_the_next_poll_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    polls: list[str] = []

    def poll(self: Any, worker: str, now: datetime | None) -> list[str]:
        polls.append(worker)
        if len(polls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        # the second poll ran: stop the loop as an operator's SIGTERM would
        os.kill(os.getpid(), signal.SIGTERM)
        return ["intake.route_report"]

    monkeypatch.setattr(worker_command.Command, "_poll", poll)
    monkeypatch.setattr(worker_command.time, "sleep", lambda seconds: None)
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    out, err = StringIO(), StringIO()
    try:
        call_command("worker", "--sleep", "0", stdout=out, stderr=err)
    finally:
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
    assert len(polls) == 2
    assert "database unavailable, retrying: OperationalError" in err.getvalue()
    assert "worker stopped" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_an_error_that_is_not_the_databases_still_stops_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the database's errors are waited out: a bug in the worker is not hidden."""

    def poll(self: Any, worker: str, now: datetime | None) -> list[str]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(worker_command.Command, "_poll", poll)
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(RuntimeError):
            call_command("worker", "--sleep", "0", stdout=StringIO(), stderr=StringIO())
    finally:
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
