"""Writes of joint training. Each runs in its own transaction and writes one audit event.

Only trainers write (`training.manage`); anyone else gets the same audited 404 as for a
record that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.policy import can_do, deny
from kinga.accounts.models import Agency
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.training.codes import certificate_code_index, certificate_code_new
from kinga.training.imports import Sheet, SheetError, rows_check, sheet_read
from kinga.training.models import (
    AUDIENCE_OF_AGENCY_KIND,
    Attendance,
    Audience,
    Certificate,
    Course,
    ImportBatch,
    Participant,
    Question,
    RevokeReason,
    TrainingSession,
)

if TYPE_CHECKING:
    from kinga.accounts.models import User
    from kinga.places.models import County


def _require_trainer(actor: User, *, record_type: str, record_id: object, action: str) -> None:
    if not can_do(actor, "training.manage"):
        raise deny(actor, record_type=record_type, record_id=record_id, action=action)


@transaction.atomic(durable=True)
def course_create(
    *,
    actor: User,
    title: str,
    objectives: str,
    modules: str,
    duration_days: int,
    audiences: list[str],
    test_max_score: int,
    refresher_months: int,
) -> Course:
    _require_trainer(actor, record_type="training.course", record_id="", action="create")
    course = Course(
        title=title.strip(),
        objectives=objectives.strip(),
        modules=modules.strip(),
        duration_days=duration_days,
        audiences=sorted(set(audiences)),
        test_max_score=test_max_score,
        refresher_months=refresher_months,
        created_by=actor,
    )
    course.full_clean()
    course.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="training.course",
        record_id=course.pk,
        fields=["title", "objectives", "modules", "duration_days", "audiences"],
    )
    return course


# What editing a course may change, as the audit names it.
COURSE_FIELDS = (
    "title",
    "objectives",
    "modules",
    "duration_days",
    "audiences",
    "test_max_score",
    "refresher_months",
)


@transaction.atomic(durable=True)
def course_update(
    *,
    actor: User,
    course: Course,
    title: str,
    objectives: str,
    modules: str,
    duration_days: int,
    audiences: list[str],
    test_max_score: int,
    refresher_months: int,
) -> Course:
    """Change a course. The highest test score cannot fall below a score already recorded
    (those scores would stop meaning anything); the audit names the fields changed."""
    _require_trainer(actor, record_type="training.course", record_id=course.pk, action="change")
    course = Course.objects.select_for_update().get(pk=course.pk)
    before = {name: getattr(course, name) for name in COURSE_FIELDS}
    course.title = title.strip()
    course.objectives = objectives.strip()
    course.modules = modules.strip()
    course.duration_days = duration_days
    course.audiences = sorted(set(audiences))
    course.test_max_score = test_max_score
    course.refresher_months = refresher_months
    course.full_clean()
    if test_max_score < before["test_max_score"]:
        highest = Participant.objects.filter(session__course=course).aggregate(
            pre=Max("pre_score"), post=Max("post_score")
        )
        recorded = max(highest["pre"] or 0, highest["post"] or 0)
        if recorded > test_max_score:
            raise ValidationError(
                {
                    "test_max_score": _(
                        "A score of %(score)s is already recorded for this course: the highest "
                        "score cannot be lower."
                    )
                    % {"score": recorded}
                }
            )
    changed = [name for name in COURSE_FIELDS if getattr(course, name) != before[name]]
    if changed:
        course.save(update_fields=changed)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            record_type="training.course",
            record_id=course.pk,
            fields=changed,
        )
    return course


@transaction.atomic(durable=True)
def question_add(
    *, actor: User, course: Course, text: str, answer_key: str, points: int
) -> Question:
    """Add a question and its answer key to the end of the course's test."""
    _require_trainer(actor, record_type="training.course", record_id=course.pk, action="change")
    last = Question.objects.filter(course=course).order_by("-number").first()
    question = Question(
        course=course,
        number=(last.number + 1) if last is not None else 1,
        text=text.strip(),
        answer_key=answer_key.strip(),
        points=points,
    )
    question.full_clean()
    question.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="training.question",
        record_id=question.pk,
        fields=["text", "answer_key", "points"],
        detail={"course": course.pk},
    )
    return question


