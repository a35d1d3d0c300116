"""`kinga retention run [--dry-run]`: apply the retention schedule now, or say what it would do.

The worker runs the same once a day (`dataprotection.retention`). The dry run changes and
writes nothing; it lists each record whose period has run by reference (a case code, a report
or message number), what the schedule does to it, and the ones kept under a hold.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from kinga.dataprotection.services import kept_past_period, retention_run


class Command(BaseCommand):
    help = "Apply the retention schedule (`run`), or list what it would do (`run --dry-run`)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("verb", choices=["run"])
        parser.add_argument(
            "--dry-run", action="store_true", help="change nothing; list what would happen"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        plan, run = retention_run(dry_run=dry_run)
        verb = "would" if dry_run else "did"
        for item in plan:
            if item.held:
                self.stdout.write(f"held ({item.held}) {item.kind.key} {item.reference}")
            else:
                self.stdout.write(f"{item.action} {item.kind.key} {item.reference}")
        for key, count in kept_past_period(now=timezone.now()).items():
            self.stdout.write(f"review {key}: {count} past the period, kept whole")
        done = sum(1 for item in plan if not item.held)
        held = len(plan) - done
        self.stdout.write(
            f"retention: {verb} anonymise or delete {done} record(s); {held} held"
            + ("" if dry_run else f" (run {run.pk if run else '-'})")
        )
