"""Data subjects' requests (Data Protection Act 2019 s.26, s.34-s.40): the register's writes.

A request is about one person Kinga holds (found through a case the person is the child of).
When the officer has checked who asks and on what authority, they are granted
`subject_request` on every matter the person is on, until a few days after the deadline or
the decision, whichever is first: so what they read to answer goes through the policy and
shows on each matter's trail. A deletion cannot be granted while a matter of the person is
held or protects the child; it is refused with that ground.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access.models import MatterType, Relation
from kinga.access.policy import Matter
from kinga.access.services import access_grant, access_revoke
from kinga.accounts.models import Role, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import OPEN_STATUSES, Case
from kinga.dataprotection.models import (
    RESPONSE_DAYS,
    OnBehalf,
    RefusalGround,
    RequestKind,
    RequestStatus,
    RetentionAction,
    RetentionRun,
    SubjectRequest,
    Tombstone,
)
from kinga.dataprotection.retention import emptied, identity_fields
from kinga.dataprotection.services.breaches import officer_require, officers
from kinga.dataprotection.services.retention import (
    HELD_INVESTIGATION,
    HELD_LEGAL_HOLD,
    held_matters,
    held_people,
)
from kinga.justice.models import IncidentLead, PersonOfInterest, Statement
from kinga.lib.reasons import reason_clean
from kinga.notifications.services import notify
from kinga.people.models import Person, PersonIdentifier, PersonLink, PersonNameToken
from kinga.people.services import person_update

SOURCE = "dataprotection.subjectrequest"
# How long after the deadline the officer's access lasts when no decision came first.
ACCESS_AFTER_DEADLINE = datetime.timedelta(days=7)


def person_matters(person_id: int) -> list[Matter]:
    """Return every matter the person is on: as a case's child, linked, or named by justice."""
    found: set[tuple[str, int]] = {
        (MatterType.CASE.value, pk)
        for pk in Case.objects.filter(child_id=person_id).values_list("pk", flat=True)
    }
    found |= {
        (str(matter_type), int(matter_id))
        for matter_type, matter_id in PersonLink.objects.filter(person_id=person_id).values_list(
            "matter_type", "matter_id"
        )
    }
    for model in (PersonOfInterest, IncidentLead, Statement):
        found |= {
            (MatterType.INCIDENT.value, int(pk))
            for pk in model.objects.filter(person_id=person_id).values_list(
                "incident_id", flat=True
            )
        }
    return [Matter(type=matter_type, id=matter_id) for matter_type, matter_id in sorted(found)]


def _next_code(year: int) -> str:
    prefix = f"DSR-{year}-"
    last = (
        SubjectRequest.objects.select_for_update()
        .filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


@transaction.atomic(durable=True)
def subject_request_record(
    *,
    actor: User,
    kind: str,
    requester_name: str,
    on_behalf: str,
    received_at: datetime.datetime,
    case_code: str = "",
    person_id: int | None = None,
    requester_contact: str = "",
    details: str = "",
) -> SubjectRequest:
    """Record a request about a person Kinga holds: the child of a case (`case_code`), or a
    person found by name or phone (`person_id`, from `selectors.subjects_found`); its clock
    runs from `received_at`."""
    officer_require(actor)
    if person_id is not None:
        subject_id = Person.objects.filter(pk=person_id).values_list("pk", flat=True).first()
        if subject_id is None:
            raise ValidationError({"case_code": _("This person is not in Kinga any more.")})
    else:
        case = Case.objects.filter(code__iexact=case_code.strip()).first() if case_code else None
        if case is None:
            raise ValidationError(
                {
                    "case_code": _(
                        "No case has this code. Enter the case code, or find the person by "
                        "name or phone."
                    )
                }
            )
        subject_id = case.child_id
    if kind not in RESPONSE_DAYS:
        raise ValidationError({"kind": _("Choose what is asked.")})
    if on_behalf == OnBehalf.SELF and not requester_name.strip():
        raise ValidationError({"requester_name": _("Write who asked.")})
    request = SubjectRequest(
        code=_next_code(timezone.localdate().year),
        kind=kind,
        person_id=subject_id,
        requester_name=requester_name.strip(),
        requester_contact=requester_contact.strip(),
        on_behalf=on_behalf,
        details=details.strip(),
        received_at=received_at,
        due_at=received_at + datetime.timedelta(days=RESPONSE_DAYS[kind]),
        recorded_by=actor,
    )
    request.full_clean()
    request.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="dataprotection.subjectrequest",
        record_id=request.pk,
        fields=["kind", "person", "requester_name", "requester_contact", "on_behalf", "details"],
        detail={"kind": kind, "on_behalf": on_behalf, "code": request.code},
    )
    notify(
        recipients=officers(),
        message=gettext_noop("Data subject's request %(code)s: answer due in %(days)s days."),
        values={"code": request.code, "days": RESPONSE_DAYS[kind]},
        link=reverse("dataprotection:request", kwargs={"request_id": request.pk}),
        kind="subject_request",
        actor=actor,
    )
    return request


