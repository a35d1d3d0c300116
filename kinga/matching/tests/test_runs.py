from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from kinga.matching.models import CandidateStatus, MatchCandidate, MatchRun, RunKind
from kinga.matching.services import (
    FULL_RUN_JOB,
    NEW_PERSONS_JOB,
    latest_model,
    match_new_persons,
    match_run_full,
)
from kinga.people.matcher import MatchModel
from kinga.people.services import person_create
from kinga.people.tests.coastal_records import ROWS
from kinga.tasks.registry import PERIODIC, interval_of

pytestmark = pytest.mark.django_db


def record_coastal(prefixes: tuple[str, ...]) -> dict[str, int]:
    made: dict[str, int] = {}
    for _, record_id, given, family, other, sex, born, age, phone, village, *_ in ROWS:
        if not record_id.startswith(prefixes):
            continue
        person = person_create(
            actor=None,
            kind="child",
            given_name=given,
            family_name=family,
            other_names=other,
            sex={"m": "male", "f": "female", "male": "male"}.get(sex.lower(), ""),
            date_of_birth=datetime.date.fromisoformat(born) if "-" in born else None,
            age_estimate=int(age) if age else None,
            village=village,
            phones=[phone] if phone else [],
        )
        made[record_id] = person.pk
    return made


def pairs() -> set[frozenset[int]]:
    return {
        frozenset((a, b)) for a, b in MatchCandidate.objects.values_list("person_a", "person_b")
    }


def test_the_full_run_matches_the_whole_table_once() -> None:
    ids = record_coastal(("hl-", "po-"))
    with transaction.atomic():
        run = match_run_full(now=timezone.now())
    assert run.kind == RunKind.FULL and run.persons == len(ids)
    assert run.last_person_id == max(ids.values())
    found = pairs()
    assert frozenset((ids["hl-2"], ids["po-2"])) in found
    assert frozenset((ids["hl-4"], ids["po-4"])) in found
    assert frozenset((ids["hl-7"], ids["hl-8"])) not in found  # siblings sharing a phone
    assert all(c.status == CandidateStatus.OPEN for c in MatchCandidate.objects.all())
    # Run again: nothing is stored twice.
    with transaction.atomic():
        again = match_run_full(now=timezone.now())
    assert again.found == 0
    assert pairs() == found
    assert isinstance(latest_model(), MatchModel)


def test_new_persons_are_matched_against_the_indexes_without_a_full_run() -> None:
    ids = record_coastal(("hl-",))
    with transaction.atomic():
        match_run_full(now=timezone.now())
    before = pairs()
    new = record_coastal(("sh-",))
    with transaction.atomic():
        run = match_new_persons(now=timezone.now())
    assert run is not None and run.kind == RunKind.NEW
    assert run.persons == len(new)  # only the new records were read as new
    added = pairs() - before
    assert frozenset((ids["hl-13"], new["sh-13"])) in added  # Rehema / Rehma, date and estimate
    assert frozenset((ids["hl-3"], new["sh-3"])) in added
    with transaction.atomic():
        assert match_new_persons(now=timezone.now()) is None  # nobody new since
    assert MatchRun.objects.filter(kind=RunKind.NEW).count() == 1


def test_the_worker_runs_new_persons_every_minute_and_the_whole_table_weekly() -> None:
    assert interval_of(NEW_PERSONS_JOB) == datetime.timedelta(minutes=1)
    assert interval_of(FULL_RUN_JOB) == datetime.timedelta(days=7)
    assert NEW_PERSONS_JOB in PERIODIC and FULL_RUN_JOB in PERIODIC


def test_the_worker_job_runs_through_the_task_queue() -> None:
    from kinga.tasks.services import run_due_names, task_enqueue

    record_coastal(("hl-", "po-"))
    with transaction.atomic():
        task_enqueue(name=NEW_PERSONS_JOB, payload={})
    assert NEW_PERSONS_JOB in run_due_names(now=timezone.now())
    assert MatchRun.objects.filter(kind=RunKind.NEW).exists()
    assert pairs()


def test_the_full_run_streams_the_table_and_finds_what_a_run_over_it_held_whole_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kinga.matching import services
    from kinga.people import match_records as records_module
    from kinga.people import matcher
    from kinga.people.match_records import match_records
    from kinga.people.models import Person

    record_coastal(("hl-", "po-", "sh-"))
    today = timezone.localdate()
    held = list(match_records(Person.objects.all()))
    whole = matcher.match(held, today=today)
    expected = {
        frozenset((int(held[p.left].record_id), int(held[p.right].record_id)))
        for p in whole.pairs
        if p.probability >= services.THRESHOLD
    }
    assert expected
    # Small batches from the table and small blocks in the matcher: many of each.
    monkeypatch.setattr(records_module, "BATCH", 7)
    monkeypatch.setattr(matcher, "PREPARE_BLOCK", 11)
    real_match = matcher.match

    def spy(records, **options):  # type: ignore[no-untyped-def]
        # The run hands the matcher a stream, never a list of the whole table.
        assert not isinstance(records, list | tuple)
        return real_match(records, **options)

    monkeypatch.setattr(services, "match", spy)
    with transaction.atomic():
        run = match_run_full(now=timezone.now())
    assert run.persons == len(held)
    assert pairs() == expected
