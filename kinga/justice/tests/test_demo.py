"""The demo holds incidents at every stage, so the funnel and the calendar show something."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kinga.accounts.models import User
from kinga.justice import selectors
from kinga.justice.models import (
    Adjournment,
    ChargeSheet,
    CountOutcome,
    Incident,
    IncidentStage,
    Prosecution,
    ProsecutionStatus,
)


@pytest.mark.django_db
def test_demo_incidents_cover_every_stage_and_load_once() -> None:
    from kinga.accounts import demo as accounts_demo
    from kinga.cases import demo as cases_demo
    from kinga.justice import demo

    lines: list[str] = []
    accounts_demo.load(out=lines.append)
    cases_demo.load(out=lines.append)
    demo.load(out=lines.append)
    stages = set(Incident.objects.values_list("stage", flat=True))
    assert stages >= {
        IncidentStage.INVESTIGATING,
        IncidentStage.WITH_PROSECUTOR,
        IncidentStage.NOT_CHARGED,
        IncidentStage.DIVERTED,
        IncidentStage.IN_COURT,
        IncidentStage.CONCLUDED,
    }
    outcomes = set(CountOutcome.objects.values_list("outcome", flat=True))
    assert {"convicted", "acquitted_no_case", "withdrawn"} <= outcomes
    assert set(Prosecution.objects.values_list("status", flat=True)) >= {
        ProsecutionStatus.PENDING_PLEA,
        ProsecutionStatus.TRIAL,
        ProsecutionStatus.CONCLUDED,
        ProsecutionStatus.WITHDRAWN,
    }
    longest = max(
        Adjournment.objects.filter(event__prosecution=p).count() for p in Prosecution.objects.all()
    )
    assert longest >= 8
    assert ChargeSheet.objects.filter(counts__isnull=False).distinct().count() >= 8
    amended = ChargeSheet.objects.filter(version=3).first()
    assert amended is not None and amended.counts.count() == 11
    prosecutor = User.objects.get(username="prosecutor")
    assert selectors.court_calendar(viewer=prosecutor, start=timezone.localdate())
    analyst = User.objects.get(username="analyst")
    funnel = dict(selectors.justice_funnel(viewer=analyst).steps)
    assert funnel["Incident opened"] == 11 and funnel["Judgment"] == 2
    count = Incident.objects.count()
    demo.load(out=lines.append)
    assert Incident.objects.count() == count
