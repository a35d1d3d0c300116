"""Writes of insights: the summary of report paths, rebuilt by the worker.

The summary holds counted values only (no identity), and is never a record anyone acts
on: it is rebuilt from the records in chunks of reports (delete the chunk's rows, insert
them again), so a reader sees every report's path whole. Called by a command, the demo or
the benchmark, each chunk is a transaction of its own, so on SQLite no writer waits long
behind it; called by the worker, the whole rebuild is the task's one transaction (the
worker runs each task in one), which PostgreSQL's readers never wait for.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from kinga.accounts.models import User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.insights.models import PathsRefresh, ReportPath
from kinga.insights.paths import paths_insert
from kinga.intake.models import Report


def _chunk_size() -> int:
    # one writer at a time on SQLite: smaller turns there
    return 5_000 if connection.vendor == "sqlite" else 50_000


def paths_refresh(
    *,
    actor: User | None = None,
    now: datetime.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PathsRefresh:
    """Rebuild every report's path from the records, chunk by chunk; return the refresh.

    Each chunk of report ids is one transaction (or savepoint, inside the worker's task):
    its old rows deleted, its paths inserted again (a report gone from the records leaves
    the summary with its chunk).
    One audit event says that the summary was rebuilt and how many reports it holds.
    """
    started = now or timezone.now()
    top = Report.objects.aggregate(top=Max("pk"))["top"] or 0
    size = _chunk_size()
    written = 0
    low = 0
    while low < top:
        high = low + size
        with transaction.atomic():
            ReportPath.objects.filter(report_id__gt=low, report_id__lte=high).delete()
            written += paths_insert(Report.objects.filter(pk__gt=low, pk__lte=high))
        if progress is not None:
            progress(min(high, top), top)
        low = high
    with transaction.atomic():
        # paths of reports above the highest id left (the records were emptied)
        ReportPath.objects.filter(report_id__gt=top).delete()
        refresh = PathsRefresh(started_at=started, finished_at=timezone.now(), reports=written)
        refresh.full_clean()
        refresh.save()
        audit_record(
            action=AuditAction.SYSTEM,
            actor=actor,
            record_type="insights.report_paths",
            record_id=refresh.pk,
            detail={"reports": written},
        )
    return refresh
