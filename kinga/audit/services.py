"""Writing to the audit log. Every protected read and every change calls `audit_record`."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kinga.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    checkpoint_append,
    last_checkpoint,
)
from kinga.audit.context import current, pending_refusals
from kinga.audit.keys import audit_keyring
from kinga.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from kinga.audit.verify import verify_chain
from kinga.lib.rows import PreparedInsert, prepare_insert

if TYPE_CHECKING:
    from kinga.accounts.models import User


def search_terms_hash(terms: str) -> str:
    """Return a keyed hash of search terms, so the log proves a search without holding it."""
    key = settings.KINGA_INDEX_KEY.encode()
    return hmac.new(
        key, b"audit-search:" + terms.strip().lower().encode(), hashlib.sha256
    ).hexdigest()


class AuditChainError(Exception):
    """The chain cannot be extended safely; `kinga audit verify` says why."""


def _head_table() -> str:
    return connection.ops.quote_name(AuditChainHead._meta.db_table)


def _claim_next(count: int = 1) -> tuple[int, str]:
    """Take the next `count` sequence numbers; return the first and the hash before it.

    One statement that locks the chain head until the transaction ends (a row lock on
    PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers) and advances
    its sequence; its hash is advanced by `_store`. Plain SQL: this runs inside every
    audited change. The head is made on first use.
    """
    # The count is an integer written into the statement, never a request's text; one
    # (every audited change) keeps the statement of a single claim.
    claim = (
        f"UPDATE {_head_table()} SET last_seq = last_seq + {int(count)}"  # noqa: S608  # fixed names, an int
        " WHERE id = 1 RETURNING last_seq, last_hash"
    )
    with connection.cursor() as cursor:
        cursor.execute(claim)
        row = cursor.fetchone()
    if row is None:
        # Two first writers may race here: one inserts, the other waits for it, does
        # nothing, and then advances the head the first one left.
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(id=1, last_seq=0, last_hash=GENESIS_HASH)], ignore_conflicts=True
        )
        with connection.cursor() as cursor:
            cursor.execute(claim)
            row = cursor.fetchone()
    seq, last_hash = int(row[0]) - count + 1, str(row[1])
    if seq == 1 and AuditEvent.objects.exists():
        # Starting the chain again would hide that the head (the tail anchor) was removed.
        raise AuditChainError(
            "The audit chain head is missing while events exist; run `kinga audit verify`."
        )
    return seq, last_hash


def _store(prepared: PreparedInsert, event: AuditEvent) -> None:
    """Insert the event and make its hash the head's: one statement on PostgreSQL."""
    # the head table's fixed name; the hash is a parameter
    advance = f"UPDATE {_head_table()} SET last_hash = %s WHERE id = 1"  # noqa: S608
    if connection.vendor != "postgresql":
        prepared.execute()
        with connection.cursor() as cursor:
            cursor.execute(advance, [event.hash])
        return
    # A data-modifying WITH: the row and the head change together, one round trip fewer.
    # the INSERT is built from the model's fields, never from a request; values are parameters
    sql = f"WITH stored AS ({prepared.sql}) {advance} RETURNING (SELECT id FROM stored)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*prepared.params, event.hash])
        row = cursor.fetchone()
    if row is None or row[0] is None:
        raise AuditChainError("The audit chain head could not be advanced.")
    prepared.stored(int(row[0]))


def _normalised_address(address: str | None) -> str | None:
    """Return the address as the database gives it back, so the stored row hashes the same."""
    if not address:
        return None
    try:
        return ipaddress.ip_address(address).compressed
    except ValueError:
        return None


class EventFields(TypedDict, total=False):
    """What an audit event says: who did what to which record (field names, never values)."""

    action: Required[str]
    actor: Required[User | None]
    record_type: str
    record_id: object
    matter_type: str
    matter_id: int | None
    fields: Iterable[str]
    reason: str
    search_terms: str | None
    detail: dict[str, Any] | None
    actor_label: str


def audit_prepare(**given: Unpack[EventFields]) -> PreparedInsert:
    """Return an event ready to append: everything but its place in the chain.

    Its sequence number, time, previous hash and hash are set by `audit_append`, under
    the chain's lock; the rest is prepared here (the reason encrypted, the audit key
    chosen), so a caller can do it before it locks.
    """
    context = current.get()
    actor = given["actor"]
    agency_id = None
    label = given.get("actor_label", "")
    if actor is not None and actor.is_authenticated:
        agency_id = actor.agency_id
        label = label or actor.username
    record_id = given.get("record_id", "")
    search_terms = given.get("search_terms")
    event = AuditEvent(
        seq=0,
        at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=label[:150],
        agency_id_at_time=agency_id,
        action=given["action"],
        record_type=given.get("record_type", ""),
        record_id=str(record_id) if record_id not in (None, "") else "",
        matter_type=given.get("matter_type", ""),
        matter_id=given.get("matter_id"),
        fields=sorted(set(given.get("fields", ()))),
        reason=given.get("reason", ""),
        search_hash=search_terms_hash(search_terms) if search_terms is not None else "",
        request_id=context.request_id,
        address=_normalised_address(context.address),
        detail=given.get("detail") or {},
        key_id=audit_keyring().primary_id,
        prev_hash=GENESIS_HASH,
        hash="",
    )
    return prepare_insert(event)