@transaction.atomic(durable=True)
def session_create(
    *,
    actor: User,
    course: Course,
    starts_on: dt.date,
    ends_on: dt.date,
    venue: str,
    county: County,
    facilitators: str,
    audiences: list[str],
    agencies: Iterable[Agency] = (),
) -> TrainingSession:
    _require_trainer(actor, record_type="training.session", record_id="", action="create")
    session = TrainingSession(
        course=course,
        starts_on=starts_on,
        ends_on=ends_on,
        venue=venue.strip(),
        county=county,
        facilitators=facilitators.strip(),
        audiences=sorted(set(audiences)),
        created_by=actor,
    )
    session.full_clean()
    session.save()
    chosen = list(agencies)
    session.agencies.set(chosen)
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="training.session",
        record_id=session.pk,
        fields=["course", "starts_on", "ends_on", "venue", "county", "audiences", "agencies"],
        detail={"joint": session.joint, "agencies": len(chosen)},
    )
    return session


# What editing a session may change, as the audit names it.
SESSION_FIELDS = (
    "course",
    "starts_on",
    "ends_on",
    "venue",
    "county",
    "facilitators",
    "audiences",
)


@transaction.atomic(durable=True)
def session_update(
    *,
    actor: User,
    session: TrainingSession,
    course: Course,
    starts_on: dt.date,
    ends_on: dt.date,
    venue: str,
    county: County,
    facilitators: str,
    audiences: list[str],
    agencies: Iterable[Agency] = (),
) -> TrainingSession:
    """Change a session. Nothing recorded is lost by it: the dates cannot leave out a day
    someone was marked present, and the course cannot change once results are recorded
    (the scores are out of its test). The audit names the fields changed."""
    _require_trainer(actor, record_type="training.session", record_id=session.pk, action="change")
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    before = {name: getattr(session, name) for name in SESSION_FIELDS}
    before_agencies = set(session.agencies.values_list("pk", flat=True))
    session.course = course
    session.starts_on = starts_on
    session.ends_on = ends_on
    session.venue = venue.strip()
    session.county = county
    session.facilitators = facilitators.strip()
    session.audiences = sorted(set(audiences))
    session.full_clean()
    outside = (
        Attendance.objects.filter(participant__session=session)
        .exclude(day__gte=starts_on, day__lte=ends_on)
        .order_by("day")
        .values_list("day", flat=True)
        .first()
    )
    if outside is not None:
        raise ValidationError(
            {
                "starts_on" if outside < starts_on else "ends_on": _(
                    "Someone was marked present on %(day)s: keep that day in the session, or "
                    "correct their attendance first."
                )
                % {"day": outside.isoformat()}
            }
        )
    if course.pk != before["course"].pk and (
        Participant.objects.filter(session=session)
        .filter(Q(pre_score__isnull=False) | Q(post_score__isnull=False))
        .exists()
    ):
        raise ValidationError(
            {"course": _("Test scores are recorded for this session: its course cannot change.")}
        )
    changed = [name for name in SESSION_FIELDS if getattr(session, name) != before[name]]
    if "audiences" in changed:
        changed.append("joint")
    chosen = list(agencies)
    if {agency.pk for agency in chosen} != before_agencies:
        session.agencies.set(chosen)
        changed.append("agencies")
    saved = [name for name in changed if name != "agencies"]
    if saved:
        session.save(update_fields=saved)
    if changed:
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            record_type="training.session",
            record_id=session.pk,
            fields=changed,
            detail={"joint": session.joint},
        )
    return session


def participant_build(
    *,
    session: TrainingSession,
    user: User | None = None,
    name: str = "",
    agency: Agency | None = None,
    agency_name: str = "",
    job_title: str = "",
    audience: str = "",
) -> Participant:
    """Return an unsaved, checked participant (staff or not) of the session."""
    if user is not None:
        agency = user.agency
        name = ""
        if Participant.objects.filter(session=session, user=user).exists():
            raise ValidationError({"user": _("This person is already on the list.")})
    if not audience and agency is not None:
        audience = AUDIENCE_OF_AGENCY_KIND.get(agency.kind, "")
    if not audience:
        raise ValidationError({"audience": _("Choose what kind of participant this is.")})
    participant = Participant(
        session=session,
        user=user,
        agency=agency,
        name=name.strip(),
        agency_name="" if agency is not None else agency_name.strip(),
        job_title=job_title.strip(),
        audience=audience,
    )
    participant.full_clean(exclude=["session"])
    return participant


