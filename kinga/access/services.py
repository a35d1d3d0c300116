"""Writes of access: grants from the capability apps, break-glass and its review."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.models import AccessGrant, BreakGlassGrant, BreakGlassReview, Relation
from kinga.access.policy import Matter, can_do, matter_exists
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.lib.reasons import reason_clean

if TYPE_CHECKING:
    from kinga.accounts.models import Agency, User


@transaction.atomic
def access_grant(
    *,
    matter: Matter,
    relation: str,
    actor: User | None,
    user: User | None = None,
    agency: Agency | None = None,
    via_role: str = "",
    source_type: str = "",
    source_id: object = "",
    ends_at: datetime | None = None,
) -> AccessGrant:
    """Give a user, or every member of an agency, a relation to a matter; return the grant.

    `via_role` is the role of the person through whom an agency comes onto the matter; the
    policy caps what the grant gives at that role's (required for agency_on_team). Granting
    what is already live returns the existing grant unchanged.
    """
    if (user is None) == (agency is None):
        raise ValueError("grant to exactly one of user or agency")
    existing = (
        AccessGrant.objects.live()
        .filter(
            matter_type=matter.type,
            matter_id=matter.id,
            relation=relation,
            user=user,
            agency=agency,
            via_role=via_role,
            source_type=source_type,
            source_id=str(source_id),
        )
        .first()
    )
    if existing is not None:
        return existing
    grant = AccessGrant(
        matter_type=matter.type,
        matter_id=matter.id,
        relation=relation,
        user=user,
        agency=agency,
        via_role=via_role,
        source_type=source_type,
        source_id=str(source_id),
        ends_at=ends_at,
    )
    grant.full_clean()
    grant.save()
    audit_record(
        action=AuditAction.ACCESS_GRANTED,
        actor=actor,
        record_type="access.accessgrant",
        record_id=grant.pk,
        matter_type=matter.type,
        matter_id=matter.id,
        detail={
            "relation": relation,
            "user": user.pk if user else None,
            "agency": agency.pk if agency else None,
            "via_role": via_role,
            "source": source_type,
        },
    )
    return grant


@transaction.atomic
def access_grant_agencies(
    *,
    matter: Matter,
    relation: str,
    agencies: list[Agency],
    actor: User | None,
    source_type: str = "",
    source_id: object = "",
    ends_at: datetime | None = None,
) -> list[AccessGrant]:
    """Give several agencies the same relation to a new matter in one insert and one event.

    For the hot path of intake, where a fresh report enters every triage agency of its
    area: the matter is new, so there is nothing to deduplicate against.
    """
    if not agencies:
        return []
    grants = AccessGrant.objects.bulk_create(
        [
            AccessGrant(
                matter_type=matter.type,
                matter_id=matter.id,
                relation=relation,
                agency=agency,
                source_type=source_type,
                source_id=str(source_id),
                ends_at=ends_at,
            )
            for agency in agencies
        ]
    )
    audit_record(
        action=AuditAction.ACCESS_GRANTED,
        actor=actor,
        record_type="access.accessgrant",
        matter_type=matter.type,
        matter_id=matter.id,
        detail={
            "relation": relation,
            "agencies": [agency.pk for agency in agencies],
            "source": source_type,
        },
    )
    return grants


@transaction.atomic
def access_grant_users(
    *,
    matter: Matter,
    relation: str,
    users: list[User],
    actor: User | None,
    source_type: str = "",
    source_id: object = "",
    ends_at: datetime | None = None,
) -> list[AccessGrant]:
    """Give several people the same personal relation to a matter in one insert and one event.

    For a danger alert reaching everyone of a step of its chain at once: the caller gives
    only people who do not hold this grant yet (each step reaches only people not alerted).
    """
    if not users:
        return []
    grants = [
        AccessGrant(
            matter_type=matter.type,
            matter_id=matter.id,
            relation=relation,
            user=user,
            source_type=source_type,
            source_id=str(source_id),
            ends_at=ends_at,
        )
        for user in users
    ]
    for grant in grants:
        grant.full_clean()
    grants = AccessGrant.objects.bulk_create(grants)
    audit_record(
        action=AuditAction.ACCESS_GRANTED,
        actor=actor,
        record_type="access.accessgrant",
        matter_type=matter.type,
        matter_id=matter.id,
        detail={
            "relation": relation,
            "users": [user.pk for user in users],
            "source": source_type,
        },
    )
    return grants


@transaction.atomic
def access_revoke(
    *,
    matter: Matter,
    actor: User | None,
    relation: str | None = None,
    user: User | None = None,
    agency: Agency | None = None,
    via_role: str | None = None,
    source_type: str | None = None,
    source_id: object | None = None,
) -> int:
    """End the live grants on a matter that match; return how many ended."""
    grants = AccessGrant.objects.live().filter(matter_type=matter.type, matter_id=matter.id)
    if relation is not None:
        grants = grants.filter(relation=relation)
    if user is not None:
        grants = grants.filter(user=user)
    if agency is not None:
        grants = grants.filter(agency=agency)
    if via_role is not None:
        grants = grants.filter(via_role=via_role)
    if source_type is not None:
        grants = grants.filter(source_type=source_type)
    if source_id is not None:
        grants = grants.filter(source_id=str(source_id))
    ids = list(grants.values_list("pk", flat=True))
    if not ids:
        return 0
    AccessGrant.objects.filter(pk__in=ids).update(revoked_at=timezone.now())
    audit_record(
        action=AuditAction.ACCESS_REVOKED,
        actor=actor,
        record_type="access.accessgrant",
        record_id=",".join(str(pk) for pk in ids)[:64],
        matter_type=matter.type,
        matter_id=matter.id,
        detail={"grants": ids},
    )
    return len(ids)


def supervisors_of(*, matter: Matter) -> list[User]:
    """Return the supervisors who oversee the matter (of the agencies on its team)."""
    from kinga.accounts.models import Role, User

    agencies = (
        AccessGrant.objects.live()
        .filter(matter_type=matter.type, matter_id=matter.id, relation=Relation.AGENCY_ON_TEAM)
        .values("agency_id")
    )
    return list(
        User.objects.filter(
            is_active=True, agency_id__in=agencies, roles__role=Role.SUPERVISOR
        ).distinct()
    )


def break_glass_reviewers(*, user: User, matter: Matter) -> list[User]:
    """Return who is told of a break-glass by this user on this matter, and reviews it.

    The supervisors overseeing the matter and those of the user's own agency; when there
    are none (a public report, a team without a supervisor), the programme's designated
    reviewers (`KINGA_BREAK_GLASS_REVIEWERS`). Never the user themself.
    """
    from kinga.accounts.models import Role, User

    reviewers = {s.pk: s for s in supervisors_of(matter=matter)}
    if user.agency_id is not None:
        for supervisor in User.objects.filter(
            is_active=True, agency_id=user.agency_id, roles__role=Role.SUPERVISOR
        ).distinct():
            reviewers[supervisor.pk] = supervisor
    reviewers.pop(user.pk, None)
    if not reviewers:
        for designated in designated_reviewers():
            reviewers[designated.pk] = designated
        reviewers.pop(user.pk, None)
    return sorted(reviewers.values(), key=lambda reviewer: reviewer.pk)


def designated_reviewers() -> list[User]:
    """Return the programme's designated break-glass reviewers who can act: active supervisors."""
    from kinga.accounts.models import Role, User

    names = settings.KINGA_BREAK_GLASS_REVIEWERS
    if not names:
        return []
    return list(
        User.objects.filter(
            is_active=True, username__in=names, roles__role=Role.SUPERVISOR
        ).distinct()
    )


