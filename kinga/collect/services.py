"""Every write of field collection: volunteers and their phones' tokens, and submissions.

`submission_receive` is the OpenRosa submission's one function. A submission is committed
before the phone is answered, in one transaction with its files, its report (through
intake's `report_from_field`) and their audit events: a crash half-way leaves nothing, and
the phone, unanswered, sends it again. The `instanceID` is the idempotency key:
- the same submission again is the same submission (answered 201 again, nothing doubled);
- the same instance with other content is kept apart for review and answered 409;
- files that come in a later request join their submission, which is filed once all the
  files its envelope names are there;
- what cannot be read, opened or filed is kept, quarantined, for an administrator.
The decryption (two RSA operations) and the reading of the answers happen before the
transaction, so a slow phone's submission never holds the database's write lock.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access import policy
from kinga.access.models import AccessGrant, MatterType, Relation
from kinga.accounts.models import Agency, Role, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_append, audit_prepare, audit_record
from kinga.awareness.models import Audience as EventAudience
from kinga.awareness.models import Campaign, EventType
from kinga.awareness.services import event_record_from_field
from kinga.cases.models import Case
from kinga.collect import encryption, openrosa
from kinga.collect.models import (
    DeviceToken,
    HomeVisit,
    QuarantineReason,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    VisitNeed,
    Volunteer,
)
from kinga.collect.xforms import FORMS, Files
from kinga.intake.models import Danger, Report
from kinga.intake.services import ReportInput
from kinga.intake.services.field import FieldReport, field_report_prepare, field_report_store
from kinga.lib.crypto import decrypt, encrypt, keyed_hash
from kinga.lib.rows import PreparedInsert, prepare_insert
from kinga.notifications.services import notify
from kinga.places.models import County, SubCounty, Ward

SUBMISSION = "collect.submission"
HOME_VISIT = "collect.homevisit"
VOLUNTEER = "collect.volunteer"
DEVICE_TOKEN = "collect.devicetoken"  # noqa: S105 - a record type, not a secret
FILE_CONTEXT = "collect.submissionfile.content"


def token_hash(token: str) -> str:
    """Return the keyed hash a phone's token is kept and found by."""
    return keyed_hash(token, purpose="collect-token", length=64)


def _may_supervise(actor: User, volunteer_agency_id: int) -> bool:
    return policy.can_do(actor, "collect.supervise") and (
        actor.agency_id == volunteer_agency_id or actor.has_role(Role.ADMIN)
    )


@transaction.atomic(durable=True)
def volunteer_add(
    *, actor: User | None, name: str, agency: Agency, county: County | None = None
) -> Volunteer:
    """Add a field volunteer under `agency` (a supervisor of it, an administrator, or a
    command: `actor` None)."""
    if actor is not None and not _may_supervise(actor, agency.pk):
        raise PermissionDenied
    volunteer = Volunteer(
        name=name.strip(), agency=agency, county=county, created_by=actor, created_at=timezone.now()
    )
    volunteer.full_clean()
    volunteer.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        actor_label="" if actor else "command:collect",
        record_type=VOLUNTEER,
        record_id=volunteer.pk,
        fields=["name", "agency", "county"],
    )
    return volunteer


@transaction.atomic(durable=True)
def token_issue(
    *, actor: User | None, volunteer: Volunteer, label: str = ""
) -> tuple[DeviceToken, str]:
    """Issue a phone's token for a volunteer; return it and the token itself, shown once
    (only its keyed hash is kept)."""
    if actor is not None and not _may_supervise(actor, volunteer.agency_id):
        raise PermissionDenied
    if not volunteer.is_active:
        raise ValidationError(_("This volunteer is no longer active."))
    secret = secrets.token_urlsafe(32)
    token = DeviceToken(
        volunteer=volunteer,
        token_hash=token_hash(secret),
        label=label.strip()[:60],
        created_by=actor,
        created_at=timezone.now(),
    )
    token.full_clean()
    token.save()
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        actor_label="" if actor else "command:collect",
        record_type=DEVICE_TOKEN,
        record_id=token.pk,
        fields=["token_hash", "label"],
        detail={"volunteer": volunteer.pk, "change": "issued"},
    )
    return token, secret


