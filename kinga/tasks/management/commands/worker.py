"""`kinga worker`: run the schedule and the due tasks from the database, forever or once.

Each poll it queues the periodic jobs that are due (`kinga.tasks.schedule`: case reminders,
the audit checkpoint, ...) and runs due tasks. It is the only process to run beside the web
tier: nothing runs from cron or a timer. At start it also signs the audit chain's head
(when it moved), so a restarted worker checkpoints at once.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import datetime
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kinga.audit.services import AuditChainError, audit_checkpoint
from kinga.tasks.registry import PERIODIC
from kinga.tasks.schedule import schedule_enqueue_due, schedule_sync
from kinga.tasks.services import run_due_names


class Command(BaseCommand):
    help = "Run periodic jobs and due background tasks (reminders, alerts, SMS sends with retry)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due, then stop")
        parser.add_argument("--sleep", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--now", default="", help="ISO time to treat as now (tests and catch-up runs)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = f"{socket.gethostname()}:{os.getpid()}"[:64]
        now: datetime | None = None
        if options["now"]:
            now = parse_datetime(options["now"])
            if now is None:
                raise ValueError("--now must be an ISO date and time")
        schedule_sync(now=now or timezone.now())
        self._checkpoint()
        if options["once"]:
            names = self._poll(worker, now)
            jobs = sorted(name for name in names if name in PERIODIC)
            line = f"ran {len(names) - len(jobs)} tasks"
            if jobs:
                line += f" and {len(jobs)} periodic jobs ({', '.join(jobs)})"
            self.stdout.write(line)
            return
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"worker {worker} running; Ctrl-C stops it")
        while not stopping:
            close_old_connections()
            try:
                ran = self._poll(worker, now)
            except DatabaseError as error:
                # The database restarted or is unreachable for a moment: a task it was
                # running rolled back with its transaction (or is taken over after LEASE).
                # Drop the broken connection and try again, rather than die and leave the
                # queue to nobody until someone restarts the worker.
                self.stderr.write(f"database unavailable, retrying: {type(error).__name__}")
                connections.close_all()
                time.sleep(max(options["sleep"], 1.0))
                continue
            if not ran:
                time.sleep(options["sleep"])
        self.stdout.write("worker stopped")

    def _poll(self, worker: str, now: datetime | None) -> list[str]:
        """Queue the due periodic jobs, then run due tasks; return the names of those run."""
        schedule_enqueue_due(worker=worker, now=now or timezone.now())
        return run_due_names(worker=worker, now=now)

    def _checkpoint(self) -> None:
        """Sign the audit head if it moved; a broken chain is reported, never fatal."""
        try:
            checkpoint = audit_checkpoint(actor_label="kinga worker", only_if_moved=True)
        except (AuditChainError, OSError) as error:
            # Keep running the tasks (alerts must still escalate); the operator sees this,
            # and `kinga audit verify` fails until the cause is found.
            self.stderr.write(f"audit checkpoint not written: {error}")
            return
        if checkpoint is not None:
            self.stdout.write(f"audit checkpoint: event #{checkpoint.seq}")