@transaction.atomic
def break_glass_open(*, user: User, matter: Matter, reason: str) -> BreakGlassGrant:
    """Grant the user emergency access to a matter they are not on, for a set time.

    Needs a role that may break glass, a matter that exists, a written reason and someone to
    review it (`break_glass_reviewers`), who is told at once; the grant waits in their queue
    until decided. The reason is kept encrypted on the grant, never in the audit log.
    """
    if not can_do(user, "break_glass.request"):
        raise PermissionDenied(_("Your role cannot use break-glass access."))
    if not matter_exists(matter):
        raise ObjectDoesNotExist(f"no {matter.type} {matter.id}")
    reason = reason_clean(reason, field=None)
    live = BreakGlassGrant.objects.filter(
        user=user,
        matter_type=matter.type,
        matter_id=matter.id,
        ends_at__gt=timezone.now(),
        access_grant__revoked_at__isnull=True,
    ).first()
    if live is not None:
        raise ValidationError(
            _("You already have break-glass access here until %(time)s.")
            % {"time": timezone.localtime(live.ends_at).strftime("%H:%M")}
        )
    reviewers = break_glass_reviewers(user=user, matter=matter)
    if not reviewers:
        raise ValidationError(
            _(
                "Nobody can review break-glass access yet, so it cannot be opened. "
                "Ask the programme to name its break-glass reviewers."
            )
        )
    now = timezone.now()
    ends_at = now + timedelta(hours=settings.KINGA_BREAK_GLASS_HOURS)
    grant = access_grant(
        matter=matter,
        relation=Relation.BREAK_GLASS,
        actor=user,
        user=user,
        source_type="break_glass",
        source_id=f"{user.pk}-{now.timestamp():.0f}",
        ends_at=ends_at,
    )
    record = BreakGlassGrant(
        user=user,
        matter_type=matter.type,
        matter_id=matter.id,
        reason=reason,
        starts_at=now,
        ends_at=ends_at,
        access_grant=grant,
    )
    record.full_clean()
    record.save()
    audit_record(
        action=AuditAction.BREAK_GLASS,
        actor=user,
        record_type="access.breakglassgrant",
        record_id=record.pk,
        matter_type=matter.type,
        matter_id=matter.id,
        fields=["reason"],
        detail={"reviewers": [reviewer.pk for reviewer in reviewers]},
    )
    from kinga.notifications.services import notify

    notify(
        recipients=reviewers,
        text=_("Break-glass access was opened and waits for your review."),
        link=reverse("access:break_glass_reviews") + f"#grant-{record.pk}",
        actor=user,
        deliver_by=("sms",),
    )
    return record