@transaction.atomic(durable=True)
def subject_request_identity_checked(
    *, actor: User, request: SubjectRequest, check: str
) -> SubjectRequest:
    """Record the identity check; open the person's matters to the officer to answer it."""
    officer_require(actor)
    if request.status != RequestStatus.RECEIVED:
        raise ValidationError(_("The identity check is already recorded."))
    request.identity_check = check
    request.identity_checked_at = timezone.now()
    request.identity_checked_by = actor
    request.status = RequestStatus.IN_PROGRESS
    request.full_clean()
    request.save(
        update_fields=["identity_check", "identity_checked_at", "identity_checked_by", "status"]
    )
    ends_at = request.due_at + ACCESS_AFTER_DEADLINE
    matters = person_matters(request.person_id)
    # Like break-glass, the opening is told at once to those who oversee each case: a
    # request invented to read a child's file does not go unseen.
    case_ids = [matter.id for matter in matters if matter.type == MatterType.CASE]
    for case in Case.objects.filter(pk__in=case_ids).select_related("owning_agency"):
        overseers = User.objects.filter(
            is_active=True, agency_id=case.owning_agency_id, roles__role=Role.SUPERVISOR
        ).distinct()
        notify(
            recipients=overseers,
            message=gettext_noop(
                "The data protection officer opened case %(code)s to answer a data "
                "subject's request (%(request)s)."
            ),
            values={"code": case.code, "request": request.code},
            link=reverse("access:trail", args=["case", case.pk]),
            kind="subject_request_access",
            actor=actor,
        )
    for matter in matters:
        access_grant(
            matter=matter,
            relation=Relation.SUBJECT_REQUEST,
            actor=actor,
            user=actor,
            source_type=SOURCE,
            source_id=request.pk,
            ends_at=ends_at,
        )
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="dataprotection.subjectrequest",
        record_id=request.pk,
        fields=["identity_check", "status"],
        detail={"check": check},
    )
    return request


def deletion_blockers(person_id: int) -> list[tuple[Matter, str]]:
    """Return the person's matters that stop a deletion, each with the refusal ground."""
    held = held_matters()
    blockers: list[tuple[Matter, str]] = []
    if held_people({person_id}):
        # the person's own record is held (a court's or an investigation's need)
        blockers.append((Matter(type="person", id=person_id), RefusalGround.LEGAL_HOLD))
    open_cases = set(
        Case.objects.filter(child_id=person_id, status__in=OPEN_STATUSES).values_list(
            "pk", flat=True
        )
    )
    for matter in person_matters(person_id):
        why = held.get((matter.type, matter.id), "")
        if why == HELD_LEGAL_HOLD:
            blockers.append((matter, RefusalGround.LEGAL_HOLD))
        elif why == HELD_INVESTIGATION or matter.type == MatterType.INCIDENT:
            blockers.append((matter, RefusalGround.INVESTIGATION))
        elif matter.type == MatterType.CASE and matter.id in open_cases:
            blockers.append((matter, RefusalGround.OPEN_CASE))
    return blockers


def _person_erase(request: SubjectRequest) -> list[str]:
    """Anonymise the person as the schedule would, with a tombstone naming the request."""
    fields = identity_fields(Person)
    Person.objects.filter(pk=request.person_id).update(
        **{field.name: emptied(field) for field in fields}
    )
    PersonIdentifier.objects.filter(person_id=request.person_id).delete()
    PersonNameToken.objects.filter(person_id=request.person_id).delete()
    run = RetentionRun.objects.create(finished_at=timezone.now(), counts={"subject_request": 1})
    removed = [f"people.person.{field.name}" for field in fields]
    Tombstone.objects.create(
        kind=f"subject_request:{request.code}",
        record_type="people.person",
        record_id=str(request.person_id),
        action=RetentionAction.ANONYMISE,
        fields=removed + ["people.personidentifier", "people.personnametoken"],
        run=run,
    )
    return removed


