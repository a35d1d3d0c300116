"""Writes of justice: the incident, the investigation, the prosecution, the child in court.

Every service is keyword-only with an `actor`, checks the policy first (a refusal is an
audited 404, `policy.require`), validates with `full_clean`, writes one audit event with
field names and codes only, and leaves its notices in the same transaction. Top-level
services are durable: they are never silently part of a larger transaction.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from kinga.access import policy
from kinga.access.models import Relation
from kinga.access.services import access_grant, access_revoke
from kinga.accounts.models import AgencyKind, Role, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import Case, Interview, InterviewState
from kinga.intake.models import Decision, Report
from kinga.intake.services.triage import INCIDENT_QUEUE
from kinga.justice.models import (
    CONVICTIONS,
    Adjournment,
    AgeProof,
    Appeal,
    Arrest,
    BailTerms,
    ChargeCount,
    ChargeDecision,
    ChargeDecisionKind,
    ChargeSheet,
    CountOutcome,
    CountOutcomeKind,
    CourtEvent,
    CourtEventKind,
    CourtEventOutcome,
    CourtEventState,
    CustodyEntry,
    Evidence,
    FileSubmission,
    Incident,
    IncidentChild,
    IncidentEvent,
    IncidentLead,
    IncidentStage,
    Investigation,
    InvestigationOfficer,
    InvestigationStatus,
    InvestigationTask,
    LeadKind,
    PersonOfInterest,
    Plea,
    PleaKind,
    Prosecution,
    ProsecutionStatus,
    Sentence,
    Statement,
    StatementKind,
    WitnessKind,
    WitnessProtection,
)
from kinga.lib.concurrency import version_check
from kinga.lib.crypto import keyed_hash
from kinga.notifications.services import notify
from kinga.people.models import LinkRole, Person, PersonKind
from kinga.people.services import person_create, person_link
from kinga.places.models import County, Ward
from kinga.tasks.registry import periodic

INCIDENT = "justice.incident"
TEAM_SOURCE = "justice.team"


def _record_type(record: Model) -> str:
    return f"justice.{type(record).__name__.lower()}"


def _require(actor: User, incident: Incident, action: str = "create") -> None:
    """Refuse (audited 404) unless the actor may write the incident's justice records."""
    policy.require(actor, action, incident, "justice", record_type=INCIDENT, record_id=incident.pk)


def _audit(
    actor: User,
    record: Model,
    incident: Incident,
    *,
    action: str = AuditAction.CREATE,
    fields: Sequence[str] = (),
    detail: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    # `detail` is codes and references only (it is stored in clear); words a person typed go
    # in `reason`, which the audit log encrypts.
    audit_record(
        action=action,
        actor=actor,
        record_type=_record_type(record),
        record_id=record.pk,
        matter_type="incident",
        matter_id=incident.pk,
        fields=list(fields),
        detail=detail or {},
        reason=reason,
    )


def _save(record: Model, **clean: Any) -> None:
    record.full_clean(**clean)
    record.save()


def _touch(incident: Incident, stage: str | None = None) -> None:
    incident.updated_at = timezone.now()
    fields = ["updated_at"]
    if stage is not None and stage != incident.stage:
        incident.stage = stage
        fields.append("stage")
    incident.save(update_fields=fields)


def _link(incident: Incident) -> str:
    return reverse("justice:incident", args=[incident.pk])


def team_of(incident: Incident) -> list[User]:
    """Return the active investigating officers of the incident."""
    return [
        officer.user
        for officer in InvestigationOfficer.objects.filter(
            incident=incident, ended_at__isnull=True, user__is_active=True
        ).select_related("user")
    ]


def _grant_member(incident: Incident, user: User, actor: User | None, role: str) -> None:
    """Put a user on the incident's team, and their agency under its supervisors' eye."""
    matter = incident.access_matter()
    access_grant(
        matter=matter,
        relation=Relation.TEAM_MEMBER,
        actor=actor,
        user=user,
        source_type=TEAM_SOURCE,
        source_id=incident.pk,
    )
    if user.agency is not None:
        access_grant(
            matter=matter,
            relation=Relation.AGENCY_ON_TEAM,
            actor=actor,
            agency=user.agency,
            via_role=role,
            source_type=TEAM_SOURCE,
            source_id=incident.pk,
        )


# --- the incident ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentInput:
    county: County
    station: str
    ob_number: str
    reported_on: datetime.date
    summary: str = ""
    exploitation_types: Sequence[str] = ()
    control_methods: Sequence[str] = ()
    ward: Ward | None = None
    began_on: datetime.date | None = None
    ended_on: datetime.date | None = None
    buyer_origin: str = ""


@transaction.atomic(durable=True)
def incident_open(
    *,
    actor: User,
    facts: IncidentInput,
    report: Report | None = None,
    at: datetime.datetime | None = None,
) -> Incident:
    """Open an incident and its investigation, led by the actor, for their police unit.

    From a report triage decided to open an incident on (the police unit sees it through
    its triage_area grant), or directly by the police. The report's case, when it has one,
    is linked as a child involved. The area's other police units stop seeing the report.
    """
    if not policy.can_do(actor, "incident.open") or actor.agency is None:
        raise PermissionDenied(_("Only an investigator of a police unit opens an incident."))
    if actor.agency.kind != AgencyKind.POLICE_UNIT:
        raise PermissionDenied(_("Only an investigator of a police unit opens an incident."))
    if report is not None:
        policy.require(
            actor, "view", report, "summary", record_type="intake.report", record_id=report.pk
        )
        if report.decision != Decision.OPEN_INCIDENT:
            raise ValidationError(_("Triage has not decided to open an incident on this report."))
        if Incident.objects.filter(source_report=report).exists():
            raise ValidationError(_("An incident was already opened from this report."))
    # `at`: when the police opened it, for an incident entered after the fact
    now = at or timezone.now()
    incident = Incident(
        # unique until the row has its number (the code names it just below)
        code=f"INC-NEW-{uuid.uuid4().hex[:16]}",
        summary=facts.summary.strip(),
        exploitation_types=list(facts.exploitation_types),
        control_methods=list(facts.control_methods),
        county=facts.county,
        ward=facts.ward,
        began_on=facts.began_on,
        ended_on=facts.ended_on,
        buyer_origin=facts.buyer_origin,
        police_unit=actor.agency,
        source_report=report,
        reported_on=facts.reported_on,
        opened_at=now,
        opened_by=actor,
        stage=IncidentStage.INVESTIGATING,
    )
    _save(incident)
    incident.code = f"INC-{facts.county.prefix}-{now.year}-{incident.pk:05d}"
    incident.save(update_fields=["code"])
    investigation = Investigation(
        incident=incident,
        station=facts.station.strip(),
        ob_number=facts.ob_number.strip(),
        lead_officer=actor,
        created_by=actor,
        created_at=now,
    )
    _save(investigation)
    officer = InvestigationOfficer(incident=incident, user=actor, created_by=actor)
    _save(officer)
    _grant_member(incident, actor, actor, Role.INVESTIGATOR)
    if report is not None:
        if report.case_code:
            case = Case.objects.filter(code=report.case_code).first()
            if case is not None:
                IncidentChild.objects.create(incident=incident, case=case, created_by=actor)
        access_revoke(
            matter=report.access_matter(),
            actor=actor,
            relation=Relation.TRIAGE_AREA,
            source_type=INCIDENT_QUEUE,
        )
    _audit(
        actor,
        incident,
        incident,
        fields=["code", "county", "summary", "exploitation_types", "control_methods"],
        detail={"report": report.pk if report else None, "investigation": investigation.pk},
    )
    return incident


@transaction.atomic(durable=True)
def incident_describe(*, incident: Incident, actor: User, facts: IncidentInput) -> Incident:
    """Change what the incident records of what happened (not its police references)."""
    _require(actor, incident, "change")
    incident.summary = facts.summary.strip()
    incident.exploitation_types = list(facts.exploitation_types)
    incident.control_methods = list(facts.control_methods)
    incident.county = facts.county
    incident.ward = facts.ward
    incident.began_on = facts.began_on
    incident.ended_on = facts.ended_on
    incident.buyer_origin = facts.buyer_origin
    incident.updated_at = timezone.now()
    incident.full_clean()
    fields = [
        "summary",
        "exploitation_types",
        "control_methods",
        "county",
        "ward",
        "began_on",
        "ended_on",
        "buyer_origin",
    ]
    incident.save(update_fields=[*fields, "updated_at"])
    _audit(actor, incident, incident, action=AuditAction.CHANGE, fields=fields)
    return incident


@transaction.atomic(durable=True)
def incident_link_case(*, incident: Incident, actor: User, case_code: str) -> IncidentChild:
    """Link a child's case to the incident by its code; the incident copies nothing of it.

    The child's supporters then see the path to verdict on the case; the link is audited on
    the case's trail too, so its team sees who linked it.
    """
    _require(actor, incident)
    case = Case.objects.filter(code=case_code.strip().upper()).first()
    if case is None:
        raise ValidationError({"case_code": _("No case has this code.")})
    if IncidentChild.objects.filter(incident=incident, case=case).exists():
        raise ValidationError({"case_code": _("This case is already linked.")})
    child = IncidentChild(incident=incident, case=case, created_by=actor)
    _save(child)
    _touch(incident)
    _audit(actor, child, incident, fields=["case"], detail={"case": case.pk})
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="justice.incidentchild",
        record_id=child.pk,
        matter_type="case",
        matter_id=case.pk,
        fields=["incident"],
        detail={"incident": incident.pk},
    )
    return child


