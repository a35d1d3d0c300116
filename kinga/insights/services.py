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
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from kinga.access import policy
from kinga.accounts.models import User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.insights.models import (
    ExportJob,
    ExportKind,
    ExportState,
    MonthlyRollup,
    PathsRefresh,
    ReportPath,
    StepDays,
)
from kinga.insights.paths import paths_insert, rollup_insert
from kinga.insights.selectors import k_threshold
from kinga.intake.models import Report
from kinga.tasks.services import task_enqueue


def _chunk_size() -> int:
    # one writer at a time on SQLite: smaller turns there
    return 5_000 if connection.vendor == "sqlite" else 50_000


def paths_refresh(
    *,
    actor: User | None = None,
    now: datetime.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    full: bool = True,
) -> PathsRefresh:
    """Rebuild the report paths and the monthly rollup from the records; return the refresh.

    Full: every report's path, chunk by chunk; each chunk of report ids is one transaction
    (or savepoint, inside the worker's task): its old rows deleted, its paths inserted
    again (a report gone from the records leaves the summary with its chunk). Then the
    whole rollup is counted again from the paths.
    Incremental (`full=False`, after a first refresh): only the reports whose records
    changed since the last refresh started (`changed_reports`), and the rollup's months
    those reports were received in; the result equals a full rebuild's.
    One audit event says which rebuild ran and how many reports it wrote.
    """
    started = now or timezone.now()
    last = PathsRefresh.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    if last is None:
        full = True
    if full:
        written = _paths_full(progress)
        with transaction.atomic():
            MonthlyRollup.objects.all().delete()
            StepDays.objects.all().delete()
            rollup_insert(ReportPath.objects.all())
    else:
        assert last is not None
        written = _paths_changed(last.started_at)
    with transaction.atomic():
        refresh = PathsRefresh(
            started_at=started, finished_at=timezone.now(), reports=written, full=full
        )
        refresh.full_clean()
        refresh.save()
        audit_record(
            action=AuditAction.SYSTEM,
            actor=actor,
            record_type="insights.report_paths",
            record_id=refresh.pk,
            detail={"reports": written, "full": full},
        )
    return refresh


@transaction.atomic(durable=True)
def rollup_refresh(*, actor: User | None = None) -> int:
    """Count the monthly rollup and the step histograms again from the report paths as
    they are (the paths themselves untouched); return the rollup rows written. Audited."""
    MonthlyRollup.objects.all().delete()
    StepDays.objects.all().delete()
    rows = rollup_insert(ReportPath.objects.all())
    audit_record(
        action=AuditAction.SYSTEM,
        actor=actor,
        record_type="insights.monthly_rollup",
        record_id="all",
        detail={"rows": rows},
    )
    return rows


def _paths_full(progress: Callable[[int, int], None] | None) -> int:
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
    return written


def changed_reports(since: datetime.datetime) -> set[int]:
    """Return the ids of the reports whose path may have changed since the moment: the
    report itself, a case opened from it, its incident, or a step of its incident's way
    to court written or updated since (their own update or record times). A change these
    times do not show (a record deleted) is caught by the next full rebuild, which the
    worker runs once a day (`jobs.refresh_paths`)."""
    from kinga.cases.models import Case
    from kinga.justice.models import (
        ChargeDecision,
        CountOutcome,
        FileSubmission,
        Incident,
        Investigation,
        Prosecution,
    )
    from kinga.referrals.models import Referral

    found: set[int | None] = set(
        Report.objects.filter(updated_at__gte=since).values_list("pk", flat=True)
    )
    found.update(
        Case.objects.filter(Q(updated_at__gte=since) | Q(opened_at__gte=since)).values_list(
            "source_report_id", flat=True
        )
    )
    found.update(
        Incident.objects.filter(Q(updated_at__gte=since) | Q(opened_at__gte=since)).values_list(
            "source_report_id", flat=True
        )
    )
    for model in (Investigation, FileSubmission, ChargeDecision, Prosecution, CountOutcome):
        found.update(
            model.objects.filter(created_at__gte=since).values_list(
                "incident__source_report_id", flat=True
            )
        )
    referrals = Referral.objects.filter(sent_at__gte=since)
    found.update(referrals.values_list("report_id", flat=True))
    found.update(referrals.values_list("case__source_report_id", flat=True))
    # reports gone from the records since: their paths leave with them
    # (NOT EXISTS: an anti-join, where NOT IN over a million ids probes a list per row)
    found.update(
        ReportPath.objects.filter(
            ~Exists(Report.objects.filter(pk=OuterRef("report_id")))
        ).values_list("report_id", flat=True)
    )
    return {int(pk) for pk in found if pk is not None}


