"""Demo matching: one full run of the matcher over the demo's persons.

Runs after the justice demo, whose stories record the same recruiter in several incidents
(each time as a new person, as a busy investigator would): the run finds those records
and queues them for the Mombasa investigator, who is on every incident. Only synthetic
people. Idempotent: once a full run exists, a second load does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from kinga.matching.models import MatchRun, RunKind
from kinga.matching.services import match_run_full
from kinga.people.models import Person


def load(*, out: Callable[[str], None]) -> None:
    """Match the demo's persons once; a second load finds the run and does nothing."""
    if MatchRun.objects.filter(kind=RunKind.FULL).exists():
        out("    persons already matched")
        return
    if not Person.objects.exists():
        out("    no persons to match: skipped")
        return
    with transaction.atomic():
        run = match_run_full(now=timezone.now())
    out(f"    {run.persons} persons matched, {run.found} pairs to review")
