"""Reads of field collection, given the viewer: a phone's token, the supervisor's pages.

A supervisor sees the volunteers of their own agency and what each sent: when, which form,
its status and the report it made (a reference; the report itself opens through intake's
policy). An administrator sees the quarantine: what came in and could not be filed, never
its content. Nobody reads a submission's content here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.collect.models import (
    DeviceToken,
    HomeVisit,
    Submission,
    SubmissionStatus,
    Volunteer,
)
from kinga.collect.services import HOME_VISIT, SUBMISSION, VOLUNTEER, Phone, token_hash

if TYPE_CHECKING:
    from datetime import date

    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.home import WorkCount
    from kinga.accounts.models import User


def token_live(*, secret: str) -> DeviceToken | None:
    """Return the live token a phone's URL carries (with its volunteer), or None."""
    if not secret or len(secret) > 100:
        return None
    return (
        DeviceToken.objects.select_related("volunteer")
        .filter(token_hash=token_hash(secret), revoked_at__isnull=True, volunteer__is_active=True)
        .first()
    )


def phone_for(*, secret: str) -> Phone | None:
    """Return the phone a live token names, for the OpenRosa endpoints (one fixed statement,
    prepared by the database: every request of a phone asks it)."""
    if not secret or len(secret) > 100:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, t.volunteer_id FROM collect_devicetoken t"
            " JOIN collect_volunteer v ON v.id = t.volunteer_id"
            " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND v.is_active",
            [token_hash(secret)],
        )
        row = cursor.fetchone()
    return Phone(token_id=row[0], volunteer_id=row[1]) if row is not None else None


def may_supervise(viewer: User | AnonymousUser) -> bool:
    return policy.can_do(viewer, "collect.supervise")


def may_see_quarantine(viewer: User | AnonymousUser) -> bool:
    return policy.can_do(viewer, "collect.quarantine")


def volunteers_visible(*, viewer: User | AnonymousUser) -> QuerySet[Volunteer]:
    """Return the volunteers the viewer supervises: their own agency's."""
    agency_id = getattr(viewer, "agency_id", None)
    if not may_supervise(viewer) or not isinstance(agency_id, int):
        return Volunteer.objects.none()
    return Volunteer.objects.filter(agency_id=agency_id)


@dataclass(frozen=True)
class VolunteerRow:
    volunteer: Volunteer
    sent: int
    waiting: int
    quarantined: int
    live_tokens: int


def volunteer_list(*, viewer: User) -> list[VolunteerRow]:
    """Return the viewer's volunteers, most recently active first, with their counts;
    audit the list (it names them)."""
    volunteers = list(
        volunteers_visible(viewer=viewer)
        .select_related("county")
        .annotate(
            live=Count("tokens", filter=Q(tokens__revoked_at__isnull=True), distinct=True),
        )
        .order_by("-is_active", F("last_sent_at").desc(nulls_last=True), "pk")[:500]
    )
    counts: dict[tuple[int, str], int] = {}
    for row in (
        Submission.objects.filter(volunteer__in=[v.pk for v in volunteers])
        .values("volunteer_id", "status")
        .annotate(n=Count("pk"))
    ):
        counts[(row["volunteer_id"], row["status"])] = row["n"]
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type=VOLUNTEER,
        fields=["name", "last_sent_at"],
        detail={"list": "volunteers", "rows": len(volunteers)},
    )
    return [
        VolunteerRow(
            volunteer=v,
            sent=sum(n for (pk, _s), n in counts.items() if pk == v.pk),
            waiting=counts.get((v.pk, SubmissionStatus.WAITING), 0),
            quarantined=counts.get((v.pk, SubmissionStatus.QUARANTINED), 0),
            live_tokens=v.live,
        )
        for v in volunteers
    ]


def volunteer_for(*, viewer: User | AnonymousUser, volunteer_id: int) -> Volunteer:
    """Return a volunteer the viewer supervises; else the audited 404 of 'not found'."""
    volunteer = (
        volunteers_visible(viewer=viewer).select_related("agency").filter(pk=volunteer_id).first()
    )
    if volunteer is None:
        raise policy.deny(viewer, record_type=VOLUNTEER, record_id=volunteer_id)
    return volunteer


@dataclass(frozen=True)
class VolunteerPage:
    volunteer: Volunteer
    tokens: list[DeviceToken]
    submissions: list[Submission]