@transaction.atomic(durable=True)
def token_revoke(*, actor: User | None, token: DeviceToken) -> DeviceToken:
    """Revoke a phone's token at once: its next request gets 401 and stores nothing."""
    token = DeviceToken.objects.select_for_update().select_related("volunteer").get(pk=token.pk)
    if actor is not None and not _may_supervise(actor, token.volunteer.agency_id):
        raise PermissionDenied
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        actor_label="" if actor else "command:collect",
        record_type=DEVICE_TOKEN,
        record_id=token.pk,
        fields=["revoked_at"],
        detail={"volunteer": token.volunteer_id, "change": "revoked"},
    )
    return token


@transaction.atomic(durable=True)
def volunteer_deactivate(*, actor: User | None, volunteer: Volunteer) -> Volunteer:
    """Stop a volunteer reporting: every phone token of theirs is revoked at once (their
    phones get 401, and can neither fetch forms nor send). What they sent stays. One audit
    event names the change and how many tokens it revoked."""
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    if actor is not None and not _may_supervise(actor, volunteer.agency_id):
        raise PermissionDenied
    if not volunteer.is_active:
        return volunteer
    revoked = DeviceToken.objects.filter(volunteer=volunteer, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    volunteer.is_active = False
    volunteer.save(update_fields=["is_active"])
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        actor_label="" if actor else "command:collect",
        record_type=VOLUNTEER,
        record_id=volunteer.pk,
        fields=["is_active", "tokens"],
        detail={"change": "deactivated", "tokens_revoked": revoked},
    )
    return volunteer


