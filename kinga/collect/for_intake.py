"""What intake's triage page shows of a field report's sender (`kinga.intake.seams`)."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone

from kinga.collect.models import Submission
from kinga.intake.models import Channel, Report
from kinga.intake.seams import ReportOrigin


class FieldOrigins:
    """The volunteer who sent a field report: code and agency; name and the phone's times
    with the report's identity section."""

    def origin_of(self, *, report: Report, identity: bool) -> ReportOrigin | None:
        if report.channel != Channel.FIELD:
            return None
        submission = (
            Submission.objects.select_related("volunteer", "volunteer__agency")
            .filter(report=report)
            .first()
        )
        if submission is None:
            return None
        volunteer = submission.volunteer
        origin = ReportOrigin(sender=volunteer.code, agency=volunteer.agency.name)
        if not identity:
            return origin
        return ReportOrigin(
            sender=volunteer.code,
            agency=volunteer.agency.name,
            name=volunteer.name,
            started=_when(submission.started_on_phone, "j M Y H:i"),
            finished=_when(submission.finished_on_phone, "H:i"),
        )


def _when(moment: datetime | None, shape: str) -> str:
    """Return the phone's time in the deployment's time zone (the phone wrote its own)."""
    return formats.date_format(timezone.localtime(moment), shape) if moment else ""
