"""Periodic jobs of the layers below the apps: signing the audit chain's head.

The apps' own jobs (case reminders, ...) are registered in those apps with `@periodic`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from kinga.audit.services import audit_checkpoint
from kinga.tasks.registry import periodic

log = logging.getLogger(__name__)

AUDIT_CHECKPOINT_JOB = "audit.checkpoint"


def _checkpoint_interval() -> timedelta:
    return timedelta(minutes=settings.KINGA_AUDIT_CHECKPOINT_MINUTES)


@periodic(AUDIT_CHECKPOINT_JOB, every=_checkpoint_interval)
def audit_checkpoint_job(payload: dict[str, Any], now: datetime) -> None:
    """Sign the audit chain's head into the checkpoint file if it moved since the last one.

    A broken chain or an unwritable directory raises, so the task is retried and its error
    kept on the task row; `kinga audit verify` fails until the cause is found.
    """
    checkpoint = audit_checkpoint(actor_label="kinga worker", only_if_moved=True)
    if checkpoint is not None:
        log.info("audit checkpoint: event #%s", checkpoint.seq)
