"""Writes to survivor cases. Each runs in a transaction, checks the policy, writes one
audit event and a timeline event, and sends notifications after commit."""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access import policy
from kinga.access.models import MatterType, Relation
from kinga.access.services import access_grant, access_revoke, supervisors_of
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases import wellbeing
from kinga.cases.models import (
    CLOSED_STATUSES,
    SECTION_OF_SENSITIVITY,
    AgeBasis,
    ApprovalState,
    Assessment,
    Case,
    CaseCounter,
    CaseEvent,
    CasePlan,
    CaseStatus,
    CaseTeamMember,
    CaseTransfer,
    ClosureRequest,
    Consent,
    ConsentBasis,
    ConsentGivenBy,
    CounsellingSession,
    FollowUp,
    InCase,
    Interview,
    InterviewState,
    Note,
    PlanItem,
    PlanItemStatus,
    PlanState,
    Promise,
    PromiseState,
    ReintegrationStep,
    RiskLevel,
    RoleOnCase,
    SafetyEvent,
    SafetyEventKind,
    Sensitivity,
    Task,
    TransferState,
    WellbeingMeasure,
)

if TYPE_CHECKING:
    from kinga.accounts.models import Agency, User
    from kinga.people.models import Person
    from kinga.places.models import County

MIN_REASON_LENGTH = 20
# An assessed or apparent age carries this much doubt: below 18 + margin, presume a child.
AGE_MARGIN_YEARS = 2


# --- helpers ---------------------------------------------------------------------------------


def _require(actor: User, action: str, case: Case, section: str) -> None:
    policy.require(actor, action, case, section, record_type="cases.case", record_id=case.pk)


def _require_role(actor: User, *roles: str) -> None:
    if not actor.has_role(*roles):
        raise PermissionDenied(_("Your role cannot do this on a case."))


def _event(
    case: Case,
    actor: User,
    kind: str,
    summary: str,
    *,
    section: str = "summary",
    record: InCase | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        created_by=actor,
        kind=kind,
        event_section=section,
        summary=summary[:200],
        record_type=record._meta.label_lower if record is not None else "",
        record_id=record.pk if record is not None else None,
    )
    event.save(force_insert=True)
    return event


def _audit(
    actor: User,
    record: InCase | Case,
    *,
    action: str = AuditAction.CREATE,
    fields: Iterable[str] = (),
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    case_id = record.pk if isinstance(record, Case) else record.case_id
    audit_record(
        action=action,
        actor=actor,
        record_type=record._meta.label_lower,
        record_id=record.pk,
        matter_type=MatterType.CASE,
        matter_id=case_id,
        fields=fields,
        reason=reason,
        detail=detail,
    )


def _touch(case: Case, **changes: Any) -> None:
    for name, value in changes.items():
        setattr(case, name, value)
    case.updated_at = timezone.now()
    case.full_clean()
    case.save(update_fields=[*changes, "updated_at"])


def _notify(users: Iterable[User], text: str, case: Case, actor: User | None) -> None:
    recipients = [user for user in users if actor is None or user.pk != actor.pk]
    if not recipients:
        return
    from kinga.notifications.services import notify

    link = f"/cases/{case.pk}/"
    transaction.on_commit(
        lambda: notify(recipients=recipients, text=text, link=link, kind="case", actor=actor)
    )


def _reason(reason: str, what: str = "reason") -> str:
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {what: _("Write at least %(count)d characters.") % {"count": MIN_REASON_LENGTH}}
        )
    return reason