def _month_start(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date().replace(day=1)


def _paths_changed(since: datetime.datetime) -> int:
    """Rebuild the paths of the reports changed since the moment, and the rollup's months
    they fall in (before and after); one transaction. Return the paths written."""
    ids = sorted(changed_reports(since))
    if not ids:
        return 0
    size = _chunk_size()
    written = 0
    with transaction.atomic():
        months: set[datetime.date] = set()
        for low in range(0, len(ids), size):
            chunk = ids[low : low + size]
            months.update(
                _month_start(moment)
                for moment in ReportPath.objects.filter(report_id__in=chunk).values_list(
                    "received_at", flat=True
                )
            )
            months.update(
                _month_start(moment)
                for moment in Report.objects.filter(pk__in=chunk).values_list(
                    "received_at", flat=True
                )
            )
            ReportPath.objects.filter(report_id__in=chunk).delete()
            written += paths_insert(Report.objects.filter(pk__in=chunk))
        MonthlyRollup.objects.filter(month__in=months).delete()
        StepDays.objects.filter(month__in=months).delete()
        within = Q()
        for month in months:
            first = timezone.make_aware(datetime.datetime.combine(month, datetime.time()))
            following = (month + datetime.timedelta(days=32)).replace(day=1)
            until = timezone.make_aware(datetime.datetime.combine(following, datetime.time()))
            within |= Q(received_at__gte=first, received_at__lt=until)
        rollup_insert(ReportPath.objects.filter(within))
    return written


# --- exports the worker builds ---------------------------------------------------------------


def export_k(kind: str) -> int:
    """Return the k an export keeps: the published k for the CTDC publication, the
    programme's k for the HTCDS rows partner agencies take."""
    if kind == ExportKind.CTDC:
        return int(settings.KINGA_INSIGHTS_PUBLISHED_K)
    return k_threshold()


def export_path(job: ExportJob) -> Path:
    """Return where the worker keeps an export's file (its name a random token)."""
    return Path(settings.VAR_DIR) / "insights" / "exports" / f"{job.token}.csv"


@transaction.atomic(durable=True)
def export_request(*, actor: User, kind: str) -> ExportJob:
    """Queue a large export for the worker, in the actor's counting scope; audited."""
    scope = policy.counting_scope(actor, kind)
    if scope is None or kind not in ExportKind.values:
        raise policy.deny(actor, record_type="insights.export", record_id=kind, action="export")
    county_id = actor.agency.county_id if scope == "county" and actor.agency else None
    job = ExportJob(
        kind=kind,
        requested_by=actor,
        scope=scope,
        county_id=county_id,
        token=secrets.token_hex(16),
    )
    job.full_clean()
    job.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="insights.export",
        record_id=job.pk,
        detail={"kind": kind, "scope": scope},
    )
    task_enqueue(name="insights.build_export", payload={"export": job.pk})
    return job


# cases read by one run of the export task: each run is its own transaction, so the page
# sees the progress after every chunk
EXPORT_CHUNK = 5_000


def _chunk_path(job: ExportJob, after: int) -> Path:
    return export_path(job).with_suffix(f".{after}.rows")


def _export_cases(job: ExportJob) -> QuerySet[Any, Any]:
    from kinga.insights import ctdc, htcds

    if job.kind == ExportKind.CTDC:
        return ctdc.case_values()
    return htcds.case_values(job.county_id)


def _export_row(job: ExportJob, case: dict[str, Any]) -> dict[str, str]:
    from kinga.insights import ctdc, htcds

    return ctdc.row_of(case) if job.kind == ExportKind.CTDC else htcds.row_of(case)


