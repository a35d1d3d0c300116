"""Walk the audit chain and its checkpoints, and name what does not fit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from kinga.audit.checkpoints import Checkpoint, checkpoint_path, read_checkpoints
from kinga.audit.keys import UnknownAuditKeyError, chain_mac
from kinga.audit.models import (
    CANONICAL_ATTRIBUTES,
    GENESIS_HASH,
    AuditChainHead,
    AuditEvent,
    canonical_content,
)
from kinga.lib.crypto import DecryptionError, decrypt

_REASON_CONTEXT = "audit.auditevent.reason"


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    event_id: int | None
    message: str

    def __str__(self) -> str:
        if self.seq is None:
            where = "chain head"
        elif self.event_id is None:
            where = f"event #{self.seq}"
        else:
            where = f"event #{self.seq} (id {self.event_id})"
        return f"{where}: {self.message}"


# What the walk reads of each event: its id, its place and links, then what its hash covers
# (`CANONICAL_ATTRIBUTES`, the reason as stored: it is decrypted here, per event).
_ROW_COLUMNS = ("id", "prev_hash", "hash", *CANONICAL_ATTRIBUTES)
_SEQ = 3
_REASON = 3 + CANONICAL_ATTRIBUTES.index("reason")
_KEY_ID = 3 + CANONICAL_ATTRIBUTES.index("key_id")


def _event_problem(
    row: tuple[Any, ...], expected_seq: int, expected_prev: str, recorded: Checkpoint | None
) -> ChainProblem | None:
    """Return what is wrong with one event read as a row (`_ROW_COLUMNS`), or None."""
    event_id, prev_hash, stored_hash = row[0], row[1], row[2]
    seq = row[_SEQ]
    if seq != expected_seq:
        return ChainProblem(
            seq,
            event_id,
            f"sequence jumps from #{expected_seq - 1} to #{seq}: "
            f"event #{expected_seq} was deleted or renumbered",
        )
    if prev_hash != expected_prev:
        return ChainProblem(
            seq,
            event_id,
            "previous-hash link is broken: an earlier event was changed, removed or moved",
        )
    content = list(row[3:])
    raw = row[_REASON] or ""
    if raw:
        try:
            content[_REASON - 3] = decrypt(raw, context=_REASON_CONTEXT)
        except DecryptionError as error:
            return ChainProblem(
                seq,
                event_id,
                f"the reason cannot be decrypted ({error}): it was edited, or its data key is gone",
            )
    else:
        content[_REASON - 3] = raw
    try:
        computed = chain_mac(row[_KEY_ID], prev_hash.encode("ascii") + canonical_content(*content))
    except UnknownAuditKeyError as error:
        return ChainProblem(seq, event_id, f"cannot be checked: {error}")
    if computed != stored_hash:
        return ChainProblem(
            seq,
            event_id,
            "content does not match its keyed hash: the event was edited, or the chain "
            "recomputed without the audit key",
        )
    if recorded is not None and recorded.hash != stored_hash:
        return ChainProblem(
            seq,
            event_id,
            f"hash differs from the one {recorded} recorded: the chain was rebuilt "
            "after that checkpoint",
        )
    return None


def verify_chain(
    *,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    checkpoints: Mapping[int, Checkpoint] | None = None,
    after: tuple[int, str] | None = None,
    until: int | None = None,
) -> tuple[int, ChainProblem | None]:
    """Return how many events were checked and the first problem, or None on an intact chain.

    `checkpoints` maps sequence numbers to the checkpoint that recorded them: each such
    event must still have the recorded hash, and the chain must reach the last of them.
    `after` (a sequence number and its hash, trusted) and `until` check only a stretch of
    the chain, for a new checkpoint; the head is then not compared.
    """
    recorded = checkpoints or {}
    expected_seq, expected_prev = (after[0] + 1, after[1]) if after else (1, GENESIS_HASH)
    checked = 0
    last_seq = expected_seq - 1
    # Rows, not model instances: the walk reads millions of events, and a row costs a
    # fraction of an instance. The reason is read as stored and decrypted per event, so one
    # bad value is named as a problem of its event instead of stopping the walk.
    columns = [name if name != "reason" else "reason_stored" for name in _ROW_COLUMNS]
    queryset = (
        AuditEvent.objects.annotate(reason_stored=Cast("reason", TextField()))
        .order_by("seq")
        .values_list(*columns)
    )
    if until is not None:
        queryset = queryset.filter(seq__lte=until)
    while True:
        batch = list(queryset.filter(seq__gte=expected_seq)[:batch_size])
        if not batch:
            break
        for row in batch:
            seq = row[_SEQ]
            problem = _event_problem(row, expected_seq, expected_prev, recorded.get(seq))
            if problem is not None:
                return checked, problem
            expected_prev = row[2]
            expected_seq += 1
            last_seq = seq
            checked += 1
        if progress is not None:
            progress(checked)
    furthest = max(recorded.values(), key=lambda checkpoint: checkpoint.seq, default=None)
    if furthest is not None and furthest.seq > last_seq:
        return checked, ChainProblem(
            last_seq + 1,
            None,
            f"missing: the chain ends at #{last_seq} but {furthest} recorded event "
            f"#{furthest.seq}; the events after #{last_seq} were cut from the end",
        )
    if until is not None:
        if last_seq < until:
            return checked, ChainProblem(
                last_seq + 1, None, f"missing: the chain ends at #{last_seq}, not #{until}"
            )
        return checked, None
    head = AuditChainHead.objects.filter(id=1).first()
    head_seq = head.last_seq if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    if head_seq > last_seq:
        missing = f"#{last_seq + 1}" + (f" to #{head_seq}" if head_seq > last_seq + 1 else "")
        return checked, ChainProblem(
            last_seq + 1,
            None,
            f"missing: the head names event #{head_seq} but the chain ends at #{last_seq}; "
            f"event {missing} was deleted from the end",
        )
    if last_seq > head_seq:
        return checked, ChainProblem(
            head_seq + 1,
            None,
            f"the head names event #{head_seq} but the chain goes on to #{last_seq}: "
            f"event #{head_seq + 1} was added behind the application's back",
        )
    if head_hash != expected_prev:
        return checked, ChainProblem(
            None,
            None,
            f"the head's hash does not match event #{last_seq}: the head was altered",
        )
    return checked, None


@dataclass
class VerifyReport:
    checked: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)


def _uncovered_problem(last_covered: int, now: dt.datetime) -> str | None:
    """Name the oldest event no checkpoint covers when it is older than twice the interval."""
    interval = dt.timedelta(minutes=settings.KINGA_AUDIT_CHECKPOINT_MINUTES)
    oldest = (
        AuditEvent.objects.filter(seq__gt=last_covered)
        .order_by("seq")
        .values_list("seq", "at")
        .first()
    )
    if oldest is None or oldest[1] >= now - 2 * interval:
        return None
    seq, at = oldest
    if last_covered == 0:
        what = f"there is no checkpoint file at {checkpoint_path()}"
    else:
        what = f"no checkpoint covers event #{seq}"
    minutes = settings.KINGA_AUDIT_CHECKPOINT_MINUTES
    return (
        f"{what}, though event #{seq} is from {at:%Y-%m-%d %H:%M} UTC, more than twice "
        f"KINGA_AUDIT_CHECKPOINT_MINUTES ({minutes}) ago: the worker is not writing "
        "checkpoints, or the file was removed or cut (`kinga audit checkpoint` writes one now)"
    )


def audit_verify(
    *, progress: Callable[[int], None] | None = None, now: dt.datetime | None = None
) -> VerifyReport:
    """Check the checkpoint file, then the chain against it; return what was found."""
    report = VerifyReport()
    checkpoints, file_problems = read_checkpoints()
    report.checkpoints = len(checkpoints)
    report.problems.extend(file_problems)
    recorded: dict[int, Checkpoint] = {}
    for checkpoint in checkpoints:
        recorded.setdefault(checkpoint.seq, checkpoint)
    report.checked, problem = verify_chain(progress=progress, checkpoints=recorded)
    if problem is not None:
        report.problems.append(str(problem))
    elif not file_problems:
        uncovered = _uncovered_problem(
            checkpoints[-1].seq if checkpoints else 0, now or timezone.now()
        )
        if uncovered is not None:
            report.problems.append(uncovered)
    return report