def _optional(module: str, name: str) -> Any:
    """Return an attribute of another app's module if that app provides it yet."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError:
        return None


# --- opening and the team -----------------------------------------------------------------------


def _next_number(county: County, year: int) -> int:
    """Give the next case number of the county and year, safely under concurrency.

    The counter row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
    transactions serialise writers), and the unique constraint on (county, year, number)
    backs it up.
    """
    CaseCounter.objects.bulk_create(
        [CaseCounter(county=county, year=year, last_number=0)], ignore_conflicts=True
    )
    counter = CaseCounter.objects.select_for_update().get(county=county, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def case_code(county: County, year: int, number: int) -> str:
    return f"{county.prefix}-{year}-{number:05d}"


@transaction.atomic
def case_open(
    *,
    child: Person,
    county: County,
    actor: User,
    reason: str = "",
    caseworker: User | None = None,
    source_report_id: int | None = None,
    risk_level: str = RiskLevel.UNKNOWN,
) -> Case:
    """Open a case for a child, owned by the caseworker's agency; return it.

    One open case per child: a child who already has one is refused.
    """
    if not policy.can_do(actor, "case.open"):
        raise PermissionDenied(_("Your role cannot open cases."))
    owner = caseworker or actor
    if owner.agency is None or not owner.has_role(Role.CASEWORKER, Role.SUPERVISOR):
        raise ValidationError(_("The case owner must be a caseworker with an agency."))
    if Case.objects.filter(
        child=child, status__in=(CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP)
    ).exists():
        raise ValidationError(_("This child already has an open case. Ask to join its team."))
    now = timezone.now()
    year = timezone.localdate().year
    number = _next_number(county, year)
    case = Case(
        code=case_code(county, year, number),
        county=county,
        year=year,
        number=number,
        child=child,
        risk_level=risk_level,
        owning_agency=owner.agency,
        caseworker=owner,
        source_report_id=source_report_id,
        opened_at=now,
        opened_by=actor,
        updated_at=now,
    )
    case.full_clean()
    case.save(force_insert=True)
    _team_add(case=case, user=owner, role_on_case=RoleOnCase.CASEWORKER, actor=actor)
    if actor.pk != owner.pk and actor.agency is not None:
        # the person who opened it for someone else stays on it until they step off
        role = (
            RoleOnCase.SUPERVISOR if actor.has_role(Role.SUPERVISOR) else RoleOnCase.SOCIAL_WORKER
        )
        _team_add(case=case, user=actor, role_on_case=role, actor=actor)
    person_link = _optional("kinga.people.services", "person_link")
    if person_link is not None:
        person_link(person=child, matter=case, role="child", actor=actor)
    _event(case, actor, CaseEvent.Kind.OPENED, _("Case opened"))
    _audit(
        actor,
        case,
        fields=["code", "child", "county", "owning_agency", "caseworker"],
        reason=reason,
    )
    return case


@transaction.atomic
def case_open_from_report(*, report: Any, actor: User, reason: str) -> Case:
    """Open the case of the child a triaged report describes; return it.

    The child is recorded as a new person with the report's age band and ward; the
    caseworker matches them to an existing person later if the search finds one.
    """
    from kinga.people.models import PersonKind
    from kinga.people.services import person_create

    county = getattr(report, "county", None)
    if county is None and actor.agency is not None:
        # a report without a place takes the county of the triaging agency
        county = actor.agency.county
    if county is None:
        raise ValidationError(_("The report has no county, so no case code can be given."))
    bands = getattr(report, "age_bands", None) or [getattr(report, "child_age_band", "")]
    band = next((str(b) for b in bands if _age_from_band(str(b or "")) is not None), "")
    child = getattr(report, "child", None)
    if child is None:
        child = person_create(
            actor=actor,
            kind=PersonKind.CHILD,
            home_ward=getattr(report, "ward", None),
            age_estimate=_age_from_band(band),
            age_basis="apparent" if band else "",
        )
    in_danger = getattr(report, "danger_now", "") == "yes" or bool(
        getattr(report, "immediate_danger", False)
    )
    case = case_open(
        child=child,
        county=county,
        actor=actor,
        reason=reason,
        source_report_id=report.pk,
        risk_level=RiskLevel.HIGH if in_danger else RiskLevel.UNKNOWN,
    )
    received = getattr(report, "received_at", None) or getattr(report, "created_at", None)
    event = _event(case, actor, CaseEvent.Kind.REPORT, _("Report received; case opened at triage"))
    if received is not None:
        CaseEvent.objects.filter(pk=event.pk).update(created_at=received)
    return case


def _age_from_band(band: str) -> int | None:
    """Return the middle of an age band like "12-14" (the apparent age), or None."""
    parts = band.split("-")
    if len(parts) == 2 and all(part.isdigit() for part in parts):
        return (int(parts[0]) + int(parts[1])) // 2
    return None


def _agency_source(case: Case) -> str:
    return f"case-{case.pk}"


def _team_add(*, case: Case, user: User, role_on_case: str, actor: User) -> CaseTeamMember:
    if user.agency is None or not user.is_active:
        raise ValidationError(_("Only an active staff member of an agency can join a team."))
    member = CaseTeamMember(
        case=case, user=user, agency=user.agency, role_on_case=role_on_case, created_by=actor
    )
    member.full_clean()
    member.save(force_insert=True)
    matter = case.access_matter()
    access_grant(
        matter=matter,
        relation=Relation.TEAM_MEMBER,
        actor=actor,
        user=user,
        source_type="cases.team",
        source_id=member.pk,
    )
    access_grant(
        matter=matter,
        relation=Relation.AGENCY_ON_TEAM,
        actor=actor,
        agency=user.agency,
        source_type="cases.team_agency",
        source_id=_agency_source(case),
    )
    return member


@transaction.atomic
def case_team_add(*, case: Case, user: User, role_on_case: str, actor: User) -> CaseTeamMember:
    """Put a staff member (of any agency) on the case's team; return the membership."""
    _require(actor, "change", case, "summary")
    if (
        case.team.filter(user=user)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
        .exists()
    ):
        raise ValidationError(_("This person is already on the team."))
    member = _team_add(case=case, user=user, role_on_case=role_on_case, actor=actor)
    _event(
        case,
        actor,
        CaseEvent.Kind.TEAM,
        _("%(role)s joined the team") % {"role": member.get_role_on_case_display()},
    )
    _audit(actor, member, fields=["user", "agency", "role_on_case"])
    _notify(
        [user], _("You were added to the team of case %(code)s.") % {"code": case.code}, case, actor
    )
    return member


@transaction.atomic
def case_team_remove(*, member: CaseTeamMember, actor: User, reason: str = "") -> CaseTeamMember:
    """Take a member off the team: their access ends, and their agency's when none remain."""
    case = member.case
    _require(actor, "change", case, "summary")
    if member.ends_at is not None and member.ends_at <= timezone.now():
        raise ValidationError(_("This person has already left the team."))
    if member.user_id == case.caseworker_id and member.role_on_case == RoleOnCase.CASEWORKER:
        raise ValidationError(_("The owning caseworker leaves only through a transfer."))
    _team_end(member=member, actor=actor)
    _event(
        case,
        actor,
        CaseEvent.Kind.TEAM,
        _("%(role)s left the team") % {"role": member.get_role_on_case_display()},
    )
    _audit(actor, member, action=AuditAction.CHANGE, fields=["ends_at"], reason=reason)
    return member


