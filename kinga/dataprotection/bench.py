"""Benchmark: the retention run anonymising closed cases whose period has run.

It writes rows, so it needs a scratch database (its name contains "bench", or
KINGA_BENCH_SCRATCH=1):

    DATABASE_URL=sqlite:///var/bench-retention.sqlite3 kinga migrate
    DATABASE_URL=sqlite:///var/bench-retention.sqlite3 kinga bench retention

- retention: 2,000 closed cases (`--quick`: 200), closed eight years ago, each with its
  child (names, an identifier, name tokens) and three notes, made in bulk; then
  `retention_run()` anonymises them all (every encrypted field of every record in each case,
  the child, a tombstone and an audit event per case). Figures: the plan's time at that
  size, the run's time per case. Reference, in the same run on a second identical set: the
  bare UPDATEs and DELETEs of the same rows with no plan, hold check, tombstone or audit.
  Target: at least 50 cases a second (a year of a county's closures in well under a minute).
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kinga.lib.bench import BenchResult, database_label, record

TARGET_PER_SECOND = 50


def _scratch_database() -> bool:
    name = str(settings.DATABASES["default"].get("NAME", ""))
    return "bench" in name.lower() or os.environ.get("KINGA_BENCH_SCRATCH") == "1"


def _closed_cases(size: int, tag: str) -> list[int]:
    """Make `size` closed cases, each with its child and three notes; return their ids."""
    from kinga.accounts.models import Agency, RoleAssignment, User
    from kinga.cases.models import Case, CaseStatus, Note
    from kinga.people.models import Person, PersonIdentifier, PersonNameToken
    from kinga.places.models import County

    county = County.objects.get(name="Mombasa")
    agency, _ = Agency.objects.get_or_create(
        name="Bench Retention NGO", defaults={"kind": "ngo", "county": county}
    )
    user, created = User.objects.get_or_create(
        username="bench_retention", defaults={"agency": agency}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        RoleAssignment.objects.create(user=user, role="caseworker")
    closed = timezone.now() - datetime.timedelta(days=8 * 365)
    with transaction.atomic():
        people = Person.objects.bulk_create(
            [
                Person(
                    kind="child",
                    given_name=f"Zawadi{i}",
                    family_name="Mwachiro",
                    village="Bamburi",
                    age_band="15-17",
                )
                for i in range(size)
            ]
        )
        PersonIdentifier.objects.bulk_create(
            [
                PersonIdentifier(
                    person=p, kind="phone", value=f"+2547{i:08d}", blind_index=f"{tag}{i}"
                )
                for i, p in enumerate(people)
            ]
        )
        PersonNameToken.objects.bulk_create(
            [PersonNameToken(person=p, token=f"{tag}t{i}") for i, p in enumerate(people)]
        )
        first = (
            Case.objects.filter(county=county, year=2000)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
            or 0
        )
        cases = Case.objects.bulk_create(
            [
                Case(
                    code=f"RB-{first + i + 1:08d}",
                    county=county,
                    year=2000,
                    number=first + i + 1,
                    child=p,
                    status=CaseStatus.CLOSED,
                    owning_agency=agency,
                    caseworker=user,
                    opened_by=user,
                    opened_at=closed - datetime.timedelta(days=200),
                    closed_at=closed,
                )
                for i, p in enumerate(people)
            ]
        )
        Note.objects.bulk_create(
            [
                Note(
                    case=c,
                    sensitivity=s,
                    text="Met the aunt at Likoni; the girl is safe.",
                    created_by=user,
                )
                for c in cases
                for s in ("general", "care", "justice")
            ]
        )
    return [c.pk for c in cases]


def _bare_anonymise(case_ids: list[int]) -> None:
    """The reference: the same rows emptied with nothing around them."""
    from kinga.cases.models import Case, Note
    from kinga.people.models import Person, PersonIdentifier, PersonNameToken

    with transaction.atomic():
        for case_id in case_ids:
            Note.objects.filter(case_id=case_id).update(text="")
            child = Case.objects.filter(pk=case_id).values_list("child_id", flat=True)[0]
            Person.objects.filter(pk=child).update(
                given_name="", family_name="", other_names="", village="", date_of_birth=None
            )
            PersonIdentifier.objects.filter(person_id=child).delete()
            PersonNameToken.objects.filter(person_id=child).delete()


def retention(*, out: Callable[[str], None], quick: bool) -> None:
    if not _scratch_database():
        out(
            "  skipped: retention anonymises records and needs a scratch database — "
            "DATABASE_URL=sqlite:///var/bench-retention.sqlite3 (a name containing 'bench') "
            "or KINGA_BENCH_SCRATCH=1"
        )
        return
    from kinga.dataprotection.models import Tombstone
    from kinga.dataprotection.services import retention_plan, retention_run

    size = 200 if quick else 2000
    tag = f"b{int(time.time())}"
    out(f"  making 2 × {size} closed cases ...")
    ids = _closed_cases(size, tag + "a")
    reference_ids = _closed_cases(size, tag + "r")
    # the reference set must not be in Kinga's run: give it its tombstones first (as if done)
    reference_run = _bench_run()
    Tombstone.objects.bulk_create(
        [
            Tombstone(
                kind="bench",
                record_type="cases.case",
                record_id=str(pk),
                action="anonymise",
                run_id=reference_run.pk,
            )
            for pk in reference_ids
        ]
    )
    start = time.perf_counter()
    plan = retention_plan(now=timezone.now())
    plan_seconds = time.perf_counter() - start
    due = sum(1 for item in plan if not item.held and item.kind.key == "closed_cases")

    start = time.perf_counter()
    with transaction.atomic():
        retention_run()
    kinga_seconds = time.perf_counter() - start

    start = time.perf_counter()
    _bare_anonymise(reference_ids)
    reference_seconds = time.perf_counter() - start

    done = Tombstone.objects.filter(record_type="cases.case", record_id__in=[str(i) for i in ids])
    per_second = done.count() / kinga_seconds if kinga_seconds else 0.0
    result = BenchResult(
        name="retention",
        database=database_label(),
        figures={
            "cases": size,
            "due": due,
            "plan_s": plan_seconds,
            "run_s": kinga_seconds,
            "per_case_ms": 1000 * kinga_seconds / max(1, size),
            "cases_per_s": per_second,
            "bare_s": reference_seconds,
        },
        ratio=kinga_seconds / reference_seconds if reference_seconds else None,
        ratio_label="run/bare",
        target=f">= {TARGET_PER_SECOND} cases/s",
        passed=per_second >= TARGET_PER_SECOND,
    )
    record(result, out)


def _bench_run() -> Any:
    from kinga.dataprotection.models import RetentionRun

    return RetentionRun.objects.create(dry_run=True, counts={"bench": True})


def _walk_as_instances(first_seq: int, batch_size: int = 5000) -> int:
    """The reference: the walk as it was, a model instance per event, its hash recomputed."""
    from kinga.audit.models import AuditEvent

    checked, expected = 0, first_seq
    while True:
        batch = list(AuditEvent.objects.order_by("seq").filter(seq__gte=expected)[:batch_size])
        if not batch:
            return checked
        for event in batch:
            if event.compute_hash() != event.hash:
                raise RuntimeError(f"event #{event.seq} does not verify")
            expected = event.seq + 1
            checked += 1


def audit_walk(*, out: Callable[[str], None], quick: bool) -> None:
    """The audit chain's walk (`kinga audit verify`, and every `kinga restore`) over N
    events (`KINGA_BENCH_AUDIT_EVENTS`, 500,000; `--quick`: 20,000), against the walk as it
    was (a model instance per event) in the same run, best of two rounds each; the
    time for 5,000,000 events extrapolated from the rate (the walk is linear: one pass in
    keyset batches, constant memory)."""
    if not _scratch_database():
        out("  skipped: needs a scratch database (a name with 'bench', or KINGA_BENCH_SCRATCH=1)")
        return
    from kinga.audit.verify import verify_chain
    from kinga.tasks.bench import _cleanup, _head, _seed_events

    size = 20_000 if quick else int(os.environ.get("KINGA_BENCH_AUDIT_EVENTS", "500000"))
    before = _head()
    first_seq = before[0] + 1
    try:
        out(f"  writing {size:,} chained audit events ...")
        last_seq, _last_hash = _seed_events(size, out)
        # the stretch written here, from the head it continued (a scratch database may hold
        # events keyed by another deployment's audit key before it)
        # two rounds each, alternating, the best of each: the first read of the rows pays
        # for a cold cache, whichever walk comes first
        walk_seconds = reference_seconds = float("inf")
        for _round in range(2):
            start = time.perf_counter()
            reference_checked = _walk_as_instances(first_seq)
            reference_seconds = min(reference_seconds, time.perf_counter() - start)
            start = time.perf_counter()
            checked, problem = verify_chain(after=before, until=last_seq)
            walk_seconds = min(walk_seconds, time.perf_counter() - start)
            if problem is not None:
                raise RuntimeError(f"the chain does not verify: {problem}")
    finally:
        _cleanup(first_seq, out)
    per_event_us = 1e6 * walk_seconds / max(1, checked)
    five_million_minutes = per_event_us * 5_000_000 / 1e6 / 60
    result = BenchResult(
        name="audit_walk",
        database=database_label(),
        figures={
            "events": checked,
            "walk_s": walk_seconds,
            "per_event_us": per_event_us,
            "instances_s": reference_seconds,
            "instances_events": reference_checked,
            "five_million_min": five_million_minutes,
        },
        ratio=walk_seconds / reference_seconds if reference_seconds else None,
        ratio_label="rows/instances",
        target="5,000,000 events in under 10 minutes",
        passed=five_million_minutes < 10,
    )
    record(result, out)


BENCHMARKS = {"retention": retention, "audit_walk": audit_walk}
