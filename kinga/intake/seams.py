"""What the triage page needs from the apps above intake, declared here and supplied by them.

A report from a field volunteer (`Channel.FIELD`) is sent by someone the collect app knows:
the triage page shows who (a volunteer's code and agency; their name and the phone's own
times only to those who may see the report's identity section). `kinga.collect` registers
its `ReportOrigins` from `CollectConfig.ready`; without it a report shows no origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kinga.intake.models import Report


@dataclass(frozen=True)
class ReportOrigin:
    """Who sent a report from the field, as far as the viewer may know."""

    sender: str
    agency: str
    name: str = ""
    started: str = ""
    finished: str = ""


class ReportOrigins(Protocol):
    """Who sent a report, for the channels whose sender another app knows."""

    def origin_of(self, *, report: Report, identity: bool) -> ReportOrigin | None:
        """Return who sent the report (with their name when `identity`), or None."""


_origins: list[ReportOrigins] = []


def register_report_origins(origins: ReportOrigins) -> None:
    """Register the app that knows who sent field reports (once per process)."""
    if not any(type(known) is type(origins) for known in _origins):
        _origins.append(origins)


def report_origin(*, report: Report, identity: bool) -> ReportOrigin | None:
    """Return who sent the report, from the first registered app that knows."""
    for origins in _origins:
        found = origins.origin_of(report=report, identity=identity)
        if found is not None:
            return found
    return None