def _team_end(*, member: CaseTeamMember, actor: User) -> None:
    now = timezone.now()
    member.ends_at = now
    member.save(update_fields=["ends_at"])
    case = member.case
    matter = case.access_matter()
    access_revoke(matter=matter, actor=actor, source_type="cases.team", source_id=member.pk)
    others = case.team.filter(agency_id=member.agency_id).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    if not others.exists():
        access_revoke(
            matter=matter,
            actor=actor,
            relation=Relation.AGENCY_ON_TEAM,
            agency=member.agency,
            source_type="cases.team_agency",
        )


@transaction.atomic
def case_risk_set(*, case: Case, risk_level: str, actor: User) -> Case:
    _require(actor, "change", case, "summary")
    _touch(case, risk_level=risk_level)
    _event(
        case,
        actor,
        CaseEvent.Kind.RISK,
        _("Risk level: %(level)s") % {"level": case.get_risk_level_display()},
    )
    _audit(actor, case, action=AuditAction.CHANGE, fields=["risk_level"])
    return case


# --- consent ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentDecision:
    """Whether something may be shared: `reason` is a stable slug for logs and messages."""

    allowed: bool
    consent: Consent | None
    reason: str


def consent_allows(*, case: Case, recipient_agency: Agency, purpose: str) -> ConsentDecision:
    """Answer "may this case be shared with that agency for that purpose" from its consents.

    A live consent (not withdrawn, not expired) for that agency and purpose allows it,
    including a legal basis recorded instead of consent and a supervisor's override.
    Withdrawal stops every later share; what was shared before stays shared.
    """
    today = timezone.localdate()
    rows = list(
        Consent.objects.filter(
            case=case, recipient_agency=recipient_agency, purpose=purpose
        ).order_by("-given_on", "-pk")
    )
    for row in rows:
        if row.withdrawn_at is None and (row.expires_on is None or row.expires_on >= today):
            reason = "override" if row.basis == ConsentBasis.OVERRIDE else "consent"
            if row.basis not in (ConsentBasis.CONSENT, ConsentBasis.ASSENT, ConsentBasis.OVERRIDE):
                reason = "legal_basis"
            return ConsentDecision(True, row, reason)
    if any(row.withdrawn_at is not None for row in rows):
        return ConsentDecision(False, None, "withdrawn")
    if rows:
        return ConsentDecision(False, None, "expired")
    return ConsentDecision(False, None, "no_consent")


def _consent_clean(consent: Consent) -> None:
    errors: dict[str, str] = {}
    official = consent.given_by in (ConsentGivenBy.CHILDRENS_OFFICER, ConsentGivenBy.COURT)
    if official and consent.basis in (ConsentBasis.CONSENT, ConsentBasis.ASSENT):
        errors["basis"] = _("A Children's Officer or a court acts on a legal basis: name it.")
    if consent.given_by == ConsentGivenBy.CHILD and consent.basis not in (
        ConsentBasis.CONSENT,
        ConsentBasis.ASSENT,
    ):
        errors["basis"] = _("A child gives consent or assent, not another legal basis.")
    if consent.basis == ConsentBasis.ASSENT and not consent.child_assented:
        errors["child_assented"] = _("Assent means the child agreed: tick it.")
    if consent.given_by == ConsentGivenBy.SUPERVISOR_OVERRIDE:
        errors["given_by"] = _("Overrides are made with the override action.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def consent_record(
    *,
    case: Case,
    actor: User,
    purpose: str,
    recipient_agency: Agency,
    given_by: str,
    explained: str,
    basis: str = ConsentBasis.CONSENT,
    child_assented: bool = False,
    given_by_name: str = "",
    given_on: datetime.date | None = None,
    expires_on: datetime.date | None = None,
) -> Consent:
    """Record consent, assent or another legal basis to share for one purpose with one agency."""
    _require(actor, "create", case, "referral")
    consent = Consent(
        case=case,
        created_by=actor,
        purpose=purpose,
        recipient_agency=recipient_agency,
        given_by=given_by,
        basis=basis,
        child_assented=child_assented,
        given_by_name=given_by_name.strip(),
        explained=explained.strip(),
        given_on=given_on or timezone.localdate(),
        expires_on=expires_on,
    )
    consent.full_clean()
    _consent_clean(consent)
    consent.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.CONSENT,
        _("Consent recorded: %(purpose)s → %(agency)s")
        % {"purpose": consent.get_purpose_display(), "agency": recipient_agency.name},
        section="referral",
        record=consent,
    )
    _audit(
        actor,
        consent,
        fields=["purpose", "recipient_agency", "given_by", "basis", "explained", "given_by_name"],
    )
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, actor: User, note: str = "") -> Consent:
    """Withdraw a consent now: nothing more is shared on it."""
    case = consent.case
    _require(actor, "create", case, "referral")
    if consent.withdrawn_at is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor
    consent.withdrawal_note = note.strip()
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    _event(
        case,
        actor,
        CaseEvent.Kind.CONSENT,
        _("Consent withdrawn: %(purpose)s → %(agency)s")
        % {"purpose": consent.get_purpose_display(), "agency": consent.recipient_agency.name},
        section="referral",
        record=consent,
    )
    _audit(actor, consent, action=AuditAction.CHANGE, fields=["withdrawn_at", "withdrawal_note"])
    return consent


