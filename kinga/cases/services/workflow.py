"""Screening and assessment, the case plan and its approval, closure, reopening, transfer."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access import policy
from kinga.access.models import MatterType, Relation
from kinga.access.services import access_grant, access_revoke, supervisors_of
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction
from kinga.audit.selectors import last_saved
from kinga.audit.services import audit_record
from kinga.cases.models import (
    CLOSED_STATUSES,
    AgeBasis,
    ApprovalState,
    Assessment,
    Case,
    CaseEvent,
    CasePlan,
    CaseStatus,
    CaseTransfer,
    ClosureRequest,
    PlanItem,
    PlanItemKind,
    PlanItemStatus,
    PlanState,
    RoleOnCase,
    TransferState,
)
from kinga.cases.selectors_access import transfer_receiver_is
from kinga.cases.services.base import (
    AGE_MARGIN_YEARS,
    _audit,
    _event,
    _label,
    _notify,
    _require,
    _require_role,
    _touch,
)
from kinga.cases.services.child import child_age_from_assessment
from kinga.cases.services.opening import _team_add, _team_end
from kinga.lib.concurrency import version_check
from kinga.lib.reasons import reason_clean

if TYPE_CHECKING:
    from kinga.accounts.models import Agency, User


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


@transaction.atomic(durable=True)
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
    # The assessed or apparent age becomes the child's (unless a document gives the date).
    child_age_from_assessment(
        case=case,
        actor=actor,
        assessed_age=assessment.assessed_age,
        age_basis=assessment.age_basis,
    )
    if assessment.risk_level != case.risk_level:
        _touch(case, risk_level=assessment.risk_level)
    _event(
        case,
        actor,
        CaseEvent.Kind.ASSESSMENT,
        gettext_noop("%(kind)s: %(status)s · risk %(level)s"),
        params={
            "kind": _label(assessment, "kind"),
            "status": _label(assessment, "trafficking_status"),
            "level": _label(assessment, "risk_level"),
        },
        section="care",
        record=assessment,
        happened_on=assessment.assessed_on,
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


@transaction.atomic(durable=True)
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
                    referral_id=item.referral_id,
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


@transaction.atomic(durable=True)
def plan_item_set_status(*, item: PlanItem, status: str, actor: User) -> PlanItem:
    _require(actor, "change", item.case, "care")
    item.status = status
    item.full_clean()
    item.version = F("version") + 1
    item.save(update_fields=["status", "version"])
    item.refresh_from_db(fields=["version"])
    _audit(actor, item, action=AuditAction.CHANGE, fields=["status"])
    return item


# What an edit of a plan item may change; the content only while the plan is being drafted.
PLAN_ITEM_CONTENT = ("need", "description", "provider_agency", "due_on")


@transaction.atomic(durable=True)
def plan_item_update(
    *,
    item: PlanItem,
    actor: User,
    need: str,
    description: str,
    due_on: datetime.date,
    status: str,
    provider_agency: Agency | None = None,
    expected_version: int | None = None,
) -> PlanItem:
    """Change a goal or service of the current plan; return it.

    Its need, description, provider and due date change only while the plan is a draft or
    was returned (an approved plan changes by a new version: add a goal or service); its
    status changes at any time. `expected_version` is the item's edit version the form was
    opened on: when someone saved the item since, raise `StaleEdit` and write nothing.
    """
    case = item.case
    _require(actor, "change", case, "care")
    locked = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    version_check(
        stored=locked.version,
        expected=expected_version,
        last_saved=lambda: last_saved(
            record_type="cases.planitem",
            record_id=item.pk,
            matter_type=MatterType.CASE,
            matter_id=case.pk,
        ),
    )
    current = plan_current(case)
    if current is None or locked.plan_id != current.pk:
        raise ValidationError(
            _("This goal or service belongs to an earlier version of the plan; it stays as it was.")
        )
    wanted: dict[str, Any] = {
        "need": need,
        "description": description.strip(),
        "provider_agency": provider_agency,
        "due_on": due_on,
        "status": status,
    }
    changed = [name for name, value in wanted.items() if getattr(locked, name) != value]
    content = [name for name in changed if name in PLAN_ITEM_CONTENT]
    if content and current.state not in (PlanState.DRAFT, PlanState.RETURNED):
        message = _(
            "The plan is %(state)s: only the status changes now. To change what the plan "
            "says, add a goal or service (a new version of the plan starts)."
        ) % {"state": current.get_state_display()}
        raise ValidationError({name: message for name in content})
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, wanted[name])
    locked.full_clean()
    locked.version = locked.version + 1
    locked.save(update_fields=[*changed, "version"])
    _audit(actor, locked, action=AuditAction.CHANGE, fields=changed)
    return locked


# Referral statuses (the referrals app's), as a plan item met by a referral follows them.
REFERRAL_DONE = "completed"
REFERRAL_ENDED_UNMET = frozenset({"declined", "withdrawn"})


@transaction.atomic
def plan_item_referral_link(*, case: Case, item_id: int, referral_id: int, actor: User) -> PlanItem:
    """Record that a referral meets an open service of the current plan (inside the
    referral's transaction: the referral and its link commit together)."""
    _require(actor, "create", case, "referral")
    plan = plan_current(case)
    item = (
        PlanItem.objects.filter(
            pk=item_id,
            case=case,
            plan=plan,
            kind=PlanItemKind.SERVICE,
            status=PlanItemStatus.OPEN,
        ).first()
        if plan is not None
        else None
    )
    if item is None:
        raise ValidationError({"plan_item": _("Choose an open service of the current plan.")})
    item.referral_id = referral_id
    item.full_clean()
    item.version = F("version") + 1
    item.save(update_fields=["referral_id", "version"])
    item.refresh_from_db(fields=["version"])
    _audit(actor, item, action=AuditAction.CHANGE, fields=["referral_id"])
    return item


@transaction.atomic
def plan_items_follow_referral(
    *, case_id: int, referral_id: int, status: str, actor: User | None
) -> int:
    """Move the plan items a referral meets with its state; return how many moved.

    Completed: the item is done. Declined or withdrawn: the item is open again and no
    longer met by it, so the caseworker refers elsewhere. Called by the referral's own
    step, in its transaction; the item's change is audited as the system's consequence.
    """
    items = list(
        PlanItem.objects.filter(case_id=case_id, referral_id=referral_id).exclude(
            status=PlanItemStatus.DROPPED
        )
    )
    moved = 0
    for item in items:
        # the edit version moves too: a form opened before the referral moved is stale
        item.version = F("version") + 1
        if status == REFERRAL_DONE:
            item.status = PlanItemStatus.DONE
            item.save(update_fields=["status", "version"])
            changed = ["status"]
        elif status in REFERRAL_ENDED_UNMET:
            item.status = PlanItemStatus.OPEN
            item.referral_id = None
            item.save(update_fields=["status", "referral_id", "version"])
            changed = ["status", "referral_id"]
        else:
            continue
        audit_record(
            action=AuditAction.SYSTEM,
            actor=actor,
            record_type="cases.planitem",
            record_id=item.pk,
            matter_type=MatterType.CASE,
            matter_id=case_id,
            fields=changed,
            detail={"referral": referral_id, "status": status},
        )
        moved += 1
    return moved


@transaction.atomic(durable=True)
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
        gettext_noop("Case plan v%(version)d submitted for approval"),
        params={"version": plan.version},
    )
    _audit(actor, plan, action=AuditAction.CHANGE, fields=["state"])
    _notify(
        supervisors_of(matter=case.access_matter()),
        gettext_noop("A case plan on case %(code)s waits for your approval."),
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


def _plan_decide(
    *, plan: CasePlan, actor: User, state: str, comments: str, event: str, notice: str
) -> CasePlan:
    """Record the supervisor's decision on a submitted plan: event, audit and notice."""
    case = plan.case
    plan.state = state
    plan.decided_at = timezone.now()
    plan.decided_by = actor
    plan.comments = comments.strip()
    plan.save(update_fields=["state", "decided_at", "decided_by", "comments"])
    _event(case, actor, CaseEvent.Kind.PLAN, event, params={"version": plan.version})
    _audit(actor, plan, action=AuditAction.CHANGE, fields=["state", "comments"])
    _notify([case.caseworker], notice, case, actor)
    return plan


@transaction.atomic(durable=True)
def plan_approve(*, plan: CasePlan, actor: User, comments: str = "") -> CasePlan:
    """Approve a submitted plan."""
    _require_approver(actor, plan.case, plan.created_by_id)
    if plan.state != PlanState.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be approved."))
    return _plan_decide(
        plan=plan,
        actor=actor,
        state=PlanState.APPROVED,
        comments=comments,
        event=gettext_noop("Case plan v%(version)d approved"),
        notice=gettext_noop("The case plan of %(code)s was approved."),
    )


@transaction.atomic(durable=True)
def plan_return(*, plan: CasePlan, actor: User, comments: str) -> CasePlan:
    """Return a submitted plan to the caseworker with comments."""
    _require_approver(actor, plan.case, plan.created_by_id)
    if plan.state != PlanState.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be returned."))
    if not comments.strip():
        raise ValidationError({"comments": _("Say what needs to change.")})
    return _plan_decide(
        plan=plan,
        actor=actor,
        state=PlanState.RETURNED,
        comments=comments,
        event=gettext_noop("Case plan v%(version)d returned with comments"),
        notice=gettext_noop("The case plan of %(code)s was returned with comments."),
    )


@transaction.atomic(durable=True)
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
        gettext_noop("Status: %(status)s"),
        params={"status": _label(case, "status")},
    )
    _audit(actor, case, action=AuditAction.CHANGE, fields=["status"])
    return case


