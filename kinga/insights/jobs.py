"""The worker's insights jobs: the report paths kept fresh for the dashboards."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings

from kinga.insights.models import PathsRefresh, ReportPath
from kinga.insights.services import export_build, exports_expire, paths_refresh
from kinga.intake.models import Report
from kinga.tasks.registry import periodic, task

# a full rebuild of the paths at least this often; incremental refreshes between
FULL_EVERY = datetime.timedelta(hours=24)


def _refresh_interval() -> datetime.timedelta:
    return datetime.timedelta(minutes=int(settings.KINGA_INSIGHTS_REFRESH_MINUTES))


@periodic("insights.refresh_paths", every=_refresh_interval)
def refresh_paths(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Bring the report paths and the monthly rollup up to date: the reports changed since
    the last refresh, and once a day (or at the first) a full rebuild, which also catches
    what no update time shows (a record deleted). A second run finds nothing changed. With
    no report and no path there is nothing to count: no rebuild, and no audit event every
    quarter of an hour."""
    if not Report.objects.exists() and not ReportPath.objects.exists():
        return
    last_full = (
        PathsRefresh.objects.filter(full=True, finished_at__isnull=False)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    full = last_full is None or now - last_full >= FULL_EVERY
    paths_refresh(now=now, full=full)


@task("insights.build_export")
def build_export(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Read the next chunk of an export asked for on the page (or finish it); a run for an
    export already built does nothing."""
    export_build(job_id=int(payload["export"]), now=now, after=int(payload.get("after", 0)))


@periodic("insights.expire_exports", every=datetime.timedelta(hours=1))
def expire_exports(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Delete the files of exports past their time; a second run finds none."""
    exports_expire(now=now)
