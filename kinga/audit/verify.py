"""Walk the audit chain and name the first event that does not fit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kinga.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent


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


def verify_chain(
    *, batch_size: int = 5000, progress: Callable[[int], None] | None = None
) -> tuple[int, ChainProblem | None]:
    """Return how many events were checked and the first problem, or None on an intact chain."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    queryset = AuditEvent.objects.order_by("seq")
    while True:
        batch = list(queryset.filter(seq__gte=expected_seq)[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.seq != expected_seq:
                return checked, ChainProblem(
                    event.seq,
                    event.id,
                    f"sequence jumps from #{expected_seq - 1} to #{event.seq}: "
                    f"event #{expected_seq} was deleted or renumbered",
                )
            if event.prev_hash != expected_prev:
                return checked, ChainProblem(
                    event.seq,
                    event.id,
                    "previous-hash link is broken: an earlier event was changed, removed or moved",
                )
            if event.compute_hash() != event.hash:
                return checked, ChainProblem(
                    event.seq, event.id, "content does not match its hash: the event was edited"
                )
            expected_prev = event.hash
            expected_seq += 1
            last_seq = event.seq
            checked += 1
        if progress is not None:
            progress(checked)
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
