"""Reads of the api app: tokens by their secret, integrations for administrators, and what
an integration may read through the API, each through the policy and audited as it."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kinga.access import policy
from kinga.accounts.models import Role, User
from kinga.api.models import Delivery, Integration, Subscription, Token
from kinga.api.services import token_hash
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import Case
from kinga.cases.seams import CourtPath
from kinga.cases.selectors import case_get
from kinga.directory.hsds import Record, service_queryset, service_record
from kinga.intake.models import Report
from kinga.intake.selectors import report_for_viewer
from kinga.justice.selectors import court_paths_for_case
from kinga.referrals.models import Referral
from kinga.referrals.selectors import REFERRAL, referral_for_viewer, referrals_visible_to

REPORT = "intake.report"
PAGE_SIZE = 50
PAGE_SIZE_MAX = 200


def token_by_secret(secret: str) -> Token | None:
    """Return the token with this secret and its integration, live or not; None if unknown."""
    if not secret or len(secret) > 200:
        return None
    return (
        Token.objects.select_related("integration__account", "integration__agency")
        .filter(secret_hash=token_hash(secret))
        .first()
    )


# For administrators ------------------------------------------------------------------


def integrations_for(*, viewer: User) -> QuerySet[Integration]:
    """Return the integrations an administrator manages, or a supervisor approves scopes of
    (their own agency's); nobody else sees any."""
    rows = Integration.objects.select_related("agency", "requested_by", "approved_by", "account")
    if viewer.has_role(Role.ADMIN):
        return rows
    if viewer.has_role(Role.SUPERVISOR) and viewer.agency_id is not None:
        return rows.filter(agency_id=viewer.agency_id)
    return rows.none()


def integration_for(*, viewer: User, integration_id: int) -> Integration:
    """Return one integration the viewer manages, or the same 404 for absent and not theirs."""
    found = integrations_for(viewer=viewer).filter(pk=integration_id).first()
    if found is None:
        raise policy.deny(viewer, record_type="api.integration", record_id=integration_id)
    return found


def tokens_of(*, integration: Integration) -> list[Token]:
    """Return the integration's tokens, newest first (their secrets are not kept)."""
    return list(integration.tokens.select_related("created_by", "revoked_by"))


def token_for(*, viewer: User, token_id: int) -> Token:
    """Return a token of an integration the viewer administers, or a 404."""
    if viewer.has_role(Role.ADMIN):
        found = Token.objects.select_related("integration").filter(pk=token_id).first()
        if found is not None:
            return found
    raise policy.deny(viewer, record_type="api.token", record_id=token_id)


# Cursors ---------------------------------------------------------------------------


def cursor_encode(kind: str, last_id: object) -> str:
    """Return an opaque cursor that continues after the row with this id."""
    return base64.urlsafe_b64encode(f"{kind}:{last_id}".encode()).decode().rstrip("=")


def cursor_decode(kind: str, cursor: str | None) -> str | None:
    """Return the id a cursor continues after, or raise a ValidationError naming it."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    found_kind, _sep, last = text.partition(":")
    if found_kind != kind or not last:
        raise ValidationError({"cursor": _("This cursor is not one this list gave.")})
    return last


def _int_cursor(kind: str, cursor: str | None) -> int | None:
    last = cursor_decode(kind, cursor)
    if last is None:
        return None
    if not last.isdigit() or len(last) > 18:
        raise ValidationError({"cursor": _("This cursor is not one this list gave.")})
    return int(last)


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (None at the end)."""

    rows: list[T]
    next_cursor: str | None


def _page_of(rows: list[T], limit: int, kind: str, key: str) -> Page[T]:
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor_encode(kind, getattr(rows[-1], key)) if more and rows else None
    return Page(rows=rows, next_cursor=next_cursor)


# Reports the integration filed ------------------------------------------------------


def reports_filed(
    *,
    viewer: User,
    status: str | None = None,
    received_after: datetime | None = None,
    received_before: datetime | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page[Report]:
    """Return a page of the reports the viewer may list, oldest first; audit the read."""
    after = _int_cursor("report", cursor)
    rows = policy.visible(viewer, Report.objects.all(), section="summary", action="list").order_by(
        "pk"
    )
    if status:
        rows = rows.filter(status=status)
    if received_after is not None:
        rows = rows.filter(received_at__gte=received_after)
    if received_before is not None:
        rows = rows.filter(received_at__lt=received_before)
    if after is not None:
        rows = rows.filter(pk__gt=after)
    page = _page_of(list(rows[: limit + 1]), limit, "report", "pk")
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type=REPORT,
        fields=["status", "decision", "priority", "received_at"],
        detail={"count": len(page.rows), "via": "api"},
    )
    return page


def report_state(*, viewer: User, report_id: int) -> Report:
    """Return a report's triage state for the viewer, or the same 404; audit the read."""
    report = report_for_viewer(viewer=viewer, report_id=report_id)
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer,
        record_type=REPORT,
        record_id=report.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=["status", "decision", "priority", "received_at"],
        detail={"via": "api"},
    )
    return report


# Referrals made to the integration's agency ------------------------------------------

REFERRAL_FIELDS = [
    "reference",
    "status",
    "urgency",
    "service",
    "sent_at",
    "due_at",
    "child_age_band",
    "child_sex",
    "child_languages",
    "needs",
]


