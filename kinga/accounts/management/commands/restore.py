"""`kinga restore FILE`: put a `kinga backup` archive back into an empty database, checked.

It refuses a database that holds any table, an archive of the other engine, one sealed with
a backup key not in KINGA_BACKUP_KEYS, and one whose data keys are not configured. Then it
restores (nothing half-written: SQLite is built aside and moved into place, PostgreSQL
restores in one transaction), compares every table's row count with the archive's manifest,
installs the archive's audit checkpoints where this deployment has none, and verifies the
audit chain end to end as it stood when the backup was taken. Only then does it record the
restore in the audit log, sign the chain's head, and say done.

Stop the web and the worker first; run `kinga migrate` after, when the code is newer.

`kinga restore --check FILE` restores nothing and touches no database: it authenticates every
record of the archive to its end, rebuilds a SQLite copy in a private scratch directory to
check its integrity and count every table against the manifest (PostgreSQL: `pg_restore
--list` reads the dump), and says whether this deployment holds the keys to restore it.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kinga.audit.checkpoints import checkpoint_path
from kinga.audit.keys import audit_keyring
from kinga.audit.models import AuditAction
from kinga.audit.services import AuditChainError, audit_checkpoint, audit_record
from kinga.audit.verify import audit_verify
from kinga.lib.backup import (
    Archive,
    BackupError,
    archive_check,
    restore_database,
    restore_refusal,
)
from kinga.lib.env import ConfigurationError


class Command(BaseCommand):
    help = (
        "Restore a `kinga backup` archive into an empty database, then check every table's "
        "row count and the audit chain."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the archive written by `kinga backup`")
        parser.add_argument(
            "--check",
            action="store_true",
            help="check the archive whole and readable, restoring nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if options["check"]:
            self._check(path)
            return
        try:
            with Archive(path) as archive:
                self._refuse_unless_ready(archive)
                summary = restore_database(archive=archive)
                checkpoints = archive.checkpoints
        except (BackupError, ConfigurationError) as error:
            raise CommandError(f"Nothing was restored: {error}") from None
        manifest = summary.manifest
        self.stdout.write(
            f"Restored {len(summary.tables)} tables and {manifest.rows} rows from "
            f"{path.name} ({manifest.engine}, taken {manifest.created_at}); every table's "
            "row count matches the archive."
        )
        installed = _install_checkpoints(checkpoints)
        if installed:
            self.stdout.write(f"Installed the archive's audit checkpoints at {installed}.")
        report = audit_verify(now=manifest.created)
        if report.problems:
            raise CommandError(
                "The data is restored, but the audit chain does not verify: "
                + "; ".join(report.problems)
                + ". Keep this database out of service and find out why (`kinga audit verify`)."
            )
        with transaction.atomic(durable=True):
            audit_record(
                action=AuditAction.SYSTEM,
                actor=None,
                actor_label="kinga restore",
                record_type="backup",
                record_id=path.name,
                detail={
                    "kind": "restore",
                    "taken_at": manifest.created_at,
                    "tables": len(summary.tables),
                    "rows": manifest.rows,
                },
            )
        try:
            audit_checkpoint(actor_label="kinga restore")
        except AuditChainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restore done: audit chain intact ({report.checked} events, "
                f"{report.checkpoints} checkpoints), and its head signed again."
            )
        )

    def _check(self, path: Path) -> None:
        try:
            summary = archive_check(path)
        except (BackupError, ConfigurationError) as error:
            raise CommandError(f"The archive does not check: {error}") from None
        manifest = summary.manifest
        self.stdout.write(
            f"{path.name}: every record authenticated to the end ({summary.data_bytes} bytes "
            f"of {manifest.engine}, taken {manifest.created_at}); {summary.contents_checked}; "
            f"{len(manifest.tables)} tables and {manifest.rows} rows in the manifest."
        )
        missing_audit = sorted(
            set(manifest.facts.get("audit_key_ids", [])) - set(audit_keyring().chain)
        )
        if summary.keys_missing or missing_audit:
            raise CommandError(
                "The archive is whole, but this deployment could not restore it: it lacks "
                + ", ".join(
                    [f"data key {key}" for key in summary.keys_missing]
                    + [f"audit key {key}" for key in missing_audit]
                )
                + "."
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Check done: the archive is whole and this deployment's keys open it."
            )
        )

    def _refuse_unless_ready(self, archive: Archive) -> None:
        missing = sorted(
            set(archive.manifest.facts.get("audit_key_ids", [])) - set(audit_keyring().chain)
        )
        if missing:
            raise BackupError(
                f"the archive's audit chain is keyed with audit key(s) {', '.join(missing)}, "
                "which KINGA_AUDIT_KEYS does not hold: add them before restoring"
            )
        refusal = restore_refusal(archive)
        if refusal:
            raise BackupError(refusal)


def _install_checkpoints(content: bytes) -> Path | None:
    """Write the archive's checkpoint file where this deployment has none; return where.

    A deployment that already has checkpoints keeps them: they are the stronger evidence
    (kept off-host), and the chain is verified against them.
    """
    path = checkpoint_path()
    if not content or (path.exists() and path.stat().st_size > 0):
        return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path
