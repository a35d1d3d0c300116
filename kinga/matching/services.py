"""Writes of matching: runs of the matcher, and the review of what they found.

- `match_run_full` runs the matcher over the whole person table in the worker (weekly, and
  on demand with `kinga match run`), estimating the model anew.
- `match_new_persons` runs every minute on the persons recorded since the last run, each
  against the persons the keyed indexes say may be them, with the last full run's model.
- `candidate_reject`, `person_merge` and `person_unmerge` are the reviewer's decisions.
  A merge rewrites no record: it joins two as one person, and undoing it restores exactly
  what was there.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access import policy
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.matching.models import (
    CandidateStatus,
    MatchCandidate,
    MatchRun,
    PersonMerge,
    RunKind,
)
from kinga.matching.selectors import may_review_pair
from kinga.people.match_records import likely_candidate_ids, match_records
from kinga.people.matcher import MatchModel, MatchPair, MatchRecord, match, score_pairs
from kinga.people.models import Person
from kinga.tasks.registry import periodic

if TYPE_CHECKING:
    from kinga.accounts.models import User

NEW_PERSONS_JOB = "matching.new_persons"
FULL_RUN_JOB = "matching.full"
THRESHOLD = 0.5


def latest_model() -> MatchModel:
    """Return the model of the last full run, or the priors' model before any."""
    run = (
        MatchRun.objects.filter(kind=RunKind.FULL, finished_at__isnull=False)
        .exclude(parameters={})
        .order_by("-finished_at")
        .first()
    )
    if run is None:
        return MatchModel.default()
    return MatchModel.from_json(run.parameters)


def explanation_of(model: MatchModel, pattern: int) -> dict[str, list[object]]:
    """Return field -> [level, weight] for a pair's pattern (codes and numbers only)."""
    return {item.field: [item.level, round(item.weight, 2)] for item in model.explain(pattern)}


def _store_candidates(
    *, run: MatchRun, model: MatchModel, pairs: Sequence[tuple[int, int, MatchPair]]
) -> int:
    """Store each pair not already known (in any state) as an open candidate."""
    wanted = {(min(a, b), max(a, b)): pair for a, b, pair in pairs if a != b}
    if not wanted:
        return 0
    known: set[tuple[int, int]] = set()
    firsts = sorted({a for a, _ in wanted})
    for start in range(0, len(firsts), 500):
        known.update(
            MatchCandidate.objects.filter(person_a_id__in=firsts[start : start + 500]).values_list(
                "person_a_id", "person_b_id"
            )
        )
    rows = [
        MatchCandidate(
            person_a_id=a,
            person_b_id=b,
            probability=min(max(pair.probability, 0.0), 1.0),
            pattern=pair.pattern,
            explanation=explanation_of(model, pair.pattern),
            run=run,
        )
        for (a, b), pair in sorted(wanted.items())
        if (a, b) not in known
    ]
    MatchCandidate.objects.bulk_create(rows, batch_size=2_000)
    return len(rows)


@transaction.atomic
def match_run_full(*, now: datetime.datetime, actor: User | None = None) -> MatchRun:
    """Match the whole person table, estimating the model anew; store new candidates.

    The persons stream from the table in batches (`match_records`) straight into the
    matcher's columns, so the table is never held as model instances or records: memory
    grows with the compact columns, not with the persons' objects. Runs in the caller's
    transaction (the worker's task): a failed run leaves nothing.
    """
    outcome = match(match_records(Person.objects.all()), today=timezone.localdate(now))
    ids = [int(record_id) for record_id in outcome.record_ids]
    run = MatchRun(
        kind=RunKind.FULL,
        started_at=now,
        finished_at=timezone.now(),
        persons=len(ids),
        compared=outcome.compared,
        last_person_id=max(ids, default=0),
        parameters=outcome.model.as_json(),
    )
    run.full_clean()
    run.save(force_insert=True)
    pairs = [
        (ids[pair.left], ids[pair.right], pair)
        for pair in outcome.pairs
        if pair.probability >= THRESHOLD
    ]
    run.found = _store_candidates(run=run, model=outcome.model, pairs=pairs)
    run.save(update_fields=["found"])
    audit_record(
        action=AuditAction.SYSTEM,
        actor=actor,
        record_type="matching.matchrun",
        record_id=run.pk,
        detail={
            "kind": run.kind,
            "persons": run.persons,
            "compared": run.compared,
            "found": run.found,
        },
    )
    return run


