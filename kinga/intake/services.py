"""Every write of intake: reports from each channel, routing to triage, decisions, alerts.

A report is committed before its channel is answered: each channel's view calls one of
these services, whose transaction ends before the view builds its reply. Routing (the
triage grants, the priority and any danger alert) happens in the same transaction for a
report made by staff or saying a child is in danger now. Any other public report (web,
SMS, a finished USSD session) stores a routing task in the transaction that stores it,
and the worker (`kinga worker`, which `kinga demo` starts) routes it within a second or
so; a USSD session that is dropped is routed by a task a few minutes later, or when the
gateway's end notice comes.

The public channels are the hot path (see `kinga bench intake_load`), so each request is
one short write transaction: the report is inserted with its priority already set, the
triage grants are one insert and one audit event, the triage agencies of a county come
from a per-process cache (`triage_agencies`), and the values the form or the USSD menu
already checked are not looked up again (`_check_report` checks the rest in Python).
Lookups by channel reference repeat the partial index's condition so SQLite uses it.
"""

from __future__ import annotations

import importlib
import json
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.models import Relation
from kinga.access.policy import can, can_do
from kinga.access.services import access_grant, access_grant_agencies, access_revoke
from kinga.accounts.models import Agency, AgencyKind, Role, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_append, audit_prepare, audit_record
from kinga.intake import statements
from kinga.intake.models import (
    AgeBand,
    Alert,
    Category,
    Channel,
    ChannelEvent,
    Danger,
    Decision,
    Platform,
    Priority,
    Report,
    ReportAddition,
    ReporterRelation,
    Status,
)
from kinga.intake.ussd import Answers
from kinga.lib.crypto import keyed_hash
from kinga.lib.phones import mask_phone, normalise_phone
from kinga.lib.rows import PreparedInsert, insert_row, prepare_insert
from kinga.tasks.registry import task
from kinga.tasks.services import task_enqueue

log = logging.getLogger(__name__)

# Follow-up codes: ten characters that cannot be confused when read aloud or typed.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
TRIAGE_KINDS = (AgencyKind.CHILDRENS_SERVICES, AgencyKind.NGO)
ALERT_ROLES = (Role.INVESTIGATOR, Role.CASEWORKER, Role.SUPERVISOR)
PHONE_REPEAT_WINDOW = timedelta(days=30)
WARD_REPEAT_WINDOW = timedelta(hours=72)
SMS_EXTEND_WINDOW = timedelta(hours=24)
USSD_SETTLE_AFTER = timedelta(minutes=5)
MIN_REASON_LENGTH = 10
REPORT = "intake.report"


# --- follow-up codes -----------------------------------------------------------------


def follow_up_code_new() -> str:
    """Return a fresh random follow-up code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def follow_up_code_for(seed: str) -> str:
    """Return the code tied to a channel session, so a repeated screen shows the same one."""
    digest = keyed_hash(seed, purpose="follow-up-seed", length=64)
    number = int(digest, 16)
    letters = []
    for _position in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        letters.append(CODE_ALPHABET[index])
    return "".join(letters)


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def follow_up_hash(code: str) -> str:
    return keyed_hash(normalise_code(code), purpose="follow-up")


def format_code(code: str) -> str:
    """Return the code in two halves, easier to copy: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def phone_index(number: str) -> str:
    return keyed_hash(number, purpose="phone")


def _normalised(raw: str) -> str:
    """Return the number in +254 form, or "" when it is not a phone number."""
    try:
        return normalise_phone(raw)
    except ValueError:
        return ""


# --- storing reports -----------------------------------------------------------------


@dataclass
class ReportInput:
    """What a reporter (or an operator) said, however it arrived."""

    categories: list[str]
    narrative: str = ""
    county_id: int | None = None
    sub_county_id: int | None = None
    ward_id: int | None = None
    place_detail: str = ""
    children_count: int | None = None
    age_bands: list[str] | None = None
    danger_now: str = Danger.UNKNOWN
    online_platform: str = ""
    online_handle: str = ""
    reporter_relation: str = "unknown"
    reporter_contact: str = ""
    reporter_phone: str = ""
    callback_consent: bool = False
    language: str = "sw"


