"""The worker's insights jobs: the report paths kept fresh for the dashboards."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings

from kinga.insights.models import ReportPath
from kinga.insights.services import export_build, exports_expire, paths_refresh
from kinga.intake.models import Report
from kinga.tasks.registry import periodic, task


def _refresh_interval() -> datetime.timedelta:
    return datetime.timedelta(minutes=int(settings.KINGA_INSIGHTS_REFRESH_MINUTES))


@periodic("insights.refresh_paths", every=_refresh_interval)
def refresh_paths(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Rebuild the report paths the dashboards count; a second run rebuilds them again,
    which changes nothing but the time they are dated. With no report and no path there
    is nothing to count: no rebuild, and no audit event every quarter of an hour."""
    if not Report.objects.exists() and not ReportPath.objects.exists():
        return
    paths_refresh(now=now)


@task("insights.build_export")
def build_export(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Read the next chunk of an export asked for on the page (or finish it); a run for an
    export already built does nothing."""
    export_build(job_id=int(payload["export"]), now=now, after=int(payload.get("after", 0)))


@periodic("insights.expire_exports", every=datetime.timedelta(hours=1))
def expire_exports(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Delete the files of exports past their time; a second run finds none."""
    exports_expire(now=now)
