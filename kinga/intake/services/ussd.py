"""USSD sessions: each screen is answered after the session's answers so far are stored.

`ussd_answer` is the channel's one function: it finds the screen for the answers (the
menu, `kinga.intake.ussd`), stores them, and returns the screen. A screen in the middle of
a session is one prepared UPDATE in the write turn; the first answer makes the report and
the last puts it in triage, each in one short transaction.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kinga.audit.models import AuditAction
from kinga.intake import statements
from kinga.intake.models import Channel, ChannelEvent, Danger, Report
from kinga.intake.seams import campaign_of_ussd
from kinga.intake.services.codes import (
    follow_up_code_for,
    follow_up_hash,
    format_code,
    normalised_phone,
    phone_index,
)
from kinga.intake.services.reports import (
    audit_report,
    audit_report_append,
    audit_report_prepare,
    audit_ussd_finished,
    by_reference,
)
from kinga.intake.services.routing import ROUTE_FIELDS, enter_triage, route, set_route, urgent
from kinga.intake.ussd import Answers, Screen, screen_for
from kinga.lib.crypto import keyed_hash
from kinga.lib.rows import insert_row, prepare_insert
from kinga.tasks.services import task_enqueue

USSD_SETTLE_AFTER = timedelta(minutes=5)


def ussd_answer(
    *, session_id: str, phone: str, text: str, payload: dict[str, Any], now: datetime | None = None
) -> Screen:
    """Return the screen that answers `text` (the session's answers joined by `*`), after
    storing those answers on the session's report."""
    screen = screen_for(text, code=lambda: format_code(follow_up_code_for(f"ussd:{session_id}")))
    report_ussd_store(
        session_id=session_id,
        phone=phone,
        answers=screen.answers,
        complete=screen.complete,
        payload=payload,
        now=now,
    )
    return screen


def report_ussd_store(
    *,
    session_id: str,
    phone: str,
    answers: Answers,
    complete: bool,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> None:
    """Store (or update) the report of a USSD session with the answers so far.

    Called on every screen, so a dropped session keeps what was said. A screen in the
    middle of the session is one UPDATE (nothing is written when the answers are the same
    as last time); the first answer creates the report, and the last puts it in triage.
    If the session ends otherwise, the gateway's end notice or (if none comes) a task a
    few minutes later puts it in triage.
    """
    if not answers.language:
        return  # nothing said yet
    now = now or timezone.now()
    digest = keyed_hash(
        json.dumps([answers.as_dict(), complete], sort_keys=True), purpose="ussd-answers"
    )
    values = {
        **_answer_values(answers, complete),
        "answers_digest": digest,
        "updated_at": now,
        "raw_payload": payload,
    }
    # Everything that can be is prepared (encrypted, serialised) before the write turn is
    # taken: on SQLite one writer at a time holds the database, so the time inside the turn
    # is what every other request waits for.
    if not complete and answers == Answers(language=answers.language):
        # The first answer (the language) makes the report: no UPDATE that cannot match.
        _ussd_store_first(session_id=session_id, phone=phone, values=values, now=now)
        return
    if not complete:
        update = statements.session_update(
            channel=Channel.USSD, reference=session_id, values=values, unless_digest=digest
        )
        with statements.write_turn():
            if update.run():
                # One statement, outside any transaction: the write lock is held briefly.
                return
    # The session's last answer, a screen sent again, or one whose report was never made.
    answers_update = statements.report_update(values)
    with statements.write_turn():
        _ussd_store_slow(
            session_id=session_id,
            phone=phone,
            values=values,
            complete=complete,
            now=now,
            answers_update=answers_update,
        )


def _ussd_report(*, session_id: str, phone: str, values: dict[str, Any], now: datetime) -> Report:
    """Return the (unsaved) report of a USSD session with the answers so far; a campaign's
    own USSD code, dialled, counts the report as that campaign's (set once, when the
    session's report is made: later screens never change it)."""
    number = normalised_phone(phone)
    payload = values.get("raw_payload") or {}
    return Report(
        channel=Channel.USSD,
        received_at=now,
        channel_reference=session_id,
        campaign_code=campaign_of_ussd(str(payload.get("serviceCode", ""))),
        follow_up_hash=follow_up_hash(follow_up_code_for(f"ussd:{session_id}")),
        reporter_phone=number,
        reporter_phone_index=phone_index(number) if number else "",
        **values,
    )


def _ussd_settle_later(report: Report, *, now: datetime) -> None:
    """Route an unfinished session's report in a few minutes, if nothing routes it before."""
    task_enqueue(
        name="intake.route_report",
        payload={"report_id": report.pk},
        run_after=now + USSD_SETTLE_AFTER,
    )


def _ussd_row_made(session_id: str) -> statements.SessionRow:
    """Return the session's report that another request made (its INSERT found it there)."""
    row = statements.session_row(channel=Channel.USSD, reference=session_id)
    if row is None:
        raise IntegrityError(f"USSD session {session_id[:16]} neither stored nor found")
    return row


def _ussd_store_first(
    *, session_id: str, phone: str, values: dict[str, Any], now: datetime
) -> None:
    """Make the session's report at its first answer, audited, with the task that routes it
    if the session is dropped. Its row and audit event are prepared before the turn."""
    report = _ussd_report(session_id=session_id, phone=phone, values=values, now=now)
    row = prepare_insert(report, ignore_conflict=True)
    event = audit_report_prepare(report, AuditAction.CREATE, None, "public:ussd")
    with statements.write_turn(), transaction.atomic(durable=True):
        # One statement; a session's report already made (a first screen sent again, or
        # two at once) is not made twice, and this screen updates it instead.
        if row.execute():
            audit_report_append(event, report)
            _ussd_settle_later(report, now=now)
            return
        made = _ussd_row_made(session_id)
        if made.answers_digest != values["answers_digest"]:
            statements.update_report(pk=made.pk, values=values)  # rare: prepared in the turn


@transaction.atomic
def _ussd_store_slow(
    *,
    session_id: str,
    phone: str,
    values: dict[str, Any],
    complete: bool,
    now: datetime,
    answers_update: statements.Statement,
) -> None:
    """Finish the session's report and put it in triage; or make it, if it was never made
    (its first screens were lost); or store a screen sent again."""
    row = statements.session_row(channel=Channel.USSD, reference=session_id)
    if row is None:
        report = _ussd_report(session_id=session_id, phone=phone, values=values, now=now)
        if complete and urgent(report):
            set_route(report, now=now)
        if insert_row(report, ignore_conflict=True):
            audit_report(report, AuditAction.CREATE, None, "public:ussd")
            if complete:
                enter_triage(report, now=now)
            else:
                _ussd_settle_later(report, now=now)
            return
        row = _ussd_row_made(session_id)
    if row.answers_digest == values["answers_digest"]:
        return  # a repeated screen
    routing = complete and row.routed_at is None
    if not routing:
        answers_update.run(row.pk)
        return
    # The last screen: the answers (and, for a child in danger, the routing) in one UPDATE.
    # The report is built from the row and the answers (a USSD session sets nothing else).
    report = Report(
        pk=row.pk,
        channel=Channel.USSD,
        channel_reference=session_id,
        received_at=row.received_at,
        reporter_phone_index=row.reporter_phone_index,
        **values,
    )
    if not urgent(report):
        # the answers now; the audit of the finished session comes with its routing
        answers_update.run(row.pk)
        enter_triage(report, now=now)
        return
    set_route(report, now=now)
    statements.update_report(
        pk=row.pk, values={**values, **{name: getattr(report, name) for name in ROUTE_FIELDS}}
    )
    audit_ussd_finished(report)
    enter_triage(report, now=now)


def _answer_values(answers: Answers, complete: bool) -> dict[str, Any]:
    """Return the report's fields as the session's answers set them."""
    return {
        "language": answers.language,
        "categories": [answers.category] if answers.category else [],
        "county_id": answers.county_id,
        "sub_county_id": answers.sub_county_id,
        "danger_now": answers.danger or Danger.UNKNOWN,
        "age_bands": [answers.age_band] if answers.age_band else [],
        "callback_consent": bool(answers.callback),
        "channel_complete": complete,
    }


@transaction.atomic(durable=True)
def ussd_session_end(
    *,
    session_id: str,
    status: str,
    error_message: str = "",
    duration: int | None = None,
    hops: int | None = None,
    now: datetime | None = None,
) -> ChannelEvent:
    """Store the gateway's end-of-session notice; an unfinished report enters triage now."""
    now = now or timezone.now()
    event, _created = ChannelEvent.objects.get_or_create(
        channel=Channel.USSD,
        session_id=session_id[:100],
        defaults={
            "status": status[:32],
            "error_message": error_message[:200],
            "duration_seconds": duration,
            "hops": hops,
            "received_at": now,
        },
    )
    report = by_reference(Channel.USSD, session_id).select_for_update().first()
    if report is not None and report.routed_at is None:
        route(report, now=now)
    return event
