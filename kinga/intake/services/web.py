"""The public web form and the follow-up page: one function each stores what was sent.

`report_submit_web` owns the whole write: the report and its audit event are prepared
(encrypted, serialised) before the write turn is taken; inside it, in one short
transaction, the sender's hit is counted, the report and its event are stored, and
either it is routed now (a child in danger) or its routing task is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intake import statements
from kinga.intake.models import Channel, Report, ReportAddition
from kinga.intake.selectors import report_by_follow_up_code
from kinga.intake.services.codes import follow_up_code_for, follow_up_hash
from kinga.intake.services.reports import (
    REPORT,
    ReportInput,
    audit_report_append,
    audit_report_prepare,
    by_reference,
    check_report,
    fill_report,
)
from kinga.intake.services.routing import enter_triage, set_route, urgent
from kinga.intake.services.signals import signals_refresh
from kinga.lib import ratelimit
from kinga.lib.crypto import keyed_hash
from kinga.lib.rows import PreparedInsert, prepare_insert


class TooManyReports(Exception):
    """The sender has sent more than the rate limit allows; nothing was stored."""


def sender_within_limit(*, scope: str, sender: str, rate: str) -> bool:
    """Count one post of `sender` (an address) in `scope`; return whether it is within `rate`."""
    limit, seconds = ratelimit.parse_rate(rate)
    return ratelimit.hit(scope=scope, key=sender or "unknown", limit=limit, window_seconds=seconds)


@dataclass
class _WebReport:
    """A web report ready to store: its row and audit event prepared, its code made."""

    report: Report
    row: PreparedInsert
    event: PreparedInsert
    code: str


def _web_prepare(
    *, data: ReportInput, submission: str, payload: dict[str, Any], now: datetime
) -> _WebReport:
    """Check and prepare a report from the public web form. Nothing is written.

    `submission` is the one-time value of the form's token, checked by the form. The
    report's channel reference is its keyed hash, and its follow-up code is derived from
    it, so the same form sent twice is the same report with the same code, while neither
    the value nor the code can be read back from the database.
    Raise ValidationError if a value is not one the form offers.
    """
    code = follow_up_code_for(f"web:{submission}")
    report = Report(
        channel=Channel.WEB,
        received_at=now,
        updated_at=now,
        channel_reference=keyed_hash(submission, purpose="web-submission"),
        follow_up_hash=follow_up_hash(code),
        raw_payload=payload,
    )
    fill_report(report, data)
    check_report(report)
    if urgent(report):
        set_route(report, now=now)  # a child in danger is routed in the request
    return _WebReport(
        report=report,
        row=prepare_insert(report, ignore_conflict=True),
        event=audit_report_prepare(report, AuditAction.CREATE, None, "public:web"),
        code=code,
    )


def _web_store(prepared: _WebReport) -> Report:
    """Store a prepared web report (in the caller's transaction); return it.

    The same form sent twice (a double click, a reload) stores one report: the second
    finds the first.
    """
    report = prepared.report
    submission = report.channel_reference
    if not prepared.row.execute():
        # the same form again (or twice at once): the first one stored it
        existing = by_reference(Channel.WEB, submission).first()
        if existing is None:
            raise IntegrityError(f"web report {submission[:8]} neither stored nor found")
        return existing
    audit_report_append(prepared.event, report)
    enter_triage(report, now=report.received_at)
    return report


def report_submit_web(
    *,
    data: ReportInput,
    submission: str,
    payload: dict[str, Any],
    sender: str | None = None,
    now: datetime | None = None,
) -> tuple[Report, str]:
    """Store a report from the public web form; return it and its follow-up code (the same
    when the same form is sent again).

    `sender` is the address the rate limit counts (`KINGA_REPORT_RATE_LIMIT`); None for
    reports that do not come from the public (the demo). Raise TooManyReports when the
    sender is over the limit, and ValidationError when a value is not one the form offers;
    in both cases nothing is stored. The hit, the report, its audit event and its triage
    task commit together, in one transaction, inside the write turn.
    """
    prepared = _web_prepare(
        data=data, submission=submission, payload=payload, now=now or timezone.now()
    )
    with statements.write_turn(), transaction.atomic(durable=True):
        # the hit counts (and is committed) even when it is over the limit
        if sender is None or sender_within_limit(
            scope="report", sender=sender, rate=settings.KINGA_REPORT_RATE_LIMIT
        ):
            return _web_store(prepared), prepared.code
    raise TooManyReports


@dataclass(frozen=True)
class FollowUp:
    """What a reporter's follow-up came to: the report's neutral status, and whether their
    words were added. `known` is False for a code that belongs to no report."""

    known: bool
    status: str = ""
    added: bool = False


def report_follow_up(
    *,
    code: str,
    text: str,
    sender: str | None,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> FollowUp:
    """Look a follow-up code up for a reporter and add what they wrote to its report.

    Every try counts against `KINGA_FOLLOW_UP_RATE_LIMIT` for `sender` (None for channels
    the gateway already limits), whether or not the code is known, so codes cannot be
    guessed quickly; over the limit raise TooManyReports and look nothing up. The hit is
    committed even then; the addition, its audit event and the report's date commit together.
    """
    if sender is not None and not sender_within_limit(
        scope="follow-up", sender=sender, rate=settings.KINGA_FOLLOW_UP_RATE_LIMIT
    ):
        raise TooManyReports
    report = report_by_follow_up_code(code=code)
    if report is None:
        return FollowUp(known=False)
    added = False
    if text.strip():
        _follow_up_add(report=report, text=text, channel=channel, now=now or timezone.now())
        added = True
    return FollowUp(known=True, status=str(report.get_status_display()), added=added)


@transaction.atomic(durable=True)
def _follow_up_add(*, report: Report, text: str, channel: str, now: datetime) -> ReportAddition:
    """Add what a reporter sent later (with their follow-up code) to their report."""
    text = text.strip()
    addition = ReportAddition(report=report, channel=channel, text=text[:4000], received_at=now)
    addition.full_clean()
    addition.save()
    report.updated_at = now
    report.save(update_fields=["updated_at"])
    suggested = signals_refresh(report)
    audit_record(
        action=AuditAction.CHANGE,
        actor=None,
        actor_label=f"public:{channel}",
        record_type=REPORT,
        record_id=report.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=["additions", *suggested],
    )
    return addition
