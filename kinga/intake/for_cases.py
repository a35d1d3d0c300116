"""The report a case was opened from, supplied to `cases` through the protocol it declares.

`cases` sits below `intake` and never imports it; `IntakeConfig.ready` registers
`ReportsOfCase` with `kinga.cases.seams.register_source_reports`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.seams import SourceReport
from kinga.intake.models import Report, ReportAddition
from kinga.intake.services.reports import REPORT

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User
    from kinga.cases.models import Case

# What a case's reader sees of its report, by the case's section that shows it.
SUMMARY_FIELDS = [
    "channel",
    "received_at",
    "categories",
    "place",
    "children_count",
    "age_bands",
    "danger_now",
    "online_platform",
]
IDENTITY_FIELDS = ["narrative", "place_detail", "online_handle", "additions"]


def place_text(report: Report) -> str:
    """Return where the report says it happens: ward, sub-county, county."""
    parts = [str(part) for part in (report.ward, report.sub_county, report.county) if part]
    return ", ".join(parts)


class ReportsOfCase:
    """Answer `kinga.cases.seams.CaseSourceReports` from intake's reports."""

    def source_report(
        self, *, viewer: User | AnonymousUser | None, case: Case, identity: bool
    ) -> SourceReport | None:
        if case.source_report_id is None or not policy.can(viewer, "view", case, "summary"):
            return None
        report = (
            Report.objects.select_related("county", "sub_county", "ward")
            .filter(pk=case.source_report_id)
            .first()
        )
        if report is None:
            return None
        identity = identity and policy.can(viewer, "view", case, "identity")
        additions = (
            [
                (addition.received_at, addition.text)
                for addition in ReportAddition.objects.filter(report=report).order_by(
                    "received_at", "pk"
                )
            ]
            if identity
            else []
        )
        audit_record(
            action=AuditAction.VIEW,
            actor=viewer if viewer is not None and viewer.is_authenticated else None,
            record_type=REPORT,
            record_id=report.pk,
            matter_type=MatterType.CASE,
            matter_id=case.pk,
            fields=[*SUMMARY_FIELDS, *(IDENTITY_FIELDS if identity else [])],
            detail={"through": "case"},
        )
        return SourceReport(
            reference=report.reference,
            url=reverse("intake:triage_report", args=[report.pk]),
            received_at=report.received_at,
            channel=str(report.get_channel_display()),
            categories=report.get_categories_display(),
            place=place_text(report),
            children_count=report.children_count,
            age_bands=report.get_age_bands_display(),
            danger=str(report.get_danger_now_display()),
            online_platform=str(report.get_online_platform_display())
            if report.online_platform
            else "",
            identity_shown=identity,
            narrative=report.narrative if identity else "",
            place_detail=report.place_detail if identity else "",
            online_handle=report.online_handle if identity else "",
            additions=additions,
        )