@transaction.atomic
def match_new_persons(*, now: datetime.datetime) -> MatchRun | None:
    """Match the persons recorded since the last run against those who may be them.

    Each new person meets only the persons the keyed name and identifier indexes give
    (`likely_candidate_ids`), scored with the last full run's model: nothing is re-run
    over the whole table. Return the run, or None when nobody new was recorded.
    """
    last = MatchRun.objects.order_by("-last_person_id").values_list("last_person_id", flat=True)
    high_water = last.first() or 0
    new = list(match_records(Person.objects.filter(pk__gt=high_water)))
    if not new:
        return None
    model = latest_model()
    pairs: list[tuple[int, int, MatchPair]] = []
    compared = 0
    for record in new:
        person_id = int(record.record_id)
        others = likely_candidate_ids(record, exclude=person_id)
        if not others:
            continue
        known = list(match_records(Person.objects.filter(pk__in=others)))
        batch: list[MatchRecord] = [record, *known]
        scored = score_pairs(
            batch,
            [(0, index) for index in range(1, len(batch))],
            model=model,
            today=timezone.localdate(now),
        )
        compared += len(scored)
        for pair in scored:
            if pair.probability >= THRESHOLD:
                pairs.append((person_id, int(batch[pair.right].record_id), pair))
    run = MatchRun(
        kind=RunKind.NEW,
        started_at=now,
        finished_at=timezone.now(),
        persons=len(new),
        compared=compared,
        last_person_id=max(int(record.record_id) for record in new),
    )
    run.full_clean()
    run.save(force_insert=True)
    run.found = _store_candidates(run=run, model=model, pairs=pairs)
    run.save(update_fields=["found"])
    audit_record(
        action=AuditAction.SYSTEM,
        actor=None,
        record_type="matching.matchrun",
        record_id=run.pk,
        detail={"kind": run.kind, "persons": run.persons, "found": run.found},
    )
    return run


@periodic(NEW_PERSONS_JOB, every=datetime.timedelta(minutes=1))
def new_persons_job(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Match the persons recorded since the last run (every minute, in the worker)."""
    match_new_persons(now=now)


@periodic(FULL_RUN_JOB, every=datetime.timedelta(days=7))
def full_run_job(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Match the whole person table and learn the model anew (weekly, in the worker); an
    empty table has nothing to match, and leaves no run and no audit event."""
    if Person.objects.exists():
        match_run_full(now=now)


def _require_authority(actor: User, candidate: MatchCandidate) -> None:
    """Refuse (an audited 404) unless the actor has authority over both records."""
    if not may_review_pair(actor, candidate.person_a_id, candidate.person_b_id):
        raise policy.deny(
            actor, record_type="matching.matchcandidate", record_id=candidate.pk, action="change"
        )


@transaction.atomic(durable=True)
def candidate_reject(*, candidate: MatchCandidate, actor: User) -> MatchCandidate:
    """Record that the two records are different people; audit it."""
    candidate = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    _require_authority(actor, candidate)
    if candidate.status != CandidateStatus.OPEN:
        raise ValidationError(_("This pair was already decided."))
    candidate.status = CandidateStatus.REJECTED
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    candidate.full_clean()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="matching.matchcandidate",
        record_id=candidate.pk,
        fields=["status"],
        detail={
            "status": candidate.status,
            "persons": [candidate.person_a_id, candidate.person_b_id],
        },
    )
    return candidate


@transaction.atomic(durable=True)
def person_merge(*, candidate: MatchCandidate, actor: User) -> PersonMerge:
    """Join the candidate's two records as one person; keep both as they are; audit it."""
    candidate = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    _require_authority(actor, candidate)
    if candidate.status != CandidateStatus.OPEN:
        raise ValidationError(_("This pair was already decided."))
    now = timezone.now()
    merge = PersonMerge(
        candidate=candidate,
        person_a_id=candidate.person_a_id,
        person_b_id=candidate.person_b_id,
        merged_by=actor,
        merged_at=now,
    )
    merge.full_clean()
    merge.save(force_insert=True)
    candidate.status = CandidateStatus.MERGED
    candidate.decided_by = actor
    candidate.decided_at = now
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="matching.personmerge",
        record_id=merge.pk,
        fields=["person_a", "person_b"],
        detail={"candidate": candidate.pk, "persons": [merge.person_a_id, merge.person_b_id]},
    )
    return merge


@transaction.atomic(durable=True)
def person_unmerge(*, merge: PersonMerge, actor: User) -> PersonMerge:
    """Undo a merge: the pair is open for review again, both records as they were; audit it."""
    merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
    candidate = MatchCandidate.objects.select_for_update().get(pk=merge.candidate_id)
    _require_authority(actor, candidate)
    if merge.undone_at is not None:
        raise ValidationError(_("This merge was already undone."))
    merge.undone_by = actor
    merge.undone_at = timezone.now()
    merge.full_clean()
    merge.save(update_fields=["undone_by", "undone_at"])
    candidate.status = CandidateStatus.OPEN
    candidate.decided_by = None
    candidate.decided_at = None
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="matching.personmerge",
        record_id=merge.pk,
        fields=["undone_at"],
        detail={"candidate": candidate.pk, "persons": [merge.person_a_id, merge.person_b_id]},
    )
    return merge
