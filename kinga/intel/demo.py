"""Demo networks that make sense, built the way the worker builds the real ones.

A recruiter in Malindi (Salim Chengo) is named in three incidents, each with a girl he
brought to the same bar (Casablanca Bar); he uses an Instagram account and a phone. A
transporter (Bakari Mwinyi, a matatu with plate KDA 512X) drives for him in one incident and
for a pimp in Mombasa in another. A public report from Kilifi names the same Instagram
account and phone, which alerts the investigators. Runs after justice's demo, as the demo
investigator; only synthetic people. Idempotent: a second run finds the incidents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from kinga.accounts.models import User
from kinga.cases.models import Case
from kinga.intake import services as intake_services
from kinga.intake.models import Report
from kinga.intel.build import origin_refresh, reports_sweep
from kinga.intel.models import Origin
from kinga.justice import services
from kinga.justice.models import (
    Incident,
    IncidentChild,
    LeadKind,
    PersonOfInterest,
    PersonRole,
    Relationship,
)
from kinga.places.models import County

MARK = "OB INTEL"
HANDLE = "@pwani_models_ke"
PHONE = "0722 410 220"
PLATE = "KDA 512X"
BAR = "Casablanca Bar"


def _open(investigator: User, county: str, days_ago: int, number: int, summary: str) -> Incident:
    start = timezone.now() - dt.timedelta(days=days_ago)
    return services.incident_open(
        actor=investigator,
        at=start,
        facts=services.IncidentInput(
            county=County.objects.get(name=county),
            station=f"{county} Central Police Station",
            ob_number=f"{MARK} {number}/{start:%d/%m/%Y}",
            reported_on=(start - dt.timedelta(days=2)).date(),
            summary=summary,
            exploitation_types=["commercial_in_person"],
            control_methods=["false_promises"],
            began_on=(start - dt.timedelta(days=40)).date(),
            ended_on=(start - dt.timedelta(days=5)).date(),
            buyer_origin="foreign",
        ),
    )


def _add(
    incident: Incident,
    investigator: User,
    role: str,
    relationship: str,
    *,
    given: str = "",
    family: str = "",
    same_as: PersonOfInterest | None = None,
    foreign: bool = False,
) -> PersonOfInterest:
    return services.person_of_interest_add(
        incident=incident,
        actor=investigator,
        role=role,
        relationship=relationship,
        is_foreign=foreign,
        person=same_as.person if same_as is not None else None,
        new_person=None
        if same_as is not None
        else services.NewPerson(given_name=given, family_name=family),
    )


def load(*, out: Callable[[str], None]) -> None:
    """Play the Malindi network once; a second run finds it and does nothing."""
    investigator = User.objects.filter(username="investigator", is_active=True).first()
    if investigator is None:
        out("    no demo investigator: skipped")
        return
    if Incident.objects.filter(investigation__ob_number__startswith=MARK).exists():
        out("    networks already loaded")
        return
    # girls whose cases no incident names yet first; then girls of other incidents (a child
    # exploited twice links the two)
    linked = IncidentChild.objects.values_list("case_id", flat=True)
    girls = list(Case.objects.exclude(pk__in=linked).order_by("opened_at")[:3])
    girls += list(Case.objects.filter(pk__in=linked).order_by("-opened_at")[: 3 - len(girls)])
    first = _open(investigator, "Kilifi", 120, 1, "A girl recruited at a bar in Malindi.")
    salim = _add(
        first,
        investigator,
        PersonRole.RECRUITER,
        Relationship.COMMUNITY,
        given="Salim",
        family="Chengo",
    )
    services.lead_add(incident=first, actor=investigator, kind=LeadKind.VENUE, value=BAR)
    services.lead_add(
        incident=first,
        actor=investigator,
        kind=LeadKind.ONLINE_ACCOUNT,
        value=HANDLE,
        platform="instagram",
        person=salim,
    )
    services.lead_add(
        incident=first, actor=investigator, kind=LeadKind.PHONE, value=PHONE, person=salim
    )
    second = _open(investigator, "Kilifi", 80, 2, "A second girl taken to the same bar.")
    salim_again = _add(
        second, investigator, PersonRole.RECRUITER, Relationship.COMMUNITY, same_as=salim
    )
    bakari = _add(
        second,
        investigator,
        PersonRole.TRANSPORTER,
        Relationship.STRANGER,
        given="Bakari",
        family="Mwinyi",
    )
    services.lead_add(incident=second, actor=investigator, kind=LeadKind.VENUE, value=BAR)
    services.lead_add(
        incident=second, actor=investigator, kind=LeadKind.VEHICLE, value=PLATE, person=bakari
    )
    third = _open(investigator, "Kilifi", 40, 3, "A third girl, the same recruiter and bar.")
    _add(third, investigator, PersonRole.RECRUITER, Relationship.COMMUNITY, same_as=salim_again)
    services.lead_add(incident=third, actor=investigator, kind=LeadKind.VENUE, value=BAR)
    _add(
        third,
        investigator,
        PersonRole.BUYER,
        Relationship.TOURIST,
        given="Lars",
        family="Nilsson",
        foreign=True,
    )
    for incident, case in zip((first, second, third), girls, strict=False):
        services.incident_link_case(incident=incident, actor=investigator, case_code=case.code)
    fourth = _open(investigator, "Mombasa", 30, 4, "Girls driven to a lodge in Mtwapa.")
    _add(fourth, investigator, PersonRole.TRANSPORTER, Relationship.STRANGER, same_as=bakari)
    _add(
        fourth,
        investigator,
        PersonRole.PIMP,
        Relationship.COMMUNITY,
        given="Rehema",
        family="Kadzo",
    )
    services.lead_add(incident=fourth, actor=investigator, kind=LeadKind.VEHICLE, value=PLATE)
    intake_services.report_submit_web(
        data=intake_services.ReportInput(
            categories=["online"],
            narrative=f"Girls from Malindi are offered on Instagram. Call {PHONE}.",
            county_id=County.objects.get(name="Kilifi").pk,
            online_platform="instagram",
            online_handle=HANDLE,
        ),
        submission="intel-demo-report",
        payload={},
    )
    # build it now, as the worker would within a minute
    for incident in (first, second, third, fourth):
        origin_refresh(origin_type=Origin.INCIDENT, origin_id=incident.pk)
        for person_id in PersonOfInterest.objects.filter(incident=incident).values_list(
            "person_id", flat=True
        ):
            origin_refresh(origin_type=Origin.PERSON, origin_id=person_id)
    reports_sweep(now=timezone.now())
    out(
        f"    a Malindi network over 4 incidents, {Report.objects.count()} reports swept into "
        "the graph"
    )
