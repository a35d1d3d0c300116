"""Reads of the audit log that other apps make (the log's own pages are `access`'s)."""

from __future__ import annotations

import datetime

from kinga.audit.models import AuditAction, AuditEvent


def last_saved(
    *, record_type: str, matter_type: str, matter_id: int, record_id: int | None = None
) -> tuple[str, datetime.datetime | None]:
    """Return who last created or changed a record of a matter (any record of the type
    when `record_id` is None), and when ("", None if the log holds no such event): what a
    refused stale save tells the person who made it.

    Reads through the matter's index (`audit_matter_seq`), so only that matter's events.
    """
    events = AuditEvent.objects.filter(
        matter_type=matter_type,
        matter_id=matter_id,
        record_type=record_type,
        action__in=[AuditAction.CREATE, AuditAction.CHANGE],
    )
    if record_id is not None:
        events = events.filter(record_id=str(record_id))
    event = events.select_related("actor").order_by("-seq").first()
    if event is None:
        return "", None
    return (str(event.actor) if event.actor is not None else event.actor_label), event.at