@transaction.atomic(durable=True)
def subject_request_decide(
    *,
    actor: User,
    request: SubjectRequest,
    status: str,
    note: str,
    refusal_ground: str = "",
) -> SubjectRequest:
    """Decide the request with what the requester is told; a refusal names its legal ground.

    Granting a deletion anonymises the person, unless a matter of theirs is held, touched by
    an investigation or prosecution, or an open case: then it must be refused on that ground.
    The officer's access to the person's matters ends with the decision.
    """
    officer_require(actor)
    if not request.is_open:
        raise ValidationError(_("This request is already decided."))
    decisions = (
        RequestStatus.GRANTED,
        RequestStatus.PARTLY_GRANTED,
        RequestStatus.REFUSED,
        RequestStatus.WITHDRAWN,
    )
    if status not in decisions:
        raise ValidationError({"status": _("Choose the decision.")})
    refusing = status in (RequestStatus.REFUSED, RequestStatus.PARTLY_GRANTED)
    if refusing and not refusal_ground:
        raise ValidationError({"refusal_ground": _("Name the legal ground for refusing.")})
    if not refusing:
        refusal_ground = RefusalGround.NONE
    if (
        status != RequestStatus.WITHDRAWN
        and request.status == RequestStatus.RECEIVED
        and (refusal_ground != RefusalGround.IDENTITY_NOT_VERIFIED)
    ):
        raise ValidationError(
            {"status": _("Check the requester's identity first, or refuse on that ground.")}
        )
    erased: list[str] = []
    if request.kind == RequestKind.DELETION and status == RequestStatus.GRANTED:
        blockers = deletion_blockers(request.person_id)
        if blockers:
            grounds = sorted({str(RefusalGround(ground).label) for _matter, ground in blockers})
            raise ValidationError(
                {
                    "status": _(
                        "This deletion cannot be granted: %(grounds)s. Refuse it on that ground."
                    )
                    % {"grounds": "; ".join(grounds)}
                }
            )
        erased = _person_erase(request)
    request.status = status
    request.refusal_ground = refusal_ground
    request.decision_note = reason_clean(note, field="note")
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.full_clean()
    request.save(
        update_fields=["status", "refusal_ground", "decision_note", "decided_at", "decided_by"]
    )
    for matter in person_matters(request.person_id):
        access_revoke(
            matter=matter,
            actor=actor,
            relation=Relation.SUBJECT_REQUEST,
            source_type=SOURCE,
            source_id=request.pk,
        )
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="dataprotection.subjectrequest",
        record_id=request.pk,
        fields=["status", "refusal_ground", "decision_note", *erased],
        detail={"status": status, "ground": refusal_ground, "erased": bool(erased)},
    )
    return request


def open_requests() -> Q:
    """Return the condition of a request still to answer."""
    return Q(status__in=[RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS])


# What a correction may change: the person's names, date of birth or age, and sex (the
# fields of `people.services.person_update`; identifiers are corrected on their matter).
CORRECTABLE_FIELDS = (
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "age_estimate",
    "sex",
)


@transaction.atomic(durable=True)
def subject_request_correct(
    *, actor: User, request: SubjectRequest, changes: dict[str, object]
) -> list[str]:
    """Carry out a correction request: change the person's record as asked; return the
    fields changed.

    Only a correction request whose requester's identity was checked, still open; the
    change goes through the people app's own write (search tokens rebuilt, age band
    re-derived) and is audited there, on the person's first matter's trail, with the
    request named here; the teams overseeing the person's cases are told.
    """
    officer_require(actor)
    if request.kind != RequestKind.CORRECTION:
        raise ValidationError(_("Only a correction request changes the record."))
    if request.status != RequestStatus.IN_PROGRESS:
        raise ValidationError(
            _("Check the requester's identity first; a decided request changes nothing.")
        )
    if not changes:
        raise ValidationError(_("Write what the record should say: nothing was changed."))
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be corrected here: %s") % ", ".join(sorted(unknown))
        )
    person = Person.objects.select_for_update().get(pk=request.person_id)
    if Tombstone.objects.filter(record_type="people.person", record_id=str(person.pk)).exists():
        raise ValidationError(_("This person's identity was already removed: nothing to correct."))
    before = {name: getattr(person, name) for name in changes}
    matters = person_matters(person.pk)
    person_update(person=person, actor=actor, matter=matters[0] if matters else None, **changes)
    changed = [name for name in changes if getattr(person, name) != before[name]]
    if not changed:
        raise ValidationError(_("Nothing was changed: the record already says this."))
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="dataprotection.subjectrequest",
        record_id=request.pk,
        fields=changed,
        detail={"corrected": "people.person", "person": person.pk, "code": request.code},
    )
    case_ids = [matter.id for matter in matters if matter.type == MatterType.CASE]
    for case in Case.objects.filter(pk__in=case_ids):
        notify(
            recipients=User.objects.filter(
                is_active=True, agency_id=case.owning_agency_id, roles__role=Role.SUPERVISOR
            ).distinct(),
            message=gettext_noop(
                "The data protection officer corrected the child's record on case %(code)s "
                "(request %(request)s)."
            ),
            values={"code": case.code, "request": request.code},
            link=reverse("access:trail", args=["case", case.pk]),
            kind="subject_request_correction",
            actor=actor,
        )
    return changed
