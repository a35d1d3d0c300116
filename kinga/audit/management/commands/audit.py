"""`kinga audit`: check the audit chain end to end, sign checkpoints, make audit keys.

- `kinga audit verify` checks the checkpoint file (signatures, the chain of its lines), then
  every event's keyed hash and link, each event a checkpoint recorded, the head, and that a
  checkpoint covers every event older than twice KINGA_AUDIT_CHECKPOINT_MINUTES. It names
  each problem and exits non-zero when there is one.
- `kinga audit checkpoint` signs the chain's head into the checkpoint file now (the worker
  does it on its own every KINGA_AUDIT_CHECKPOINT_MINUTES when the head has moved).
- `kinga audit new-key ID` prints a fresh `ID:key` pair: put it first in KINGA_AUDIT_KEYS,
  keep the old ones after it, and restart.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kinga.audit.keys import new_audit_key_spec
from kinga.audit.models import AuditEvent
from kinga.audit.services import AuditChainError, audit_checkpoint
from kinga.audit.verify import audit_verify
from kinga.lib.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Audit log tools: `verify` checks the keyed chain and its signed checkpoints, "
        "`checkpoint` signs the head now, `new-key ID` prints a fresh audit key."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("verb", choices=["verify", "checkpoint", "new-key"])
        parser.add_argument("key_id", nargs="?", default="", help="for new-key: the key's id")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "new-key":
            try:
                self.stdout.write(new_audit_key_spec(options["key_id"]))
            except ValueError as error:
                raise CommandError(str(error)) from None
        elif verb == "checkpoint":
            try:
                checkpoint = audit_checkpoint(actor_label="kinga audit checkpoint")
            except AuditChainError as error:
                raise CommandError(str(error)) from None
            if checkpoint is None:
                self.stdout.write("The audit log is empty: nothing to checkpoint.")
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Checkpoint signed: event #{checkpoint.seq} under audit key "
                        f"{checkpoint.key_id!r}."
                    )
                )
        else:
            self._verify()

    def _verify(self) -> None:
        total = AuditEvent.objects.count()
        bar = ProgressBar(total=total, label="verifying", stream=sys.stderr)
        report = audit_verify(progress=bar.update)
        bar.finish()
        if report.problems:
            raise CommandError(
                f"Audit log check failed ({report.checked} events intact before the first "
                "problem in the chain):\n" + "\n".join(f"- {p}" for p in report.problems)
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} events verified against "
                f"{report.checkpoints} checkpoints."
            )
        )
