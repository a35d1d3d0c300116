"""Reads of access records: break-glass grants shown on a matter and in the review queue,
and the "who has seen this" trail of a matter.

The trail reads the audit log, which sits below access: the decision (`can_see_trail`) is
access's, so the read lives here and `audit` never imports `access`.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from kinga.access.models import AccessGrant, BreakGlassGrant, BreakGlassReview, Relation
from kinga.access.policy import Matter, can_do, can_see_trail
from kinga.accounts.models import User
from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import audit_record


def break_glass_live_on(*, matter: Matter) -> QuerySet[BreakGlassGrant]:
    """Return the break-glass grants in force on a matter (shown on its page)."""
    now = timezone.now()
    return BreakGlassGrant.objects.filter(
        matter_type=matter.type,
        matter_id=matter.id,
        starts_at__lte=now,
        ends_at__gt=now,
        access_grant__revoked_at__isnull=True,
    ).select_related("user", "user__agency")


def break_glass_for_review(*, viewer: User, pending_only: bool = True) -> QuerySet[BreakGlassGrant]:
    """Return the grants this supervisor reviews: on matters their agency oversees, or by
    members of their agency; a designated reviewer of the programme reviews them all. Others
    see none, and nobody sees their own."""
    if not can_do(viewer, "break_glass.review"):
        return BreakGlassGrant.objects.none()
    if viewer.username in settings.KINGA_BREAK_GLASS_REVIEWERS:
        grants = (
            BreakGlassGrant.objects.exclude(user=viewer)
            .select_related("user", "user__agency", "reviewed_by")
            .order_by("-starts_at")
        )
        return grants.filter(review=BreakGlassReview.PENDING) if pending_only else grants
    if viewer.agency_id is None:
        return BreakGlassGrant.objects.none()
    oversees = AccessGrant.objects.live().filter(
        relation=Relation.AGENCY_ON_TEAM,
        agency_id=viewer.agency_id,
        matter_type=OuterRef("matter_type"),
        matter_id=OuterRef("matter_id"),
    )
    grants = (
        BreakGlassGrant.objects.filter(Q(Exists(oversees)) | Q(user__agency_id=viewer.agency_id))
        .exclude(user=viewer)
        .select_related("user", "user__agency", "reviewed_by")
    )
    if pending_only:
        grants = grants.filter(review=BreakGlassReview.PENDING)
    return grants.order_by("-starts_at")


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


def break_glass_review_queue(
    *, viewer: User, decided: int = 30
) -> tuple[list[BreakGlassGrant], list[BreakGlassGrant]]:
    """Return the grants awaiting this supervisor's review and the latest `decided` ones
    they may see decided; audit the list read (it shows who broke glass, and why)."""
    pending = list(break_glass_for_review(viewer=viewer))
    done = list(
        break_glass_for_review(viewer=viewer, pending_only=False).exclude(
            review=BreakGlassReview.PENDING
        )[:decided]
    )
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="access.breakglassgrant",
        fields=["reason"],
    )
    return pending, done
