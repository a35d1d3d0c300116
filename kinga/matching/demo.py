"""Demo matching: a recruiter recorded twice, then one full run of the matcher.

Runs after the justice demo. The Mombasa investigator (`investigator`) recorded the same
recruiter in two of their incidents, spelled two ways (Omar Bakari, born 11 Feb 1985; Omari
Bakar, about 41, alias Babu), with the phone written `07..` and `+2547..`: the full run
finds that pair (and any other) and queues it for the investigator, who is on both
incidents. Only synthetic people. Idempotent: once a full run exists, a second load does
nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from kinga.accounts.models import User
from kinga.justice.models import Incident
from kinga.matching.models import MatchRun, RunKind
from kinga.matching.services import match_run_full
from kinga.people.models import LinkRole, PersonKind
from kinga.people.services import person_create, person_link


def _recruiter_recorded_twice(investigator: User) -> bool:
    incidents = list(Incident.objects.filter(opened_by=investigator).order_by("pk")[:2])
    if len(incidents) < 2:
        return False
    first = person_create(
        actor=investigator,
        kind=PersonKind.SUSPECT,
        given_name="Omar",
        family_name="Bakari",
        sex="male",
        date_of_birth=datetime.date(1985, 2, 11),
        village="Likoni",
        phones=["0799 888 777"],
        matter=incidents[0],
    )
    person_link(person=first, matter=incidents[0], role=LinkRole.SUSPECT, actor=investigator)
    second = person_create(
        actor=investigator,
        kind=PersonKind.SUSPECT,
        given_name="Omari",
        family_name="Bakar",
        aliases=["Babu"],
        sex="male",
        age_estimate=41,
        village="Likoni",
        phones=["+254799888777"],
        matter=incidents[1],
    )
    person_link(person=second, matter=incidents[1], role=LinkRole.SUSPECT, actor=investigator)
    return True


def load(*, out: Callable[[str], None]) -> None:
    """Record the recruiter twice and match the demo's persons once; a second load finds
    the run and does nothing."""
    if MatchRun.objects.filter(kind=RunKind.FULL).exists():
        out("    persons already matched")
        return
    investigator = User.objects.filter(username="investigator", is_active=True).first()
    with transaction.atomic():
        if investigator is not None and not _recruiter_recorded_twice(investigator):
            out("    the investigator has fewer than two incidents: no recruiter recorded twice")
        run = match_run_full(now=timezone.now())
    out(f"    {run.persons} persons matched, {run.found} pairs to review")
