"""Reads of access records: break-glass grants shown on a matter and in the review queue."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from kinga.access.models import AccessGrant, BreakGlassGrant, BreakGlassReview, Relation
from kinga.access.policy import Matter, can_do
from kinga.accounts.models import User
from kinga.audit.models import AuditAction
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
