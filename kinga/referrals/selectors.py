"""Reads of referrals: who may see which referral, the provider's inbox, the sender's list,
a case's referrals; and where a referral opens a confidential location's address."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.db.models import BigIntegerField, Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from kinga.access import policy
from kinga.access.models import AccessGrant, MatterType, Relation
from kinga.access.policy import deny
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.directory.models import Location, ServiceAtLocation, ServiceStatus
from kinga.directory.selectors import location_address_visible_to
from kinga.referrals.models import (
    CLOSED_REFERRAL_STATUSES,
    OPEN_REFERRAL_STATUSES,
    Referral,
    ReferralStatus,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.home import WorkCount
    from kinga.accounts.models import User
    from kinga.cases.models import Case as SurvivorCase
    from kinga.cases.seams import ReferralRow
    from kinga.cases.selectors import TimelineEntry

    Viewer = User | AnonymousUser | None


REFERRAL = "referrals.referral"
# The matter types a referral can belong to.
REFERRAL_MATTERS = (MatterType.CASE, MatterType.REPORT)


def _handled_referral_ids(viewer: User, action: str) -> QuerySet[AccessGrant, Any] | None:
    """Return the ids of the referrals made to the viewer (or their agency), as a subquery.

    A referral_recipient grant made by a referral names it as its source; the recipient
    sees that referral, not the others on the same case.
    """
    grants = policy.live_grants(
        viewer, "referral", action, only=frozenset({Relation.REFERRAL_RECIPIENT})
    )
    if grants is None:
        return None
    return (
        grants.filter(source_type=REFERRAL)
        .annotate(referral_id=Cast("source_id", BigIntegerField()))
        .values("referral_id")
    )


def _team_matter_ids(viewer: User, matter_type: str, action: str) -> QuerySet[AccessGrant, Any]:
    """Return the ids of matters where the viewer may act on referrals other than as a
    recipient: the case team, its supervising agencies, the triage area, break-glass."""
    return policy.visible_matter_ids(
        viewer, matter_type, "referral", action, exclude=frozenset({Relation.REFERRAL_RECIPIENT})
    )


def referrals_visible_to(*, viewer: Viewer, action: str = "list") -> QuerySet[Referral]:
    """Return the referrals the viewer may take the action on, filtered in SQL.

    The sending side sees the referrals of the matters it may see referrals of; a
    recipient sees only the referrals made to it, while they are open.
    """
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return Referral.objects.none()
    user: User = viewer
    condition = Q(pk__in=[])
    for matter_type in REFERRAL_MATTERS:
        condition |= Q(
            matter_type=matter_type,
            matter_id__in=_team_matter_ids(user, matter_type, action),
        )
    handled = _handled_referral_ids(user, action)
    if handled is not None:
        condition |= Q(pk__in=handled)
    return Referral.objects.filter(condition)


def referral_sides(viewer: Viewer, referral: Referral) -> tuple[bool, bool]:
    """Return (on the sending side, a recipient) for the viewer on this referral."""
    if viewer is None or not viewer.is_authenticated:
        return False, False
    user: User = viewer
    sending = Referral.objects.filter(
        pk=referral.pk,
        matter_id__in=_team_matter_ids(user, referral.matter_type, "view"),
        matter_type=referral.matter_type,
    ).exists()
    handled = _handled_referral_ids(user, "view")
    receiving = (
        handled is not None and Referral.objects.filter(pk=referral.pk, pk__in=handled).exists()
    )
    return sending, receiving


def referral_for_viewer(*, viewer: Viewer, referral_id: int, action: str = "view") -> Referral:
    """Return the referral for its page, or the same 404 for "absent" and "not yours"."""
    referral = (
        referrals_visible_to(viewer=viewer, action=action)
        .filter(pk=referral_id)
        .select_related(
            "service_at_location__service__organization",
            "service_at_location__location__ward__sub_county",
            "service_at_location__location__sub_county",
            "service_at_location__location__organization",
            "receiving_agency",
            "sending_agency",
            "sent_by",
            "contact_person",
            "childrens_officer",
            "case",
        )
        .first()
    )
    if referral is None:
        # Out of reach or absent, the same 404; a real one's refusal goes on its matter's trail.
        where = (
            Referral.objects.filter(pk=referral_id).values_list("matter_type", "matter_id").first()
        )
        raise deny(
            viewer,
            record_type=REFERRAL,
            record_id=referral_id,
            action=action,
            matter=policy.Matter(type=where[0], id=where[1]) if where is not None else None,
        )
    return referral


def _list_related(rows: QuerySet[Referral]) -> QuerySet[Referral]:
    return rows.select_related(
        "service_at_location__service", "receiving_agency", "sending_agency", "case"
    )


def _audit_list(viewer: User) -> None:
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type=REFERRAL,
        fields=["reference", "status", "urgency", "due_at"],
    )


def referral_inbox(*, viewer: Viewer) -> list[Referral]:
    """Return the referrals made to the viewer's agency (or to them), waiting ones first;
    audit the list read."""
    if viewer is None or not viewer.is_authenticated:
        return []
    user: User = viewer
    _audit_list(user)
    handled = _handled_referral_ids(user, "list")
    if handled is None:
        return []
    rows = Referral.objects.filter(pk__in=handled).annotate(
        waiting=Case(When(status=ReferralStatus.SENT, then=Value(0)), default=Value(1))
    )
    return list(_list_related(rows.order_by("waiting", "due_at", "pk"))[:200])


def referral_outgoing(*, viewer: Viewer, now: dt.datetime | None = None) -> list[Referral]:
    """Return the referrals sent by the viewer's agency that the viewer may list: overdue
    first, then open by due time, then closed, newest first; audit the list read."""
    if viewer is None or not viewer.is_authenticated:
        return []
    _audit_list(viewer)
    if viewer.agency_id is None:
        return []
    now = now or timezone.now()
    rows = (
        referrals_visible_to(viewer=viewer, action="list")
        .filter(sending_agency_id=viewer.agency_id)
        .annotate(
            rank=Case(
                When(status=ReferralStatus.SENT, due_at__lt=now, then=Value(0)),
                When(status__in=OPEN_REFERRAL_STATUSES, then=Value(1)),
                default=Value(2),
            )
        )
    )
    return list(_list_related(rows.order_by("rank", "due_at", "-pk"))[:200])


def referrals_of_case(*, viewer: Viewer, case_id: int) -> list[Referral]:
    """Return the case's referrals the viewer may list, newest first."""
    return list(
        _list_related(
            referrals_visible_to(viewer=viewer, action="list").filter(
                matter_type=MatterType.CASE, matter_id=case_id
            )
        ).order_by("-sent_at", "-pk")
    )