@transaction.atomic
def consent_override(
    *, case: Case, recipient_agency: Agency, purpose: str, actor: User, reason: str
) -> Consent:
    """Allow sharing without consent, for a written reason: supervisors overseeing the case only."""
    if not policy.can_do(actor, "consent.override"):
        raise PermissionDenied(_("Only a supervisor may override consent."))
    _require(actor, "change", case, "summary")
    reason = _reason(reason)
    consent = Consent(
        case=case,
        created_by=actor,
        purpose=purpose,
        recipient_agency=recipient_agency,
        given_by=ConsentGivenBy.SUPERVISOR_OVERRIDE,
        basis=ConsentBasis.OVERRIDE,
        explained=reason,
    )
    consent.full_clean()
    consent.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.CONSENT,
        _("Consent overridden by a supervisor: %(purpose)s → %(agency)s")
        % {"purpose": consent.get_purpose_display(), "agency": recipient_agency.name},
        section="referral",
        record=consent,
    )
    _audit(
        actor,
        consent,
        fields=["purpose", "recipient_agency", "basis"],
        reason=reason,
        detail={"override": True},
    )
    _notify(
        [case.caseworker],
        _("A supervisor overrode consent on case %(code)s.") % {"code": case.code},
        case,
        actor,
    )
    return consent


# --- screening and assessment -----------------------------------------------------------------


def child_flag(
    *,
    age_basis: str,
    assessed_age: int | None,
    date_of_birth: datetime.date | None,
    today: datetime.date | None = None,
) -> bool:
    """Return whether to treat the person as a child.

    A documented date of birth decides. An assessed or apparent age carries doubt, so the
    person is presumed a minor below 18 + AGE_MARGIN_YEARS; unknown age presumes a minor.
    """
    today = today or timezone.localdate()
    if age_basis == AgeBasis.DOCUMENTED and date_of_birth is not None:
        before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
        return today.year - date_of_birth.year - int(before_birthday) < 18
    if assessed_age is None:
        return True
    return assessed_age < 18 + AGE_MARGIN_YEARS


ASSESSMENT_FIELDS = (
    "kind",
    "assessed_on",
    "trafficking_status",
    "status_decided_by",
    "palermo_acts",
    "palermo_means",
    "palermo_purposes",
    "control_methods",
    "exploitation_types",
    "recruitment_channel",
    "recruitment_apps",
    "age_basis",
    "assessed_age",
    "risk_level",
    "needs",
    "risk_notes",
    "best_interests",
    "child_views",
)