@transaction.atomic(durable=True)
def home_visit_read(*, actor: User, visit: HomeVisit) -> HomeVisit:
    """Mark a home visit read by someone who may change the case's care records."""
    policy.require(actor, "change", visit, "care", record_type=HOME_VISIT, record_id=visit.pk)
    visit = HomeVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.read_at is not None:
        return visit
    visit.read_at = timezone.now()
    visit.read_by = actor
    visit.save(update_fields=["read_at", "read_by"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type=HOME_VISIT,
        record_id=visit.pk,
        matter_type=MatterType.CASE,
        matter_id=visit.case_id,
        fields=["read_at"],
    )
    return visit


# --- submissions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    """A phone whose token is live: the token and its volunteer (ids only)."""

    token_id: int
    volunteer_id: int

    @property
    def code(self) -> str:
        return f"V-{self.volunteer_id:04d}"


@dataclass(frozen=True)
class Part:
    """A file part of a submission request, as sent."""

    name: str
    content_type: str
    content: bytes


@dataclass
class Outcome:
    """What a submission request came to: the HTTP status to answer and its message."""

    status: int
    message: str
    submission: Submission
    report: Report | None = None
    created: bool = False


@dataclass
class _Prepared:
    """A submission read (and, when it came whole, opened, read and its report prepared)
    before any write."""

    xml: bytes
    instance_id: str
    form_id: str
    version: str
    digest: str
    envelope: encryption.Envelope | None
    expected: list[str]
    files: dict[str, Part]
    now: datetime
    label: str
    volunteer_id: int = 0
    reason: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    report: FieldReport | None = None
    home_visit: HomeVisitInput | None = None
    event: EventInput | None = None

    @property
    def whole(self) -> bool:
        return set(self.expected) <= set(self.files)

    @property
    def fileable(self) -> bool:
        """Whether it was read and is ready to file as what its form files."""
        return self.report is not None or self.home_visit is not None or self.event is not None


def _prepare(
    xml: bytes, parts: list[Part], *, now: datetime, label: str, volunteer_id: int
) -> _Prepared:
    digest = hashlib.sha256(xml).hexdigest()
    files = {part.name: part for part in parts}
    try:
        sent = openrosa.sent_read(xml)
    except openrosa.NotASubmission:
        return _Prepared(
            xml=xml,
            instance_id=f"sha256:{digest[:56]}",
            form_id="",
            version="",
            digest=digest,
            envelope=None,
            expected=[],
            files=files,
            now=now,
            label=label,
            volunteer_id=volunteer_id,
            reason=QuarantineReason.NOT_XML,
        )
    prepared = _Prepared(
        xml=xml,
        instance_id=sent.instance_id,
        form_id=sent.form_id,
        version=sent.version,
        digest=digest,
        envelope=sent.envelope,
        expected=[],
        files=files,
        now=now,
        label=label,
        volunteer_id=volunteer_id,
    )
    if sent.envelope is None:
        prepared.reason = QuarantineReason.NOT_ENCRYPTED
    elif sent.form_id not in FORMS:
        prepared.reason = QuarantineReason.UNKNOWN_FORM
    elif not sent.envelope.xml_file or not sent.envelope.encrypted_key:
        prepared.reason = QuarantineReason.CORRUPT
    else:
        prepared.expected = [*sent.envelope.media, sent.envelope.xml_file]
        # only the files the envelope names are kept: nothing else rides along
        prepared.files = {name: part for name, part in files.items() if name in prepared.expected}
        if prepared.whole:
            _open(prepared, {name: part.content for name, part in prepared.files.items()})
    return prepared


def _open(prepared: _Prepared, contents: dict[str, bytes]) -> None:
    """Open and read a whole submission, and prepare its report; or say why it is
    quarantined."""
    assert prepared.envelope is not None
    try:
        opened = encryption.submission_open(prepared.envelope, contents)
        answers = openrosa.answers_read(opened.xml)
    except encryption.NoCollectKey:
        prepared.reason = QuarantineReason.NO_KEY
        return
    except encryption.OpenError as error:
        prepared.reason = error.reason
        return
    except openrosa.NotASubmission:
        prepared.reason = QuarantineReason.CORRUPT
        return
    if answers.instance_id != prepared.instance_id or answers.form_id != prepared.form_id:
        prepared.reason = QuarantineReason.CORRUPT
        return
    prepared.answers = answers.values
    files = FORMS[prepared.form_id].files
    try:
        if files == Files.REPORT:
            prepared.report = field_report_prepare(
                data=report_input(answers.values),
                reference=prepared.instance_id,
                payload=answers.values,
                received_at=prepared.now,
                label=prepared.label,
            )
        elif files == Files.HOME_VISIT:
            prepared.home_visit = home_visit_input(
                answers.values,
                volunteer_id=prepared.volunteer_id,
                today=timezone.localdate(prepared.now),
            )
        else:
            prepared.event = event_input(answers.values, today=timezone.localdate(prepared.now))
    except NotOnCase:
        prepared.reason = QuarantineReason.NOT_ON_CASE
    except ValidationError:
        prepared.reason = QuarantineReason.INVALID


def _place_id(
    model: type[County] | type[SubCounty] | type[Ward], column: str, value: str
) -> int | None:
    """Return the id of the place the form's code names (None for no answer); raise
    ValidationError for a code no place has. One fixed statement, prepared by the database."""
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError("unknown place", code="invalid_choice")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {model._meta.db_table} WHERE {column} = %s",  # noqa: S608 - the model's own table and column
            [int(value)],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValidationError("unknown place", code="invalid_choice")
    return int(row[0])


def report_input(values: dict[str, str]) -> ReportInput:
    """Return what a field report said, as intake takes it. Raise ValidationError when a
    place or number is not one the form offers (the choices are checked by intake)."""
    count = values.get("children_count", "")
    if count and not count.isdigit():
        raise ValidationError("not a number", code="invalid")
    return ReportInput(
        categories=values.get("categories", "").split(),
        narrative=values.get("narrative", ""),
        county_id=_place_id(County, "code", values.get("county", "")),
        sub_county_id=_place_id(SubCounty, "id", values.get("sub_county", "")),
        ward_id=_place_id(Ward, "id", values.get("ward", "")),
        place_detail=values.get("place_detail", ""),
        children_count=int(count) if count else None,
        age_bands=values.get("age_bands", "").split(),
        danger_now=values.get("danger_now") or "unknown",
        online_platform=values.get("online_platform", ""),
        online_handle=values.get("online_handle", ""),
        reporter_relation=values.get("reporter_relation") or "unknown",
    )


class NotOnCase(Exception):
    """A home visit names a case the volunteer's agency does not work on (or none)."""


@dataclass(frozen=True)
class HomeVisitInput:
    """What a home-visit form said, checked, with the case it is filed on."""

    case_id: int
    caseworker_id: int
    case_code: str
    visited_on: date
    child_seen: bool
    danger_now: str
    needs: list[str]
    notes: str


def _field_date(value: str, *, today: date) -> date:
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise ValidationError("not a date", code="invalid") from None
    if day > today:
        raise ValidationError("a day to come", code="invalid")
    return day


def _case_of_agency(code: str, agency_id: int) -> tuple[int, int] | None:
    """Return (case id, caseworker id) of the case with this code if the agency works on it:
    it owns the case, or stands on its team (a live agency_on_team grant). None otherwise,
    the same for a case that does not exist."""
    found = Case.objects.filter(code=code).values_list("pk", "owning_agency_id", "caseworker_id")
    row = next(iter(found), None)
    if row is None:
        return None
    case_id, owner_id, caseworker_id = row
    if owner_id != agency_id and not (
        AccessGrant.objects.live()
        .filter(
            matter_type=MatterType.CASE,
            matter_id=case_id,
            agency_id=agency_id,
            relation=Relation.AGENCY_ON_TEAM,
        )
        .exists()
    ):
        return None
    return case_id, caseworker_id


def home_visit_input(values: dict[str, str], *, volunteer_id: int, today: date) -> HomeVisitInput:
    """Return what a home-visit form said, checked. Raise ValidationError for an answer the
    form does not offer, NotOnCase for a case the volunteer's agency does not work on."""
    code = values.get("case_code", "").strip().upper()
    seen = values.get("child_seen", "")
    danger = values.get("danger_now", "")
    needs = values.get("needs", "").split()
    notes = values.get("notes", "")
    if seen not in ("yes", "no") or danger not in Danger.values:
        raise ValidationError("not a choice of the form", code="invalid_choice")
    if not set(needs) <= set(VisitNeed.values) or len(notes) > 4000 or len(code) > 20:
        raise ValidationError("not an answer of the form", code="invalid")
    visited_on = _field_date(values.get("visited_on", ""), today=today)
    agency_id = Volunteer.objects.filter(pk=volunteer_id).values_list("agency_id", flat=True)
    case = _case_of_agency(code, next(iter(agency_id), 0)) if code else None
    if case is None:
        raise NotOnCase(code)
    return HomeVisitInput(
        case_id=case[0],
        caseworker_id=case[1],
        case_code=code,
        visited_on=visited_on,
        child_seen=seen == "yes",
        danger_now=danger,
        needs=sorted(set(needs)),
        notes=notes.strip(),
    )


@dataclass(frozen=True)
class EventInput:
    """What an awareness-event form said, checked, with its campaign and ward."""

    campaign: Campaign
    ward: Ward
    held_on: date
    event_type: str
    audiences: list[str]
    adults: int
    young_people: int
    topics: str


def _count(value: str) -> int:
    if not value.isdigit() or int(value) > 10_000:
        raise ValidationError("not a count the form allows", code="invalid")
    return int(value)


def event_input(values: dict[str, str], *, today: date) -> EventInput:
    """Return what an awareness-event form said, checked; raise ValidationError for an
    answer the form does not offer (a campaign or ward that is not there)."""
    campaign_id = values.get("campaign", "")
    ward_id = _place_id(Ward, "id", values.get("ward", ""))
    campaign = (
        Campaign.objects.filter(pk=int(campaign_id)).first() if campaign_id.isdigit() else None
    )
    ward = Ward.objects.filter(pk=ward_id).first() if ward_id is not None else None
    if campaign is None or ward is None:
        raise ValidationError("no such campaign or ward", code="invalid_choice")
    audiences = values.get("audience", "").split()
    event_type = values.get("event_type", "")
    if (
        not audiences
        or not set(audiences) <= set(EventAudience.values)
        or event_type not in EventType.values
    ):
        raise ValidationError("not a choice of the form", code="invalid_choice")
    return EventInput(
        campaign=campaign,
        ward=ward,
        held_on=_field_date(values.get("held_on", ""), today=today),
        event_type=event_type,
        audiences=audiences,
        adults=_count(values.get("adults", "")),
        young_people=_count(values.get("young_people", "")),
        topics=values.get("topics", "")[:1000],
    )


def _home_visit_file(
    submission: Submission, data: HomeVisitInput, *, phone: Phone, now: datetime
) -> HomeVisit:
    """Store a home visit on its case and tell the case's caseworker (at once by SMS too
    when the volunteer found the child in danger now)."""
    visit = HomeVisit(
        case_id=data.case_id,
        submission=submission,
        volunteer_id=phone.volunteer_id,
        visited_on=data.visited_on,
        child_seen=data.child_seen,
        danger_now=data.danger_now,
        needs=data.needs,
        notes=data.notes,
        received_at=now,
    )
    visit.full_clean(exclude=["case", "submission", "volunteer"])
    visit.save(force_insert=True)
    audit_record(
        action=AuditAction.CREATE,
        actor=None,
        actor_label=f"field:{phone.code}",
        record_type=HOME_VISIT,
        record_id=visit.pk,
        matter_type=MatterType.CASE,
        matter_id=data.case_id,
        fields=["visited_on", "child_seen", "danger_now", "needs", "notes"],
        detail={"submission": submission.pk, "danger": data.danger_now},
    )
    danger = data.danger_now == Danger.YES
    caseworker = User.objects.filter(pk=data.caseworker_id, is_active=True).first()
    if caseworker is not None:
        notify(
            recipients=[caseworker],
            message=gettext_noop(
                "A volunteer found a child of case %(code)s in danger now on a home visit."
            )
            if danger
            else gettext_noop("A home visit on case %(code)s came from the field."),
            values={"code": data.case_code},
            link=reverse("collect:home_visit", args=[visit.pk]),
            kind="collect.home_visit",
            deliver_by=("sms",) if danger else (),
        )
    return visit


def _event_file(submission: Submission, data: EventInput, *, phone: Phone, label: str) -> None:
    """Record the awareness event a volunteer counted, and name it on its submission."""
    agency = Volunteer.objects.filter(pk=phone.volunteer_id).values_list("agency__name", flat=True)
    event = event_record_from_field(
        campaign=data.campaign,
        held_on=data.held_on,
        event_type=data.event_type,
        ward=data.ward,
        audiences=data.audiences,
        adults=data.adults,
        young_people=data.young_people,
        topics=data.topics,
        collected_by=f"{phone.code} · {next(iter(agency), '')}",
        actor_label=label,
    )
    submission.event = event
    table = Submission._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET event_id = %s WHERE id = %s",  # noqa: S608 - the model's table
            [event.pk, submission.pk],
        )


