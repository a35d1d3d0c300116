"""Reports from the field: a volunteer's form, sent from ODK Collect through `kinga.collect`.

The channel stores through `field_report_prepare` then `field_report_store` (or
`report_from_field`, both at once). The store joins the transaction of the submission that
carries the report (the collect app stores the submission, its files and the report
together), so a report is never without its submission nor a submission filed twice. The
submission's `instanceID` is the report's channel reference: the same form sent again finds
the report it made. As on the web form, the report's row and audit event are prepared
(checked, encrypted, serialised) before the transaction, which only stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from kinga.audit.models import AuditAction
from kinga.intake.models import Channel, Report
from kinga.intake.services.reports import (
    ReportInput,
    audit_report_append,
    audit_report_prepare,
    by_reference,
    check_report,
    fill_report,
)
from kinga.intake.services.routing import enter_triage, set_route, urgent
from kinga.lib.rows import PreparedInsert, prepare_insert


@dataclass
class FieldReport:
    """A field report ready to store: its row and its audit event prepared."""

    report: Report
    row: PreparedInsert
    event: PreparedInsert


def field_report_prepare(
    *,
    data: ReportInput,
    reference: str,
    payload: dict[str, Any],
    received_at: datetime,
    label: str,
) -> FieldReport:
    """Check and prepare the report a field volunteer sent. Nothing is written.

    `reference` is the submission's instanceID, `label` names the volunteer in the audit
    log (a code, never a name). A child in danger is routed in the request (and alerted).
    Raise ValidationError when a value is not one the form offers.
    """
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
    return FieldReport(
        report=report,
        row=prepare_insert(report, ignore_conflict=True),
        event=audit_report_prepare(report, AuditAction.CREATE, None, label),
    )


@transaction.atomic
def field_report_store(prepared: FieldReport) -> tuple[Report, bool]:
    """Store a prepared field report in the caller's transaction; return it and whether it
    is new (the same instance again finds the report it made). Any other report is routed
    by the worker through a task stored with it, as the other public channels are."""
    report = prepared.report
    if not prepared.row.execute():
        existing = by_reference(Channel.FIELD, report.channel_reference).first()
        if existing is None:
            raise IntegrityError(
                f"field report {report.channel_reference} neither stored nor found"
            )
        return existing, False
    audit_report_append(prepared.event, report)
    enter_triage(report, now=report.received_at)
    return report, True


def report_from_field(
    *,
    data: ReportInput,
    reference: str,
    payload: dict[str, Any],
    received_at: datetime,
    label: str,
) -> tuple[Report, bool]:
    """Prepare and store a field report at once (in the caller's transaction)."""
    return field_report_store(
        field_report_prepare(
            data=data, reference=reference, payload=payload, received_at=received_at, label=label
        )
    )