@transaction.atomic
def assessment_record(*, case: Case, actor: User, **fields: Any) -> Assessment:
    """Record a screening, assessment or review; the case takes its risk level."""
    _require(actor, "create", case, "care")
    unknown = set(fields) - set(ASSESSMENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown assessment fields: {sorted(unknown)}")
    assessment = Assessment(case=case, created_by=actor, **fields)
    assessment.is_child = child_flag(
        age_basis=assessment.age_basis,
        assessed_age=assessment.assessed_age,
        date_of_birth=getattr(case.child, "date_of_birth", None),
    )
    assessment.full_clean()
    assessment.save(force_insert=True)
    if assessment.risk_level != case.risk_level:
        _touch(case, risk_level=assessment.risk_level)
    _event(
        case,
        actor,
        CaseEvent.Kind.ASSESSMENT,
        "{}: {} · {}".format(
            assessment.get_kind_display(),
            assessment.get_trafficking_status_display(),
            _("risk %(level)s") % {"level": assessment.get_risk_level_display()},
        ),
        section="care",
        record=assessment,
    )
    _audit(
        actor,
        assessment,
        fields=[name for name, value in fields.items() if value not in ("", None, [])],
    )
    return assessment


# --- plan and approvals ------------------------------------------------------------------------


def plan_current(case: Case) -> CasePlan | None:
    return CasePlan.objects.filter(case=case).order_by("-version").first()


@transaction.atomic
def plan_item_add(
    *,
    case: Case,
    actor: User,
    kind: str,
    need: str,
    description: str,
    due_on: datetime.date,
    provider_agency: Agency | None = None,
) -> PlanItem:
    """Add a goal or service to the plan being drafted (a new version once one is approved)."""
    _require(actor, "create", case, "care")
    plan = plan_current(case)
    if plan is not None and plan.state == PlanState.SUBMITTED:
        raise ValidationError(_("The plan is waiting for approval; change it once it is decided."))
    if plan is None or plan.state == PlanState.APPROVED:
        previous = plan
        plan = CasePlan(
            case=case, created_by=actor, version=(previous.version + 1) if previous else 1
        )
        plan.full_clean()
        plan.save(force_insert=True)
        if previous is not None:
            for item in previous.items.filter(status=PlanItemStatus.OPEN):
                PlanItem.objects.create(
                    case=case,
                    plan=plan,
                    created_by=actor,
                    kind=item.kind,
                    need=item.need,
                    description=item.description,
                    provider_agency=item.provider_agency,
                    due_on=item.due_on,
                )
    item = PlanItem(
        case=case,
        plan=plan,
        created_by=actor,
        kind=kind,
        need=need,
        description=description.strip(),
        due_on=due_on,
        provider_agency=provider_agency,
    )
    item.full_clean()
    item.save(force_insert=True)
    _audit(actor, item, fields=["kind", "need", "description", "due_on", "provider_agency"])
    return item


@transaction.atomic
def plan_item_set_status(*, item: PlanItem, status: str, actor: User) -> PlanItem:
    _require(actor, "change", item.case, "care")
    item.status = status
    item.full_clean()
    item.save(update_fields=["status"])
    _audit(actor, item, action=AuditAction.CHANGE, fields=["status"])
    return item


@transaction.atomic
def plan_submit(*, plan: CasePlan, actor: User) -> CasePlan:
    """Send the plan to the supervisors of the case for approval."""
    case = plan.case
    _require(actor, "change", case, "care")
    _require_role(actor, Role.CASEWORKER, Role.SUPERVISOR)
    if plan.state not in (PlanState.DRAFT, PlanState.RETURNED):
        raise ValidationError(_("Only a draft or returned plan can be submitted."))
    if not plan.items.exists():
        raise ValidationError(_("Add at least one goal or service before submitting."))
    plan.state = PlanState.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.save(update_fields=["state", "submitted_at"])
    _event(
        case,
        actor,
        CaseEvent.Kind.PLAN,
        _("Case plan v%(version)d submitted for approval") % {"version": plan.version},
    )
    _audit(actor, plan, action=AuditAction.CHANGE, fields=["state"])
    _notify(
        supervisors_of(matter=case.access_matter()),
        _("A case plan on case %(code)s waits for your approval.") % {"code": case.code},
        case,
        actor,
    )
    return plan


def _require_approver(actor: User, case: Case, requested_by_id: int) -> None:
    if not policy.can_do(actor, "case.approve"):
        raise PermissionDenied(_("Only a supervisor approves."))
    _require(actor, "change", case, "summary")
    if actor.pk == requested_by_id:
        raise PermissionDenied(_("Nobody approves their own request."))


@transaction.atomic
def plan_approve(*, plan: CasePlan, actor: User, comments: str = "") -> CasePlan:
    """Approve a submitted plan."""
    case = plan.case
    _require_approver(actor, case, plan.created_by_id)
    if plan.state != PlanState.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be approved."))
    plan.state = PlanState.APPROVED
    plan.decided_at = timezone.now()
    plan.decided_by = actor
    plan.comments = comments.strip()
    plan.save(update_fields=["state", "decided_at", "decided_by", "comments"])
    _event(
        case,
        actor,
        CaseEvent.Kind.PLAN,
        _("Case plan v%(version)d approved") % {"version": plan.version},
    )
    _audit(actor, plan, action=AuditAction.CHANGE, fields=["state", "comments"])
    _notify(
        [case.caseworker],
        _("The case plan of %(code)s was approved.") % {"code": case.code},
        case,
        actor,
    )
    return plan


@transaction.atomic
def plan_return(*, plan: CasePlan, actor: User, comments: str) -> CasePlan:
    """Return a submitted plan to the caseworker with comments."""
    case = plan.case
    _require_approver(actor, case, plan.created_by_id)
    if plan.state != PlanState.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be returned."))
    if not comments.strip():
        raise ValidationError({"comments": _("Say what needs to change.")})
    plan.state = PlanState.RETURNED
    plan.decided_at = timezone.now()
    plan.decided_by = actor
    plan.comments = comments.strip()
    plan.save(update_fields=["state", "decided_at", "decided_by", "comments"])
    _event(
        case,
        actor,
        CaseEvent.Kind.PLAN,
        _("Case plan v%(version)d returned with comments") % {"version": plan.version},
    )
    _audit(actor, plan, action=AuditAction.CHANGE, fields=["state", "comments"])
    _notify(
        [case.caseworker],
        _("The case plan of %(code)s was returned with comments.") % {"code": case.code},
        case,
        actor,
    )
    return plan


@transaction.atomic
def case_follow_up_start(*, case: Case, actor: User) -> Case:
    """Move an active case to follow-up (the plan's services are delivered)."""
    _require(actor, "change", case, "summary")
    if case.status != CaseStatus.ACTIVE:
        raise ValidationError(_("Only an active case moves to follow-up."))
    _touch(case, status=CaseStatus.FOLLOW_UP)
    _event(
        case,
        actor,
        CaseEvent.Kind.STATUS,
        _("Status: %(status)s") % {"status": case.get_status_display()},
    )
    _audit(actor, case, action=AuditAction.CHANGE, fields=["status"])
    return case


@transaction.atomic
def closure_request(*, case: Case, actor: User, closing_status: str, reason: str) -> ClosureRequest:
    """Ask the supervisors to close the case (as closed, or closed-referred)."""
    _require(actor, "change", case, "summary")
    _require_role(actor, Role.CASEWORKER, Role.SUPERVISOR)
    if not case.is_open:
        raise ValidationError(_("The case is already closed."))
    if case.closures.filter(state=ApprovalState.REQUESTED).exists():
        raise ValidationError(_("A closure request is already waiting."))
    request = ClosureRequest(
        case=case, created_by=actor, closing_status=closing_status, reason=_reason(reason)
    )
    request.full_clean()
    request.save(force_insert=True)
    _event(case, actor, CaseEvent.Kind.CLOSURE, _("Closure requested"))
    _audit(actor, request, fields=["closing_status", "reason"])
    _notify(
        supervisors_of(matter=case.access_matter()),
        _("Closing case %(code)s waits for your approval.") % {"code": case.code},
        case,
        actor,
    )
    return request


@transaction.atomic
def closure_approve(*, request: ClosureRequest, actor: User, comments: str = "") -> Case:
    """Approve the closure: the case closes. The team keeps access for follow-up."""
    case = request.case
    _require_approver(actor, case, request.created_by_id)
    if request.state != ApprovalState.REQUESTED:
        raise ValidationError(_("This request was already decided."))
    request.state = ApprovalState.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.comments = comments.strip()
    request.save(update_fields=["state", "decided_by", "decided_at", "comments"])
    _touch(case, status=request.closing_status, closed_at=timezone.now())
    _event(
        case,
        actor,
        CaseEvent.Kind.CLOSURE,
        _("Closure approved: %(status)s") % {"status": case.get_status_display()},
    )
    _audit(actor, request, action=AuditAction.CHANGE, fields=["state", "comments"])
    _notify(
        [case.caseworker],
        _("Closing case %(code)s was approved.") % {"code": case.code},
        case,
        actor,
    )
    return case


@transaction.atomic
def closure_return(*, request: ClosureRequest, actor: User, comments: str) -> ClosureRequest:
    """Return a closure request with comments; the case stays open."""
    case = request.case
    _require_approver(actor, case, request.created_by_id)
    if request.state != ApprovalState.REQUESTED:
        raise ValidationError(_("This request was already decided."))
    if not comments.strip():
        raise ValidationError({"comments": _("Say what needs to happen first.")})
    request.state = ApprovalState.RETURNED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.comments = comments.strip()
    request.save(update_fields=["state", "decided_by", "decided_at", "comments"])
    _event(case, actor, CaseEvent.Kind.CLOSURE, _("Closure returned with comments"))
    _audit(actor, request, action=AuditAction.CHANGE, fields=["state", "comments"])
    _notify(
        [case.caseworker],
        _("Closing case %(code)s was returned with comments.") % {"code": case.code},
        case,
        actor,
    )
    return request


@transaction.atomic
def case_reopen(*, case: Case, actor: User, reason: str) -> Case:
    """Reopen a closed case (re-exploitation, a new need), with a reason."""
    _require(actor, "change", case, "summary")
    if case.status not in CLOSED_STATUSES:
        raise ValidationError(_("Only a closed case can be reopened."))
    reason = _reason(reason)
    _touch(case, status=CaseStatus.ACTIVE, closed_at=None)
    _event(case, actor, CaseEvent.Kind.REOPENED, _("Case reopened"))
    _audit(actor, case, action=AuditAction.CHANGE, fields=["status", "closed_at"], reason=reason)
    _notify(
        supervisors_of(matter=case.access_matter()),
        _("Case %(code)s was reopened.") % {"code": case.code},
        case,
        actor,
    )
    return case


# --- transfer --------------------------------------------------------------------------------


@transaction.atomic
def transfer_request(*, case: Case, actor: User, to_agency: Agency, reason: str) -> CaseTransfer:
    """Ask another agency to take the case over; its supervisors may look at it meanwhile."""
    from kinga.accounts.models import User as UserModel

    _require(actor, "change", case, "summary")
    _require_role(actor, Role.CASEWORKER, Role.SUPERVISOR)
    if to_agency.pk == case.owning_agency_id:
        raise ValidationError({"to_agency": _("The case is already owned by that agency.")})
    if case.transfers.filter(state=TransferState.REQUESTED).exists():
        raise ValidationError(_("A transfer is already waiting."))
    transfer = CaseTransfer(
        case=case,
        created_by=actor,
        from_agency=case.owning_agency,
        to_agency=to_agency,
        reason=_reason(reason),
    )
    transfer.full_clean()
    transfer.save(force_insert=True)
    access_grant(
        matter=case.access_matter(),
        relation=Relation.AGENCY_ON_TEAM,
        actor=actor,
        agency=to_agency,
        source_type="cases.transfer",
        source_id=transfer.pk,
    )
    _event(
        case,
        actor,
        CaseEvent.Kind.TRANSFER,
        _("Transfer to %(agency)s requested") % {"agency": to_agency.name},
    )
    _audit(actor, transfer, fields=["to_agency", "reason"])
    receivers = UserModel.objects.filter(
        agency=to_agency, is_active=True, roles__role=Role.SUPERVISOR
    )
    _notify(
        list(receivers),
        _("Case %(code)s is offered to your agency.") % {"code": case.code},
        case,
        actor,
    )
    return transfer


def _require_receiver(actor: User, transfer: CaseTransfer) -> None:
    if actor.agency_id != transfer.to_agency_id or not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("A supervisor of the receiving agency decides."))