def _phone_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def submission_receive(
    *, phone: Phone, xml: bytes, parts: list[Part], now: datetime | None = None
) -> Outcome:
    """Store what a phone sent and file it; return the answer for the phone.

    `phone` is what the phone's live token names (the view found it); `xml` the
    `xml_submission_file` part, `parts` the other files. Everything costly (decryption,
    checking, encryption at rest, the audit events) is prepared first; the transaction only
    stores. Two requests with the same new instance at once: the second finds the first's
    once it committed.
    """
    now = now or timezone.now()
    label = f"field:{phone.code}"
    prepared = _prepare(xml, parts, now=now, label=label, volunteer_id=phone.volunteer_id)
    submission = _submission_new(phone=phone, prepared=prepared)
    row = prepare_insert(submission, ignore_conflict=True)
    files = _file_rows(submission, prepared.files.values(), sealed=prepared.envelope is not None)
    event = audit_prepare(
        action=AuditAction.CREATE,
        actor=None,
        actor_label=label,
        record_type=SUBMISSION,
        fields=["envelope", "files"],
        detail={
            "status": submission.status,
            "reason": submission.quarantine_reason,
            "token": phone.token_id,
        },
    )
    try:
        return _receive(phone=phone, prepared=prepared, row=row, files=files, event=event)
    except IntegrityError:
        # the same instance stored at the same moment by another request: find it now
        return _receive_known(phone=phone, prepared=prepared)