def referrals_received(
    *,
    viewer: User,
    status: str | None = None,
    sent_after: datetime | None = None,
    sent_before: datetime | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page[Referral]:
    """Return a page of the referrals made to the viewer's agency that it may list (open
    ones: a closed referral's grant ends), oldest first; audit the read."""
    after = _int_cursor("referral", cursor)
    rows = (
        referrals_visible_to(viewer=viewer, action="list")
        .filter(receiving_agency_id=viewer.agency_id)
        .select_related("service_at_location__service", "sending_agency")
        .order_by("pk")
    )
    if status:
        rows = rows.filter(status=status)
    if sent_after is not None:
        rows = rows.filter(sent_at__gte=sent_after)
    if sent_before is not None:
        rows = rows.filter(sent_at__lt=sent_before)
    if after is not None:
        rows = rows.filter(pk__gt=after)
    page = _page_of(list(rows[: limit + 1]), limit, "referral", "pk")
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type=REFERRAL,
        fields=REFERRAL_FIELDS,
        detail={"count": len(page.rows), "via": "api"},
    )
    return page


def referral_received(*, viewer: User, referral_id: int, action: str = "view") -> Referral:
    """Return one referral made to the viewer's agency, or the same 404; audit the read."""
    referral = referral_for_viewer(viewer=viewer, referral_id=referral_id, action=action)
    if referral.receiving_agency_id != viewer.agency_id:
        raise policy.deny(
            viewer,
            record_type=REFERRAL,
            record_id=referral_id,
            action=action,
            matter=referral,
        )
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer,
        record_type=REFERRAL,
        record_id=referral.pk,
        matter_type=referral.matter_type,
        matter_id=referral.matter_id,
        fields=REFERRAL_FIELDS,
        detail={"via": "api"},
    )
    return referral


# The directory (public part) -------------------------------------------------------


def directory_services(*, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page[Record]:
    """Return a page of the directory's services as HSDS records, by id; no confidential
    address (the HSDS records never carry one)."""
    last = cursor_decode("service", cursor)
    rows = service_queryset().order_by("pk")
    if last is not None:
        try:
            rows = rows.filter(pk__gt=uuid.UUID(last))
        except ValueError:
            raise ValidationError({"cursor": _("This cursor is not one this list gave.")}) from None
    services = list(rows[: limit + 1])
    more = len(services) > limit
    services = services[:limit]
    records = [service_record(service, nested=True) for service in services]
    next_cursor = cursor_encode("service", services[-1].pk) if more and services else None
    return Page(rows=records, next_cursor=next_cursor)


def directory_service(*, service_id: uuid.UUID) -> Record | None:
    """Return one service's full HSDS record, or None."""
    found = service_queryset().filter(pk=service_id).first()
    return service_record(found) if found is not None else None


# Webhooks ----------------------------------------------------------------------------


def subscriptions_of(*, integration: Integration) -> list[Subscription]:
    """Return the integration's subscriptions, live ones first."""
    return list(integration.subscriptions.order_by("-is_active", "pk"))


def subscription_of(*, integration: Integration, subscription_id: int) -> Subscription:
    """Return one of the integration's subscriptions, or the same 404 as a missing one."""
    found = integration.subscriptions.filter(pk=subscription_id).first()
    if found is None:
        raise policy.deny(
            integration.account, record_type="api.subscription", record_id=subscription_id
        )
    return found


def deliveries_of(
    *, subscription: Subscription, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page[Delivery]:
    """Return a page of the subscription's delivery log, newest first."""
    before = _int_cursor("delivery", cursor)
    rows = subscription.deliveries.order_by("-pk")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    return _page_of(list(rows[: limit + 1]), limit, "delivery", "pk")


def recent_deliveries(*, integration: Integration, limit: int = 20) -> list[Delivery]:
    """Return the integration's latest deliveries, for its administrator's page."""
    return list(
        Delivery.objects.filter(subscription__integration=integration)
        .select_related("subscription")
        .order_by("-pk")[:limit]
    )


# Cases the integration's agency is on the team of ------------------------------------

CASE = "cases.case"
CASE_FIELDS = ["code", "status", "risk_level", "county", "owning_agency", "opened_at", "closed_at"]


def cases_on_team(
    *,
    viewer: User,
    status: str | None = None,
    opened_after: datetime | None = None,
    opened_before: datetime | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page[Case]:
    """Return a page of the cases the viewer may list (its agency on their team), oldest
    first: the summary a partner may know, never the child's identity; audit the read."""
    after = _int_cursor("case", cursor)
    rows = (
        policy.visible(viewer, Case.objects.all(), section="summary", action="list")
        .select_related("county", "owning_agency")
        .order_by("pk")
    )
    if status:
        rows = rows.filter(status=status)
    if opened_after is not None:
        rows = rows.filter(opened_at__gte=opened_after)
    if opened_before is not None:
        rows = rows.filter(opened_at__lt=opened_before)
    if after is not None:
        rows = rows.filter(pk__gt=after)
    page = _page_of(list(rows[: limit + 1]), limit, "case", "pk")
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type=CASE,
        fields=CASE_FIELDS,
        detail={"count": len(page.rows), "via": "api"},
    )
    return page


def case_summary(*, viewer: User, case_id: int) -> Case:
    """Return one case's summary for the viewer, or the same 404 as a missing one; audit it
    on the case's trail."""
    case = case_get(viewer=viewer, case_id=case_id, action="view", section="summary")
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer,
        record_type=CASE,
        record_id=case.pk,
        matter_type="case",
        matter_id=case.pk,
        fields=CASE_FIELDS,
        detail={"via": "api"},
    )
    return case


def case_court_dates(*, viewer: User, case_id: int) -> tuple[Case, list[CourtPath]]:
    """Return a case and the path to court of each incident its child is in, for a viewer of
    the case's justice section (the caseworker's view: dates, courts, stages), or the same
    404; the read is audited on the case's trail by the justice app."""
    case = case_get(viewer=viewer, case_id=case_id, action="view", section="justice")
    return case, court_paths_for_case(viewer=viewer, case=case)