def _fill(report: Report, data: ReportInput) -> None:
    from kinga.places.models import SubCounty, Ward

    report.categories = list(dict.fromkeys(data.categories))
    report.narrative = data.narrative.strip()
    report.ward_id = data.ward_id
    report.sub_county_id = data.sub_county_id
    report.county_id = data.county_id
    if data.ward_id is not None:
        ward = Ward.objects.select_related("sub_county").get(pk=data.ward_id)
        report.sub_county_id = ward.sub_county_id
        report.county_id = ward.sub_county.county_id
    elif data.sub_county_id is not None:
        report.county_id = SubCounty.objects.get(pk=data.sub_county_id).county_id
    report.place_detail = data.place_detail.strip()
    report.children_count = data.children_count
    report.age_bands = list(data.age_bands or [])
    report.danger_now = data.danger_now
    report.online_platform = data.online_platform
    report.online_handle = data.online_handle.strip()
    report.reporter_relation = data.reporter_relation
    report.reporter_contact = data.reporter_contact.strip()
    number = _normalised(data.reporter_phone) if data.reporter_phone else ""
    report.reporter_phone = number
    report.reporter_phone_index = phone_index(number) if number else ""
    report.callback_consent = data.callback_consent
    report.language = data.language if data.language in ("en", "sw") else "sw"


def _audit_report_prepare(
    report: Report,
    action: str,
    actor: User | None,
    label: str,
    fields: list[str] | None = None,
) -> PreparedInsert:
    """Prepare the audit event of a report's change; a new report's key is set on append."""
    return audit_prepare(
        action=action,
        actor=actor,
        actor_label=label,
        record_type=REPORT,
        record_id=report.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=_filled_fields(report) if fields is None else fields,
    )


def _audit_report_append(event: PreparedInsert, report: Report) -> None:
    """Append a prepared event of `report`, naming the key the report was stored with."""
    event.set("record_id", str(report.pk))
    event.set("matter_id", report.pk)
    audit_append(event)


def _audit_report(
    report: Report,
    action: str,
    actor: User | None,
    label: str,
    fields: list[str] | None = None,
) -> None:
    _audit_report_append(_audit_report_prepare(report, action, actor, label, fields), report)


def _filled_fields(report: Report) -> list[str]:
    names = []
    for name in (
        "categories",
        "narrative",
        "county",
        "sub_county",
        "ward",
        "place_detail",
        "children_count",
        "age_bands",
        "danger_now",
        "online_platform",
        "online_handle",
        "reporter_relation",
        "reporter_contact",
        "reporter_phone",
        "callback_consent",
    ):
        value = getattr(report, name + "_id" if name in ("county", "sub_county", "ward") else name)
        if value not in (None, "", [], Danger.UNKNOWN, "unknown", False):
            names.append(name)
    return names


def _check_report(report: Report) -> None:
    """Check what the database would not: choices and lists of known values.

    The hot path's replacement for `full_clean()`, whose look-ups (each foreign key, each
    unique constraint) cost more than storing the report. The form and the USSD menu
    already offered only places of the coast, the database's foreign keys refuse any other,
    and the unique constraints are the database's to enforce (a retry is caught as an
    IntegrityError by the caller).
    """
    errors: dict[str, str] = {}
    for name, allowed in (
        ("channel", Channel.values),
        ("danger_now", Danger.values),
        ("reporter_relation", ReporterRelation.values),
        ("online_platform", Platform.values),
        ("language", ("en", "sw")),
    ):
        if getattr(report, name) not in allowed:
            errors[name] = "not one of the choices"
    if not set(report.categories) <= set(Category.values):
        errors["categories"] = "not one of the choices"
    if not set(report.age_bands) <= set(AgeBand.values):
        errors["age_bands"] = "not one of the choices"
    if report.children_count is not None and not 0 <= report.children_count <= 999:
        errors["children_count"] = "out of range"
    if len(report.channel_reference) > 100:
        errors["channel_reference"] = "too long"
    if errors:
        raise ValidationError(errors)


