"""Demo data for the dashboards: the demo's reports counted, as the worker would.

The demo's reports, cases, referrals, alerts and court records come from the apps below
(their loaders run first); insights keeps nothing of its own but the report paths the
dashboards count, rebuilt here so `make run` opens on figures rather than on "not yet
counted". A second run rebuilds them again, which changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from kinga.insights.services import paths_refresh


def load(*, out: Callable[[str], None]) -> None:
    """Count the demo's reports for the dashboards."""
    refresh = paths_refresh()
    out(f"    the paths of {refresh.reports} reports counted for the dashboards")