def volunteer_page(*, viewer: User, volunteer_id: int) -> VolunteerPage:
    """Return a volunteer, their phones' tokens and what they sent (newest first); audit it."""
    volunteer = volunteer_for(viewer=viewer, volunteer_id=volunteer_id)
    tokens = list(DeviceToken.objects.filter(volunteer=volunteer).order_by("-created_at"))
    submissions = list(
        Submission.objects.filter(volunteer=volunteer)
        .select_related("report", "event", "home_visit")
        .order_by("-received_at")[:200]
    )
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer,
        record_type=VOLUNTEER,
        record_id=volunteer.pk,
        fields=["name", "tokens", "submissions"],
    )
    return VolunteerPage(volunteer=volunteer, tokens=tokens, submissions=submissions)


def token_for(*, viewer: User, token_id: int) -> DeviceToken:
    """Return a token of a volunteer the viewer supervises; else the audited 404."""
    token = (
        DeviceToken.objects.select_related("volunteer")
        .filter(pk=token_id, volunteer__in=volunteers_visible(viewer=viewer))
        .first()
    )
    if token is None:
        raise policy.deny(viewer, record_type="collect.devicetoken", record_id=token_id)
    return token


def quarantine(*, viewer: User) -> list[Submission]:
    """Return the submissions waiting for someone: quarantined, conflicting, or waiting for
    files a day or more (an administrator's page; metadata only); audit the list."""
    if not may_see_quarantine(viewer):
        return []
    rows = list(
        Submission.objects.filter(
            status__in=[
                SubmissionStatus.QUARANTINED,
                SubmissionStatus.CONFLICT,
                SubmissionStatus.WAITING,
            ]
        )
        .select_related("volunteer", "volunteer__agency")
        .order_by("-received_at")[:500]
    )
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type=SUBMISSION,
        fields=["status", "quarantine_reason", "form_id", "volunteer"],
        detail={"list": "quarantine", "rows": len(rows)},
    )
    return rows


def quarantined_for(*, viewer: User, submission_id: int) -> Submission:
    """Return a quarantined submission to an administrator; else the audited 404."""
    found = None
    if may_see_quarantine(viewer):
        found = Submission.objects.filter(
            pk=submission_id, status=SubmissionStatus.QUARANTINED
        ).first()
    if found is None:
        raise policy.deny(viewer, record_type=SUBMISSION, record_id=submission_id)
    return found


def is_admin(viewer: User) -> bool:
    return viewer.has_role(Role.ADMIN)


# --- home visits: read by the case's team, through the policy (care section) ---------------


def home_visits_visible(*, viewer: User | AnonymousUser) -> QuerySet[HomeVisit]:
    """Return the home visits on cases whose care records the viewer may list."""
    return policy.visible(viewer, HomeVisit.objects.all(), section="care", action="list")


def home_visit_list(*, viewer: User) -> list[HomeVisit]:
    """Return the viewer's home visits, unread first, newest first (with their case's
    code); audit the list."""
    visits = list(
        home_visits_visible(viewer=viewer)
        .select_related("case", "volunteer")
        .order_by(F("read_at").desc(nulls_first=True), "-received_at")[:200]
    )
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type=HOME_VISIT,
        fields=["case", "visited_on", "child_seen", "danger_now"],
        detail={"list": "home_visits", "rows": len(visits)},
    )
    return visits


def home_visit_get(*, viewer: User, visit_id: int) -> HomeVisit:
    """Return a home visit to someone who may view its case's care records (audited, on the
    case's trail); anyone else gets the audited 404 of "not found"."""
    visit = (
        HomeVisit.objects.select_related("case", "volunteer", "volunteer__agency", "read_by")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise policy.deny(viewer, record_type=HOME_VISIT, record_id=visit_id)
    policy.require(viewer, "view", visit, "care", record_type=HOME_VISIT, record_id=visit_id)
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer,
        record_type=HOME_VISIT,
        record_id=visit.pk,
        matter_type=MatterType.CASE,
        matter_id=visit.case_id,
        fields=["visited_on", "child_seen", "danger_now", "needs", "notes"],
    )
    return visit


def home_work(*, viewer: User, today: date) -> list[WorkCount]:
    """Return the viewer's unread home visits from the field (urgent when one found a child
    in danger now): one COUNT query."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from kinga.accounts.home import WorkCount

    counts = (
        home_visits_visible(viewer=viewer)
        .filter(read_at__isnull=True)
        .aggregate(unread=Count("pk"), danger=Count("pk", filter=Q(danger_now="yes")))
    )
    if not counts["unread"]:
        return []
    return [
        WorkCount(
            _("Home visits from the field to read"),
            counts["unread"],
            reverse("collect:home_visits"),
            urgent=bool(counts["danger"]),
        )
    ]
