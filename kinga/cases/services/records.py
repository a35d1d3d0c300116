"""Notes, interviews of the child, and aftercare."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access.services import supervisors_of
from kinga.audit.models import AuditAction
from kinga.cases import wellbeing
from kinga.cases.models import (
    SECTION_OF_SENSITIVITY,
    Case,
    CaseEvent,
    CounsellingSession,
    FollowUp,
    Interview,
    InterviewState,
    Note,
    ReintegrationStep,
    RiskLevel,
    SafetyEvent,
    SafetyEventKind,
    Sensitivity,
    WellbeingMeasure,
)
from kinga.cases.services.base import (
    _audit,
    _event,
    _label,
    _notify,
    _require,
    _touch,
)

if TYPE_CHECKING:
    from kinga.accounts.models import Agency, User


# --- notes and interviews ------------------------------------------------------------------------


@transaction.atomic(durable=True)
def note_add(*, case: Case, actor: User, sensitivity: str, text: str) -> Note:
    """Add a note; its sensitivity decides who may read it (general, care or justice)."""
    section = SECTION_OF_SENSITIVITY[Sensitivity(sensitivity)]
    _require(actor, "create", case, section)
    note = Note(case=case, created_by=actor, sensitivity=sensitivity, text=text.strip())
    note.full_clean()
    note.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.NOTE,
        gettext_noop("Note (%(sensitivity)s)"),
        params={"sensitivity": _label(note, "sensitivity")},
        section=section,
        record=note,
    )
    _audit(actor, note, fields=["text", "sensitivity"])
    return note


def interviews_held(case: Case) -> int:
    return Interview.objects.filter(case=case, state=InterviewState.HELD).count()


class RepeatInterviewWarning(ValidationError):
    """The child has been interviewed before: confirm, with a justification, to go on."""


def _check_repeat(case: Case, confirm_repeat: bool, justification: str) -> None:
    held = interviews_held(case)
    if held and not (confirm_repeat and justification.strip()):
        raise RepeatInterviewWarning(
            _(
                "The child has already been interviewed %(count)d time(s). Use the recorded "
                "statement if you can; to plan another interview, confirm and say why."
            )
            % {"count": held},
            code="repeat_interview",
        )


@transaction.atomic(durable=True)
def interview_plan(
    *,
    case: Case,
    actor: User,
    held_on: datetime.date,
    purpose: str,
    justification: str = "",
    confirm_repeat: bool = False,
) -> Interview:
    """Plan an interview of the child; warn (refuse without confirmation) if one was held."""
    _require(actor, "create", case, "justice")
    _check_repeat(case, confirm_repeat, justification)
    interview = Interview(
        case=case,
        created_by=actor,
        state=InterviewState.PLANNED,
        held_on=held_on,
        purpose=purpose.strip(),
        justification=justification.strip(),
    )
    interview.full_clean()
    interview.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.INTERVIEW,
        gettext_noop("Interview planned for %(date)s"),
        params={"date": held_on.isoformat()},
        section="justice",
        record=interview,
    )
    _audit(actor, interview, fields=["held_on", "purpose", "justification"])
    return interview


@transaction.atomic(durable=True)
def interview_record(
    *,
    case: Case,
    actor: User,
    held_on: datetime.date,
    purpose: str,
    present: str,
    place: str,
    recording_reference: str,
    recording_kept_by: Agency | None = None,
    planned: Interview | None = None,
    justification: str = "",
    confirm_repeat: bool = False,
) -> Interview:
    """Record an interview that was held: who was present, where the recording is kept."""
    _require(actor, "create", case, "justice")
    if planned is None:
        _check_repeat(case, confirm_repeat, justification)
        interview = Interview(case=case, created_by=actor, justification=justification.strip())
    else:
        if planned.case_id != case.pk or planned.state != InterviewState.PLANNED:
            raise ValidationError(_("That interview is not planned on this case."))
        interview = planned
    interview.state = InterviewState.HELD
    interview.held_on = held_on
    interview.purpose = purpose.strip()
    interview.present = present.strip()
    interview.place = place.strip()
    interview.recording_reference = recording_reference.strip()
    interview.recording_kept_by = recording_kept_by
    interview.full_clean()
    interview.save()
    _event(
        case,
        actor,
        CaseEvent.Kind.INTERVIEW,
        gettext_noop("Interview held"),
        section="justice",
        record=interview,
        happened_on=interview.happened_on(),
    )
    _audit(
        actor, interview, fields=["held_on", "purpose", "present", "place", "recording_reference"]
    )
    return interview


# --- aftercare ----------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def session_record(
    *,
    case: Case,
    actor: User,
    held_on: datetime.date,
    session_type: str,
    attendance: str,
    notes: str = "",
    counsellor: User | None = None,
) -> CounsellingSession:
    """Record a psychosocial session (care section)."""
    _require(actor, "create", case, "care")
    session = CounsellingSession(
        case=case,
        created_by=actor,
        held_on=held_on,
        session_type=session_type,
        attendance=attendance,
        notes=notes.strip(),
        counsellor=counsellor or actor,
    )
    session.full_clean()
    session.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.SESSION,
        gettext_noop("%(type)s · %(attendance)s"),
        params={
            "type": _label(session, "session_type"),
            "attendance": _label(session, "attendance"),
        },
        section="care",
        record=session,
        happened_on=session.happened_on(),
    )
    _audit(actor, session, fields=["held_on", "session_type", "attendance", "notes"])
    return session


@transaction.atomic(durable=True)
def wellbeing_record(
    *,
    case: Case,
    actor: User,
    measured_on: datetime.date,
    scores: list[int],
    language: str = "sw",
) -> WellbeingMeasure:
    """Record one wellbeing check; a setback is flagged on the timeline and to the owner."""
    _require(actor, "create", case, "care")
    try:
        total = wellbeing.score(scores)
    except ValueError as error:
        raise ValidationError({"scores": str(error)}) from None
    previous = (
        WellbeingMeasure.objects.filter(case=case, measured_on__lte=measured_on)
        .order_by("-measured_on", "-pk")
        .values_list("total", flat=True)
        .first()
    )
    measure = WellbeingMeasure(
        case=case,
        created_by=actor,
        measured_on=measured_on,
        scores=scores,
        total=total,
        language=language,
    )
    measure.full_clean()
    measure.save(force_insert=True)
    setback = wellbeing.is_setback(previous, total)
    summary = (
        gettext_noop("Wellbeing %(total)s/18 · setback")
        if setback
        else gettext_noop("Wellbeing %(total)s/18")
    )
    if setback:
        _notify(
            [case.caseworker],
            gettext_noop("A wellbeing setback was recorded on case %(code)s."),
            case,
            actor,
        )
    _event(
        case,
        actor,
        CaseEvent.Kind.WELLBEING,
        summary,
        params={"total": str(total)},
        section="care",
        record=measure,
        happened_on=measure.happened_on(),
    )
    _audit(actor, measure, fields=["measured_on", "scores", "total"])
    return measure


@transaction.atomic(durable=True)
def safety_event_record(
    *,
    case: Case,
    actor: User,
    occurred_on: datetime.date,
    kind: str,
    description: str = "",
    action_taken: str = "",
) -> SafetyEvent:
    """Record re-exploitation or another safety event; the owner and supervisors are told and
    the risk level rises."""
    _require(actor, "create", case, "care")
    event = SafetyEvent(
        case=case,
        created_by=actor,
        occurred_on=occurred_on,
        kind=kind,
        description=description.strip(),
        action_taken=action_taken.strip(),
    )
    event.full_clean()
    event.save(force_insert=True)
    if kind in (
        SafetyEventKind.RE_EXPLOITATION,
        SafetyEventKind.MISSING,
    ) and case.risk_level not in (
        RiskLevel.HIGH,
        RiskLevel.CRITICAL,
    ):
        _touch(case, risk_level=RiskLevel.HIGH)
    _event(
        case,
        actor,
        CaseEvent.Kind.SAFETY,
        "%(kind)s",
        params={"kind": _label(event, "kind")},
        section="care",
        record=event,
        happened_on=event.happened_on(),
    )
    _audit(actor, event, fields=["occurred_on", "kind", "description", "action_taken"])
    _notify(
        [case.caseworker, *supervisors_of(matter=case.access_matter())],
        gettext_noop("A safety event was recorded on case %(code)s."),
        case,
        actor,
    )
    return event


@transaction.atomic(durable=True)
def reintegration_record(
    *,
    case: Case,
    actor: User,
    recorded_on: datetime.date,
    domain: str,
    status: str,
    notes: str = "",
) -> ReintegrationStep:
    _require(actor, "create", case, "care")
    step = ReintegrationStep(
        case=case,
        created_by=actor,
        recorded_on=recorded_on,
        domain=domain,
        status=status,
        notes=notes.strip(),
    )
    step.full_clean()
    step.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.REINTEGRATION,
        gettext_noop("%(domain)s: %(status)s"),
        params={"domain": _label(step, "domain"), "status": _label(step, "status")},
        section="care",
        record=step,
        happened_on=step.happened_on(),
    )
    _audit(actor, step, fields=["recorded_on", "domain", "status", "notes"])
    return step


@transaction.atomic(durable=True)
def follow_up_record(
    *, case: Case, actor: User, held_on: datetime.date, outcome: str, notes: str = ""
) -> FollowUp:
    """Record a follow-up contact, also after the case is closed."""
    _require(actor, "create", case, "care")
    follow_up = FollowUp(
        case=case, created_by=actor, held_on=held_on, outcome=outcome, notes=notes.strip()
    )
    follow_up.full_clean()
    follow_up.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.FOLLOW_UP,
        "%(outcome)s",
        params={"outcome": _label(follow_up, "outcome")},
        section="care",
        record=follow_up,
        happened_on=follow_up.happened_on(),
    )
    _audit(actor, follow_up, fields=["held_on", "outcome", "notes"])
    return follow_up


@transaction.atomic(durable=True)
def interview_cancel(*, interview: Interview, actor: User) -> Interview:
    """Cancel a planned interview (the recorded statement sufficed)."""
    _require(actor, "change", interview.case, "justice")
    if interview.state != InterviewState.PLANNED:
        raise ValidationError(_("Only a planned interview can be cancelled."))
    interview.state = InterviewState.CANCELLED
    interview.save(update_fields=["state"])
    _event(
        interview.case,
        actor,
        CaseEvent.Kind.INTERVIEW,
        gettext_noop("Planned interview cancelled"),
        section="justice",
        record=interview,
    )
    _audit(actor, interview, action=AuditAction.CHANGE, fields=["state"])
    return interview
