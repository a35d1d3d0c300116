"""`kinga backup [FILE]`: a consistent, encrypted archive of the whole database, while it runs.

- `kinga backup FILE` writes the archive to FILE (never over an existing file): the
  database as one snapshot saw it (SQLite's online backup, PostgreSQL's pg_dump), every
  table's row count, and the audit checkpoint file after signing the chain's head, sealed
  with the first KINGA_BACKUP_KEYS key (kinga/lib/backup.py).
- `kinga backup` with no FILE writes into KINGA_BACKUP_DIR and keeps the newest
  KINGA_BACKUP_KEEP there, as the worker's schedule does.
- `kinga backup --new-key ID` prints a fresh `ID:key` pair for KINGA_BACKUP_KEYS.

`kinga restore FILE` puts it back into an empty database (README, "Backups").
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kinga.audit.services import AuditChainError
from kinga.lib.backup import BackupError, new_backup_key_spec, scheduled_path, scheduled_prune
from kinga.lib.env import ConfigurationError
from kinga.tasks.backups import backup_take


class Command(BaseCommand):
    help = (
        "Write a consistent, encrypted backup of the database to FILE (or into "
        "KINGA_BACKUP_DIR); `--new-key ID` prints a fresh backup key."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", default="", help="the archive to write")
        parser.add_argument("--new-key", metavar="ID", default="", help="print a backup key")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            try:
                self.stdout.write(new_backup_key_spec(options["new_key"]))
            except ValueError as error:
                raise CommandError(str(error)) from None
            return
        directory: Path | None = None
        if options["file"]:
            path = Path(options["file"])
        elif settings.KINGA_BACKUP_DIR:
            directory = Path(settings.KINGA_BACKUP_DIR)
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = scheduled_path(directory, timezone.now())
        else:
            raise CommandError(
                "Name the archive to write (kinga backup FILE) or set KINGA_BACKUP_DIR."
            )
        try:
            summary = backup_take(path=path, actor_label="kinga backup")
        except (BackupError, ConfigurationError) as error:
            raise CommandError(f"No backup was written: {error}") from None
        except AuditChainError as error:
            # A backup vouches for the chain it carries; a broken one is looked into first.
            raise CommandError(
                f"No backup was written: the audit chain cannot be signed ({error})"
            ) from None
        manifest = summary.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {summary.path}: {len(manifest.tables)} tables, "
                f"{manifest.rows} rows, {summary.archive_bytes} bytes, sealed with backup key "
                f"{summary.key_id!r} ({manifest.engine}, {manifest.created_at})."
            )
        )
        if directory is not None:
            for removed in scheduled_prune(directory, keep=settings.KINGA_BACKUP_KEEP):
                self.stdout.write(f"Removed the older backup {removed.name}.")