def audit_append(prepared: PreparedInsert) -> AuditEvent:
    """Append a prepared event to the chain, inside the caller's transaction.

    The chain head is locked first (`_claim_next`), so concurrent writers queue instead of
    forking the chain. The event's time is taken under that lock, so times follow the
    sequence.
    """
    event = prepared.instance
    if not isinstance(event, AuditEvent) or event.pk is not None:
        raise ValueError("audit_append takes an event from audit_prepare, once")
    # No savepoint: the event belongs to the caller's transaction and fails with it (two
    # round trips fewer on PostgreSQL for every audited change).
    with transaction.atomic(savepoint=False):
        seq, last_hash = _claim_next()
        prepared.set("seq", seq)
        prepared.set("at", timezone.now())
        prepared.set("prev_hash", last_hash)
        prepared.set("hash", event.compute_hash())
        _store(prepared, event)
    return event


def audit_append_many(prepared: Sequence[PreparedInsert]) -> list[AuditEvent]:
    """Append several prepared events to the chain, in order, inside the caller's transaction.

    What one page shows on the trail of many matters (the network page audits each matter
    it showed): the head is locked and advanced once for all of them, each event is chained
    to the one before it exactly as `audit_append` would chain it, and the rows go in with
    one INSERT. The chain is the same as appending them one by one; the statements are
    three instead of two or three per event.
    """
    if len(prepared) <= 1:
        return [audit_append(one) for one in prepared]
    events: list[AuditEvent] = []
    for one in prepared:
        event = one.instance
        if not isinstance(event, AuditEvent) or event.pk is not None:
            raise ValueError("audit_append_many takes events from audit_prepare, once")
        events.append(event)
    if len({id(event) for event in events}) != len(events):
        raise ValueError("audit_append_many takes each event once")
    with transaction.atomic(savepoint=False):
        seq, last_hash = _claim_next(len(events))
        at = timezone.now()
        for offset, (one, event) in enumerate(zip(prepared, events, strict=True)):
            one.set("seq", seq + offset)
            one.set("at", at)
            one.set("prev_hash", last_hash)
            one.set("hash", event.compute_hash())
            last_hash = event.hash
        AuditEvent.objects.bulk_create(events)
        # the head table's fixed name; the hash is a parameter
        advance = f"UPDATE {_head_table()} SET last_hash = %s WHERE id = 1"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(advance, [last_hash])
    return events


def audit_record(**given: Unpack[EventFields]) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Field *names* go in; values never do. See `audit_append` for the chain's lock.
    """
    event = audit_append(audit_prepare(**given))
    if given.get("action") == "denied" and connection.in_atomic_block:
        pending = pending_refusals.get()
        if pending is not None:
            pending.append((event.hash, dict(given)))
    return event


def audit_refusals_settle() -> int:
    """Write again each refusal of this request whose transaction rolled back; return how
    many. Called by the request middleware once the view is done, outside any transaction.

    A refusal is written where it happens, in the caller's transaction (so the chain stays
    one sequence); when that transaction then fails, the event is gone with it, and here
    it is appended anew, marked so, with the time it is written.
    """
    pending = pending_refusals.get()
    if not pending:
        return 0
    pending_refusals.set([])
    # by hash, which is unique and covers the event's time: a sequence number or a row id
    # freed by the rollback may already belong to another event
    kept = set(
        AuditEvent.objects.filter(hash__in=[key for key, _ in pending]).values_list(
            "hash", flat=True
        )
    )
    lost = [given for key, given in pending if key not in kept]
    for given in lost:
        detail = dict(given.get("detail") or {})  # type: ignore[call-overload]
        detail["after_rollback"] = True
        with transaction.atomic():
            audit_record(**{**given, "detail": detail})
    return len(lost)


def audit_checkpoint(
    *, actor_label: str, only_if_moved: bool = False, now: dt.datetime | None = None
) -> Checkpoint | None:
    """Sign the chain's head into the checkpoint file; return the new line, or None.

    The events since the last checkpoint are checked first (their keyed hashes and links,
    from the hash that checkpoint recorded), so a line only ever vouches for a chain that
    verified; a problem raises AuditChainError and nothing is signed. None when the log is
    empty, or with `only_if_moved` when the head is where the last checkpoint left it.

    Reads only: no transaction, so writers never wait for the walk (on SQLite a transaction
    would take the write lock), and no audit event, which would move the head on every
    checkpoint. `actor_label` names the caller in errors (the worker, the command).
    """
    head = AuditChainHead.objects.filter(id=1).values_list("last_seq", "last_hash").first()
    if head is None or head[0] == 0:
        return None
    head_seq, head_hash = int(head[0]), str(head[1])
    try:
        last = last_checkpoint()
    except CheckpointError as error:
        raise AuditChainError(f"{actor_label}: {error}") from None
    if last is not None and only_if_moved and last.seq == head_seq:
        return None
    after: tuple[int, str] | None = None
    if last is not None:
        # The last checkpoint vouched for the chain up to its event, so only that event
        # need still be the one it recorded: each check costs the new events, not the log.
        anchor = AuditEvent.objects.filter(seq=last.seq).values_list("hash", flat=True).first()
        if anchor != last.hash:
            raise AuditChainError(
                f"{actor_label}: event #{last.seq} is missing or differs from {last}; "
                "run `kinga audit verify`"
            )
        after = (last.seq, last.hash)
    _, problem = verify_chain(after=after, until=head_seq)
    if problem is not None:
        raise AuditChainError(f"{actor_label}: audit chain broken at {problem}")
    stored = AuditEvent.objects.filter(seq=head_seq).values_list("hash", flat=True).first()
    if stored != head_hash:
        raise AuditChainError(
            f"{actor_label}: the head's hash does not match event #{head_seq}; "
            "run `kinga audit verify`"
        )
    try:
        return checkpoint_append(seq=head_seq, event_hash=head_hash, at=now or timezone.now())
    except CheckpointError as error:
        raise AuditChainError(f"{actor_label}: {error}") from None