@transaction.atomic
def transfer_accept(*, transfer: CaseTransfer, actor: User, caseworker: User) -> Case:
    """Accept the case: the new caseworker owns it and the previous one steps off."""
    _require_receiver(actor, transfer)
    if transfer.state != TransferState.REQUESTED:
        raise ValidationError(_("This transfer was already decided."))
    if caseworker.agency_id != transfer.to_agency_id or not caseworker.has_role(
        Role.CASEWORKER, Role.SUPERVISOR
    ):
        raise ValidationError({"caseworker": _("Choose a caseworker of your agency.")})
    case = transfer.case
    transfer.state = TransferState.ACCEPTED
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["state", "decided_by", "decided_at"])
    previous = case.team.filter(
        user_id=case.caseworker_id, role_on_case=RoleOnCase.CASEWORKER, ends_at__isnull=True
    )
    _team_add(case=case, user=caseworker, role_on_case=RoleOnCase.CASEWORKER, actor=actor)
    _touch(case, owning_agency=transfer.to_agency, caseworker=caseworker)
    for member in previous:
        _team_end(member=member, actor=actor)
    access_revoke(
        matter=case.access_matter(),
        actor=actor,
        source_type="cases.transfer",
        source_id=transfer.pk,
    )
    _event(
        case,
        actor,
        CaseEvent.Kind.TRANSFER,
        _("Transfer accepted by %(agency)s") % {"agency": transfer.to_agency.name},
    )
    _audit(actor, transfer, action=AuditAction.CHANGE, fields=["state"])
    _notify([caseworker], _("You now own case %(code)s.") % {"code": case.code}, case, actor)
    return case


