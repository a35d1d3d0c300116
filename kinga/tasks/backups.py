"""Backups with the audit chain's checkpoint: what `kinga backup` and the worker's schedule run.

The archive itself is made by `kinga.lib.backup`; this layer adds the audit around it. The
backup is audited before the snapshot, so the archive holds its own record; the chain's head
is then signed into the checkpoint file, and that file goes into the archive, so a restore
can check the chain against a checkpoint as old as the data.

Scheduled backups: with KINGA_BACKUP_DIR set, the worker writes one there every
KINGA_BACKUP_EVERY_HOURS and keeps the newest KINGA_BACKUP_KEEP. The job itself only marks
its task done; the backup runs once that transaction has committed (a task's transaction
would otherwise hold SQLite's write lock for the whole copy), and a failure there fails the
task, which the worker retries.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from kinga.audit.checkpoints import checkpoint_path
from kinga.audit.keys import audit_keyring
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_checkpoint, audit_record
from kinga.lib.backup import BackupSummary, backup_create, scheduled_path, scheduled_prune
from kinga.tasks.registry import periodic

log = logging.getLogger(__name__)

BACKUP_JOB = "backup.scheduled"


def backup_take(*, path: Path, actor_label: str) -> BackupSummary:
    """Audit the backup, sign the chain's head, and write the archive to `path`.

    Runs outside any transaction (SQLite's copy must not hold the write lock). A failure is
    audited too, then raised.
    """
    with transaction.atomic(durable=True):
        audit_record(
            action=AuditAction.EXPORT,
            actor=None,
            actor_label=actor_label,
            record_type="backup",
            record_id=path.name,
            detail={"kind": "backup"},
        )

    def checkpoints() -> bytes:
        audit_checkpoint(actor_label=actor_label, only_if_moved=True)
        where = checkpoint_path()
        return where.read_bytes() if where.exists() else b""

    try:
        return backup_create(
            path=path,
            checkpoints=checkpoints,
            facts={"audit_key_ids": sorted(audit_keyring().chain)},
        )
    except Exception as error:
        with transaction.atomic(durable=True):
            audit_record(
                action=AuditAction.SYSTEM,
                actor=None,
                actor_label=actor_label,
                record_type="backup",
                record_id=path.name,
                detail={"kind": "backup_failed", "error": type(error).__name__},
            )
        raise


def backup_scheduled(*, now: datetime) -> BackupSummary | None:
    """Take a backup into KINGA_BACKUP_DIR and prune the old ones; None when no directory is set."""
    if not settings.KINGA_BACKUP_DIR:
        return None
    directory = Path(settings.KINGA_BACKUP_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    summary = backup_take(path=scheduled_path(directory, now), actor_label="kinga worker")
    removed = scheduled_prune(directory, keep=settings.KINGA_BACKUP_KEEP)
    log.info("backup %s written; %d older removed", summary.path.name, len(removed))
    return summary


def _backup_interval() -> timedelta:
    return timedelta(hours=settings.KINGA_BACKUP_EVERY_HOURS)


@periodic(BACKUP_JOB, every=_backup_interval)
def backup_job(payload: dict[str, Any], now: datetime) -> None:
    """Take the scheduled backup once this task's transaction has committed."""
    if settings.KINGA_BACKUP_DIR:
        transaction.on_commit(partial(backup_scheduled, now=now))
