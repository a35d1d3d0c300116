"""The demo holds a year of trainings and campaigns: joint sessions, people who never came
back for the post-test, a revoked certificate; a second load changes nothing."""

from __future__ import annotations

import pytest

from kinga.accounts import demo as accounts_demo
from kinga.awareness import demo as awareness_demo
from kinga.awareness.models import Campaign, Event
from kinga.training import demo
from kinga.training.models import Certificate, Participant, TrainingSession

pytestmark = pytest.mark.django_db


def test_the_demo_year_of_training_and_awareness() -> None:
    lines: list[str] = []
    accounts_demo.load(out=lines.append)
    demo.load(out=lines.append)
    awareness_demo.load(out=lines.append)
    sessions = TrainingSession.objects.all()
    assert sessions.count() == len(demo.SESSIONS)
    assert sessions.filter(joint=True).count() >= 8
    assert {s.county.name for s in sessions} >= {"Mombasa", "Kwale", "Kilifi", "Lamu"}
    assert Participant.objects.filter(pre_score__isnull=False, post_score__isnull=True).exists()
    assert Certificate.objects.filter(revoked_at__isnull=False).count() == 1
    assert Campaign.objects.exclude(reporting_code="").count() == 3
    assert Event.objects.count() == len(awareness_demo.EVENTS)
    counts = (Participant.objects.count(), Certificate.objects.count(), Event.objects.count())
    demo.load(out=lines.append)
    awareness_demo.load(out=lines.append)
    assert (
        Participant.objects.count(),
        Certificate.objects.count(),
        Event.objects.count(),
    ) == counts