@transaction.atomic(durable=True)
def closure_request(*, case: Case, actor: User, closing_status: str, reason: str) -> ClosureRequest:
    """Ask the supervisors to close the case (as closed, or closed-referred)."""
    _require(actor, "change", case, "summary")
    _require_role(actor, Role.CASEWORKER, Role.SUPERVISOR)
    if not case.is_open:
        raise ValidationError(_("The case is already closed."))
    if case.closures.filter(state=ApprovalState.REQUESTED).exists():
        raise ValidationError(_("A closure request is already waiting."))
    request = ClosureRequest(
        case=case, created_by=actor, closing_status=closing_status, reason=reason_clean(reason)
    )
    request.full_clean()
    request.save(force_insert=True)
    _event(case, actor, CaseEvent.Kind.CLOSURE, gettext_noop("Closure requested"))
    _audit(actor, request, fields=["closing_status", "reason"])
    _notify(
        supervisors_of(matter=case.access_matter()),
        gettext_noop("Closing case %(code)s waits for your approval."),
        case,
        actor,
    )
    return request


@transaction.atomic(durable=True)
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
        gettext_noop("Closure approved: %(status)s"),
        params={"status": _label(case, "status")},
    )
    _audit(actor, request, action=AuditAction.CHANGE, fields=["state", "comments"])
    _notify(
        [case.caseworker],
        gettext_noop("Closing case %(code)s was approved."),
        case,
        actor,
    )
    return case