def _submission_new(*, phone: Phone, prepared: _Prepared) -> Submission:
    submission = Submission(
        instance_id=prepared.instance_id,
        form_id=prepared.form_id,
        form_version=prepared.version,
        volunteer_id=phone.volunteer_id,
        token_id=phone.token_id,
        envelope=base64.b64encode(prepared.xml).decode(),
        envelope_digest=prepared.digest,
        files_expected=prepared.expected,
        received_at=prepared.now,
        updated_at=prepared.now,
        started_on_phone=_phone_time(prepared.answers.get("started", "")),
        finished_on_phone=_phone_time(prepared.answers.get("finished", "")),
    )
    if prepared.reason:
        submission.status = SubmissionStatus.QUARANTINED
        submission.quarantine_reason = prepared.reason
    elif not prepared.whole:
        submission.status = SubmissionStatus.WAITING
    elif prepared.fileable:
        submission.status = SubmissionStatus.FILED
    else:
        submission.status = SubmissionStatus.STORED
    # the unique instance is the database's to enforce (a resend is found by the INSERT)
    submission.clean_fields(exclude=["volunteer", "token", "report", "conflict_of"])
    return submission


@transaction.atomic(durable=True)
def _receive(
    *,
    phone: Phone,
    prepared: _Prepared,
    row: PreparedInsert,
    files: list[PreparedInsert],
    event: PreparedInsert,
) -> Outcome:
    if not row.execute():
        # this instance is here already: a resend, more of its files, or a conflict
        return _known(phone=phone, prepared=prepared)
    submission = cast(Submission, row.instance)
    for file_row in files:
        file_row.set("submission_id", submission.pk)
        file_row.execute()
    report = None
    if submission.status == SubmissionStatus.FILED:
        report = _file_onward(submission, prepared, phone=phone)
    event.set("record_id", str(submission.pk))
    audit_append(event)
    _volunteer_seen(phone, prepared.now)
    return Outcome(
        status=201, message=_message(submission), submission=submission, report=report, created=True
    )