@transaction.atomic
def transfer_decline(*, transfer: CaseTransfer, actor: User, note: str) -> CaseTransfer:
    """Decline the case, with a note; the receiving agency's look-in access ends."""
    _require_receiver(actor, transfer)
    if transfer.state != TransferState.REQUESTED:
        raise ValidationError(_("This transfer was already decided."))
    if not note.strip():
        raise ValidationError({"note": _("Say why.")})
    case = transfer.case
    transfer.state = TransferState.DECLINED
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.decision_note = note.strip()
    transfer.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    access_revoke(
        matter=case.access_matter(),
        actor=actor,
        source_type="cases.transfer",
        source_id=transfer.pk,
    )
    _event(
        case,
        actor,
        CaseEvent.Kind.TRANSFER,
        _("Transfer declined by %(agency)s") % {"agency": transfer.to_agency.name},
    )
    _audit(actor, transfer, action=AuditAction.CHANGE, fields=["state", "decision_note"])
    _notify(
        [case.caseworker],
        _("The transfer of case %(code)s was declined.") % {"code": case.code},
        case,
        actor,
    )
    return transfer


# --- tasks and promises -------------------------------------------------------------------------


def _current_member(case: Case, user: User) -> bool:
    return (
        case.team.filter(user=user)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
        .exists()
    )


@transaction.atomic
def task_create(
    *, case: Case, actor: User, title: str, assigned_to: User, due_on: datetime.date
) -> Task:
    """Give a team member a task with a due date; they are reminded when it falls due."""
    _require(actor, "create", case, "summary")
    if not _current_member(case, assigned_to):
        raise ValidationError({"assigned_to": _("Tasks go to members of the team.")})
    task = Task(
        case=case, created_by=actor, title=title.strip(), assigned_to=assigned_to, due_on=due_on
    )
    task.full_clean()
    task.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.TASK,
        _("Task set, due %(date)s") % {"date": due_on.isoformat()},
        record=task,
    )
    _audit(actor, task, fields=["title", "assigned_to", "due_on"])
    _notify(
        [assigned_to], _("You have a new task on case %(code)s.") % {"code": case.code}, case, actor
    )
    return task


@transaction.atomic
def task_complete(*, task: Task, actor: User) -> Task:
    case = task.case
    if actor.pk != task.assigned_to_id:
        _require(actor, "change", case, "summary")
    else:
        _require(actor, "view", case, "summary")
    if task.done_at is not None:
        raise ValidationError(_("This task is already done."))
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    _event(case, actor, CaseEvent.Kind.TASK, _("Task done"), record=task)
    _audit(actor, task, action=AuditAction.CHANGE, fields=["done_at"])
    return task


@transaction.atomic
def promise_make(
    *,
    case: Case,
    actor: User,
    kind: str,
    description: str,
    due_on: datetime.date,
    owner: User | None = None,
    source_type: str = "",
    source_id: object = "",
) -> Promise:
    """Record a commitment made to the survivor; it stays open until kept or explained."""
    _require(actor, "create", case, "summary")
    owner = owner or actor
    if not _current_member(case, owner):
        raise ValidationError({"owner": _("The person keeping it must be on the team.")})
    promise = Promise(
        case=case,
        created_by=actor,
        kind=kind,
        description=description.strip(),
        owner=owner,
        due_on=due_on,
        source_type=source_type,
        source_id=str(source_id) if source_id not in (None, "") else "",
    )
    promise.full_clean()
    promise.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.PROMISE,
        _("Promise made: %(kind)s, by %(date)s")
        % {"kind": promise.get_kind_display(), "date": due_on.isoformat()},
        record=promise,
    )
    _audit(actor, promise, fields=["kind", "description", "owner", "due_on"])
    return promise