def _by_reference(channel: str, reference: str) -> Any:
    """Return the reports of a channel's message or session id.

    The unique index on (channel, channel_reference) is partial (references are not
    empty); repeating its condition lets SQLite use it instead of scanning the table.
    """
    return Report.objects.filter(channel=channel, channel_reference=reference).exclude(
        channel_reference=""
    )


@dataclass
class WebReport:
    """A web report ready to store: its row and audit event prepared, its code made."""

    report: Report
    row: PreparedInsert
    event: PreparedInsert
    code: str


def report_web_prepare(
    *,
    data: ReportInput,
    submission: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> WebReport:
    """Check and prepare a report from the public web form; `report_web_store` stores it.

    `submission` is the one-time value of the form's token, checked by the form. The
    report's channel reference is its keyed hash, and its follow-up code is derived from
    it, so the same form sent twice is the same report with the same code, while neither
    the value nor the code can be read back from the database.
    Raise ValidationError if a value is not one the form offers. Nothing is written.
    """
    now = now or timezone.now()
    code = follow_up_code_for(f"web:{submission}")
    report = Report(
        channel=Channel.WEB,
        received_at=now,
        updated_at=now,
        channel_reference=keyed_hash(submission, purpose="web-submission"),
        follow_up_hash=follow_up_hash(code),
        raw_payload=payload,
    )
    _fill(report, data)
    _check_report(report)
    if _urgent(report):
        _set_route(report, now=now)  # a child in danger is routed in the request
    return WebReport(
        report=report,
        row=prepare_insert(report, ignore_conflict=True),
        event=_audit_report_prepare(report, AuditAction.CREATE, None, "public:web"),
        code=code,
    )


def report_web_store(prepared: WebReport) -> tuple[Report, str]:
    """Store a prepared web report; return it and its follow-up code.

    The submission is the form's one-time token: sending the same form twice (a double
    click, a reload) stores one report, and both answers show the same code. The report,
    its audit event and its triage task commit together, in one transaction.
    """
    report = prepared.report
    submission = report.channel_reference
    # No savepoint: nothing in here is expected to fail but the whole request.
    with transaction.atomic(savepoint=False):
        if not prepared.row.execute():
            # the same form again (or twice at once): the first one stored it
            existing = _by_reference(Channel.WEB, submission).first()
            if existing is None:
                raise IntegrityError(f"web report {submission[:8]} neither stored nor found")
            return existing, prepared.code
        _audit_report_append(prepared.event, report)
        _enter_triage(report, now=report.received_at)
    return report, prepared.code


def report_submit_web(
    *,
    data: ReportInput,
    submission: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> tuple[Report, str]:
    """Store a report from the public web form; return it and its follow-up code (the
    same when the same form is sent again). See `report_web_store`."""
    prepared = report_web_prepare(data=data, submission=submission, payload=payload, now=now)
    with statements.write_turn():
        return report_web_store(prepared)


# Staff who take reports in person: a walk-in at an office, or a report made to the police.
IN_PERSON_ROLES: dict[str, tuple[str, ...]] = {
    Channel.WALK_IN: (Role.CASEWORKER, Role.SUPERVISOR),
    Channel.POLICE: (Role.INVESTIGATOR,),
}


@transaction.atomic
def report_log_call(
    *,
    operator: User,
    data: ReportInput,
    now: datetime | None = None,
    channel: str = Channel.HELPLINE,
) -> tuple[Report, str]:
    """Store a report staff took (a helpline call, a walk-in, a police report).

    Return it and its follow-up code. The one who logged it may see it afterwards.
    """
    if channel == Channel.HELPLINE:
        if not can_do(operator, "report.log_call"):
            raise PermissionDenied(_("Only helpline operators log calls."))
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
    )
    _fill(report, data)
    report.full_clean()
    _set_route(report, now=now)
    report.save(force_insert=True)
    _audit_report(report, AuditAction.CREATE, operator, "")
    access_grant(
        matter=report.access_matter(),
        relation=Relation.AUTHOR,
        actor=operator,
        user=operator,
        source_type=REPORT,
        source_id=report.pk,
    )
    _grant_and_alert(report, now=now, actor=operator)
    return report, code


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
    """Return the (unsaved) report of a USSD session with the answers so far."""
    number = _normalised(phone)
    return Report(
        channel=Channel.USSD,
        received_at=now,
        channel_reference=session_id,
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
    event = _audit_report_prepare(report, AuditAction.CREATE, None, "public:ussd")
    with statements.write_turn(), transaction.atomic():
        # One statement; a session's report already made (a first screen sent again, or
        # two at once) is not made twice, and this screen updates it instead.
        if row.execute():
            _audit_report_append(event, report)
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
        if complete and _urgent(report):
            _set_route(report, now=now)
        if insert_row(report, ignore_conflict=True):
            _audit_report(report, AuditAction.CREATE, None, "public:ussd")
            if complete:
                _enter_triage(report, now=now)
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
    if not _urgent(report):
        # the answers now; the audit of the finished session comes with its routing
        answers_update.run(row.pk)
        _enter_triage(report, now=now)
        return
    _set_route(report, now=now)
    statements.update_report(
        pk=row.pk, values={**values, **{name: getattr(report, name) for name in ROUTE_FIELDS}}
    )
    _audit_ussd_finished(report)
    _enter_triage(report, now=now)


def _audit_ussd_finished(report: Report) -> None:
    """Audit the answers of a finished USSD session (the screens before it are not)."""
    fields = _filled_fields(report)
    if report.reporter_phone_index and "reporter_phone" not in fields:
        fields.append("reporter_phone")  # stored encrypted at the first answer
    _audit_report(report, AuditAction.CHANGE, None, "public:ussd", fields=fields)


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


@transaction.atomic
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
    report = _by_reference(Channel.USSD, session_id).select_for_update().first()
    if report is not None and report.routed_at is None:
        _route(report, now=now)
    return event


@dataclass
class SmsOutcome:
    report: Report
    new_report: bool
    repeated: bool


@transaction.atomic
def report_from_sms(
    *,
    message_id: str,
    sender: str,
    text: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> SmsOutcome:
    """Store an incoming SMS: a new report, or more to a report this number sent today.

    The same message id twice changes nothing. A new report gets a neutral acknowledgement.
    """
    now = now or timezone.now()
    known = _by_reference(Channel.SMS, message_id).first()
    if known is not None:
        return SmsOutcome(report=known, new_report=False, repeated=True)
    addition = (
        ReportAddition.objects.filter(channel=Channel.SMS, channel_reference=message_id)
        .exclude(channel_reference="")
        .select_related("report")
        .first()
    )
    if addition is not None:
        return SmsOutcome(report=addition.report, new_report=False, repeated=True)
    number = _normalised(sender)
    index = phone_index(number) if number else ""
    recent = None
    if index:
        recent = (
            Report.objects.filter(
                channel=Channel.SMS,
                reporter_phone_index=index,
                received_at__gte=now - SMS_EXTEND_WINDOW,
                decision=Decision.NONE,
            )
            .order_by("-received_at")
            .first()
        )
    if recent is not None:
        try:
            with transaction.atomic():
                ReportAddition.objects.create(
                    report=recent,
                    channel=Channel.SMS,
                    text=text[:2000],
                    channel_reference=message_id,
                    received_at=now,
                )
        except IntegrityError:
            return SmsOutcome(report=recent, new_report=False, repeated=True)
        audit_record(
            action=AuditAction.CHANGE,
            actor=None,
            actor_label="public:sms",
            record_type=REPORT,
            record_id=recent.pk,
            matter_type="report",
            matter_id=recent.pk,
            fields=["additions"],
        )
        return SmsOutcome(report=recent, new_report=False, repeated=False)
    report = Report(
        channel=Channel.SMS,
        received_at=now,
        updated_at=now,
        narrative=text[:2000],
        reporter_phone=number,
        reporter_phone_index=index,
        channel_reference=message_id,
        raw_payload=payload,
        language="sw",
    )
    _check_report(report)
    try:
        with transaction.atomic():
            report.save(force_insert=True)
    except IntegrityError:
        stored = _by_reference(Channel.SMS, message_id).get()
        return SmsOutcome(report=stored, new_report=False, repeated=True)
    _audit_report(report, AuditAction.CREATE, None, "public:sms")
    _enter_triage(report, now=now)
    if number:
        from kinga.messaging.models import MessageKind
        from kinga.messaging.services import message_send

        message_send(to=number, text=SMS_ACKNOWLEDGEMENT, kind=MessageKind.ACKNOWLEDGEMENT)
    return SmsOutcome(report=report, new_report=True, repeated=False)


# Neutral, in both languages, with no word of what was reported: phones are shared.
SMS_ACKNOWLEDGEMENT = (
    "Asante, ujumbe wako umepokelewa. Hatari sasa? Piga 116 bure. / "
    "Thank you, your message was received. Danger now? Call 116 free."
)


@transaction.atomic
def report_follow_up(
    *, report: Report, text: str, channel: str = Channel.WEB, now: datetime | None = None
) -> ReportAddition:
    """Add what a reporter sent later (with their follow-up code) to their report."""
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise ValidationError(_("Write what you want to add."))
    addition = ReportAddition(report=report, channel=channel, text=text[:4000], received_at=now)
    addition.full_clean()
    addition.save()
    report.updated_at = now
    report.save(update_fields=["updated_at"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=None,
        actor_label=f"public:{channel}",
        record_type=REPORT,
        record_id=report.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=["additions"],
    )
    return addition


# --- routing: triage area, priority, danger alert -------------------------------------


# The triage agencies of each county, kept a short while in each process: agencies rarely
# change, and every report needs them. Saving or deleting an agency empties it at once in
# the process that did it; other processes see the change within TRIAGE_CACHE_SECONDS.
TRIAGE_CACHE_SECONDS = 60.0
_triage_cache: dict[int | None, tuple[float, tuple[Agency, ...]]] = {}


def triage_agencies(*, county_id: int | None) -> list[Agency]:
    """Return the agencies whose triage queue a report of that county enters.

    The county's active children's services and NGOs; without a county, the children's
    services of the six coastal counties.
    """
    moment = time.monotonic()
    cached = _triage_cache.get(county_id)
    if cached is not None and moment - cached[0] < TRIAGE_CACHE_SECONDS:
        return list(cached[1])
    agencies = Agency.objects.filter(is_active=True)
    if county_id is not None:
        found = list(agencies.filter(county_id=county_id, kind__in=TRIAGE_KINDS))
    else:
        found = list(
            agencies.filter(county__coastal=True, kind=AgencyKind.CHILDRENS_SERVICES).order_by("pk")
        )
    _triage_cache[county_id] = (moment, tuple(found))
    return found


def triage_agencies_forget(**_signal: Any) -> None:
    """Empty the cache of triage agencies (on saving or deleting an agency)."""
    _triage_cache.clear()


def repeat_signals_of(report: Report) -> list[str]:
    """Return which repeat signals the report shows: the same phone, the same ward."""
    signals = []
    if report.reporter_phone_index and statements.others_exist(
        column="reporter_phone_index",
        value=report.reporter_phone_index,
        around=report.received_at,
        within=PHONE_REPEAT_WINDOW,
        pk=report.pk,
    ):
        signals.append("phone")
    if report.ward_id and statements.others_exist(
        column="ward",
        value=report.ward_id,
        around=report.received_at,
        within=WARD_REPEAT_WINDOW,
        pk=report.pk,
    ):
        signals.append("ward")
    return signals


def priority_of(report: Report, signals: Iterable[str]) -> int:
    """Return the triage priority: danger first, then young age, online element, repeats."""
    if report.danger_now == Danger.YES:
        return Priority.URGENT
    score = 0
    bands = set(report.age_bands)
    if bands & {"0-5", "6-11"}:
        score += 2
    elif "12-14" in bands:
        score += 1
    if report.online_platform or "online" in report.categories:
        score += 1
    score += len(list(signals))
    if score >= 2:
        return Priority.HIGH
    if not report.categories and not report.narrative:
        return Priority.LOW  # nothing said about what is happening
    return Priority.NORMAL


ROUTE_FIELDS = ("repeat_signals", "priority", "routed_at")


def _set_route(report: Report, *, now: datetime) -> None:
    """Set the report's repeat signals, priority and time of entering triage (not saved)."""
    signals = repeat_signals_of(report)
    report.repeat_signals = signals
    report.priority = priority_of(report, signals)
    report.routed_at = now


def _grant_and_alert(report: Report, *, now: datetime, actor: User | None = None) -> None:
    """Give the area's triage agencies the stored report (one insert, one audit event).

    A report is routed once (its `routed_at` guards it), so there are no grants to repeat.
    A report of a child in danger also alerts the county's on-call staff.
    """
    access_grant_agencies(
        matter=report.access_matter(),
        relation=Relation.TRIAGE_AREA,
        agencies=triage_agencies(county_id=report.county_id),
        actor=actor,
        source_type=REPORT,
        source_id=report.pk,
    )
    if report.danger_now == Danger.YES:
        alert_raise(report=report, now=now)


def _urgent(report: Report) -> bool:
    """Return whether a public report is routed in its own request: a child in danger now."""
    return report.danger_now == Danger.YES


def _enter_triage(report: Report, *, now: datetime) -> None:
    """Route a public report just stored: now if `_set_route` already ran, else very soon.

    A report of a child in danger is routed (and its alert sent) in the request that
    stored it. Any other is routed by the worker, within a second or so, through a task
    stored in the same transaction as the report, so it cannot be lost: this keeps the
    grants and their audit event off the channel's reply (see BENCHMARKS.md).
    """
    if report.routed_at is not None:
        _grant_and_alert(report, now=now)
    else:
        task_enqueue(name="intake.route_report", payload={"report_id": report.pk}, run_after=now)


def _route(report: Report, *, now: datetime, actor: User | None = None) -> None:
    """Put a stored report in its area's triage queue, set its priority, alert if in danger."""
    _set_route(report, now=now)
    report.save(update_fields=list(ROUTE_FIELDS))
    _grant_and_alert(report, now=now, actor=actor)


@task("intake.route_report")
def report_route_task(payload: dict[str, Any], now: datetime) -> None:
    """Put a public report in triage: one just stored, or a USSD report whose session
    ended without a word from the gateway. A report already routed is left alone."""
    report = Report.objects.select_for_update().filter(pk=payload["report_id"]).first()
    if report is not None and report.routed_at is None:
        if report.channel == Channel.USSD and report.channel_complete:
            _audit_ussd_finished(report)
        _route(report, now=now)


# --- triage ------------------------------------------------------------------------


@transaction.atomic
def report_review_start(*, report: Report, actor: User) -> Report:
    """Record that a triager opened the report; the reporter's status becomes 'being looked at'."""
    if not can(actor, "view", report, "summary"):
        raise PermissionDenied
    audit_record(
        action=AuditAction.VIEW,
        actor=actor,
        record_type=REPORT,
        record_id=report.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=["narrative", "place_detail", "reporter_contact", "reporter_phone"],
    )
    if report.status == Status.RECEIVED and can(actor, "change", report, "summary"):
        report.status = Status.IN_REVIEW
        report.save(update_fields=["status"])
    return report


def _case_opener() -> Any:
    """Return cases' `case_open_from_report` when the cases app has it, else None."""
    try:
        module = importlib.import_module("kinga.cases.services")
    except ModuleNotFoundError as error:
        if error.name and "kinga.cases.services".startswith(error.name):
            return None
        raise
    return getattr(module, "case_open_from_report", None)


@transaction.atomic
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

    Opening a case hands the report to the cases app when it is installed. Every
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
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            _("Write the reason in at least %(count)d characters.") % {"count": MIN_REASON_LENGTH}
        )
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
        opener = _case_opener()
        if opener is not None:
            case = opener(report=report, actor=actor, reason=reason)
            code = getattr(case, "code", "")
            if code:
                report.case_code = str(code)[:32]
                report.save(update_fields=["case_code"])
    access_revoke(
        matter=report.access_matter(),
        actor=actor,
        relation=Relation.TRIAGE_AREA,
        source_type=REPORT,
    )
    return report


# --- alerts --------------------------------------------------------------------------


def _staff_of(county_ids: Iterable[int], roles: Iterable[str], *, on_call: bool) -> list[User]:
    users = User.objects.filter(
        is_active=True,
        agency__is_active=True,
        agency__county_id__in=list(county_ids),
        roles__role__in=list(roles),
    )
    if on_call:
        users = users.filter(on_call=True)
    return list(users.distinct().order_by("pk"))


def _alert_counties(report: Report) -> list[int]:
    if report.county_id is not None:
        return [report.county_id]
    from kinga.places.selectors import coastal_counties

    return list(coastal_counties().values_list("pk", flat=True))


def _alert_link(alert: Alert) -> str:
    return f"{settings.KINGA_BASE_URL.rstrip('/')}/intake/alerts/{alert.pk}/"


def alert_raise(*, report: Report, now: datetime) -> Alert:
    """Alert the on-call staff of the report's county (in the app and by SMS).

    The text holds the report's reference and a link, never what was reported. An
    escalation to the county's supervisors is queued for when nobody acknowledges.
    """
    from kinga.notifications.services import notify

    alert, created = Alert.objects.get_or_create(
        report=report, defaults={"raised_at": now, "county_id": report.county_id}
    )
    if not created:
        return alert
    recipients = _staff_of(_alert_counties(report), ALERT_ROLES, on_call=True)
    alert.notified.add(*recipients)
    text = _("Urgent: report %(reference)s says a child is in danger now. Open: %(link)s") % {
        "reference": report.reference,
        "link": _alert_link(alert),
    }
    notify(
        recipients=recipients,
        text=text,
        link=f"/intake/alerts/{alert.pk}/",
        kind="danger_alert",
        deliver_by=("sms",),
    )
    task_enqueue(
        name="intake.escalate_alert",
        payload={"alert_id": alert.pk},
        run_after=now + timedelta(minutes=settings.KINGA_ALERT_ESCALATION_MINUTES),
    )
    audit_record(
        action=AuditAction.SYSTEM,
        actor=None,
        actor_label="system:alert",
        record_type="intake.alert",
        record_id=alert.pk,
        matter_type="report",
        matter_id=report.pk,
        detail={"event": "alert_raised", "notified": [u.pk for u in recipients]},
    )
    return alert


@task("intake.escalate_alert")
def alert_escalate(payload: dict[str, Any], now: datetime) -> None:
    """Tell the county's supervisors when nobody acknowledged the alert in time."""
    from kinga.notifications.services import notify

    alert = (
        Alert.objects.select_for_update()
        .select_related("report")
        .filter(pk=payload["alert_id"])
        .first()
    )
    if alert is None or alert.acknowledged_at is not None or alert.escalated_at is not None:
        return
    supervisors = _staff_of(_alert_counties(alert.report), [Role.SUPERVISOR], on_call=False)
    alert.escalated_at = now
    alert.save(update_fields=["escalated_at"])
    alert.notified.add(*supervisors)
    text = _("Not yet acknowledged: report %(reference)s, a child in danger. Open: %(link)s") % {
        "reference": alert.report.reference,
        "link": _alert_link(alert),
    }
    notify(
        recipients=supervisors,
        text=text,
        link=f"/intake/alerts/{alert.pk}/",
        kind="danger_alert_escalated",
        deliver_by=("sms",),
    )
    audit_record(
        action=AuditAction.SYSTEM,
        actor=None,
        actor_label="system:alert",
        record_type="intake.alert",
        record_id=alert.pk,
        matter_type="report",
        matter_id=alert.report_id,
        detail={"event": "alert_escalated", "notified": [u.pk for u in supervisors]},
    )


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: User, now: datetime | None = None) -> Alert:
    """Record that someone who was alerted is acting on it; escalation stops."""
    now = now or timezone.now()
    if not alert.notified.filter(pk=actor.pk).exists():
        raise PermissionDenied
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            record_type="intake.alert",
            record_id=alert.pk,
            matter_type="report",
            matter_id=alert.report_id,
            fields=["acknowledged_at"],
        )
    return alert


def log_safe_phone(raw: str) -> str:
    """Return a phone number as logs may hold it: masked."""
    return mask_phone(raw or "")
