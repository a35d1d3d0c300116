"""Reads of reports, always given the viewer and through the access policy.

The public's only way in is a follow-up code, which is the credential itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import Case
from kinga.cases.selectors import case_opened_from_report
from kinga.intake.models import Alert, Channel, Decision, Report, ReportAddition
from kinga.intake.repeats import repeat_conditions, repeat_q
from kinga.intake.services.codes import follow_up_hash, normalise_code

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User

RECENT_CALLS = timedelta(days=30)


def report_by_follow_up_code(*, code: str) -> Report | None:
    """Return the report the follow-up code belongs to, or None."""
    if len(normalise_code(code)) < 8:
        return None
    return Report.objects.filter(follow_up_hash=follow_up_hash(code)).first()


def report_by_channel_reference(*, channel: str, reference: str) -> Report | None:
    """Return the report a gateway session or message made (for the gateway's own retries)."""
    return Report.objects.filter(channel=channel, channel_reference=reference).first()


def reports_logged_by(*, viewer: User) -> QuerySet[Report]:
    """Return the operator's own calls of the last 30 days that they may still see."""
    mine = Report.objects.filter(
        channel=Channel.HELPLINE,
        logged_by=viewer,
        received_at__gte=timezone.now() - RECENT_CALLS,
    )
    return policy.visible(viewer, mine).order_by("-received_at")


def triage_queue(*, viewer: User | AnonymousUser) -> QuerySet[Report]:
    """Return the undecided reports in the viewer's area: by priority, oldest first."""
    if not policy.can_do(viewer, "report.triage"):
        return Report.objects.none()
    waiting = Report.objects.filter(decision=Decision.NONE, routed_at__isnull=False)
    return (
        policy.visible(viewer, waiting)
        .select_related("county", "sub_county", "ward")
        .order_by("-priority", "received_at")
    )


def report_for_viewer(*, viewer: User | AnonymousUser, report_id: int) -> Report:
    """Return the report if the viewer may view it; else raise the same 404 as 'not found'.

    A report that opened a case stays readable to those who may view that case (its team,
    the agencies overseeing it): the report is then read *through the case*, and
    `report.through_case` names it (None when the viewer holds the report itself).
    """
    report = (
        Report.objects.select_related("county", "sub_county", "ward", "logged_by")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise policy.deny(viewer, record_type="intake.report", record_id=report_id)
    through: Case | None = None
    if not policy.can(viewer, "view", report, "summary"):
        through = case_opened_from_report(viewer=viewer, report_id=report.pk)
        if through is None:
            policy.require(
                viewer, "view", report, "summary", record_type="intake.report", record_id=report_id
            )
    report.through_case = through  # type: ignore[attr-defined]
    return report


def report_seen_through_case(
    *, viewer: User | AnonymousUser, report: Report, case: Case
) -> ReportThroughCase:
    """Return what a reader of the case may see of its report; audit the read on the case.

    The report's facts come with the case's summary; the reporter's words (narrative, the
    exact place, accounts, contact, what was added later) with the case's identity section.
    """
    identity = policy.can(viewer, "view", case, "identity")
    additions = (
        list(ReportAddition.objects.filter(report=report).order_by("received_at", "pk"))
        if identity
        else []
    )
    fields = ["channel", "categories", "place", "children_count", "age_bands", "danger_now"]
    if identity:
        fields += ["narrative", "place_detail", "online_handle", "reporter_contact", "additions"]
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer.is_authenticated else None,
        record_type="intake.report",
        record_id=report.pk,
        matter_type=MatterType.CASE,
        matter_id=case.pk,
        fields=fields,
        detail={"through": "case"},
    )
    return ReportThroughCase(case=case, identity=identity, additions=additions)


@dataclass(frozen=True)
class ReportThroughCase:
    case: Case
    identity: bool
    additions: list[ReportAddition]


def possible_duplicates(*, viewer: User | AnonymousUser, report: Report) -> list[Report]:
    """Return other reports the viewer may see that repeat this one (`kinga.intake.repeats`:
    the same phone within 30 days, the same ward within 72 hours)."""
    conditions = repeat_conditions(report)
    if not conditions:
        return []
    condition = Q()
    for repeat in conditions:
        condition |= repeat_q(report, repeat)
    others = Report.objects.filter(condition).exclude(pk=report.pk)
    return list(
        policy.visible(viewer, others, action="view")
        .select_related("county", "sub_county", "ward")
        .order_by("-received_at")[:5]
    )


def additions_of(*, viewer: User | AnonymousUser, report: Report) -> list[ReportAddition]:
    """Return what the reporter added later, if the viewer may see the report."""
    return list(policy.visible(viewer, ReportAddition.objects.filter(report=report), action="view"))


def alert_for_viewer(*, viewer: User, alert_id: int) -> Alert:
    """Return an alert the viewer was sent; else the same 404 as 'not found'."""
    alert = (
        Alert.objects.select_related("report", "county", "acknowledged_by")
        .filter(pk=alert_id, notified=viewer)
        .first()
    )
    if alert is None:
        # Absent or sent to others, the same 404; a real alert's refusal goes on the trail
        # of the report it is about.
        report_id = Alert.objects.filter(pk=alert_id).values_list("report_id", flat=True).first()
        raise policy.deny(
            viewer,
            record_type="intake.alert",
            record_id=alert_id,
            matter=policy.Matter(type=MatterType.REPORT, id=report_id)
            if report_id is not None
            else None,
        )
    return alert


def alerts_open_for(*, viewer: User) -> QuerySet[Alert]:
    """Return the unacknowledged alerts the viewer was sent, newest first."""
    return (
        Alert.objects.filter(notified=viewer, acknowledged_at__isnull=True)
        .select_related("report", "county")
        .order_by("-raised_at")
    )