def _file_onward(submission: Submission, prepared: _Prepared, *, phone: Phone) -> Report | None:
    """File a whole, readable submission as what its form files, in the submission's
    transaction; return the report it made (a field report's)."""
    if prepared.report is not None:
        report, _new = field_report_store(prepared.report)
        _report_link(submission, report)
        return report
    if prepared.home_visit is not None:
        _home_visit_file(submission, prepared.home_visit, phone=phone, now=prepared.now)
    elif prepared.event is not None:
        _event_file(submission, prepared.event, phone=phone, label=prepared.label)
    return None


def _report_link(submission: Submission, report: Report) -> None:
    """Name the report on its submission (a fixed statement, prepared by the database)."""
    submission.report = report
    table = Submission._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET report_id = %s WHERE id = %s",  # noqa: S608 - the model's table
            [report.pk, submission.pk],
        )


@transaction.atomic(durable=True)
def _receive_known(*, phone: Phone, prepared: _Prepared) -> Outcome:
    return _known(phone=phone, prepared=prepared)


def _known(*, phone: Phone, prepared: _Prepared) -> Outcome:
    known = (
        Submission.objects.select_for_update()
        .filter(instance_id=prepared.instance_id)
        .exclude(status=SubmissionStatus.CONFLICT)
        .first()
    )
    if known is None:
        raise IntegrityError(f"submission {prepared.instance_id} neither stored nor found")
    if known.envelope_digest != prepared.digest:
        return _conflict(phone=phone, prepared=prepared, known=known)
    return _again(phone=phone, prepared=prepared, known=known)


