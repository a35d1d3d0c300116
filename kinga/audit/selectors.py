"""Reads of the audit log, for the people allowed to read it."""

from __future__ import annotations

from django.db.models import QuerySet

from kinga.access.policy import Matter, can_see_trail
from kinga.accounts.models import User
from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import audit_record


def matter_trail(*, viewer: User, matter: Matter) -> QuerySet[AuditEvent]:
    """Return every event on the matter, newest first, if the viewer oversees it (and audit
    that read); else none.

    Metadata only: who, when, what, which record and fields. A reason kept in an event stays
    encrypted and unread here; the record it came from says why, to those who may read it.
    """
    if not can_see_trail(viewer, matter):
        return AuditEvent.objects.none()
    # reading the trail is itself a read of the matter's history: it goes on the trail
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer,
        record_type="audit.trail",
        record_id=matter.id,
        matter_type=matter.type,
        matter_id=matter.id,
    )
    return (
        AuditEvent.objects.filter(matter_type=matter.type, matter_id=matter.id)
        .select_related("actor", "actor__agency")
        .defer("reason", "detail")
        .order_by("-seq")
    )
