"""`kinga worker`: run due tasks from the database, forever or once.

It also signs the audit chain's head into the checkpoint file (`audit_checkpoint`) at
start and then every KINGA_AUDIT_CHECKPOINT_MINUTES when the head has moved. A timer here
is enough for now; TODO(issue 12): move the schedule into the database with the others.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import datetime
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.dateparse import parse_datetime

from kinga.audit.services import AuditChainError, audit_checkpoint
from kinga.tasks.registry import load_handlers
from kinga.tasks.services import run_due


class Command(BaseCommand):
    help = "Run due background tasks (alert escalations, SMS sends with retry)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due, then stop")
        parser.add_argument("--sleep", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--now", default="", help="ISO time to treat as now (tests and catch-up runs)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        load_handlers()
        worker = f"{socket.gethostname()}:{os.getpid()}"[:64]
        now: datetime | None = None
        if options["now"]:
            now = parse_datetime(options["now"])
            if now is None:
                raise ValueError("--now must be an ISO date and time")
        if options["once"]:
            ran = run_due(worker=worker, now=now)
            self.stdout.write(f"ran {ran} tasks")
            self._checkpoint()
            return
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"worker {worker} running; Ctrl-C stops it")
        interval = settings.KINGA_AUDIT_CHECKPOINT_MINUTES * 60
        next_checkpoint = time.monotonic()
        while not stopping:
            close_old_connections()
            if time.monotonic() >= next_checkpoint:
                self._checkpoint()
                next_checkpoint = time.monotonic() + interval
            if not run_due(worker=worker, now=now):
                time.sleep(options["sleep"])
        self.stdout.write("worker stopped")

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