@transaction.atomic(durable=True)
def participant_add(
    *,
    actor: User,
    session: TrainingSession,
    user: User | None = None,
    name: str = "",
    agency: Agency | None = None,
    agency_name: str = "",
    job_title: str = "",
    audience: str = "",
) -> Participant:
    """Put someone on the session's list: a member of staff, or an outsider by name."""
    _require_trainer(actor, record_type="training.session", record_id=session.pk, action="change")
    participant = participant_build(
        session=session,
        user=user,
        name=name,
        agency=agency,
        agency_name=agency_name,
        job_title=job_title,
        audience=audience,
    )
    participant.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="training.participant",
        record_id=participant.pk,
        fields=["user"] if user is not None else ["name", "agency", "job_title"],
        detail={"session": session.pk, "audience": participant.audience},
    )
    return participant


def _check_days(session: TrainingSession, days: Iterable[dt.date]) -> list[dt.date]:
    chosen = sorted(set(days))
    allowed = set(session.days())
    outside = [day for day in chosen if day not in allowed]
    if outside:
        raise ValidationError(
            {"days": _("%(day)s is not a day of this session.") % {"day": outside[0]}}
        )
    today = timezone.localdate()
    if any(day > today for day in chosen):
        raise ValidationError({"days": _("Attendance cannot be marked for a day to come.")})
    return chosen


def participant_results_apply(
    *,
    participant: Participant,
    days_present: Iterable[dt.date],
    pre_score: int | None,
    post_score: int | None,
    feedback_rating: int | None,
    feedback_text: str | None = None,
) -> list[str]:
    """Check and store a participant's attendance and scores; return the fields changed.
    `feedback_text` None leaves the written feedback as it is.

    Runs inside the caller's transaction (the record form's and an import's)."""
    days = _check_days(participant.session, days_present)
    participant.pre_score = pre_score
    participant.post_score = post_score
    participant.feedback_rating = feedback_rating
    saved = ["pre_score", "post_score", "feedback_rating"]
    if feedback_text is not None and feedback_text.strip() != participant.feedback_text:
        participant.feedback_text = feedback_text.strip()
        saved.append("feedback_text")
    participant.full_clean(exclude=["session", "user", "agency"])
    participant.save(update_fields=saved)
    had = set(participant.attendance.values_list("day", flat=True))
    changed = list(saved)
    if had != set(days):
        Attendance.objects.filter(participant=participant).exclude(day__in=days).delete()
        Attendance.objects.bulk_create(
            [Attendance(participant=participant, day=day) for day in days if day not in had]
        )
        changed.append("attendance")
    return changed


@transaction.atomic(durable=True)
def participant_record(
    *,
    actor: User,
    participant: Participant,
    days_present: Iterable[dt.date],
    pre_score: int | None,
    post_score: int | None,
    feedback_rating: int | None,
    feedback_text: str | None = None,
) -> Participant:
    """Record the days a participant came, their pre- and post-test scores and feedback
    (a rating, and what they wrote after the session)."""
    _require_trainer(
        actor, record_type="training.participant", record_id=participant.pk, action="change"
    )
    fields = participant_results_apply(
        participant=participant,
        days_present=days_present,
        pre_score=pre_score,
        post_score=post_score,
        feedback_rating=feedback_rating,
        feedback_text=feedback_text,
    )
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="training.participant",
        record_id=participant.pk,
        fields=fields,
        detail={"session": participant.session_id},
    )
    return participant


@transaction.atomic(durable=True)
def certificate_issue(*, actor: User, participant: Participant) -> tuple[Certificate, str]:
    """Issue a certificate of completion; return it and its code (the code is stored
    encrypted, and found by its keyed hash)."""
    _require_trainer(
        actor, record_type="training.participant", record_id=participant.pk, action="create"
    )
    Participant.objects.select_for_update().filter(pk=participant.pk).first()
    reason = participant.certificate_blocked(participant.attendance.count())
    if reason:
        raise ValidationError(reason)
    if participant.certificates.filter(revoked_at__isnull=True).exists():
        raise ValidationError(_("This participant already has a certificate."))
    code = certificate_code_new()
    certificate = Certificate(
        participant=participant,
        code=code,
        code_index=certificate_code_index(code),
        name_on_certificate=participant.display_name(),
        issued_by=actor,
    )
    certificate.full_clean()
    certificate.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="training.certificate",
        record_id=certificate.pk,
        fields=["code", "name_on_certificate"],
        detail={"participant": participant.pk, "session": participant.session_id},
    )
    return certificate, code


