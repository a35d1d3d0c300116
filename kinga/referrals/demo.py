"""Demo referrals: from the demo cases to the demo shelter, hospital and legal-aid clinic,
one in every state (and one overdue), plus an emergency referral from a report in triage.

Runs after the cases' demo; finds the cases through the ORM. Idempotent: a second run
finds the referrals and does nothing. Adds the hospital's and the legal-aid clinic's
service-provider accounts (the accounts demo has the shelter's, `shelter`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from kinga.access.models import AccessGrant, MatterType, Relation
from kinga.accounts.models import Agency, Role, User
from kinga.accounts.services import authenticator_ensure, user_roles_set
from kinga.cases.models import OPEN_STATUSES, Case
from kinga.cases.services import consent_allows, consent_record
from kinga.directory.models import ServiceAtLocation
from kinga.lib.demo import DEMO_PASSWORD
from kinga.referrals import services
from kinga.referrals.models import Referral, Urgency

SHELTER = "Salama Rescue Home"
HOSPITAL = "Coast General Hospital GBV Recovery Centre"
LEGAL_AID = "Haki Pwani Legal Aid Clinic"
PROVIDERS = [
    # username, first, last, agency
    ("hospital", "Fatuma", "Chengo", HOSPITAL),
    ("legalaid", "Bakari", "Ngala", LEGAL_AID),
]
# (agency, service type, urgency, days ago, final state, answer)
PLAN = [
    (SHELTER, "rescue_shelter", Urgency.EMERGENCY, 0, "sent", ""),
    (HOSPITAL, "post_rape_care", Urgency.URGENT, 4, "sent", ""),  # overdue
    (LEGAL_AID, "legal_aid", Urgency.ROUTINE, 3, "accepted", ""),
    (SHELTER, "rescue_shelter", Urgency.URGENT, 12, "in_progress", ""),
    (
        HOSPITAL,
        "post_rape_care",
        Urgency.URGENT,
        30,
        "completed",
        "Examined and treated; PRC "
        "form filled and given to the caseworker; review in two weeks at the GBV centre.",
    ),
    (
        SHELTER,
        "rescue_shelter",
        Urgency.ROUTINE,
        9,
        "declined",
        "No bed free for a girl of this age this month; try the Kilifi rescue centre.",
    ),
    (
        LEGAL_AID,
        "legal_aid",
        Urgency.ROUTINE,
        20,
        "withdrawn",
        "The family found a pro bono advocate through the church; the child is represented.",
    ),
]


def _providers() -> None:
    for index, (username, first, last, agency_name) in enumerate(PROVIDERS):
        agency = Agency.objects.filter(name=agency_name).first()
        if agency is None:
            continue
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "agency": agency,
                "phone": f"+2547000001{index:02d}",
                "email": f"{username}@demo.kinga.invalid",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user_roles_set(user=user, roles={Role.SERVICE_PROVIDER}, actor=None)
        authenticator_ensure(user=user)


def _place(agency_name: str, service_type: str) -> ServiceAtLocation | None:
    return (
        ServiceAtLocation.objects.filter(
            service__organization__agency__name=agency_name,
            service__service_types__code=service_type,
        )
        .select_related("service__organization__agency")
        .order_by("service__name")
        .first()
    )


def _staff(agency: Agency) -> User | None:
    return (
        User.objects.filter(agency=agency, is_active=True, roles__role=Role.SERVICE_PROVIDER)
        .order_by("pk")
        .first()
    )


def _consent(case: Case, agency: Agency) -> None:
    if consent_allows(case=case, recipient_agency=agency, purpose="referral").allowed:
        return
    consent_record(
        case=case,
        actor=case.caseworker,
        purpose="referral",
        recipient_agency=agency,
        given_by="guardian",
        child_assented=True,
        basis="assent",
        explained="Explained in Kiswahili with the child present: who the service is, what "
        "it will be told, and that she may say no.",
    )


def _play(case: Case, step: tuple[str, str, str, int, str, str]) -> Referral | None:
    agency_name, service_type, urgency, days_ago, state, answer = step
    place = _place(agency_name, service_type)
    if place is None or place.service.organization.agency is None:
        return None
    agency = place.service.organization.agency
    staff = _staff(agency)
    if staff is None:
        return None
    _consent(case, agency)
    sent = timezone.now() - dt.timedelta(days=days_ago, hours=2)
    referral = services.referral_send(
        case=case,
        actor=case.caseworker,
        service_at_location=place,
        urgency=urgency,
        reason="Needs the service's help after leaving exploitation; the plan lists it.",
        child_told="Who the service is, what it will do, and that her caseworker comes too.",
        needs=["shelter", "safety"] if service_type == "rescue_shelter" else [],
        childrens_officer=services.childrens_officer_default(case=case, county_id=case.county_id),
        now=sent,
    )
    later = sent + dt.timedelta(hours=3)
    if state == "declined":
        services.referral_decline(referral=referral, actor=staff, reason=answer, now=later)
    elif state == "withdrawn":
        services.referral_withdraw(referral=referral, actor=case.caseworker, reason=answer)
    elif state in ("accepted", "in_progress", "completed"):
        services.referral_accept(referral=referral, actor=staff, now=later)
        if state in ("in_progress", "completed"):
            services.referral_start(
                referral=referral, actor=staff, now=later + dt.timedelta(days=1)
            )
        if state == "completed":
            services.referral_complete(
                referral=referral, actor=staff, feedback=answer, now=later + dt.timedelta(days=5)
            )
    return referral


def _emergency_from_report(out: Callable[[str], None]) -> None:
    """Send an emergency referral from a report still in the caseworker's triage queue."""
    from kinga.intake.models import Report

    caseworker = User.objects.filter(username="caseworker").first()
    place = _place(SHELTER, "rescue_shelter")
    if caseworker is None or caseworker.agency is None or place is None:
        return
    queued = AccessGrant.objects.live().filter(
        matter_type=MatterType.REPORT, relation=Relation.TRIAGE_AREA, agency=caseworker.agency
    )
    report = (
        Report.objects.filter(decision="", pk__in=queued.values("matter_id"))
        .order_by("-priority", "received_at")
        .first()
    )
    if report is None:
        return
    officer = services.childrens_officer_default(case=None, county_id=report.county_id)
    if officer is None:
        return
    referral = services.referral_send_emergency(
        report=report,
        actor=caseworker,
        service_at_location=place,
        reason="A girl alone at night near the ferry; needs a safe bed tonight.",
        emergency_basis="In danger tonight and no parent or guardian can be reached; a case "
        "follows tomorrow.",
        child_told="That a safe home for girls will take her tonight and she may leave.",
        needs=["shelter", "safety"],
        child_age_band="15-17",
        child_sex="female",
        child_languages=["sw"],
        childrens_officer=officer,
    )
    out(f"    {referral.reference}: emergency from report {report.reference}")


def load(*, out: Callable[[str], None]) -> None:
    """Create the demo referrals once.

    No transaction around it: each step is a service that commits on its own (they are
    durable, issue 12).
    """
    _providers()
    if Referral.objects.filter(sent_by__username="caseworker").exists():
        out("    referrals already loaded")
        return
    cases = list(
        Case.objects.filter(caseworker__username="caseworker", status__in=OPEN_STATUSES)
        .select_related("caseworker", "child")
        .order_by("opened_at")
    )
    if not cases:
        out("    no open demo cases: skipped")
        return
    made = 0
    for index, step in enumerate(PLAN):
        referral = _play(cases[index % len(cases)], step)
        if referral is not None:
            made += 1
            out(f"    {referral.reference}: {referral.get_status_display()}")
    _emergency_from_report(out)
    out(f"    {made} referrals")