@transaction.atomic(durable=True)
def event_add(
    *,
    incident: Incident,
    actor: User,
    kind: str,
    occurred_on: datetime.date,
    until_on: datetime.date | None = None,
    county: County | None = None,
    place: str = "",
    description: str = "",
) -> IncidentEvent:
    """Add a dated, located step to what happened."""
    _require(actor, incident)
    event = IncidentEvent(
        incident=incident,
        kind=kind,
        occurred_on=occurred_on,
        until_on=until_on,
        county=county,
        place=place.strip(),
        description=description.strip(),
        created_by=actor,
    )
    _save(event)
    _touch(incident)
    _audit(
        actor,
        event,
        incident,
        fields=["kind", "occurred_on", "place", "description"],
        detail={"kind": kind},
    )
    return event


@dataclass(frozen=True)
class NewPerson:
    given_name: str
    family_name: str = ""
    other_names: str = ""
    sex: str = ""
    age_estimate: int | None = None
    nationality: str = ""
    phones: Sequence[str] = ()


@transaction.atomic(durable=True)
def person_of_interest_add(
    *,
    incident: Incident,
    actor: User,
    role: str,
    relationship: str,
    person: Person | None = None,
    new_person: NewPerson | None = None,
    is_foreign: bool = False,
) -> PersonOfInterest:
    """Add a person of interest with a role and relationship to the child.

    `person` is one the name search found (the viewer may see them); otherwise
    `new_person` is created, after the search found no one.
    """
    _require(actor, incident)
    if (person is None) == (new_person is None):
        raise ValidationError(_("Choose a person the search found, or describe a new one."))
    if person is None:
        assert new_person is not None
        if not new_person.given_name.strip() and not new_person.family_name.strip():
            raise ValidationError({"given_name": _("Give at least one name.")})
        person = person_create(
            actor=actor,
            kind=PersonKind.SUSPECT,
            given_name=new_person.given_name,
            family_name=new_person.family_name,
            other_names=new_person.other_names,
            sex=new_person.sex,
            age_estimate=new_person.age_estimate,
            nationality=new_person.nationality,
            phones=new_person.phones,
        )
    if PersonOfInterest.objects.filter(incident=incident, person=person, role=role).exists():
        raise ValidationError(_("This person already has this role in the incident."))
    poi = PersonOfInterest(
        incident=incident,
        person=person,
        role=role,
        relationship=relationship,
        is_foreign=is_foreign,
        created_by=actor,
    )
    _save(poi)
    person_link(person=person, matter=incident.access_matter(), role=LinkRole.SUSPECT, actor=actor)
    _touch(incident)
    _audit(
        actor,
        poi,
        incident,
        fields=["person", "role", "relationship"],
        detail={"role": role, "relationship": relationship, "person": person.pk},
    )
    return poi


def _lead_index(kind: str, value: str, platform: str) -> str:
    normal = " ".join(value.lower().split())
    if kind == LeadKind.VEHICLE:
        normal = normal.replace(" ", "")
    if kind == LeadKind.PHONE:
        from kinga.lib.phones import normalise_phone

        try:
            normal = normalise_phone(value)
        except ValueError as error:
            raise ValidationError({"value": _("This is not a phone number.")}) from error
    return keyed_hash(f"{platform}:{normal}" if platform else normal, purpose=f"lead:{kind}")