def _again(*, phone: Phone, prepared: _Prepared, known: Submission) -> Outcome:
    """The same submission again: add any file it was waiting for; else change nothing."""
    stored = set(SubmissionFile.objects.filter(submission=known).values_list("name", flat=True))
    new = [
        part
        for name, part in prepared.files.items()
        if name in known.files_expected and name not in stored
    ]
    if known.status != SubmissionStatus.WAITING or not new:
        return Outcome(status=201, message=_message(known), submission=known, report=known.report)
    _files_store(known, new, now=prepared.now, sealed=True)
    report = None
    if set(known.files_expected) <= stored | {part.name for part in new}:
        contents = {
            name: bytes(content)
            for name, content in SubmissionFile.objects.filter(submission=known).values_list(
                "name", "content"
            )
        }
        _open(prepared, contents)
        report = _file(submission=known, prepared=prepared)
    known.updated_at = prepared.now
    known.save(update_fields=["updated_at"])
    _audit(phone, known, AuditAction.CHANGE, ["files"])
    _volunteer_seen(phone, prepared.now)
    return Outcome(status=201, message=_message(known), submission=known, report=report)


def _conflict(*, phone: Phone, prepared: _Prepared, known: Submission) -> Outcome:
    """The same instance with other content: keep it apart for review (once), answer 409."""
    kept = Submission.objects.filter(
        conflict_of=known, envelope_digest=prepared.digest, status=SubmissionStatus.CONFLICT
    ).first()
    if kept is None:
        kept = _submission_new(phone=phone, prepared=prepared)
        kept.status = SubmissionStatus.CONFLICT
        kept.quarantine_reason = QuarantineReason.NONE
        kept.conflict_of = known
        kept.save(force_insert=True)
        _files_store(
            kept, prepared.files.values(), now=prepared.now, sealed=prepared.envelope is not None
        )
        _audit(phone, kept, AuditAction.CREATE, ["envelope", "files"])
    return Outcome(status=409, message=_message(kept), submission=kept)


def _file(*, submission: Submission, prepared: _Prepared) -> Report | None:
    """File a submission whose last file came: its report to intake, or its quarantine."""
    submission.started_on_phone = _phone_time(prepared.answers.get("started", ""))
    submission.finished_on_phone = _phone_time(prepared.answers.get("finished", ""))
    report = None
    if prepared.reason:
        submission.status = SubmissionStatus.QUARANTINED
        submission.quarantine_reason = prepared.reason
    elif prepared.fileable:
        submission.status = SubmissionStatus.FILED
        submission.quarantine_reason = QuarantineReason.NONE
        phone = Phone(token_id=submission.token_id, volunteer_id=submission.volunteer_id)
        report = _file_onward(submission, prepared, phone=phone)
    else:
        submission.status = SubmissionStatus.STORED
    submission.save(
        update_fields=[
            "status",
            "quarantine_reason",
            "started_on_phone",
            "finished_on_phone",
        ]
    )
    return report