@transaction.atomic(durable=True)
def certificate_revoke(*, actor: User, certificate: Certificate, reason: str) -> Certificate:
    """Revoke a certificate: the public check says "revoked" from now on."""
    _require_trainer(
        actor, record_type="training.certificate", record_id=certificate.pk, action="change"
    )
    if certificate.revoked_at is not None:
        raise ValidationError(_("This certificate is already revoked."))
    if reason not in RevokeReason.values:
        raise ValidationError(_("Choose why the certificate is revoked."))
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = actor
    certificate.revoked_reason = reason
    certificate.full_clean()
    certificate.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="training.certificate",
        record_id=certificate.pk,
        fields=["revoked_at", "revoked_reason"],
        detail={"reason": reason},
    )
    return certificate


@transaction.atomic(durable=True)
def import_upload(
    *, actor: User, session: TrainingSession, filename: str, content: bytes
) -> ImportBatch:
    """Read an attendance or score sheet and keep it (encrypted) for its preview.

    A file that cannot be read as a sheet is refused with the reason; nothing is kept."""
    _require_trainer(actor, record_type="training.session", record_id=session.pk, action="change")
    try:
        sheet = sheet_read(filename=filename, content=content)
    except SheetError as error:
        raise ValidationError({"file": str(error)}) from None
    batch = ImportBatch(
        session=session,
        filename=filename[:200],
        columns=sheet.columns,
        rows=[[line, values] for line, values in sheet.rows],
        uploaded_by=actor,
    )
    batch.full_clean()
    batch.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="training.import",
        record_id=batch.pk,
        fields=["rows"],
        detail={"session": session.pk, "rows": len(sheet.rows)},
    )
    return batch


def import_sheet(batch: ImportBatch) -> Sheet:
    """Return the sheet an import batch keeps."""
    return Sheet(
        columns=list(batch.columns),
        rows=[(int(line), dict(values)) for line, values in (batch.rows or [])],
    )


@transaction.atomic(durable=True)
def import_apply(*, actor: User, batch: ImportBatch, skip_bad: bool) -> ImportBatch:
    """Import the checked rows of a sheet into its session, all in one transaction.

    With a bad row, nothing is written unless the trainer chose to skip the bad rows; a
    row that fails when written undoes the whole import. The kept rows are then emptied.
    """
    session = batch.session
    _require_trainer(actor, record_type="training.import", record_id=batch.pk, action="change")
    if batch.imported_at is not None or batch.rows is None:
        raise ValidationError(_("This file was imported already."))
    checks = rows_check(session=session, sheet=import_sheet(batch))
    bad = [check for check in checks if not check.ok]
    good = [check for check in checks if check.ok]
    if bad and not skip_bad:
        raise ValidationError(
            _(
                "%(count)s rows have problems: correct them in the file and upload it again, "
                "or import only the good rows."
            )
            % {"count": len(bad)}
        )
    if not good:
        raise ValidationError(_("No row of this file can be imported."))
    created = 0
    for check in good:
        participant = check.participant
        if participant is None:
            participant = participant_build(
                session=session,
                user=check.user,
                name="" if check.user is not None else check.name,
                agency=check.agency,
                agency_name=check.agency_name,
                job_title=check.job_title,
                audience=check.audience,
            )
            participant.save()
            created += 1
        days = (
            check.days
            if check.days is not None
            else list(participant.attendance.values_list("day", flat=True))
        )
        participant_results_apply(
            participant=participant,
            days_present=days,
            pre_score=check.pre if "pre" in check.has else participant.pre_score,
            post_score=check.post if "post" in check.has else participant.post_score,
            feedback_rating=check.feedback
            if "feedback" in check.has
            else participant.feedback_rating,
        )
    batch.imported_at = timezone.now()
    batch.imported_rows = len(good)
    batch.skipped_rows = len(bad)
    batch.rows = None
    batch.save(update_fields=["imported_at", "imported_rows", "skipped_rows", "rows"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="training.import",
        record_id=batch.pk,
        fields=["participants", "attendance", "scores"],
        detail={
            "session": session.pk,
            "imported": len(good),
            "skipped": len(bad),
            "new_participants": created,
        },
    )
    return batch


__all__ = [
    "Audience",
    "certificate_issue",
    "certificate_revoke",
    "course_create",
    "course_update",
    "participant_add",
    "participant_record",
    "question_add",
    "session_create",
    "session_update",
]