@transaction.atomic
def break_glass_review(
    *, grant: BreakGlassGrant, reviewer: User, decision: str, note: str = ""
) -> BreakGlassGrant:
    """Record a supervisor's review of a break-glass grant: accepted, or flagged as misuse.

    A flagged grant ends at once.
    """
    if not can_do(reviewer, "break_glass.review"):
        raise PermissionDenied(_("Only a supervisor reviews break-glass access."))
    if reviewer.pk == grant.user_id:
        raise PermissionDenied(_("Nobody reviews their own break-glass access."))
    if decision not in (BreakGlassReview.ACCEPTED, BreakGlassReview.FLAGGED):
        raise ValidationError(_("Choose accept or flag."))
    if grant.review != BreakGlassReview.PENDING:
        raise ValidationError(_("This break-glass access has already been reviewed."))
    if decision == BreakGlassReview.FLAGGED and not note.strip():
        raise ValidationError(_("Say why you flag it."))
    grant.review = decision
    grant.reviewed_by = reviewer
    grant.reviewed_at = timezone.now()
    grant.review_note = note.strip()
    grant.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_note"])
    if decision == BreakGlassReview.FLAGGED:
        AccessGrant.objects.filter(pk=grant.access_grant_id).update(revoked_at=timezone.now())
    audit_record(
        action=AuditAction.BREAK_GLASS_REVIEW,
        actor=reviewer,
        record_type="access.breakglassgrant",
        record_id=grant.pk,
        matter_type=grant.matter_type,
        matter_id=grant.matter_id,
        fields=["review", "review_note"] if grant.review_note else ["review"],
        detail={"decision": decision},
    )
    return grant
