"""The worker's insights jobs: the report paths kept fresh for the dashboards."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings

from kinga.insights.services import paths_refresh
from kinga.tasks.registry import periodic


def _refresh_interval() -> datetime.timedelta:
    return datetime.timedelta(minutes=int(settings.KINGA_INSIGHTS_REFRESH_MINUTES))


@periodic("insights.refresh_paths", every=_refresh_interval)
def refresh_paths(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Rebuild the report paths the dashboards count; a second run rebuilds them again,
    which changes nothing but the time they are dated."""
    paths_refresh(now=now)