@transaction.atomic(durable=True)
def quarantine_retry(*, actor: User | None, submission: Submission) -> Submission:
    """Try a quarantined submission again (the key it needs is back, or the gazetteer now
    has its place): file it, or keep it quarantined with today's reason. An administrator,
    or a command (`actor` None)."""
    if actor is not None and not policy.can_do(actor, "collect.quarantine"):
        raise PermissionDenied
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status != SubmissionStatus.QUARANTINED:
        return submission
    phone = Phone(token_id=submission.token_id, volunteer_id=submission.volunteer_id)
    sealed = submission.quarantine_reason != QuarantineReason.NOT_ENCRYPTED
    parts = [
        Part(
            name=stored.name,
            content_type=stored.content_type,
            content=file_content(stored, sealed=sealed),
        )
        for stored in SubmissionFile.objects.filter(submission=submission)
    ]
    prepared = _prepare(
        base64.b64decode(submission.envelope),
        parts,
        now=submission.received_at,
        label=f"field:{phone.code}",
        volunteer_id=submission.volunteer_id,
    )
    if prepared.whole and not prepared.reason:
        _file(submission=submission, prepared=prepared)
    elif prepared.reason and prepared.reason != submission.quarantine_reason:
        submission.quarantine_reason = prepared.reason
        submission.save(update_fields=["quarantine_reason"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        actor_label="" if actor else "command:collect",
        record_type=SUBMISSION,
        record_id=submission.pk,
        fields=["status", "quarantine_reason", "report"],
        detail={"status": submission.status, "reason": submission.quarantine_reason, "retry": 1},
    )
    return submission


def _file_rows(
    submission: Submission, parts: Iterable[Part], *, sealed: bool
) -> list[PreparedInsert]:
    """Prepare a submission's files: as the phone encrypted them, or (a submission sent
    without encryption) encrypted here under the data keys. The submission's key is set
    once it is stored."""
    rows = []
    for part in parts:
        content = part.content
        if not sealed:
            content = encrypt(base64.b64encode(content).decode(), context=FILE_CONTEXT).encode()
        stored = SubmissionFile(
            submission_id=submission.pk,
            name=part.name[:200],
            content_type=part.content_type[:100],
            size=len(part.content),
            digest=hashlib.sha256(part.content).hexdigest(),
            content=content,
            received_at=submission.updated_at,
        )
        rows.append(prepare_insert(stored))
    return rows


def _files_store(
    submission: Submission, parts: Iterable[Part], *, now: datetime, sealed: bool
) -> None:
    """Store more files of a stored submission."""
    submission.updated_at = now
    for row in _file_rows(submission, parts, sealed=sealed):
        row.execute()


def file_content(stored: SubmissionFile, *, sealed: bool) -> bytes:
    """Return a stored file as the phone sent it."""
    if sealed:
        return bytes(stored.content)
    return base64.b64decode(decrypt(bytes(stored.content).decode(), context=FILE_CONTEXT))


def _audit(phone: Phone, submission: Submission, action: str, fields: list[str]) -> None:
    audit_record(
        action=action,
        actor=None,
        actor_label=f"field:{phone.code}",
        record_type=SUBMISSION,
        record_id=submission.pk,
        fields=fields,
        detail={
            "status": submission.status,
            "reason": submission.quarantine_reason,
            "token": phone.token_id,
            "report": submission.report_id,
        },
    )


def _volunteer_seen(phone: Phone, now: datetime) -> None:
    """Note when the volunteer last sent (a fixed statement, prepared by the database)."""
    table = Volunteer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_sent_at = %s WHERE id = %s",  # noqa: S608 - the model's table
            [now, phone.volunteer_id],
        )


def _message(submission: Submission) -> str:
    if submission.status == SubmissionStatus.CONFLICT:
        return _(
            "A different form with this instance ID was sent before. "
            "Both are kept and will be checked at the office."
        )
    if submission.status == SubmissionStatus.WAITING:
        return _("Received. Waiting for the rest of its files.")
    if submission.status == SubmissionStatus.QUARANTINED:
        return _("Received. It could not be read here and will be checked at the office.")
    return _("Received. Thank you.")