def referral_panel_rows(
    *, viewer: Viewer, case: SurvivorCase, referrals: list[Referral] | None = None
) -> list[ReferralRow]:
    """Return the case's referrals the viewer may list, for the case page's referrals panel:
    open ones first (overdue first, then by due time), then closed ones, newest first.

    `referrals`: those `referrals_of_case` returned for this viewer, when already read.
    """
    from kinga.cases.seams import ReferralRow

    referrals = list(
        referrals if referrals is not None else referrals_of_case(viewer=viewer, case_id=case.pk)
    )
    referrals.sort(
        key=lambda r: (
            0 if r.is_overdue else 1 if r.is_open else 2,
            r.due_at.timestamp() if r.is_open else -r.sent_at.timestamp(),
        )
    )
    return [
        ReferralRow(
            id=referral.pk,
            reference=referral.reference,
            service=referral.service_at_location.service.name,
            organisation=str(referral.receiving_agency),
            status=referral.status,
            status_label=str(referral.get_status_display()),
            urgency=referral.urgency,
            urgency_label=str(referral.get_urgency_display()),
            sent_at=referral.sent_at,
            due_at=referral.due_at,
            overdue=referral.is_overdue,
            url=reverse("referrals:detail", kwargs={"referral_id": referral.pk}),
        )
        for referral in referrals
    ]


def referral_history(*, viewer: Viewer, limit: int = 200) -> list[Referral]:
    """Return the referrals the viewer's organisation has closed (completed, declined,
    withdrawn), newest first; audit the list read.

    The service's part is over, so its window into them is closed: the history shows what
    it did (reference, service, dates, status), never the child's details.
    """
    if viewer is None or not viewer.is_authenticated or viewer.agency_id is None:
        return []
    user: User = viewer
    if not user.has_role(Role.SERVICE_PROVIDER, Role.SUPERVISOR, Role.CASEWORKER):
        return []
    audit_record(
        action=AuditAction.LIST,
        actor=user,
        record_type=REFERRAL,
        fields=["reference", "status", "service", "sent_at", "closed_at"],
        detail={"list": "history"},
    )
    rows = Referral.objects.filter(
        receiving_agency_id=user.agency_id, status__in=CLOSED_REFERRAL_STATUSES
    ).select_related("service_at_location__service", "sending_agency")
    return list(rows.order_by("-closed_at", "-pk")[:limit])


