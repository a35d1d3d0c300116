"""A known data set for the figures: reports in Kwale and Mombasa with a known path.

Rows are written straight through the ORM (the services are tested in their apps): what the
figures count is the data, and a known data set gives known counts and medians.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from kinga.cases.models import Case
from kinga.insights.services import paths_refresh
from kinga.intake.models import Channel, Report
from kinga.justice.models import (
    ChargeCount,
    ChargeDecision,
    ChargeDecisionKind,
    ChargeSheet,
    CountOutcome,
    FileSubmission,
    Incident,
    Investigation,
    PersonOfInterest,
    Prosecution,
)
from kinga.people.models import Person
from kinga.places.models import County


@dataclass
class Known:
    kwale: County
    mombasa: County
    reports: list[Report]


def _at(days_ago: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days_ago)


def build_known(personas: Any) -> Known:
    """Kwale: 20 reports 60 days ago; 16 triaged 2 days after; 12 opened a case 4 days after;
    8 an incident 10 days after; 6 investigated 1 day after the incident; 3 files (a small
    count); nothing charged. Mombasa: 7 reports, all triaged, one case."""
    kwale = County.objects.get(name="Kwale")
    mombasa = County.objects.get(name="Mombasa")
    p = personas
    reports: list[Report] = []
    for n in range(20):
        received = _at(60)
        report = Report.objects.create(
            channel=Channel.WEB if n % 2 else Channel.SMS,
            received_at=received,
            county=kwale,
            narrative=f"Secret narrative {n}",
            categories=["trafficking"] if n < 10 else ["sexual_exploitation"],
            age_bands=["12-14"],
            decided_at=received + datetime.timedelta(days=2) if n < 16 else None,
        )
        reports.append(report)
        if n < 12:
            child = Person.objects.create(kind="child", sex="female", age_band="12-14")
            Case.objects.create(
                code=f"KWL-2026-{n:04d}",
                county=kwale,
                year=2026,
                number=n + 1,
                child=child,
                owning_agency=p.ngo,
                caseworker=p.caseworker,
                opened_by=p.caseworker,
                opened_at=received + datetime.timedelta(days=4),
                source_report_id=report.pk,
            )
        if n < 8:
            incident = Incident.objects.create(
                code=f"INC-KWL-{n:04d}",
                county=kwale,
                police_unit=p.police,
                source_report=report,
                reported_on=timezone.localdate(),
                opened_at=received + datetime.timedelta(days=10),
                opened_by=p.investigator,
            )
            if n < 6:
                Investigation.objects.create(
                    incident=incident,
                    station="Kwale Police Station",
                    ob_number=f"OB {n}",
                    lead_officer=p.investigator,
                    created_by=p.investigator,
                    created_at=incident.opened_at + datetime.timedelta(days=1),
                )
            if n < 3:
                FileSubmission.objects.create(
                    incident=incident,
                    sent_at=incident.opened_at + datetime.timedelta(days=20),
                    prosecutor=p.prosecutor,
                    created_by=p.investigator,
                )
    for n in range(7):
        received = _at(30)
        report = Report.objects.create(
            channel=Channel.HELPLINE,
            received_at=received,
            county=mombasa,
            narrative="Mombasa narrative",
            decided_at=received + datetime.timedelta(days=1),
        )
        if n == 0:
            child = Person.objects.create(kind="child", sex="male", age_band="15-17")
            Case.objects.create(
                code="MSA-2026-0001",
                county=mombasa,
                year=2026,
                number=1,
                child=child,
                owning_agency=p.ngo,
                caseworker=p.caseworker,
                opened_by=p.caseworker,
                opened_at=received,
                source_report_id=report.pk,
            )
    assert not ChargeDecision.objects.filter(decision=ChargeDecisionKind.CHARGE).exists()
    assert not CountOutcome.objects.exists()
    paths_refresh()
    return Known(kwale=kwale, mombasa=mombasa, reports=reports)


def court_path(personas: Any, incident: Incident, *, convicted: bool) -> Prosecution:
    """A file, a decision to charge, a prosecution concluded, a count with its outcome."""
    p = personas
    submission = FileSubmission.objects.create(
        incident=incident,
        sent_at=incident.opened_at + datetime.timedelta(days=20),
        prosecutor=p.prosecutor,
        created_by=p.investigator,
    )
    ChargeDecision.objects.create(
        incident=incident,
        submission=submission,
        decision=ChargeDecisionKind.CHARGE,
        decided_at=submission.sent_at + datetime.timedelta(days=6),
        created_by=p.prosecutor,
    )
    filed = (submission.sent_at + datetime.timedelta(days=7)).date()
    prosecution = Prosecution.objects.create(
        incident=incident,
        court="Kwale Law Courts",
        court_file_number=f"E{incident.pk}",
        lead_prosecutor=p.prosecutor,
        filed_on=filed,
        concluded_on=filed + datetime.timedelta(days=15),
        created_by=p.prosecutor,
    )
    sheet = ChargeSheet.objects.create(
        incident=incident,
        prosecution=prosecution,
        version=1,
        filed_on=filed,
        created_by=p.prosecutor,
    )
    accused = PersonOfInterest.objects.create(
        incident=incident,
        person=Person.objects.create(kind="suspect", age_band="18+"),
        role="recruiter",
        relationship="community",
        created_by=p.investigator,
    )
    count = ChargeCount.objects.create(
        incident=incident,
        sheet=sheet,
        number=1,
        offence="ctipa-3",
        accused=accused,
        created_by=p.prosecutor,
    )
    CountOutcome.objects.create(
        incident=incident,
        count=count,
        outcome="convicted" if convicted else "acquitted",
        decided_on=filed + datetime.timedelta(days=15),
        created_by=p.prosecutor,
    )
    return prosecution


@pytest.fixture
def known(personas: Any) -> Known:
    return build_known(personas)
