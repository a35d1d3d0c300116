"""Opening a case and its team: codes, grants, the child's link."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access import policy
from kinga.access.models import Relation
from kinga.access.services import access_grant, access_revoke
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction
from kinga.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CaseStatus,
    CaseTeamMember,
    RiskLevel,
    RoleOnCase,
)
from kinga.cases.seams import case_referrals
from kinga.cases.services.base import (
    _audit,
    _event,
    _label,
    _notify,
    _require,
    _touch,
)
from kinga.people.models import PersonKind
from kinga.people.services import person_create, person_link

if TYPE_CHECKING:
    from kinga.accounts.models import User
    from kinga.people.models import Person
    from kinga.places.models import County, Ward


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


@transaction.atomic(durable=True)
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
    return _case_open(
        child=child,
        county=county,
        actor=actor,
        reason=reason,
        caseworker=caseworker,
        source_report_id=source_report_id,
        risk_level=risk_level,
    )


def _case_open(
    *,
    child: Person,
    county: County,
    actor: User,
    reason: str = "",
    caseworker: User | None = None,
    source_report_id: int | None = None,
    risk_level: str = RiskLevel.UNKNOWN,
) -> Case:
    """Open the case inside the caller's transaction (`case_open`, `case_open_from_report`)."""
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
    person_link(person=child, matter=case, role="child", actor=actor)
    _event(case, actor, CaseEvent.Kind.OPENED, gettext_noop("Case opened"))
    # Opened from a report: the reason is the triage decision's, kept on the report; the
    # event refers to the report. Otherwise the typed reason is kept, encrypted, in the event.
    _audit(
        actor,
        case,
        fields=["code", "child", "county", "owning_agency", "caseworker"],
        reason="" if source_report_id is not None else reason,
        detail={"source_report": source_report_id} if source_report_id is not None else None,
    )
    return case


class ReportFacts(Protocol):
    """What a case opened at triage takes from its report (intake's `Report` has it all).

    Declared here, below intake: intake calls cases, never the reverse.
    """

    @property
    def pk(self) -> int: ...
    @property
    def county(self) -> County | None: ...
    @property
    def ward(self) -> Ward | None: ...
    @property
    def age_bands(self) -> list[str]: ...
    @property
    def child_in_danger(self) -> bool: ...
    @property
    def received_at(self) -> datetime: ...


# Not durable: intake's triage decision opens the case inside its own transaction.
@transaction.atomic
def case_open_from_report(*, report: ReportFacts, actor: User, reason: str) -> Case:
    """Open the case of the child a triaged report describes; return it.

    The child is recorded as a new person with the report's age band and ward; the
    caseworker matches them to an existing person later if the search finds one.
    """
    county = report.county
    if county is None and actor.agency is not None:
        # a report without a place takes the county of the triaging agency
        county = actor.agency.county
    if county is None:
        raise ValidationError(_("The report has no county, so no case code can be given."))
    band = next((str(b) for b in report.age_bands if _age_from_band(str(b)) is not None), "")
    child = person_create(
        actor=actor,
        kind=PersonKind.CHILD,
        home_ward=report.ward,
        age_estimate=_age_from_band(band),
        age_basis="apparent" if band else "",
    )
    case = _case_open(
        child=child,
        county=county,
        actor=actor,
        reason=reason,
        source_report_id=report.pk,
        risk_level=RiskLevel.HIGH if report.child_in_danger else RiskLevel.UNKNOWN,
    )
    event = _event(
        case, actor, CaseEvent.Kind.REPORT, gettext_noop("Report received; case opened at triage")
    )
    CaseEvent.objects.filter(pk=event.pk).update(created_at=report.received_at)
    # emergency referrals made from the report move to the case, as promises to keep
    referrals = case_referrals()
    if referrals is not None:
        referrals.attach_from_report(case=case, actor=actor)
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
    # The agency comes on through the member's roles, and no further: its supervisors see
    # what this member's role may see as a team member (a police unit's, never care).
    for role in policy.team_roles(user.role_set):
        access_grant(
            matter=matter,
            relation=Relation.AGENCY_ON_TEAM,
            actor=actor,
            agency=user.agency,
            via_role=role,
            source_type="cases.team_agency",
            source_id=_agency_source(case),
        )
    return member


@transaction.atomic(durable=True)
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
        gettext_noop("%(role)s joined the team"),
        params={"role": _label(member, "role_on_case")},
    )
    _audit(actor, member, fields=["user", "agency", "role_on_case"])
    _notify([user], gettext_noop("You were added to the team of case %(code)s."), case, actor)
    return member


@transaction.atomic(durable=True)
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
        gettext_noop("%(role)s left the team"),
        params={"role": _label(member, "role_on_case")},
    )
    _audit(actor, member, action=AuditAction.CHANGE, fields=["ends_at"], reason=reason)
    return member


def _team_end(*, member: CaseTeamMember, actor: User) -> None:
    """End a membership, and its agency's grants through roles no remaining member holds."""
    now = timezone.now()
    member.ends_at = now
    member.save(update_fields=["ends_at"])
    case = member.case
    matter = case.access_matter()
    access_revoke(matter=matter, actor=actor, source_type="cases.team", source_id=member.pk)
    others = case.team.filter(agency_id=member.agency_id).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    still_through: set[str] = set()
    for other in others.select_related("user"):
        still_through |= set(policy.team_roles(other.user.role_set))
    for role in set(policy.team_roles(member.user.role_set)) - still_through:
        access_revoke(
            matter=matter,
            actor=actor,
            relation=Relation.AGENCY_ON_TEAM,
            agency=member.agency,
            via_role=role,
            source_type="cases.team_agency",
        )


@transaction.atomic(durable=True)
def case_risk_set(*, case: Case, risk_level: str, actor: User) -> Case:
    _require(actor, "change", case, "summary")
    _touch(case, risk_level=risk_level)
    _event(
        case,
        actor,
        CaseEvent.Kind.RISK,
        gettext_noop("Risk level: %(level)s"),
        params={"level": _label(case, "risk_level")},
    )
    _audit(actor, case, action=AuditAction.CHANGE, fields=["risk_level"])
    return case