def referrals_for_case_timeline(
    *, viewer: Viewer, case: SurvivorCase, referrals: list[Referral] | None = None
) -> list[TimelineEntry]:
    """Return the case timeline's referral entries the viewer may see.

    One for the sending, one for the answer, one for the start and one for the close with
    its feedback (the case page shows them through `kinga.cases.seams.CaseReferrals`).
    `referrals`: those `referrals_of_case` returned for this viewer, when already read.
    """
    from django.utils.translation import gettext as _

    from kinga.cases.selectors import TimelineEntry

    entries: list[TimelineEntry] = []
    if referrals is None:
        referrals = referrals_of_case(viewer=viewer, case_id=case.pk)
    for referral in referrals:
        service = referral.service_at_location.service.name
        url = reverse("referrals:detail", kwargs={"referral_id": referral.pk})
        where = {"reference": referral.reference, "service": service}

        def entry(at: dt.datetime | None, summary: str, url: str = url) -> None:
            if at is not None:
                entries.append(
                    TimelineEntry(
                        at=at,
                        kind="referral",
                        label=_("Referral"),
                        summary=summary,
                        section="referral",
                        url=url,
                    )
                )

        entry(
            referral.sent_at,
            _("%(reference)s sent to %(service)s (%(urgency)s)")
            % {**where, "urgency": referral.get_urgency_display()},
        )
        if referral.status == ReferralStatus.SENT and referral.is_overdue:
            entry(timezone.now(), _("%(reference)s is overdue: no answer yet") % where)
        if referral.answered_at is not None:
            if referral.status == ReferralStatus.DECLINED:
                entry(
                    referral.answered_at,
                    _("%(reference)s declined by %(service)s: %(reason)s")
                    % {**where, "reason": referral.decline_reason},
                )
            else:
                entry(referral.answered_at, _("%(reference)s accepted by %(service)s") % where)
        entry(referral.started_at, _("%(reference)s: the service started") % where)
        if referral.status == ReferralStatus.COMPLETED:
            entry(
                referral.closed_at,
                _("%(reference)s completed. Feedback: %(feedback)s")
                % {**where, "feedback": referral.feedback},
            )
        elif referral.status == ReferralStatus.WITHDRAWN:
            entry(
                referral.closed_at,
                _("%(reference)s withdrawn: %(reason)s")
                % {**where, "reason": referral.withdraw_reason},
            )
    return entries


def referral_promise_texts(*, viewer: Viewer, case: SurvivorCase) -> dict[str, str]:
    """Return referral id -> what its promise to the child says, for the referrals of the
    case the viewer may list (the case page shows it beside the promise)."""
    from django.utils.translation import gettext as _

    return {
        str(referral.pk): _("Referral %(reference)s to %(service)s")
        % {
            "reference": referral.reference,
            "service": referral.service_at_location.service.name,
        }
        for referral in referrals_of_case(viewer=viewer, case_id=case.pk)
    }


def service_at_location_for_referral(*, place_id: uuid.UUID) -> ServiceAtLocation | None:
    """Return an active service at a location to refer to, with what the form shows."""
    return (
        ServiceAtLocation.objects.filter(pk=place_id, service__status=ServiceStatus.ACTIVE)
        .select_related(
            "service__organization__agency",
            "location__ward__sub_county",
            "location__sub_county",
            "location__organization",
        )
        .first()
    )


def case_at_safe_place(*, case_id: int) -> bool:
    """Return whether a referral of the case to a confidential location is accepted or under
    way: the child is "at a safe place". Says nothing of which, or where."""
    return Referral.objects.filter(
        case_id=case_id,
        status__in=[ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS],
        service_at_location__location__confidential=True,
    ).exists()


def referral_address_visible_to(viewer: Viewer, location: Location) -> bool:
    """Return whether the viewer may see the location's street address and exact point
    on a referral's page.

    Those the directory shows it to (everyone for a public location, the agency that runs
    a confidential one), and those handling an open referral to it: the sending team and
    the receiving staff (and the Children's Officer) who may see that referral.
    """
    if location_address_visible_to(viewer, location):
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    return (
        referrals_visible_to(viewer=viewer, action="view")
        .filter(service_at_location__location=location, status__in=OPEN_REFERRAL_STATUSES)
        .exists()
    )


def home_work(*, viewer: User, today: dt.date) -> list[WorkCount]:
    """Return the counts of the viewer's referral work for their home: for a receiving
    service, new referrals to accept and those it is serving; for the sending side, the
    referrals of their agency nobody answered in time."""
    from django.utils.translation import gettext_lazy as _

    from kinga.accounts.home import WorkCount
    from kinga.accounts.models import Role

    work: list[WorkCount] = []
    if viewer.has_role(Role.SERVICE_PROVIDER):
        handled = _handled_referral_ids(viewer, "list")
        counts = (
            Referral.objects.filter(pk__in=handled).aggregate(
                new=Count("pk", filter=Q(status=ReferralStatus.SENT)),
                serving=Count(
                    "pk",
                    filter=Q(status__in=[ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS]),
                ),
            )
            if handled is not None
            else {"new": 0, "serving": 0}
        )
        inbox = reverse("referrals:inbox")
        work += [
            WorkCount(_("New referrals to accept or decline"), counts["new"], inbox, urgent=True),
            WorkCount(_("Referrals you are serving"), counts["serving"], inbox),
        ]
    if viewer.has_role(Role.CASEWORKER, Role.SUPERVISOR) and viewer.agency_id is not None:
        overdue = (
            referrals_visible_to(viewer=viewer, action="list")
            .filter(
                sending_agency_id=viewer.agency_id,
                status=ReferralStatus.SENT,
                due_at__lt=timezone.now(),
            )
            .count()
        )
        work.append(
            WorkCount(
                _("Referrals sent and not answered in time"),
                overdue,
                reverse("referrals:outgoing"),
                urgent=True,
            )
        )
    return work
