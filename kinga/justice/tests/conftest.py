"""An incident at every step the tests need: a report triaged to the police, the child's case
(the caseworker's, with a counsellor on it), the incident the investigator opened from the
report, two people of interest, an exhibit, an arrest, the file with the prosecutor, a
charge, a prosecution with the child's protective measures and a court date."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from kinga.cases import services as case_services
from kinga.cases.models import Case, RoleOnCase
from kinga.intake import services as intake_services
from kinga.intake.models import Decision, Report
from kinga.intake.tests.conftest import run_worker
from kinga.justice import services
from kinga.justice.models import (
    ChargeDecisionKind,
    CourtEvent,
    CourtEventKind,
    Evidence,
    EvidenceKind,
    HowObtained,
    Incident,
    Measure,
    PersonOfInterest,
    PersonRole,
    Prosecution,
    Relationship,
    WitnessKind,
)
from kinga.people.models import PersonKind
from kinga.people.services import person_create
from kinga.places.models import County

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def triaged_report(personas: Any, *, narrative: str = "Girls taken to a lodge at Mtwapa") -> Report:
    """A web report in Mombasa that triage decided to open an incident on."""
    data = intake_services.ReportInput(
        categories=["sexual_exploitation"],
        narrative=narrative,
        county_id=County.objects.get(name="Mombasa").pk,
        age_bands=["12-14"],
    )
    report, _code = intake_services.report_submit_web(
        data=data, submission=f"justice-{Report.objects.count()}", payload={}
    )
    run_worker()
    report.refresh_from_db()
    intake_services.report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.OPEN_INCIDENT,
        reason="A venue and two adults named: the police must investigate.",
    )
    report.refresh_from_db()
    return report


def child_case(personas: Any, given_name: str = "Zawadi") -> Case:
    child = person_create(
        actor=personas.caseworker,
        kind=PersonKind.CHILD,
        given_name=given_name,
        family_name="Mwachiro",
        age_estimate=14,
        age_basis="apparent",
    )
    case = case_services.case_open(
        child=child,
        county=County.objects.get(name="Mombasa"),
        actor=personas.caseworker,
        reason="A girl exploited at a lodge in Mtwapa",
    )
    case_services.case_team_add(
        case=case,
        user=personas.counsellor,
        role_on_case=RoleOnCase.COUNSELLOR,
        actor=personas.caseworker,
    )
    return case


def facts(**changes: Any) -> services.IncidentInput:
    base: dict[str, Any] = {
        "county": County.objects.get(name="Mombasa"),
        "station": "Central Police Station, Mombasa",
        "ob_number": "OB 14/02/03/2026",
        "reported_on": timezone.localdate() - datetime.timedelta(days=30),
        "summary": "Two girls recruited at a market and kept at a lodge.",
        "exploitation_types": ["commercial_in_person"],
        "control_methods": ["drugs_alcohol"],
    }
    base.update(changes)
    return services.IncidentInput(**base)


@dataclass
class World:
    personas: Any
    report: Report
    case: Case
    incident: Incident
    recruiter: PersonOfInterest
    buyer: PersonOfInterest
    evidence: Evidence
    prosecution: Prosecution
    hearing: CourtEvent


def build_world(personas: Any) -> World:
    p = personas
    report = triaged_report(p)
    case = child_case(p)
    incident = services.incident_open(actor=p.investigator, facts=facts(), report=report)
    services.incident_link_case(incident=incident, actor=p.investigator, case_code=case.code)
    recruiter = services.person_of_interest_add(
        incident=incident,
        actor=p.investigator,
        role=PersonRole.RECRUITER,
        relationship=Relationship.COMMUNITY,
        new_person=services.NewPerson(given_name="Mohamed", family_name="Salim"),
    )
    buyer = services.person_of_interest_add(
        incident=incident,
        actor=p.investigator,
        role=PersonRole.BUYER,
        relationship=Relationship.TOURIST,
        is_foreign=True,
        new_person=services.NewPerson(given_name="Klaus", family_name="Berger", nationality="DE"),
    )
    evidence = services.evidence_log(
        incident=incident,
        actor=p.investigator,
        exhibit_number="PExh. 1",
        kind=EvidenceKind.DIGITAL,
        item="Phone chat export of the recruiter",
        how_obtained=HowObtained.FORENSIC_EXTRACTION,
        obtained_on=timezone.localdate(),
        first_holder="Cpl. Omari, exhibits store",
        sha256=SHA,
    )
    services.arrest_record(
        incident=incident,
        actor=p.investigator,
        suspect=recruiter,
        arrested_at=timezone.now() - datetime.timedelta(days=10),
        station="Mtwapa Police Station",
    )
    submission = services.file_send(
        incident=incident, actor=p.investigator, prosecutor=p.prosecutor
    )
    services.charge_decide(
        submission=submission, actor=p.prosecutor, decision=ChargeDecisionKind.CHARGE
    )
    prosecution = services.prosecution_open(
        incident=incident,
        actor=p.prosecutor,
        court="Shanzu Law Courts",
        court_file_number="E123 of 2026",
        filed_on=timezone.localdate(),
        counts=[
            services.CountInput(offence="ctipa-3", accused=recruiter),
            services.CountInput(offence="soa-15", accused=buyer),
        ],
    )
    services.protection_record(
        prosecution=prosecution,
        actor=p.prosecutor,
        case=case,
        measures=[Measure.INTERMEDIARY, Measure.IN_CAMERA],
        declared_on=timezone.localdate(),
        told_child_on=timezone.localdate(),
    )
    hearing = services.court_event_schedule(
        prosecution=prosecution,
        actor=p.prosecutor,
        kind=CourtEventKind.HEARING,
        scheduled_for=timezone.now() + datetime.timedelta(days=2),
        courtroom="Court 3",
        witness=WitnessKind.CHILD,
    )
    incident.refresh_from_db()
    return World(p, report, case, incident, recruiter, buyer, evidence, prosecution, hearing)


@pytest.fixture
def world(personas: Any) -> World:
    return build_world(personas)