@transaction.atomic
def export_build(*, job_id: int, now: datetime.datetime, after: int = 0) -> ExportJob | None:
    """Read the next chunk of cases of a queued export (the worker's task), then queue the
    next chunk, or, after the last, anonymise the rows and write the file.

    Each run reads EXPORT_CHUNK cases after `after` into a chunk file of its own (a retry
    writes the same file again) and saves the progress; the asker's scope is asked again
    at every run, so one who lost the role meanwhile gets no file. A run for an export no
    longer being built does nothing.
    """
    from kinga.insights import ctdc, htcds

    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or not job.in_progress:
        return job
    if policy.counting_scope(job.requested_by, job.kind) != job.scope:
        ExportJob.objects.filter(pk=job.pk).update(state=ExportState.FAILED)
        audit_record(
            action=AuditAction.DENIED,
            actor=job.requested_by,
            record_type="insights.export",
            record_id=job.pk,
            detail={"kind": job.kind, "reason": "scope_changed"},
        )
        for leftover in export_path(job).parent.glob(f"{job.token}.*.rows"):
            leftover.unlink(missing_ok=True)
        job.state = ExportState.FAILED
        return job
    cases = _export_cases(job)
    chunk = list(cases.filter(pk__gt=after).order_by("pk")[:EXPORT_CHUNK])
    folder = export_path(job).parent
    folder.mkdir(parents=True, exist_ok=True)
    if chunk:
        rows = [_export_row(job, case) for case in chunk]
        _chunk_path(job, after).write_text(
            "\n".join(json.dumps(row) for row in rows), encoding="utf-8"
        )
        last = int(chunk[-1]["pk"])
        total = max(cases.count(), 1)
        done = cases.filter(pk__lte=last).count()
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportState.BUILDING, progress=min(done * 100 // total, 99)
        )
        if len(chunk) == EXPORT_CHUNK:
            task_enqueue(name="insights.build_export", payload={"export": job.pk, "after": last})
            job.refresh_from_db()
            return job
    # the last chunk: every row read; anonymise them together and write the file whole
    gathered: list[dict[str, str]] = []
    chunks = sorted(folder.glob(f"{job.token}.*.rows"), key=lambda path: int(path.suffixes[-2][1:]))
    for path in chunks:
        text = path.read_text(encoding="utf-8")
        gathered.extend(json.loads(line) for line in text.splitlines() if line)
    k = export_k(job.kind)
    if job.kind == ExportKind.CTDC:
        built = ctdc.anonymise(gathered, k)
        content = ctdc.csv_of(built)
    else:
        built = htcds.anonymise(gathered, k)
        content = htcds.csv_of(built)
    path = export_path(job)
    partial = path.with_suffix(".part")
    partial.write_bytes(content)
    partial.replace(path)
    for chunk_file in chunks:
        chunk_file.unlink(missing_ok=True)
    hours = int(settings.KINGA_INSIGHTS_EXPORT_HOURS)
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportState.READY,
        progress=100,
        rows=len(built.rows),
        dropped=built.dropped,
        ready_at=now,
        expires_at=now + datetime.timedelta(hours=hours),
    )
    audit_record(
        action=AuditAction.SYSTEM,
        actor=None,
        record_type="insights.export",
        record_id=job.pk,
        detail={"kind": job.kind, "rows": len(built.rows), "dropped": built.dropped},
    )
    job.refresh_from_db()
    return job


def exports_expire(*, now: datetime.datetime) -> int:
    """Delete the files of exports past their time and mark them expired; return how many."""
    expired = 0
    for job in ExportJob.objects.filter(state=ExportState.READY, expires_at__lte=now):
        export_path(job).unlink(missing_ok=True)
        with transaction.atomic():
            ExportJob.objects.filter(pk=job.pk).update(state=ExportState.EXPIRED)
            audit_record(
                action=AuditAction.DELETE,
                actor=None,
                record_type="insights.export",
                record_id=job.pk,
                detail={"kind": job.kind, "reason": "expired"},
            )
        expired += 1
    return expired
