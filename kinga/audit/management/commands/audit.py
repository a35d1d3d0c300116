"""`kinga audit verify`: check the audit chain end to end."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kinga.audit.models import AuditEvent
from kinga.audit.verify import verify_chain
from kinga.lib.progress import ProgressBar


class Command(BaseCommand):
    help = "Audit log tools. `verify` walks the hash chain and names the first broken event."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("verb", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        total = AuditEvent.objects.count()
        bar = ProgressBar(total=total, label="verifying", stream=sys.stderr)
        checked, problem = verify_chain(progress=bar.update)
        bar.finish()
        if problem is not None:
            raise CommandError(
                f"Audit chain broken at {problem} ({checked} events intact before it)"
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
