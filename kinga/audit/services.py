"""Writing to the audit log. Every protected read and every change calls `audit_record`."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kinga.audit.context import current
from kinga.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

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


def _locked_head() -> AuditChainHead:
    """Return the chain head, locked until the transaction ends, making it on first use."""
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        # Two first writers may race here: one inserts, the other waits for it, does
        # nothing, and then reads the head the first one left.
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(id=1, last_seq=0, last_hash=GENESIS_HASH)], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(id=1)
    if head.last_seq == 0 and AuditEvent.objects.exists():
        # Starting the chain again would hide that the head (the tail anchor) was removed.
        raise AuditChainError(
            "The audit chain head is missing while events exist; run `kinga audit verify`."
        )
    return head


def _normalised_address(address: str | None) -> str | None:
    """Return the address as the database gives it back, so the stored row hashes the same."""
    if not address:
        return None
    try:
        return ipaddress.ip_address(address).compressed
    except ValueError:
        return None


def audit_record(
    *,
    action: str,
    actor: User | None,
    record_type: str = "",
    record_id: object = "",
    matter_type: str = "",
    matter_id: int | None = None,
    fields: Iterable[str] = (),
    reason: str = "",
    search_terms: str | None = None,
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    The chain head is locked first (a row lock on PostgreSQL; SQLite's IMMEDIATE
    transactions already serialise writers), so concurrent writers queue instead of forking
    the chain. Field *names* go in; values never do.
    """
    context = current.get()
    with transaction.atomic():
        head = _locked_head()
        agency_id = None
        label = actor_label
        if actor is not None and actor.is_authenticated:
            agency_id = actor.agency_id
            label = label or actor.username
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=label[:150],
            agency_id_at_time=agency_id,
            action=action,
            record_type=record_type,
            record_id=str(record_id) if record_id not in (None, "") else "",
            matter_type=matter_type,
            matter_id=matter_id,
            fields=sorted(set(fields)),
            reason=reason,
            search_hash=search_terms_hash(search_terms) if search_terms is not None else "",
            request_id=context.request_id,
            address=_normalised_address(context.address),
            detail=detail or {},
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        head.last_seq = event.seq
        head.last_hash = event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event
