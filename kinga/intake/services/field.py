"""Reports from the field: a volunteer's form, sent from ODK Collect through `kinga.collect`.

`report_from_field` is the channel's one function. It joins the transaction of the
submission that carries it (the collect app stores the submission, its files and the
report together), so a report is never without its submission nor a submission filed
twice. The submission's `instanceID` is the report's channel reference: the same form
sent again finds the report it made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from kinga.audit.models import AuditAction
from kinga.intake.models import Channel, Report
from kinga.intake.services.reports import (
    ReportInput,
    audit_report,
    by_reference,
    check_report,
    fill_report,
)
from kinga.intake.services.routing import enter_triage, set_route, urgent


@transaction.atomic
def report_from_field(
    *,
    data: ReportInput,
    reference: str,
    payload: dict[str, Any],
    received_at: datetime,
    label: str,
) -> tuple[Report, bool]:
    """Store a report a field volunteer sent; return it and whether it is new.

    `reference` is the submission's instanceID, `label` names the volunteer in the audit
    log (a code, never a name). A child in danger is routed (and alerted) now; any other
    report through the routing task, as the other public channels are. Raise
    ValidationError when a value is not one the form offers; nothing is stored then.
    """
    known = by_reference(Channel.FIELD, reference).first()
    if known is not None:
        return known, False
    report = Report(
        channel=Channel.FIELD,
        received_at=received_at,
        updated_at=received_at,
        channel_reference=reference,
        raw_payload=payload,
    )
    fill_report(report, data)
    check_report(report)
    if urgent(report):
        set_route(report, now=received_at)
    report.save(force_insert=True)
    audit_report(report, AuditAction.CREATE, None, label)
    enter_triage(report, now=received_at)
    return report, True
