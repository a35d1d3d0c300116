"""Writes of the referral workflow. Each one runs in a transaction and writes one audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access import policy
from kinga.access.models import MatterType, Relation
from kinga.access.services import access_grant, access_revoke
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.directory.models import ServiceAtLocation, ServiceStatus
from kinga.lib.reasons import reason_clean
from kinga.referrals.models import (
    ANSWER_WITHIN,
    CLOSED_REFERRAL_STATUSES,
    TRANSITIONS,
    Referral,
    ReferralStatus,
    Urgency,
)
from kinga.referrals.selectors_access import referral_receiver_is
from kinga.tasks.registry import task
from kinga.tasks.services import task_enqueue

if TYPE_CHECKING:
    from kinga.accounts.models import Agency, User
    from kinga.cases.models import Case, Consent
    from kinga.intake.models import Report
    from kinga.people.models import Person


#
# A referral grants the receiving agency `referral_recipient` on its matter (and, for a
# child, the named Children's Officer too); the grant's source is the referral, so the
# selectors show a recipient only the referrals made to it, never the case's others.
# Closing a referral (declined, completed, withdrawn) ends those grants: a service keeps
# no window into a child's case once its part is over; the sending team keeps the record.

REFERRAL = "referrals.referral"
OVERDUE_TASK = "referrals.overdue"
SOURCE_TYPE = REFERRAL


class ReferralRefused(ValidationError):
    """A referral that may not be sent or moved; the message says what to do instead."""


def _referral_audit(
    referral: Referral,
    actor: User | None,
    *,
    action: str = AuditAction.CHANGE,
    fields: Iterable[str] = (),
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    audit_record(
        action=action,
        actor=actor,
        record_type=REFERRAL,
        record_id=referral.pk,
        matter_type=referral.matter_type,
        matter_id=referral.matter_id,
        fields=fields,
        reason=reason,
        detail=detail,
    )


def _notify_later(
    recipients: Iterable[User], message: str, referral: Referral, actor: User | None
) -> None:
    """Tell these people (never the actor) about the referral, by its reference: `message`
    is marked with `gettext_noop`, may use %(reference)s, and is rendered in each reader's
    language."""
    people = [user for user in recipients if actor is None or user.pk != actor.pk]
    if not people:
        return
    from kinga.notifications.services import notify

    link = reverse("referrals:detail", kwargs={"referral_id": referral.pk})
    # In the change's transaction (CONTRIBUTING, "Side effects"): they commit together.
    notify(
        recipients=people,
        message=message,
        values={"reference": referral.reference},
        link=link,
        kind="referral",
        actor=actor,
        deliver_by=("sms", "email"),
    )


def receiving_staff(agency: Agency) -> list[User]:
    """Return the users of a receiving agency who answer referrals: providers and supervisors."""
    from kinga.accounts.models import User

    return list(
        User.objects.filter(
            is_active=True,
            agency=agency,
            roles__role__in=(Role.SERVICE_PROVIDER, Role.SUPERVISOR),
        ).distinct()
    )


def agency_supervisors(agency: Agency) -> list[User]:
    """Return the active supervisors of an agency."""
    from kinga.accounts.models import User

    return list(
        User.objects.filter(is_active=True, agency=agency, roles__role=Role.SUPERVISOR).distinct()
    )


def is_minor(age_band: str) -> bool:
    """Return whether to treat the child as a minor: a minor's band, or an unknown age."""
    from kinga.people.models import AgeBand

    return age_band != AgeBand.ADULT


