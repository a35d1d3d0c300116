"""Reports staff take: a helpline call, a walk-in at an office, a report to the police.

`report_log_call` is the one function of these channels: checked by the model in full,
routed (triage grants, priority, any alert) in the same transaction, and the one who
logged it may see it afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.models import Relation
from kinga.access.policy import can_do
from kinga.access.services import access_grant
from kinga.accounts.models import Role, User
from kinga.audit.models import AuditAction
from kinga.intake.models import Channel, Report
from kinga.intake.services.codes import follow_up_code_new, follow_up_hash
from kinga.intake.services.helpline import CallInput, call_store, report_language
from kinga.intake.services.reports import REPORT, ReportInput, audit_report, fill_report
from kinga.intake.services.routing import grant_and_alert, set_route
from kinga.intake.services.signals import signals_set

# Staff who take reports in person: a walk-in at an office, or a report made to the police.
IN_PERSON_ROLES: dict[str, tuple[str, ...]] = {
    Channel.WALK_IN: (Role.CASEWORKER, Role.SUPERVISOR),
    Channel.POLICE: (Role.INVESTIGATOR,),
}


@transaction.atomic(durable=True)
def report_log_call(
    *,
    operator: User,
    data: ReportInput,
    now: datetime | None = None,
    channel: str = Channel.HELPLINE,
    call: CallInput | None = None,
    reference: str = "",
    payload: dict[str, Any] | None = None,
) -> tuple[Report, str]:
    """Store a report staff took (a helpline call, a walk-in, a police report).

    Return it and its follow-up code. The one who logged it may see it afterwards. A
    helpline call also stores the call's record (`call`; what the form left unsaid keeps
    its default), the first call of the report; the report's messages to the caller use
    the call's language. `reference` is the calling system's own id of the call (the
    open API's), unique per channel: the same call filed twice is refused by the database.
    A partner agency's system refers a child in on `Channel.PARTNER` (the open API's
    `referral:send`); `payload` keeps what it sent besides the report's own fields (its
    reference, the services it asks for), encrypted as every channel's payload.
    """
    if channel == Channel.HELPLINE:
        if not can_do(operator, "report.log_call"):
            raise PermissionDenied(_("Only helpline operators log calls."))
    elif channel == Channel.PARTNER:
        if not can_do(operator, "report.refer_in"):
            raise PermissionDenied
    elif channel not in IN_PERSON_ROLES or not operator.has_role(*IN_PERSON_ROLES[channel]):
        raise PermissionDenied
    now = now or timezone.now()
    code = follow_up_code_new()
    report = Report(
        channel=channel,
        received_at=now,
        updated_at=now,
        logged_by=operator,
        follow_up_hash=follow_up_hash(code),
        channel_reference=reference,
        raw_payload=payload,
    )
    fill_report(report, data)
    if channel == Channel.HELPLINE:
        call = call or CallInput(caller_relation=data.reporter_relation)
        report.language = report_language(call.language)
    report.full_clean()
    set_route(report, now=now)
    if call is not None and call.support_note.strip():
        # the call's note is read with the caller's words, as an addition would be
        signals_set(report, text=report.narrative, notes=call.support_note.strip())
    report.save(force_insert=True)
    audit_report(report, AuditAction.CREATE, operator, "")
    access_grant(
        matter=report.access_matter(),
        relation=Relation.AUTHOR,
        actor=operator,
        user=operator,
        source_type=REPORT,
        source_id=report.pk,
    )
    if call is not None:
        call_store(report=report, operator=operator, data=call, now=now)
    grant_and_alert(report, now=now, actor=operator)
    return report, code
