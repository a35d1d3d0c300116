"""The helpline desk: a record of each call, and follow-up calls linked to the first.

A first call logs a report (`kinga.intake.services.staff.report_log_call`, which stores the
call through `call_store`); a later call about the same child is `helpline_follow_up_call`,
linked to the first call and to its report, with anything new the caller said added to
the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.models import Relation
from kinga.access.policy import can, can_do
from kinga.access.services import access_grant
from kinga.accounts.models import User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intake.models import (
    CallLanguage,
    CallOutcome,
    Channel,
    ChildSex,
    HelplineCall,
    Report,
    ReportAddition,
    ReporterRelation,
)
from kinga.intake.services.reports import REPORT
from kinga.intake.services.signals import signals_refresh

CALL = "intake.helplinecall"


@dataclass
class CallInput:
    """What the operator keeps about a call (besides what the caller reported)."""

    outcome: str = CallOutcome.REPORTED
    duration_minutes: int | None = None
    caller_relation: str = ReporterRelation.UNKNOWN
    child_sex: str = ChildSex.UNKNOWN
    language: str = CallLanguage.KISWAHILI
    support_given: list[str] = field(default_factory=list)
    support_note: str = ""
    follow_up_due: date | None = None


def report_language(call_language: str) -> str:
    """Return the language the report's messages to the caller use (English or Kiswahili)."""
    return "en" if call_language == CallLanguage.ENGLISH else "sw"


def _call_fields(call: HelplineCall) -> list[str]:
    """Return the names of the call's fields that were filled (for the audit, never values)."""
    names = ["outcome", "caller_relation", "child_sex", "language"]
    for name in ("duration_minutes", "support_given", "support_note", "follow_up_due"):
        if getattr(call, name) not in (None, "", []):
            names.append(name)
    return names


def call_store(
    *,
    report: Report,
    operator: User,
    data: CallInput,
    now: datetime,
    follow_up_of: HelplineCall | None = None,
) -> HelplineCall:
    """Check and store one call's record, with its audit event (joins the caller's
    transaction: the report's, or the follow-up's)."""
    call = HelplineCall(
        report=report,
        operator=operator,
        follow_up_of=follow_up_of,
        started_at=now,
        duration_minutes=data.duration_minutes,
        caller_relation=data.caller_relation,
        child_sex=data.child_sex,
        language=data.language,
        support_given=list(dict.fromkeys(data.support_given)),
        support_note=data.support_note.strip(),
        outcome=data.outcome,
        follow_up_due=data.follow_up_due,
    )
    if data.follow_up_due is not None and data.follow_up_due < now.date():
        raise ValidationError({"follow_up_due": _("A follow-up cannot be due in the past.")})
    call.full_clean()
    call.save(force_insert=True)
    audit_record(
        action=AuditAction.CREATE,
        actor=operator,
        record_type=CALL,
        record_id=call.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=_call_fields(call),
        detail={"follow_up_of": follow_up_of.pk if follow_up_of is not None else None},
    )
    return call


@transaction.atomic(durable=True)
def helpline_follow_up_call(
    *,
    operator: User,
    first: HelplineCall,
    data: CallInput,
    addition: str = "",
    now: datetime | None = None,
) -> HelplineCall:
    """Log a later call about the same report, linked to its first call.

    What the caller adds goes onto the report as an addition, so triage sees it. The
    operator must be able to read the report (they logged it, or were alerted to it) and
    keeps reading it afterwards.
    """
    if not can_do(operator, "report.log_call"):
        raise PermissionDenied(_("Only helpline operators log calls."))
    report = Report.objects.select_for_update().get(pk=first.report_id)
    if not can(operator, "view", report, "summary"):
        raise PermissionDenied
    now = now or timezone.now()
    call = call_store(
        report=report, operator=operator, data=data, now=now, follow_up_of=first.first_call
    )
    text = addition.strip()
    if text:
        added = ReportAddition(
            report=report, channel=Channel.HELPLINE, text=text[:4000], received_at=now
        )
        added.full_clean()
        added.save()
        report.updated_at = now
        report.save(update_fields=["updated_at"])
    if text or call.support_note:
        # what the caller added and the operator's note are read again with the report
        suggested = signals_refresh(report)
        if text or suggested:
            audit_record(
                action=AuditAction.CHANGE,
                actor=operator,
                record_type=REPORT,
                record_id=report.pk,
                matter_type="report",
                matter_id=report.pk,
                fields=(["additions"] if text else []) + suggested,
                detail={"call": call.pk},
            )
    access_grant(
        matter=report.access_matter(),
        relation=Relation.AUTHOR,
        actor=operator,
        user=operator,
        source_type=REPORT,
        source_id=report.pk,
    )
    return call