def childrens_officers(*, county_id: int | None) -> list[User]:
    """Return the caseworkers of children's services agencies, those of the county first."""
    from kinga.accounts.models import AgencyKind, User

    officers = list(
        User.objects.filter(
            is_active=True,
            agency__kind=AgencyKind.CHILDRENS_SERVICES,
            agency__is_active=True,
            roles__role=Role.CASEWORKER,
        )
        .select_related("agency")
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
    officers.sort(key=lambda user: user.agency is None or user.agency.county_id != county_id)
    return officers


def childrens_officer_default(*, case: Case | None, county_id: int | None) -> User | None:
    """Return the Children's Officer for a child's referral: the one on the case's team,
    else the first of the county's children's services."""
    if case is not None:
        from kinga.cases.models import CaseTeamMember, RoleOnCase

        member = (
            CaseTeamMember.objects.filter(
                case=case, role_on_case=RoleOnCase.CHILDRENS_OFFICER, ends_at__isnull=True
            )
            .select_related("user")
            .first()
        )
        if member is not None:
            return member.user
    officers = childrens_officers(county_id=county_id)
    return officers[0] if officers else None


def _check_childrens_officer(officer: User | None, age_band: str) -> None:
    from kinga.accounts.models import AgencyKind

    if officer is None:
        if is_minor(age_band):
            raise ReferralRefused(
                _(
                    "A child's referral always includes a Children's Officer. Choose one; if "
                    "none is listed, ask the county's children's services to join Kinga."
                )
            )
        return
    if (
        officer.agency is None
        or officer.agency.kind != AgencyKind.CHILDRENS_SERVICES
        or not officer.has_role(Role.CASEWORKER)
    ):
        raise ReferralRefused(
            _("The Children's Officer must be a caseworker of a children's services agency.")
        )


def consent_refusal_message(reason: str, agency: Agency) -> str:
    """Return what to do when consent does not allow a referral to the agency."""
    if reason == "withdrawn":
        return _(
            "Consent to refer this child to %(agency)s was withdrawn, so the referral was not "
            "sent. Talk with the child (and the parent or guardian) again and record new "
            "consent on the case, or ask a supervisor to override it with a written reason."
        ) % {"agency": agency.name}
    if reason == "expired":
        return _(
            "Consent to refer this child to %(agency)s has expired, so the referral was not "
            "sent. Record consent again on the case, or ask a supervisor to override it with "
            "a written reason."
        ) % {"agency": agency.name}
    return _(
        "No consent is recorded for referring this child to %(agency)s, so the referral was "
        "not sent. Record the consent (or assent, or another legal basis) on the case first, "
        "or ask a supervisor to override it with a written reason."
    ) % {"agency": agency.name}


def _receiving_agency(place: ServiceAtLocation) -> Agency:
    agency = place.service.organization.agency
    if agency is None or not agency.is_active:
        raise ReferralRefused(
            _(
                "%(organisation)s does not take referrals through Kinga. Call them on the "
                "number in the directory."
            )
            % {"organisation": place.service.organization.name}
        )
    if place.service.status != ServiceStatus.ACTIVE:
        raise ReferralRefused(_("This service is not active: choose another."))
    return agency


def _grant_handlers(referral: Referral, actor: User | None) -> None:
    matter = referral.access_matter()
    access_grant(
        matter=matter,
        relation=Relation.REFERRAL_RECIPIENT,
        actor=actor,
        agency=referral.receiving_agency,
        source_type=SOURCE_TYPE,
        source_id=referral.pk,
    )
    if referral.childrens_officer is not None:
        access_grant(
            matter=matter,
            relation=Relation.REFERRAL_RECIPIENT,
            actor=actor,
            user=referral.childrens_officer,
            source_type=SOURCE_TYPE,
            source_id=referral.pk,
        )


def _create(
    *,
    actor: User,
    place: ServiceAtLocation,
    receiving_agency: Agency,
    case: Case | None,
    report: Report | None,
    urgency: str,
    reason: str,
    child_told: str,
    childrens_officer: User | None,
    consent: Consent | None,
    emergency_basis: str,
    child_first_name: str,
    child_age_band: str,
    child_sex: str,
    child_languages: list[str],
    needs: list[str],
    now: dt.datetime,
    child_age: int | None = None,
) -> Referral:
    if actor.agency is None:
        raise ReferralRefused(_("Only staff of an agency send referrals."))
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Choose how urgent it is.")})
    matter_type = MatterType.CASE if case is not None else MatterType.REPORT
    matter_id = case.pk if case is not None else report.pk  # type: ignore[union-attr]
    referral = Referral(
        matter_type=matter_type,
        matter_id=matter_id,
        case=case,
        report=report if case is None else None,
        service_at_location=place,
        receiving_agency=receiving_agency,
        sending_agency=actor.agency,
        sent_by=actor,
        contact_person=actor,
        childrens_officer=childrens_officer,
        urgency=urgency,
        reason=reason_clean(reason, field="reason"),
        child_told=child_told.strip(),
        consent=consent,
        emergency_basis=emergency_basis,
        child_first_name=child_first_name.strip(),
        child_age_band=child_age_band,
        child_age=child_age,
        child_sex=child_sex,
        child_languages=list(child_languages),
        needs=list(needs),
        sent_at=now,
        due_at=now + ANSWER_WITHIN[Urgency(urgency)],
    )
    if not referral.child_told:
        raise ValidationError({"child_told": _("Say what the child was told about this referral.")})
    referral.full_clean()
    referral.save(force_insert=True)
    _grant_handlers(referral, actor)
    task_enqueue(name=OVERDUE_TASK, payload={"referral_id": referral.pk}, run_after=referral.due_at)
    _referral_audit(
        referral,
        actor,
        action=AuditAction.CREATE,
        fields=[
            "service_at_location",
            "urgency",
            "reason",
            "child_told",
            "consent",
            "emergency_basis",
            "child_first_name",
            "child_age_band",
            "child_age",
            "child_sex",
            "child_languages",
            "needs",
            "childrens_officer",
        ],
        detail={"urgency": urgency, "consent": consent.pk if consent else None},
    )
    _notify_later(
        [*receiving_staff(receiving_agency), *([childrens_officer] if childrens_officer else [])],
        (
            gettext_noop("Emergency referral %(reference)s: answer within 4 hours.")
            if referral.urgency == Urgency.EMERGENCY
            else gettext_noop("New referral %(reference)s waits for your answer.")
        ),
        referral,
        actor,
    )
    return referral


def _promise_for(referral: Referral, actor: User) -> None:
    """Make the referral a promise to the child on its case, kept when it completes."""
    from kinga.cases.models import PromiseKind
    from kinga.cases.services import promise_make

    assert referral.case is not None  # noqa: S101  # only case referrals make promises
    promise = promise_make(
        case=referral.case,
        actor=actor,
        kind=PromiseKind.REFERRAL,
        # A reference, never the referral's details: the promise is in the case summary,
        # whose readers may not see referrals; the case page shows the details to those
        # who may, from the referral itself.
        description=_("Referral %(reference)s") % {"reference": referral.reference},
        due_on=timezone.localtime(referral.due_at).date(),
        source_type=REFERRAL,
        source_id=referral.pk,
    )
    referral.promise = promise
    referral.save(update_fields=["promise"])


@transaction.atomic(durable=True)
def referral_send(
    *,
    case: Case,
    actor: User,
    service_at_location: ServiceAtLocation,
    urgency: str,
    reason: str,
    child_told: str,
    needs: Iterable[str] = (),
    child_first_name: str | None = None,
    childrens_officer: User | None = None,
    override_reason: str = "",
    plan_item_id: int | None = None,
    now: dt.datetime | None = None,
) -> Referral:
    """Refer the child of a case to a service; return the referral.

    What the service needs to serve the child (first name, age, sex, languages, needs) is
    copied from the child's profile onto the referral, and only once consent allows it.
    A referral that meets a service of the case plan (`plan_item_id`) links that item,
    which then follows the referral's state.

    Consent (or another legal basis) for a referral to the receiving agency must be live on
    the case; without it the referral is refused with what to do, unless a supervisor who
    may override consent gives a written reason here. A child's referral always names a
    Children's Officer. The receiving agency gets access to the referral (and only to it),
    its staff are told, a promise is made on the case, and an overdue check is scheduled.
    """
    from kinga.cases.services import consent_allows, consent_override

    now = now or timezone.now()
    policy.require(actor, "create", case, "referral", record_type="cases.case", record_id=case.pk)
    if not case.is_open:
        raise ReferralRefused(_("The case is closed: reopen it before referring the child."))
    receiving_agency = _receiving_agency(service_at_location)
    decision = consent_allows(case=case, recipient_agency=receiving_agency, purpose="referral")
    consent = decision.consent
    if not decision.allowed:
        if not override_reason.strip():
            raise ReferralRefused(consent_refusal_message(decision.reason, receiving_agency))
        if not policy.can_do(actor, "consent.override"):
            raise PermissionDenied(
                _("Only a supervisor may override consent. %(what_to_do)s")
                % {"what_to_do": consent_refusal_message(decision.reason, receiving_agency)}
            )
        consent = consent_override(
            case=case,
            recipient_agency=receiving_agency,
            purpose="referral",
            actor=actor,
            reason=override_reason,
        )
    child = case.child
    age_band = child.derive_age_band() if (child.date_of_birth or child.age_estimate) else ""
    age_band = age_band or child.age_band or ""
    _check_childrens_officer(childrens_officer, age_band)
    referral = _create(
        actor=actor,
        place=service_at_location,
        receiving_agency=receiving_agency,
        case=case,
        report=None,
        urgency=urgency,
        reason=reason,
        child_told=child_told,
        childrens_officer=childrens_officer,
        consent=consent,
        emergency_basis="",
        child_first_name=child.given_name if child_first_name is None else child_first_name,
        child_age_band=age_band,
        child_age=_age_of(child, now),
        child_sex=child.sex or "",
        child_languages=list(child.languages or []),
        needs=list(needs),
        now=now,
    )
    _promise_for(referral, actor)
    if plan_item_id is not None:
        from kinga.cases.services import plan_item_referral_link

        plan_item_referral_link(
            case=case, item_id=plan_item_id, referral_id=referral.pk, actor=actor
        )
    return referral


def _age_of(child: Person, now: dt.datetime) -> int | None:
    """Return the child's age in years: from the date of birth, else the estimate."""
    from kinga.people.models import age_in_years

    if child.date_of_birth is not None:
        return age_in_years(child.date_of_birth, timezone.localtime(now).date())
    return child.age_estimate


@transaction.atomic(durable=True)
def referral_send_emergency(
    *,
    report: Report,
    actor: User,
    service_at_location: ServiceAtLocation,
    reason: str,
    emergency_basis: str,
    child_told: str,
    needs: Iterable[str] = (),
    child_first_name: str = "",
    child_age_band: str = "",
    child_sex: str = "",
    child_languages: Iterable[str] = (),
    childrens_officer: User | None = None,
    now: dt.datetime | None = None,
) -> Referral:
    """Refer a child from a triaged report, before any case exists, in an emergency.

    Only for an emergency (a bed tonight), on a written best-interests basis instead of
    consent; a Children's Officer is always named. The sender keeps sight of the report
    while the referral is open (triage grants end when the report is decided), and the
    referral moves to the case with `referral_attach_to_case` once one is opened.
    """
    moment = now or timezone.now()
    policy.require(
        actor, "create", report, "referral", record_type="intake.report", record_id=report.pk
    )
    basis = reason_clean(emergency_basis, field="emergency_basis")
    receiving_agency = _receiving_agency(service_at_location)
    band = child_age_band or report_age_band(report)
    if childrens_officer is None:
        raise ReferralRefused(
            _("An emergency referral from a report always names a Children's Officer.")
        )
    _check_childrens_officer(childrens_officer, band)
    referral = _create(
        actor=actor,
        place=service_at_location,
        receiving_agency=receiving_agency,
        case=None,
        report=report,
        urgency=Urgency.EMERGENCY,
        reason=reason,
        child_told=child_told,
        childrens_officer=childrens_officer,
        consent=None,
        emergency_basis=basis,
        child_first_name=child_first_name,
        child_age_band=band,
        child_sex=child_sex,
        child_languages=list(child_languages),
        needs=list(needs),
        now=moment,
    )
    # The sender stays on the report while the referral is open: deciding the report ends
    # the area's triage grants (those of source intake), not this one.
    access_grant(
        matter=report.access_matter(),
        relation=Relation.TRIAGE_AREA,
        actor=actor,
        user=actor,
        source_type=SOURCE_TYPE,
        source_id=referral.pk,
    )
    return referral


def report_age_band(report: Report) -> str:
    bands = [str(band) for band in (report.age_bands or []) if band and band != "unknown"]
    return bands[0] if len(bands) == 1 else ""


@transaction.atomic(durable=True)
def referral_attach_to_case(*, referral: Referral, case: Case, actor: User) -> Referral:
    """Move an emergency referral from its report to the child's case, with its access.

    The receiving agency's and the Children's Officer's grants move from the report to the
    case; the sender's hold on the report ends (the case team sees the referral now). An
    open referral becomes a promise on the case.
    """
    return _attach_to_case(referral=referral, case=case, actor=actor)


def _attach_to_case(*, referral: Referral, case: Case, actor: User) -> Referral:
    """Attach inside the caller's transaction (`referral_attach_to_case`, and
    `referrals_attach_from_report` for each referral of the report)."""
    policy.require(actor, "create", case, "referral", record_type="cases.case", record_id=case.pk)
    if referral.case_id is not None:
        raise ReferralRefused(_("This referral is already on a case."))
    old = referral.access_matter()
    access_revoke(matter=old, actor=actor, source_type=SOURCE_TYPE, source_id=referral.pk)
    referral.case = case
    referral.matter_type = MatterType.CASE
    referral.matter_id = case.pk
    referral.full_clean()
    referral.save(update_fields=["case", "matter_type", "matter_id"])
    if referral.is_open:
        _grant_handlers(referral, actor)
        _promise_for(referral, actor)
    _referral_audit(
        referral,
        actor,
        fields=["case", "matter_type", "matter_id"],
        detail={"from_report": referral.report_id},
    )
    return referral


# Not durable: case_open_from_report attaches the report's referrals inside its transaction.
@transaction.atomic
def referrals_attach_from_report(*, case: Case, actor: User) -> list[Referral]:
    """Attach every emergency referral made from the case's source report; return them.

    For cases' `case_open_from_report` to call (through `kinga.cases.seams`) once it opens
    the case.
    """
    if case.source_report_id is None:
        return []
    waiting = Referral.objects.filter(
        report_id=case.source_report_id, case__isnull=True
    ).select_related("receiving_agency", "childrens_officer", "service_at_location__service")
    return [_attach_to_case(referral=r, case=case, actor=actor) for r in waiting]


def referral_transition_check(referral: Referral, to: str) -> None:
    """Refuse a move the state machine does not allow, saying which moves it does."""
    allowed = TRANSITIONS[ReferralStatus(referral.status)]
    if to in allowed:
        return
    labels = dict(ReferralStatus.choices)
    if not allowed:
        raise ReferralRefused(
            _("This referral is %(status)s and closed: it cannot become %(to)s.")
            % {"status": labels[referral.status], "to": labels.get(to, to)}
        )
    raise ReferralRefused(
        _("A referral that is %(status)s cannot become %(to)s; it can become: %(allowed)s.")
        % {
            "status": labels[referral.status],
            "to": labels.get(to, to),
            "allowed": ", ".join(str(labels[s]) for s in sorted(allowed)),
        }
    )


def _require_receiver(actor: User, referral: Referral) -> None:
    if not referral_receiver_is(viewer=actor, referral=referral):
        raise policy.deny(actor, record_type=REFERRAL, record_id=referral.pk, action="change")


def _move(
    referral: Referral, actor: User, to: str, now: dt.datetime, fields: dict[str, Any]
) -> None:
    # The state as stored, under the row's lock: two people answering the same referral at
    # once (accept and decline, say) cannot both move it from the state their page showed.
    seen = referral.status
    stored = (
        Referral.objects.select_for_update()
        .filter(pk=referral.pk)
        .values_list("status", flat=True)
        .get()
    )
    referral.status = stored
    if stored != seen and to not in TRANSITIONS[ReferralStatus(stored)]:
        labels = dict(ReferralStatus.choices)
        raise ReferralRefused(
            _(
                "Someone else moved this referral after you opened it: it is %(status)s now, "
                "so it cannot become %(to)s. Nothing was changed."
            )
            % {"status": labels[stored], "to": labels.get(to, to)}
        )
    referral_transition_check(referral, to)
    referral.status = to
    for name, value in fields.items():
        setattr(referral, name, value)
    if to in CLOSED_REFERRAL_STATUSES:
        referral.closed_at = now
        referral.closed_by = actor
    referral.full_clean()
    changed = ["status", *fields]
    if to in CLOSED_REFERRAL_STATUSES:
        changed += ["closed_at", "closed_by"]
    referral.save(update_fields=changed)
    if referral.case_id is not None:
        from kinga.cases.services import plan_items_follow_referral

        plan_items_follow_referral(
            case_id=referral.case_id, referral_id=referral.pk, status=to, actor=actor
        )
    if to in CLOSED_REFERRAL_STATUSES:
        access_revoke(
            matter=referral.access_matter(),
            actor=actor,
            relation=Relation.REFERRAL_RECIPIENT,
            source_type=SOURCE_TYPE,
            source_id=referral.pk,
        )
        if referral.report_id is not None and referral.case_id is None:
            access_revoke(
                matter=referral.access_matter(),
                actor=actor,
                source_type=SOURCE_TYPE,
                source_id=referral.pk,
            )


def _promise_close(referral: Referral, *, kept: bool, explanation: str) -> None:
    """Keep or explain the referral's promise, in the name of the caseworker who made it."""
    from kinga.cases.models import Promise, PromiseState
    from kinga.cases.services import promise_explain, promise_keep

    if referral.promise_id is None:
        return
    promise = Promise.objects.select_related("case", "owner").get(pk=referral.promise_id)
    if promise.state != PromiseState.OPEN:
        return
    # The promise is the caseworker's; the provider's step resolves it on their behalf.
    owner = promise.owner
    try:
        with transaction.atomic():
            if kept:
                promise_keep(promise=promise, actor=owner, note=explanation)
            else:
                promise_explain(promise=promise, actor=owner, explanation=explanation)
    except (Http404, PermissionDenied, ValidationError):
        # The owner has left the team: the promise stays open for the team to resolve.
        return


def _tell_sender(referral: Referral, message: str, actor: User) -> None:
    recipients = {
        referral.sent_by.pk: referral.sent_by,
        referral.contact_person.pk: referral.contact_person,
    }
    _notify_later(recipients.values(), message, referral, actor)


@transaction.atomic(durable=True)
def referral_accept(*, referral: Referral, actor: User, now: dt.datetime | None = None) -> Referral:
    """Accept a referral for the receiving service; the sender is told."""
    now = now or timezone.now()
    _require_receiver(actor, referral)
    _move(referral, actor, ReferralStatus.ACCEPTED, now, {"answered_at": now, "answered_by": actor})
    _referral_audit(referral, actor, fields=["status"], detail={"status": referral.status})
    _tell_sender(
        referral,
        gettext_noop("Referral %(reference)s was accepted."),
        actor,
    )
    return referral


@transaction.atomic(durable=True)
def referral_decline(
    *, referral: Referral, actor: User, reason: str, now: dt.datetime | None = None
) -> Referral:
    """Decline a referral, with the reason; access ends and the sender is told."""
    now = now or timezone.now()
    _require_receiver(actor, referral)
    referral_transition_check(referral, ReferralStatus.DECLINED)
    reason = reason_clean(reason, field="reason")
    _move(
        referral,
        actor,
        ReferralStatus.DECLINED,
        now,
        {"answered_at": now, "answered_by": actor, "decline_reason": reason},
    )
    # the reason stays on the referral; the event refers to it and names the status
    _referral_audit(
        referral, actor, fields=["status", "decline_reason"], detail={"status": referral.status}
    )
    _promise_close(
        referral,
        kept=False,
        explanation=_(
            "The service declined the referral; the caseworker tells the child and looks for "
            "another service."
        ),
    )
    _tell_sender(
        referral,
        gettext_noop("Referral %(reference)s was declined. Open it for the reason."),
        actor,
    )
    return referral


@transaction.atomic(durable=True)
def referral_start(*, referral: Referral, actor: User, now: dt.datetime | None = None) -> Referral:
    """Record that the service has started with the child."""
    now = now or timezone.now()
    _require_receiver(actor, referral)
    _move(referral, actor, ReferralStatus.IN_PROGRESS, now, {"started_at": now})
    _referral_audit(referral, actor, fields=["status"], detail={"status": referral.status})
    return referral


@transaction.atomic(durable=True)
def referral_complete(
    *, referral: Referral, actor: User, feedback: str, now: dt.datetime | None = None
) -> Referral:
    """Complete a referral with feedback for the case; access ends, the promise is kept."""
    now = now or timezone.now()
    _require_receiver(actor, referral)
    referral_transition_check(referral, ReferralStatus.COMPLETED)
    feedback = reason_clean(feedback, field="feedback")
    _move(referral, actor, ReferralStatus.COMPLETED, now, {"feedback": feedback})
    _referral_audit(referral, actor, fields=["status", "feedback"])
    _promise_close(
        referral,
        kept=True,
        explanation=_("Referral %(reference)s completed.") % {"reference": referral.reference},
    )
    _tell_sender(
        referral,
        gettext_noop("Referral %(reference)s was completed; the feedback is on the case."),
        actor,
    )
    return referral


@transaction.atomic(durable=True)
def referral_withdraw(
    *, referral: Referral, actor: User, reason: str, now: dt.datetime | None = None
) -> Referral:
    """Withdraw a referral for the sending side, with the reason; access ends."""
    now = now or timezone.now()
    if not policy.can(actor, "create", referral, "referral"):
        raise policy.deny(actor, record_type=REFERRAL, record_id=referral.pk, action="change")
    referral_transition_check(referral, ReferralStatus.WITHDRAWN)
    reason = reason_clean(reason, field="reason")
    _move(referral, actor, ReferralStatus.WITHDRAWN, now, {"withdraw_reason": reason})
    _referral_audit(
        referral, actor, fields=["status", "withdraw_reason"], detail={"status": referral.status}
    )
    _promise_close(referral, kept=False, explanation=reason)
    _notify_later(
        receiving_staff(referral.receiving_agency),
        gettext_noop("Referral %(reference)s was withdrawn by the sender."),
        referral,
        actor,
    )
    return referral


@task(OVERDUE_TASK)
def referral_overdue_check(payload: dict[str, Any], now: dt.datetime) -> None:
    """Alert the sender and the sending agency's supervisors once if still unanswered."""
    from kinga.notifications.services import notify

    referral = (
        Referral.objects.select_related("sent_by", "sending_agency")
        .filter(pk=payload["referral_id"])
        .first()
    )
    if referral is None or referral.status != ReferralStatus.SENT:
        return
    if referral.overdue_alerted_at is not None:
        return
    if referral.due_at > now:
        # moved or early: look again when it is due
        task_enqueue(
            name=OVERDUE_TASK, payload={"referral_id": referral.pk}, run_after=referral.due_at
        )
        return
    claimed = Referral.objects.filter(
        pk=referral.pk, status=ReferralStatus.SENT, overdue_alerted_at__isnull=True
    ).update(overdue_alerted_at=now)
    if not claimed:
        return
    notify(
        recipients=[referral.sent_by, *agency_supervisors(referral.sending_agency)],
        message=gettext_noop("Referral %(reference)s has not been answered in time."),
        values={"reference": referral.reference},
        link=reverse("referrals:detail", kwargs={"referral_id": referral.pk}),
        kind="referral_overdue",
        deliver_by=("sms", "email"),
    )
    _referral_audit(referral, None, action=AuditAction.SYSTEM, fields=["overdue_alerted_at"])
