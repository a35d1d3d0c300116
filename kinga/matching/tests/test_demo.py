"""The matching demo: the recruiter recorded twice is a pair the demo investigator may
review, and a second load changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from kinga.justice import services as justice
from kinga.justice.tests.conftest import build_world, facts
from kinga.matching import demo
from kinga.matching.models import MatchCandidate, MatchRun
from kinga.matching.selectors import review_queue

pytestmark = pytest.mark.django_db


def test_the_demo_queues_the_recruiter_recorded_twice_once(personas: Any) -> None:
    build_world(personas)
    investigator = personas.investigator
    investigator.username = "investigator"
    investigator.save(update_fields=["username"])
    justice.incident_open(actor=investigator, facts=facts())
    said: list[str] = []
    demo.load(out=said.append)
    queue = review_queue(viewer=investigator)
    assert [(c.person_a.kind, c.person_b.kind) for c in queue] == [("suspect", "suspect")]
    assert queue[0].explanation["phone"][0] == "shared"
    runs, pairs = MatchRun.objects.count(), MatchCandidate.objects.count()
    demo.load(out=said.append)
    assert (MatchRun.objects.count(), MatchCandidate.objects.count()) == (runs, pairs)
    assert said[-1].strip() == "persons already matched"


def test_the_demo_without_persons_or_incidents_still_runs(personas: Any) -> None:
    said: list[str] = []
    demo.load(out=said.append)
    assert MatchRun.objects.count() == 1
