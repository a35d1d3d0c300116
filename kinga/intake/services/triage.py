"""Triage: a triager opens a report, then decides what happens to it, with a reason.

Opening a case is the cases app's (`kinga.cases.services.case_open_from_report`): intake
sits above cases in the layers, because a report opens a case and never the reverse.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.models import Relation
from kinga.access.policy import can, can_do
from kinga.access.services import access_grant, access_grant_agencies, access_revoke
from kinga.accounts.models import Agency, AgencyKind, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.services import case_open_from_report
from kinga.intake.models import Decision, Report, Status
from kinga.intake.services.reports import REPORT
from kinga.lib.reasons import reason_clean

# A decision to refer keeps the report open to its triager this long, to send the referral.
REFER_DECISION = "intake.refer_decision"
REFER_WINDOW = timedelta(hours=72)

# The source of the grants that put a report before the police units of its area once triage
# decides to open an incident on it; the justice app ends them when the incident is opened.
INCIDENT_QUEUE = "intake.report.incident"


def police_units(*, county_id: int | None) -> list[Agency]:
    """Return the police units a report of that county goes to for an incident.

    The county's active police units; without a county, those of the six coastal counties.
    """
    units = Agency.objects.filter(is_active=True, kind=AgencyKind.POLICE_UNIT)
    if county_id is not None:
        return list(units.filter(county_id=county_id).order_by("pk"))
    return list(units.filter(county__coastal=True).order_by("pk"))


@transaction.atomic(durable=True)
def report_review_start(*, report: Report, actor: User, notes: bool = False) -> Report:
    """Record that a triager opened the report; the reporter's status becomes 'being looked at'.

    `notes`: the page shows the helpline calls' notes too (named in the audit event)."""
    if not can(actor, "view", report, "summary"):
        raise PermissionDenied
    audit_record(
        action=AuditAction.VIEW,
        actor=actor,
        record_type=REPORT,
        record_id=report.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=["narrative", "place_detail", "reporter_contact", "reporter_phone"]
        + (["support_note"] if notes else []),
    )
    if report.status == Status.RECEIVED and can(actor, "change", report, "summary"):
        report.status = Status.IN_REVIEW
        report.save(update_fields=["status"])
    return report


@transaction.atomic(durable=True)
def report_decide(
    *,
    report: Report,
    actor: User,
    decision: str,
    reason: str,
    case_code: str = "",
    now: datetime | None = None,
) -> Report:
    """Take a triage decision with its reason; the report leaves the queue.

    Opening a case opens it in the cases app, in the same transaction, and the report
    keeps the case's code. Every
    decision is audited, the area's triage grants end, and the reporter's status moves
    to 'action taken' (or 'closed' for no further action).
    """
    now = now or timezone.now()
    if not can_do(actor, "report.triage") or not can(actor, "change", report, "summary"):
        raise PermissionDenied
    if decision not in Decision.values or decision == Decision.NONE:
        raise ValidationError(_("Choose a decision."))
    if not report.is_open:
        raise ValidationError(_("This report has already been decided."))
    reason = reason_clean(reason, field=None)
    case_code = case_code.strip().upper()
    if decision == Decision.ADD_TO_CASE and not case_code:
        raise ValidationError(_("Give the code of the case to add it to."))
    report.decision = decision
    report.decision_reason = reason
    report.decided_at = now
    report.decided_by = actor
    report.case_code = case_code if decision == Decision.ADD_TO_CASE else ""
    report.status = Status.CLOSED if decision == Decision.NO_FURTHER_ACTION else Status.ACTION_TAKEN
    report.full_clean()
    report.save(
        update_fields=[
            "decision",
            "decision_reason",
            "decided_at",
            "decided_by",
            "case_code",
            "status",
        ]
    )
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type=REPORT,
        record_id=report.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=["decision", "decision_reason", "status", "case_code"],
        # the reason stays on the report (encrypted); the event names the decision's code
        detail={"decision": decision},
    )
    if decision == Decision.OPEN_CASE:
        case = case_open_from_report(report=report, actor=actor, reason=reason)
        report.case_code = case.code
        report.save(update_fields=["case_code"])
    access_revoke(
        matter=report.access_matter(),
        actor=actor,
        relation=Relation.TRIAGE_AREA,
        source_type=REPORT,
    )
    if decision == Decision.REFER:
        # The triager who decided to refer keeps the report for the emergency referral they
        # make next (its own grant then keeps them on it while the referral is open).
        access_grant(
            matter=report.access_matter(),
            relation=Relation.TRIAGE_AREA,
            actor=actor,
            user=actor,
            source_type=REFER_DECISION,
            source_id=report.pk,
            ends_at=now + REFER_WINDOW,
        )
    if decision == Decision.OPEN_INCIDENT:
        # The area's police units see the report (what it says) until one opens its incident.
        access_grant_agencies(
            matter=report.access_matter(),
            relation=Relation.TRIAGE_AREA,
            agencies=police_units(county_id=report.county_id),
            actor=actor,
            source_type=INCIDENT_QUEUE,
            source_id=report.pk,
        )
    return report