@transaction.atomic(durable=True)
def lead_add(
    *,
    incident: Incident,
    actor: User,
    kind: str,
    value: str,
    platform: str = "",
    person: PersonOfInterest | None = None,
) -> IncidentLead:
    """Record a venue, vehicle, phone number or online account of the incident."""
    _require(actor, incident)
    if person is not None and person.incident_id != incident.pk:
        raise ValidationError({"person": _("Choose a person of this incident.")})
    lead = IncidentLead(
        incident=incident,
        kind=kind,
        value=value.strip(),
        platform=platform.strip().lower(),
        blind_index=_lead_index(kind, value, platform.strip().lower()),
        person=person,
        created_by=actor,
    )
    _save(lead)
    _audit(actor, lead, incident, fields=["kind", "value", "platform"], detail={"kind": kind})
    return lead


# --- the investigation ----------------------------------------------------------------------


@transaction.atomic(durable=True)
def officer_add(*, incident: Incident, actor: User, user: User) -> InvestigationOfficer:
    """Add an investigator of the incident's police unit to its team (and to the policy)."""
    _require(actor, incident, "change")
    if Role.INVESTIGATOR not in user.role_set or user.agency_id != incident.police_unit_id:
        raise ValidationError({"user": _("Choose an investigator of the incident's police unit.")})
    if InvestigationOfficer.objects.filter(
        incident=incident, user=user, ended_at__isnull=True
    ).exists():
        raise ValidationError({"user": _("This officer is already on the team.")})
    officer = InvestigationOfficer(incident=incident, user=user, created_by=actor)
    _save(officer)
    _grant_member(incident, user, actor, Role.INVESTIGATOR)
    notify(
        recipients=[user],
        message=gettext_noop("You were added to the investigation of incident %(code)s."),
        values={"code": incident.code},
        link=_link(incident),
        kind="justice_team",
        actor=actor,
    )
    _audit(actor, officer, incident, fields=["user"], detail={"user": user.pk})
    return officer