@transaction.atomic(durable=True)
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
    _event(case, actor, CaseEvent.Kind.CLOSURE, gettext_noop("Closure returned with comments"))
    _audit(actor, request, action=AuditAction.CHANGE, fields=["state", "comments"])
    _notify(
        [case.caseworker],
        gettext_noop("Closing case %(code)s was returned with comments."),
        case,
        actor,
    )
    return request


@transaction.atomic(durable=True)
def case_reopen(*, case: Case, actor: User, reason: str) -> Case:
    """Reopen a closed case (re-exploitation, a new need), with a reason."""
    _require(actor, "change", case, "summary")
    if case.status not in CLOSED_STATUSES:
        raise ValidationError(_("Only a closed case can be reopened."))
    reason = reason_clean(reason)
    _touch(case, status=CaseStatus.ACTIVE, closed_at=None)
    _event(case, actor, CaseEvent.Kind.REOPENED, gettext_noop("Case reopened"))
    _audit(actor, case, action=AuditAction.CHANGE, fields=["status", "closed_at"], reason=reason)
    _notify(
        supervisors_of(matter=case.access_matter()),
        gettext_noop("Case %(code)s was reopened."),
        case,
        actor,
    )
    return case


# --- transfer --------------------------------------------------------------------------------


@transaction.atomic(durable=True)
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
        reason=reason_clean(reason),
    )
    transfer.full_clean()
    transfer.save(force_insert=True)
    access_grant(
        matter=case.access_matter(),
        relation=Relation.AGENCY_ON_TEAM,
        actor=actor,
        agency=to_agency,
        # the receiving agency looks at the case as its owning caseworker would
        via_role=Role.CASEWORKER,
        source_type="cases.transfer",
        source_id=transfer.pk,
    )
    _event(
        case,
        actor,
        CaseEvent.Kind.TRANSFER,
        gettext_noop("Transfer to %(agency)s requested"),
        params={"agency": to_agency.name},
    )
    _audit(actor, transfer, fields=["to_agency", "reason"])
    receivers = UserModel.objects.filter(
        agency=to_agency, is_active=True, roles__role=Role.SUPERVISOR
    )
    _notify(
        list(receivers),
        gettext_noop("Case %(code)s is offered to your agency."),
        case,
        actor,
    )
    return transfer


def _require_receiver(actor: User, transfer: CaseTransfer) -> None:
    if not transfer_receiver_is(viewer=actor, transfer=transfer):
        raise PermissionDenied(_("A supervisor of the receiving agency decides."))


@transaction.atomic(durable=True)
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
        gettext_noop("Transfer accepted by %(agency)s"),
        params={"agency": transfer.to_agency.name},
    )
    _audit(actor, transfer, action=AuditAction.CHANGE, fields=["state"])
    _notify([caseworker], gettext_noop("You now own case %(code)s."), case, actor)
    return case


@transaction.atomic(durable=True)
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
        gettext_noop("Transfer declined by %(agency)s"),
        params={"agency": transfer.to_agency.name},
    )
    _audit(actor, transfer, action=AuditAction.CHANGE, fields=["state", "decision_note"])
    _notify(
        [case.caseworker],
        gettext_noop("The transfer of case %(code)s was declined."),
        case,
        actor,
    )
    return transfer