def _promise_resolve(promise: Promise, actor: User, state: str, explanation: str) -> Promise:
    case = promise.case
    if actor.pk != promise.owner_id:
        _require(actor, "change", case, "summary")
    else:
        _require(actor, "view", case, "summary")
    if promise.state != PromiseState.OPEN:
        raise ValidationError(_("This promise is already resolved."))
    promise.state = state
    promise.resolved_at = timezone.now()
    promise.resolved_by = actor
    promise.explanation = explanation.strip()
    promise.save(update_fields=["state", "resolved_at", "resolved_by", "explanation"])
    _event(
        case,
        actor,
        CaseEvent.Kind.PROMISE,
        _("Promise %(state)s: %(kind)s")
        % {"state": promise.get_state_display().lower(), "kind": promise.get_kind_display()},
        record=promise,
    )
    _audit(actor, promise, action=AuditAction.CHANGE, fields=["state", "explanation"])
    return promise


@transaction.atomic
def promise_keep(*, promise: Promise, actor: User, note: str = "") -> Promise:
    """Mark a promise kept."""
    return _promise_resolve(promise, actor, PromiseState.KEPT, note)


@transaction.atomic
def promise_explain(*, promise: Promise, actor: User, explanation: str) -> Promise:
    """Close a promise that could not be kept, with what was explained to the child."""
    if not explanation.strip():
        raise ValidationError({"explanation": _("Say what happened and what the child was told.")})
    return _promise_resolve(promise, actor, PromiseState.EXPLAINED, explanation)


def case_reminders_send(*, today: datetime.date | None = None) -> int:
    """Notify owners and the supervisors of each case of overdue promises (once a day) and
    owners of tasks due today or overdue. Return how many promises were flagged."""
    from kinga.notifications.services import notify

    today = today or timezone.localdate()
    flagged = 0
    overdue = (
        Promise.objects.filter(state=PromiseState.OPEN, due_on__lt=today)
        .filter(Q(overdue_notified_on__isnull=True) | Q(overdue_notified_on__lt=today))
        .select_related("case", "owner")
    )
    for promise in overdue:
        with transaction.atomic():
            case = promise.case
            recipients = [promise.owner, *supervisors_of(matter=case.access_matter())]
            notify(
                recipients=recipients,
                text=_("A promise made to the child on case %(code)s is overdue.")
                % {"code": case.code},
                link=f"/cases/{case.pk}/",
                kind="promise_overdue",
            )
            Promise.objects.filter(pk=promise.pk).update(overdue_notified_on=today)
            flagged += 1
    tasks = Task.objects.filter(done_at__isnull=True, due_on=today).select_related(
        "case", "assigned_to"
    )
    for task in tasks:
        notify(
            recipients=[task.assigned_to],
            text=_("A task on case %(code)s is due today.") % {"code": task.case.code},
            link=f"/cases/{task.case_id}/",
            kind="task_due",
        )
    return flagged


# --- notes and interviews ------------------------------------------------------------------------


@transaction.atomic
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
        _("Note (%(sensitivity)s)") % {"sensitivity": note.get_sensitivity_display()},
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


@transaction.atomic
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
        _("Interview planned for %(date)s") % {"date": held_on.isoformat()},
        section="justice",
        record=interview,
    )
    _audit(actor, interview, fields=["held_on", "purpose", "justification"])
    return interview


@transaction.atomic
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
        _("Interview held"),
        section="justice",
        record=interview,
    )
    _audit(
        actor, interview, fields=["held_on", "purpose", "present", "place", "recording_reference"]
    )
    return interview


# --- aftercare ----------------------------------------------------------------------------------


@transaction.atomic
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
        f"{session.get_session_type_display()} · {session.get_attendance_display()}",
        section="care",
        record=session,
    )
    _audit(actor, session, fields=["held_on", "session_type", "attendance", "notes"])
    return session


@transaction.atomic
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
    summary = _("Wellbeing %(total)d/18") % {"total": total}
    if setback:
        summary += " · " + _("setback")
        _notify(
            [case.caseworker],
            _("A wellbeing setback was recorded on case %(code)s.") % {"code": case.code},
            case,
            actor,
        )
    _event(case, actor, CaseEvent.Kind.WELLBEING, summary, section="care", record=measure)
    _audit(actor, measure, fields=["measured_on", "scores", "total"])
    return measure


@transaction.atomic
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
        case, actor, CaseEvent.Kind.SAFETY, event.get_kind_display(), section="care", record=event
    )
    _audit(actor, event, fields=["occurred_on", "kind", "description", "action_taken"])
    _notify(
        [case.caseworker, *supervisors_of(matter=case.access_matter())],
        _("A safety event was recorded on case %(code)s.") % {"code": case.code},
        case,
        actor,
    )
    return event


@transaction.atomic
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
        f"{step.get_domain_display()}: {step.get_status_display()}",
        section="care",
        record=step,
    )
    _audit(actor, step, fields=["recorded_on", "domain", "status", "notes"])
    return step


@transaction.atomic
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
        follow_up.get_outcome_display(),
        section="care",
        record=follow_up,
    )
    _audit(actor, follow_up, fields=["held_on", "outcome", "notes"])
    return follow_up


@transaction.atomic
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
        _("Planned interview cancelled"),
        section="justice",
        record=interview,
    )
    _audit(actor, interview, action=AuditAction.CHANGE, fields=["state"])
    return interview