@transaction.atomic(durable=True)
def officer_remove(*, officer: InvestigationOfficer, actor: User, reason: str) -> None:
    """Take an officer off the investigation: their access ends, and their unit's when no
    investigator of it remains. The last officer stays until another joins, and an officer
    with open steps hands them on first, so no step is left with no one to do it."""
    incident = officer.incident
    _require(actor, incident, "change")
    if officer.ended_at is not None:
        raise ValidationError(_("This officer has already left the investigation."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the officer leaves the investigation.")})
    others = InvestigationOfficer.objects.filter(
        incident=incident, ended_at__isnull=True, user__is_active=True
    ).exclude(pk=officer.pk)
    if not others.exists():
        raise ValidationError(
            _("An investigation keeps at least one officer: add the next one first.")
        )
    open_tasks = InvestigationTask.objects.filter(
        incident=incident, assigned_to=officer.user, done_at__isnull=True
    ).count()
    if open_tasks:
        raise ValidationError(
            ngettext(
                "This officer has %(count)d open step: give it to another officer first.",
                "This officer has %(count)d open steps: give them to another officer first.",
                open_tasks,
            )
            % {"count": open_tasks}
        )
    officer.ended_at = timezone.now()
    officer.save(update_fields=["ended_at"])
    matter = incident.access_matter()
    access_revoke(
        matter=matter,
        actor=actor,
        relation=Relation.TEAM_MEMBER,
        user=officer.user,
        source_type=TEAM_SOURCE,
        source_id=incident.pk,
    )
    agency = officer.user.agency
    if agency is not None and not others.filter(user__agency=agency).exists():
        access_revoke(
            matter=matter,
            actor=actor,
            relation=Relation.AGENCY_ON_TEAM,
            agency=agency,
            via_role=Role.INVESTIGATOR,
            source_type=TEAM_SOURCE,
            source_id=incident.pk,
        )
    notify(
        recipients=[officer.user],
        message=gettext_noop("You were taken off the investigation of incident %(code)s."),
        values={"code": incident.code},
        link="",
        kind="justice_team",
        actor=actor,
    )
    _touch(incident)
    _audit(
        actor,
        officer,
        incident,
        action=AuditAction.CHANGE,
        fields=["ended_at"],
        detail={"user": officer.user_id},
        reason=reason.strip(),
    )


@transaction.atomic(durable=True)
def task_add(
    *, incident: Incident, actor: User, title: str, due_on: datetime.date, assigned_to: User
) -> InvestigationTask:
    """Add an investigation step with its due date, for an officer on the team."""
    _require(actor, incident)
    if assigned_to not in team_of(incident):
        raise ValidationError({"assigned_to": _("Choose an officer on the team.")})
    task = InvestigationTask(
        incident=incident,
        title=title.strip(),
        due_on=due_on,
        assigned_to=assigned_to,
        created_by=actor,
    )
    _save(task)
    _audit(actor, task, incident, fields=["title", "due_on", "assigned_to"])
    return task


@transaction.atomic(durable=True)
def task_change(
    *,
    task: InvestigationTask,
    actor: User,
    title: str,
    due_on: datetime.date,
    assigned_to: User,
) -> InvestigationTask:
    """Correct a step, move its due date or give it to another officer on the team."""
    incident = task.incident
    _require(actor, incident, "change")
    if task.done_at is not None:
        raise ValidationError(_("This step is done; record a new one instead."))
    if assigned_to not in team_of(incident):
        raise ValidationError({"assigned_to": _("Choose an officer on the team.")})
    changed = [
        name
        for name, value in (("title", title.strip()), ("due_on", due_on))
        if getattr(task, name) != value
    ]
    if task.assigned_to_id != assigned_to.pk:
        changed.append("assigned_to")
    if not changed:
        return task
    previous = task.assigned_to
    task.title = title.strip()
    task.due_on = due_on
    task.assigned_to = assigned_to
    task.full_clean()
    task.save(update_fields=changed)
    if "assigned_to" in changed:
        notify(
            recipients=[assigned_to],
            message=gettext_noop("A step of incident %(code)s is now yours, due %(due)s."),
            values={"code": incident.code, "due": due_on.isoformat()},
            link=_link(incident),
            kind="justice_task",
            actor=actor,
        )
    _audit(
        actor,
        task,
        incident,
        action=AuditAction.CHANGE,
        fields=changed,
        detail={"from": previous.pk} if "assigned_to" in changed else {},
    )
    return task


@transaction.atomic(durable=True)
def task_done(*, task: InvestigationTask, actor: User) -> InvestigationTask:
    _require(actor, task.incident, "change")
    if task.done_at is None:
        task.done_at = timezone.now()
        task.save(update_fields=["done_at"])
        _audit(actor, task, task.incident, action=AuditAction.CHANGE, fields=["done_at"])
    return task


@transaction.atomic(durable=True)
def statement_record(
    *,
    incident: Incident,
    actor: User,
    kind: str,
    taken_on: datetime.date,
    interview: Interview | None = None,
    person: Person | None = None,
    reference: str = "",
) -> Statement:
    """Record a statement. The child's is the case's one interview, never a second one:
    it must name a held interview of a case linked to the incident."""
    _require(actor, incident)
    if kind == StatementKind.CHILD:
        if interview is None:
            raise ValidationError(
                {"interview": _("The child's statement is the case's interview: choose it.")}
            )
        linked = IncidentChild.objects.filter(incident=incident, case_id=interview.case_id)
        if not linked.exists() or interview.state != InterviewState.HELD:
            raise ValidationError(
                {"interview": _("Choose an interview held with a child of this incident.")}
            )
    elif interview is not None:
        raise ValidationError({"interview": _("Only the child's statement is an interview.")})
    statement = Statement(
        incident=incident,
        kind=kind,
        interview=interview,
        person=person,
        taken_on=taken_on,
        reference=reference.strip(),
        created_by=actor,
    )
    _save(statement)
    _audit(
        actor,
        statement,
        incident,
        fields=["kind", "taken_on", "reference"],
        detail={"kind": kind, "interview": interview.pk if interview else None},
    )
    return statement


@transaction.atomic(durable=True)
def evidence_log(
    *,
    incident: Incident,
    actor: User,
    exhibit_number: str,
    kind: str,
    item: str,
    how_obtained: str,
    obtained_on: datetime.date,
    first_holder: str,
    sha256: str = "",
    held_at: str = "",
) -> Evidence:
    """Log an exhibit (metadata, and a SHA-256 for a digital file held elsewhere) with the
    first entry of its chain of custody: who took it."""
    _require(actor, incident)
    evidence = Evidence(
        incident=incident,
        exhibit_number=exhibit_number.strip(),
        kind=kind,
        item=item.strip(),
        how_obtained=how_obtained,
        obtained_on=obtained_on,
        sha256=sha256.strip().lower(),
        held_at=held_at.strip(),
        created_by=actor,
    )
    _save(evidence)
    entry = CustodyEntry(
        incident=incident,
        evidence=evidence,
        sequence=1,
        handed_at=timezone.now(),
        from_holder=_("Obtained (%(how)s)") % {"how": evidence.get_how_obtained_display()},
        to_holder=first_holder.strip(),
        purpose=_("Taken into custody"),
        created_by=actor,
    )
    _save(entry)
    _audit(
        actor,
        evidence,
        incident,
        fields=["exhibit_number", "kind", "item", "how_obtained", "sha256", "held_at"],
        detail={"kind": kind, "custody": entry.pk},
    )
    return evidence


@transaction.atomic(durable=True)
def custody_append(
    *,
    evidence: Evidence,
    actor: User,
    to_holder: str,
    purpose: str,
    handed_at: datetime.datetime | None = None,
) -> CustodyEntry:
    """Append a hand-over to the exhibit's chain: from its last holder to the next.

    The chain is only appended to (the model and the database refuse anything else); the
    next entry starts where the last one ended, so no gap can be written.
    """
    incident = evidence.incident
    _require(actor, incident)
    last = (
        CustodyEntry.objects.select_for_update()
        .filter(evidence=evidence)
        .order_by("-sequence")
        .first()
    )
    handed_at = handed_at or timezone.now()
    if last is not None and handed_at < last.handed_at:
        raise ValidationError({"handed_at": _("A hand-over cannot come before the last one.")})
    entry = CustodyEntry(
        incident=incident,
        evidence=evidence,
        sequence=(last.sequence if last else 0) + 1,
        handed_at=handed_at,
        from_holder=last.to_holder if last else "",
        to_holder=to_holder.strip(),
        purpose=purpose.strip(),
        created_by=actor,
    )
    _save(entry)
    _audit(
        actor,
        entry,
        incident,
        fields=["to_holder", "purpose", "handed_at"],
        detail={"evidence": evidence.pk, "sequence": entry.sequence},
    )
    return entry


@transaction.atomic(durable=True)
def age_proof_add(
    *,
    incident: Incident,
    actor: User,
    case: Case,
    kind: str,
    obtained_on: datetime.date,
    age_years: int | None = None,
    reference: str = "",
) -> AgeProof:
    """Record a proof of a child's age (for a case linked to the incident)."""
    _require(actor, incident)
    if not IncidentChild.objects.filter(incident=incident, case=case).exists():
        raise ValidationError({"case": _("Choose a child of this incident.")})
    proof = AgeProof(
        incident=incident,
        case=case,
        kind=kind,
        obtained_on=obtained_on,
        age_years=age_years,
        reference=reference.strip(),
        created_by=actor,
    )
    _save(proof)
    _audit(
        actor,
        proof,
        incident,
        fields=["kind", "age_years", "reference"],
        detail={"kind": kind, "case": case.pk},
    )
    return proof


@transaction.atomic(durable=True)
def arrest_record(
    *,
    incident: Incident,
    actor: User,
    suspect: PersonOfInterest,
    arrested_at: datetime.datetime,
    station: str,
) -> Arrest:
    """Record the arrest of a person of interest."""
    _require(actor, incident)
    if suspect.incident_id != incident.pk:
        raise ValidationError({"suspect": _("Choose a person of this incident.")})
    arrest = Arrest(
        incident=incident,
        suspect=suspect,
        arrested_at=arrested_at,
        station=station.strip(),
        arrested_by=actor,
        created_by=actor,
    )
    _save(arrest)
    _touch(incident)
    _audit(
        actor,
        arrest,
        incident,
        fields=["suspect", "arrested_at", "station"],
        detail={"suspect": suspect.pk},
    )
    return arrest


def prosecutors() -> list[User]:
    """Return the active prosecutors a file can be sent to."""
    return list(
        User.objects.filter(is_active=True, roles__role=Role.PROSECUTOR)
        .select_related("agency")
        .order_by("agency__name", "first_name", "username")
        .distinct()
    )


@transaction.atomic(durable=True)
def file_send(
    *,
    incident: Incident,
    actor: User,
    prosecutor: User,
    at: datetime.datetime | None = None,
) -> FileSubmission:
    """Send the police file to a prosecutor for a decision to charge.

    The prosecutor joins the incident's team (their office's supervisors oversee it) and is
    told; the investigation waits on the decision.
    """
    _require(actor, incident)
    if Role.PROSECUTOR not in prosecutor.role_set or not prosecutor.is_active:
        raise ValidationError({"prosecutor": _("Choose a prosecutor.")})
    pending = FileSubmission.objects.filter(incident=incident, decision__isnull=True)
    if pending.exists():
        raise ValidationError(_("The file is already with a prosecutor for a decision."))
    submission = FileSubmission(
        incident=incident, sent_at=at or timezone.now(), prosecutor=prosecutor, created_by=actor
    )
    _save(submission)
    _grant_member(incident, prosecutor, actor, Role.PROSECUTOR)
    Investigation.objects.filter(incident=incident).update(status=InvestigationStatus.FILE_SENT)
    _touch(incident, IncidentStage.WITH_PROSECUTOR)
    notify(
        recipients=[prosecutor],
        message=gettext_noop(
            "The police file of incident %(code)s was sent to you for a decision to charge."
        ),
        values={"code": incident.code},
        link=_link(incident),
        kind="justice_file",
        actor=actor,
    )
    _audit(actor, submission, incident, fields=["prosecutor"], detail={"prosecutor": prosecutor.pk})
    return submission


STAGE_OF_DECISION = {
    ChargeDecisionKind.CHARGE: IncidentStage.WITH_PROSECUTOR,
    ChargeDecisionKind.NO_CHARGE: IncidentStage.NOT_CHARGED,
    ChargeDecisionKind.DIVERSION: IncidentStage.DIVERTED,
    ChargeDecisionKind.FURTHER_INVESTIGATION: IncidentStage.INVESTIGATING,
}


@transaction.atomic(durable=True)
def charge_decide(
    *,
    submission: FileSubmission,
    actor: User,
    decision: str,
    no_charge_reason: str = "",
    note: str = "",
    at: datetime.datetime | None = None,
) -> ChargeDecision:
    """Decide on the file: charge, no charge (with a reason), diversion, or send it back."""
    incident = submission.incident
    _require(actor, incident)
    if Role.PROSECUTOR not in actor.role_set:
        raise PermissionDenied(_("Only a prosecutor decides to charge."))
    if ChargeDecision.objects.filter(submission=submission).exists():
        raise ValidationError(_("This file has already been decided."))
    made = ChargeDecision(
        incident=incident,
        submission=submission,
        decision=decision,
        no_charge_reason=no_charge_reason if decision == ChargeDecisionKind.NO_CHARGE else "",
        decided_at=at or timezone.now(),
        note=note.strip(),
        created_by=actor,
    )
    _save(made)
    status = (
        InvestigationStatus.RETURNED
        if decision == ChargeDecisionKind.FURTHER_INVESTIGATION
        else InvestigationStatus.CLOSED
        if decision in (ChargeDecisionKind.NO_CHARGE, ChargeDecisionKind.DIVERSION)
        else InvestigationStatus.FILE_SENT
    )
    Investigation.objects.filter(incident=incident).update(status=status)
    _touch(incident, STAGE_OF_DECISION[ChargeDecisionKind(decision)])
    notify(
        recipients=team_of(incident),
        message=gettext_noop("The prosecutor decided on the file of incident %(code)s."),
        values={"code": incident.code},
        link=_link(incident),
        kind="justice_decision",
        actor=actor,
    )
    _audit(
        actor,
        made,
        incident,
        fields=["decision", "no_charge_reason", "note"],
        detail={"decision": decision, "reason": made.no_charge_reason},
    )
    return made


# --- the prosecution ------------------------------------------------------------------------


@dataclass(frozen=True)
class CountInput:
    offence: str
    accused: PersonOfInterest
    particulars: str = ""


def _write_counts(
    incident: Incident, sheet: ChargeSheet, counts: Sequence[CountInput], actor: User
) -> None:
    if not counts:
        raise ValidationError(_("A charge sheet has at least one count."))
    for number, count in enumerate(counts, start=1):
        if count.accused.incident_id != incident.pk:
            raise ValidationError(_("Each accused must be a person of this incident."))
        row = ChargeCount(
            incident=incident,
            sheet=sheet,
            number=number,
            offence=count.offence,
            accused=count.accused,
            particulars=count.particulars.strip(),
            created_by=actor,
        )
        _save(row)


def _require_prosecutor(actor: User, incident: Incident) -> None:
    _require(actor, incident)
    if Role.PROSECUTOR not in actor.role_set:
        raise PermissionDenied(_("Only a prosecutor may do this."))


@transaction.atomic(durable=True)
def prosecution_open(
    *,
    incident: Incident,
    actor: User,
    court: str,
    court_file_number: str,
    filed_on: datetime.date,
    counts: Sequence[CountInput],
) -> Prosecution:
    """Charge in court: the prosecution with its first charge sheet (version 1)."""
    _require_prosecutor(actor, incident)
    if not ChargeDecision.objects.filter(
        incident=incident, decision=ChargeDecisionKind.CHARGE
    ).exists():
        raise ValidationError(_("Decide to charge on the police file first."))
    prosecution = Prosecution(
        incident=incident,
        court=court.strip(),
        court_file_number=court_file_number.strip(),
        filed_on=filed_on,
        lead_prosecutor=actor,
        created_by=actor,
    )
    _save(prosecution)
    sheet = ChargeSheet(
        incident=incident, prosecution=prosecution, version=1, filed_on=filed_on, created_by=actor
    )
    _save(sheet)
    _write_counts(incident, sheet, counts, actor)
    _touch(incident, IncidentStage.IN_COURT)
    notify(
        recipients=team_of(incident),
        message=gettext_noop("Incident %(code)s was charged in court."),
        values={"code": incident.code},
        link=_link(incident),
        kind="justice_charged",
        actor=actor,
    )
    _audit(
        actor,
        prosecution,
        incident,
        fields=["court", "court_file_number", "filed_on"],
        detail={"sheet": sheet.pk, "counts": len(counts)},
    )
    return prosecution


def current_sheet(prosecution: Prosecution) -> ChargeSheet | None:
    return ChargeSheet.objects.filter(prosecution=prosecution, superseded_at__isnull=True).first()


@transaction.atomic(durable=True)
def charge_sheet_amend(
    *,
    prosecution: Prosecution,
    actor: User,
    filed_on: datetime.date,
    note: str,
    counts: Sequence[CountInput],
    expected_version: int | None = None,
) -> ChargeSheet:
    """File an amended charge sheet: a new version; the earlier one is kept as it was.

    The accused pleads afresh to the amended counts. `expected_version` is the version the
    amendment was drafted from: when another has been filed since, raise `StaleEdit` (who
    filed it and when) and file nothing.
    """
    incident = prosecution.incident
    _require_prosecutor(actor, incident)
    if prosecution.status in (ProsecutionStatus.CONCLUDED, ProsecutionStatus.WITHDRAWN):
        raise ValidationError(_("This prosecution has ended."))
    if not note.strip():
        raise ValidationError({"note": _("Say what the amendment changes.")})
    previous = (
        ChargeSheet.objects.select_for_update()
        .filter(prosecution=prosecution, superseded_at__isnull=True)
        .first()
    )
    version_check(
        stored=previous.version if previous is not None else 0,
        expected=expected_version,
        last_saved=lambda: (
            (str(previous.created_by), previous.created_at) if previous else ("", None)
        ),
    )
    version = 1
    if previous is not None:
        # the one change a sheet ever sees: it stops being current
        ChargeSheet.objects.filter(pk=previous.pk).update(superseded_at=timezone.now())
        version = previous.version + 1
    sheet = ChargeSheet(
        incident=incident,
        prosecution=prosecution,
        version=version,
        filed_on=filed_on,
        amendment_note=note.strip(),
        created_by=actor,
    )
    _save(sheet)
    _write_counts(incident, sheet, counts, actor)
    if prosecution.status != ProsecutionStatus.PENDING_PLEA:
        prosecution.status = ProsecutionStatus.PENDING_PLEA
        prosecution.save(update_fields=["status"])
    _touch(incident)
    _audit(
        actor,
        sheet,
        incident,
        fields=["version", "amendment_note", "counts"],
        detail={
            "version": version,
            "previous": previous.pk if previous else None,
            "counts": len(counts),
        },
    )
    return sheet


@transaction.atomic(durable=True)
def plea_enter(*, count: ChargeCount, actor: User, plea: str, entered_on: datetime.date) -> Plea:
    """Record the accused's plea to a count of the current charge sheet."""
    incident = count.incident
    _require_prosecutor(actor, incident)
    if count.sheet.superseded_at is not None:
        raise ValidationError(_("This count was amended: take the plea on the current sheet."))
    made = Plea(incident=incident, count=count, plea=plea, entered_on=entered_on, created_by=actor)
    _save(made)
    prosecution = count.sheet.prosecution
    pleaded = set(
        Plea.objects.filter(count__sheet=count.sheet)
        .exclude(plea=PleaKind.DEFERRED)
        .values_list("count_id", flat=True)
    )
    all_counts = set(count.sheet.counts.values_list("pk", flat=True))
    if all_counts <= pleaded and prosecution.status == ProsecutionStatus.PENDING_PLEA:
        prosecution.status = ProsecutionStatus.TRIAL
        prosecution.save(update_fields=["status"])
    _audit(
        actor,
        made,
        incident,
        fields=["plea", "entered_on"],
        detail={"plea": plea, "count": count.pk},
    )
    return made


@transaction.atomic(durable=True)
def bail_record(
    *,
    prosecution: Prosecution,
    actor: User,
    accused: PersonOfInterest,
    kind: str,
    decided_on: datetime.date,
    amount_kes: int | None = None,
    conditions: Iterable[str] = (),
) -> BailTerms:
    """Record bail, bond or remand of an accused, with its conditions."""
    incident = prosecution.incident
    _require(actor, incident)
    if accused.incident_id != incident.pk:
        raise ValidationError({"accused": _("Choose a person of this incident.")})
    terms = BailTerms(
        incident=incident,
        prosecution=prosecution,
        accused=accused,
        kind=kind,
        amount_kes=amount_kes,
        conditions=list(conditions),
        decided_on=decided_on,
        created_by=actor,
    )
    _save(terms)
    _audit(
        actor,
        terms,
        incident,
        fields=["kind", "amount_kes", "conditions"],
        detail={"kind": kind, "conditions": list(terms.conditions)},
    )
    return terms


def _child_caseworker(incident: Incident) -> User | None:
    child = IncidentChild.objects.filter(incident=incident).select_related("case__caseworker")
    first = child.order_by("pk").first()
    return first.case.caseworker if first is not None else None


@transaction.atomic(durable=True)
def court_event_schedule(
    *,
    prosecution: Prosecution,
    actor: User,
    kind: str,
    scheduled_for: datetime.datetime,
    courtroom: str = "",
    witness: str = "",
    child_attends: bool = False,
) -> CourtEvent:
    """Put a date in the court calendar. When the child comes, the caseworker of the child's
    case prepares and accompanies them, and is told of the date."""
    incident = prosecution.incident
    _require(actor, incident)
    child_attends = child_attends or witness == WitnessKind.CHILD
    event = CourtEvent(
        incident=incident,
        prosecution=prosecution,
        kind=kind,
        scheduled_for=scheduled_for,
        courtroom=courtroom.strip(),
        witness=witness,
        child_attends=child_attends,
        accompanied_by=_child_caseworker(incident) if child_attends else None,
        created_by=actor,
    )
    _save(event)
    _tell_attendees(event, actor, kind="court_date")
    _audit(
        actor,
        event,
        incident,
        fields=["kind", "scheduled_for", "witness", "child_attends"],
        detail={"kind": kind, "witness": witness},
    )
    return event


def attendees_of(event: CourtEvent) -> list[User]:
    """Return who must attend: the investigating officers first, the prosecutor, and the
    child's companion when the child comes."""
    people = team_of(event.incident)
    people.append(event.prosecution.lead_prosecutor)
    if event.accompanied_by is not None:
        people.append(event.accompanied_by)
    return [user for user in {user.pk: user for user in people}.values() if user.is_active]


def _tell_attendees(event: CourtEvent, actor: User | None, *, kind: str) -> None:
    notify(
        recipients=attendees_of(event),
        message=gettext_noop("Court date for %(code)s: %(when)s, %(court)s."),
        values={
            "code": event.incident.code,
            "when": timezone.localtime(event.scheduled_for).strftime("%d %b %Y %H:%M"),
            "court": event.prosecution.court,
        },
        link=reverse("justice:calendar"),
        kind=kind,
        actor=actor,
    )


@transaction.atomic(durable=True)
def court_event_held(
    *,
    event: CourtEvent,
    actor: User,
    outcome: str,
    child_testified: bool = False,
    officer_present: bool | None = None,
) -> CourtEvent:
    """Record that the date went ahead, with its outcome."""
    incident = event.incident
    _require(actor, incident, "change")
    if event.state != CourtEventState.SCHEDULED:
        raise ValidationError(_("This court date has already been recorded."))
    event.state = CourtEventState.HELD
    event.outcome = outcome
    event.child_testified = child_testified and event.child_attends
    event.officer_present = officer_present
    event.full_clean()
    event.save(update_fields=["state", "outcome", "child_testified", "officer_present"])
    prosecution = event.prosecution
    if event.kind == CourtEventKind.DEFENCE or outcome == CourtEventOutcome.CASE_TO_ANSWER:
        prosecution.status = ProsecutionStatus.DEFENCE
        prosecution.save(update_fields=["status"])
    elif outcome == CourtEventOutcome.JUDGMENT_DELIVERED:
        prosecution.status = ProsecutionStatus.JUDGMENT
        prosecution.save(update_fields=["status"])
    _touch(incident)
    _audit(
        actor,
        event,
        incident,
        action=AuditAction.CHANGE,
        fields=["state", "outcome", "child_testified", "officer_present"],
        detail={"outcome": outcome},
    )
    return event


def adjournments_of(prosecution: Prosecution) -> int:
    return Adjournment.objects.filter(event__prosecution=prosecution).count()


@transaction.atomic(durable=True)
def court_event_adjourn(
    *,
    event: CourtEvent,
    actor: User,
    requested_by: str,
    reason: str,
    next_date: datetime.datetime,
    officer_present: bool | None = None,
) -> Adjournment:
    """Record an adjournment (who asked, why) and put the next date in the calendar.

    A child who came and was not heard has come to court for nothing: it is counted. Past
    `KINGA_ADJOURNMENT_WARNING` adjournments the team and the child's caseworker are warned.
    """
    incident = event.incident
    _require(actor, incident, "change")
    if event.state != CourtEventState.SCHEDULED:
        raise ValidationError(_("This court date has already been recorded."))
    if next_date <= event.scheduled_for:
        raise ValidationError({"next_date": _("The next date comes after this one.")})
    event.state = CourtEventState.ADJOURNED
    event.officer_present = officer_present
    event.save(update_fields=["state", "officer_present"])
    adjournment = Adjournment(
        incident=incident,
        event=event,
        requested_by=requested_by,
        reason=reason,
        next_date=next_date,
        created_by=actor,
    )
    _save(adjournment)
    following = CourtEvent(
        incident=incident,
        prosecution=event.prosecution,
        kind=event.kind,
        scheduled_for=next_date,
        courtroom=event.courtroom,
        witness=event.witness,
        child_attends=event.child_attends,
        accompanied_by=event.accompanied_by,
        previous=event,
        created_by=actor,
    )
    _save(following)
    _tell_attendees(following, actor, kind="court_adjourned")
    count = adjournments_of(event.prosecution)
    limit = settings.KINGA_ADJOURNMENT_WARNING
    if count > limit:
        warned = attendees_of(following)
        notify(
            recipients=warned,
            message=gettext_noop("Incident %(code)s has been adjourned %(count)d times."),
            values={"code": incident.code, "count": count},
            link=_link(incident),
            kind="court_adjournments",
            actor=actor,
        )
    _touch(incident)
    _audit(
        actor,
        adjournment,
        incident,
        fields=["requested_by", "reason", "next_date"],
        detail={
            "reason": reason,
            "requested_by": requested_by,
            "next": following.pk,
            "adjournments": count,
        },
    )
    return adjournment


@transaction.atomic(durable=True)
def protection_record(
    *,
    prosecution: Prosecution,
    actor: User,
    case: Case,
    measures: Iterable[str],
    declared_on: datetime.date | None = None,
    told_child_on: datetime.date | None = None,
    impact_statement_on: datetime.date | None = None,
) -> WitnessProtection:
    """Record the child's vulnerable-witness declaration (s.31), the measures granted, when
    the child and guardian were told of them (s.32) and the victim impact statement."""
    incident = prosecution.incident
    _require(actor, incident)
    if not IncidentChild.objects.filter(incident=incident, case=case).exists():
        raise ValidationError({"case": _("Choose a child of this incident.")})
    protection = WitnessProtection.objects.filter(prosecution=prosecution, case=case).first()
    created = protection is None
    if protection is None:
        protection = WitnessProtection(
            incident=incident, prosecution=prosecution, case=case, created_by=actor
        )
    protection.measures = sorted(set(measures))
    protection.declared_on = declared_on
    protection.told_child_on = told_child_on
    protection.impact_statement_on = impact_statement_on
    _save(protection)
    _audit(
        actor,
        protection,
        incident,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        fields=["declared_on", "measures", "told_child_on", "impact_statement_on"],
        detail={"measures": protection.measures, "case": case.pk},
    )
    return protection


def _conclude_if_done(prosecution: Prosecution, on: datetime.date) -> None:
    sheet = current_sheet(prosecution)
    if sheet is None:
        return
    open_counts = sheet.counts.filter(outcome__isnull=True).exists()
    if open_counts:
        return
    outcomes = set(
        CountOutcome.objects.filter(count__sheet=sheet).values_list("outcome", flat=True)
    )
    prosecution.status = (
        ProsecutionStatus.WITHDRAWN
        if outcomes == {CountOutcomeKind.WITHDRAWN}
        else ProsecutionStatus.CONCLUDED
    )
    prosecution.concluded_on = on
    prosecution.save(update_fields=["status", "concluded_on"])
    still_open = Prosecution.objects.filter(incident=prosecution.incident).exclude(
        status__in=(ProsecutionStatus.CONCLUDED, ProsecutionStatus.WITHDRAWN)
    )
    if not still_open.exists():
        _touch(prosecution.incident, IncidentStage.CONCLUDED)


@transaction.atomic(durable=True)
def count_outcome_record(
    *, count: ChargeCount, actor: User, outcome: str, decided_on: datetime.date
) -> CountOutcome:
    """Record the outcome of a count of the current sheet; the last one concludes the case."""
    incident = count.incident
    _require_prosecutor(actor, incident)
    if count.sheet.superseded_at is not None:
        raise ValidationError(_("This count was amended: record the outcome on the current sheet."))
    if CountOutcome.objects.filter(count=count).exists():
        raise ValidationError(_("This count already has an outcome."))
    made = CountOutcome(
        incident=incident, count=count, outcome=outcome, decided_on=decided_on, created_by=actor
    )
    _save(made)
    _conclude_if_done(count.sheet.prosecution, decided_on)
    _audit(
        actor,
        made,
        incident,
        fields=["outcome", "decided_on"],
        detail={"outcome": outcome, "count": count.pk},
    )
    return made


@transaction.atomic(durable=True)
def prosecution_withdraw(
    *, prosecution: Prosecution, actor: User, decided_on: datetime.date
) -> Prosecution:
    """Withdraw every open count of the current sheet (Criminal Procedure Code s.87(a))."""
    incident = prosecution.incident
    _require_prosecutor(actor, incident)
    sheet = current_sheet(prosecution)
    if sheet is None:
        raise ValidationError(_("There is no charge sheet."))
    open_counts = list(sheet.counts.filter(outcome__isnull=True))
    for count in open_counts:
        _save(
            CountOutcome(
                incident=incident,
                count=count,
                outcome=CountOutcomeKind.WITHDRAWN,
                decided_on=decided_on,
                created_by=actor,
            )
        )
    CourtEvent.objects.filter(prosecution=prosecution, state=CourtEventState.SCHEDULED).update(
        state=CourtEventState.VACATED
    )
    _conclude_if_done(prosecution, decided_on)
    _audit(
        actor,
        prosecution,
        incident,
        action=AuditAction.CHANGE,
        fields=["status"],
        detail={"status": ProsecutionStatus.WITHDRAWN, "counts": len(open_counts)},
    )
    return prosecution


@transaction.atomic(durable=True)
def sentence_record(
    *,
    count: ChargeCount,
    actor: User,
    kind: str,
    passed_on: datetime.date,
    months: int | None = None,
    fine_kes: int | None = None,
    compensation_kes: int | None = None,
) -> Sentence:
    """Record the sentence on a count the accused was convicted of, and any compensation."""
    incident = count.incident
    _require_prosecutor(actor, incident)
    outcome = CountOutcome.objects.filter(count=count).first()
    if outcome is None or outcome.outcome not in CONVICTIONS:
        raise ValidationError(_("A sentence follows a conviction on this count."))
    sentence = Sentence(
        incident=incident,
        count=count,
        kind=kind,
        months=months,
        fine_kes=fine_kes,
        passed_on=passed_on,
        created_by=actor,
    )
    _save(sentence)
    if compensation_kes is not None:
        prosecution = count.sheet.prosecution
        prosecution.compensation_kes = compensation_kes
        prosecution.save(update_fields=["compensation_kes"])
    _audit(
        actor,
        sentence,
        incident,
        fields=["kind", "months", "fine_kes", "compensation_kes"],
        detail={"kind": kind, "count": count.pk},
    )
    return sentence


@transaction.atomic(durable=True)
def appeal_record(
    *,
    prosecution: Prosecution,
    actor: User,
    appealed_by: str,
    filed_on: datetime.date,
    court: str,
) -> Appeal:
    incident = prosecution.incident
    _require_prosecutor(actor, incident)
    appeal = Appeal(
        incident=incident,
        prosecution=prosecution,
        appealed_by=appealed_by,
        filed_on=filed_on,
        court=court.strip(),
        created_by=actor,
    )
    _save(appeal)
    _audit(
        actor,
        appeal,
        incident,
        fields=["appealed_by", "filed_on", "court"],
        detail={"appealed_by": appealed_by},
    )
    return appeal


# --- reminders ------------------------------------------------------------------------------


def court_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind everyone who must attend a court date within `KINGA_COURT_REMINDER_DAYS` days,
    once per date; the investigating officers also by SMS (absent officers are the first
    cause of adjournments). Return how many dates were reminded."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.KINGA_COURT_REMINDER_DAYS)
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(horizon, datetime.time.max))
    due = (
        CourtEvent.objects.filter(
            state=CourtEventState.SCHEDULED,
            scheduled_for__range=(start, end),
            reminded_on__isnull=True,
        )
        .select_related("incident", "prosecution__lead_prosecutor", "accompanied_by")
        .order_by("scheduled_for")
    )
    reminded = 0
    for event in due:
        officers = team_of(event.incident)
        others = [user for user in attendees_of(event) if user not in officers]
        message = gettext_noop(
            "Reminder: court date for %(code)s on %(when)s at %(court)s. Please attend."
        )
        values = {
            "code": event.incident.code,
            "when": timezone.localtime(event.scheduled_for).strftime("%d %b %Y %H:%M"),
            "court": event.prosecution.court,
        }
        link = reverse("justice:calendar")
        notify(
            recipients=officers,
            message=message,
            values=values,
            link=link,
            kind="court_reminder",
            deliver_by=["sms"],
        )
        notify(recipients=others, message=message, values=values, link=link, kind="court_reminder")
        CourtEvent.objects.filter(pk=event.pk).update(reminded_on=today)
        reminded += 1
    return reminded


REMINDERS_JOB = "justice.court_reminders"


@periodic(REMINDERS_JOB, every=datetime.timedelta(hours=6))
def court_reminders_job(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Send the court reminders that are due; the worker runs this from its schedule, in
    one transaction, so a retry reminds each date once."""
    court_reminders_send(today=timezone.localdate(now))


def investigator_choices(incident: Incident) -> list[User]:
    """Return the investigators of the incident's police unit not on its team yet."""
    on_team = {user.pk for user in team_of(incident)}
    return [
        user
        for user in User.objects.filter(
            is_active=True, agency=incident.police_unit, roles__role=Role.INVESTIGATOR
        ).distinct()
        if user.pk not in on_team
    ]


def next_exhibit_number(incident: Incident) -> str:
    """Return a suggestion for the next exhibit number (PExh. 1, 2, ...)."""
    return f"PExh. {Evidence.objects.filter(incident=incident).count() + 1}"
