"""Aggregate figures through the open API: the dashboards' counts, small ones hidden.

What an integration may count, and over which rows, is the policy's `COUNTING` row for the
`integration` principal (the county its agency serves); each count below k
(`KINGA_INSIGHTS_K`) is hidden with its complements by `kinga.lib.suppression`, the same
rule the dashboards apply. The dashboards (kinga.insights) sit in this app's layer, so the
counting statements are written here as well, and a test runs both on the same records
and wants the same cells (`test_figures_match_the_dashboards`). Every figure is one
aggregate statement; no figure reads a name, a narrative or an encrypted field.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access import policy
from kinga.accounts.models import AgencyKind, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intake.models import Channel, Report
from kinga.lib.suppression import suppress, table_lines
from kinga.referrals.models import Referral, ReferralStatus

FIGURE = "api.figure"
# A period longer than this is asked for in pieces: each month is a column of the statement.
MONTHS_MAX = 24
# The days a figure may ask about: Kinga holds nothing older, and nothing from far ahead.
EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2100, 12, 31)


@dataclass(frozen=True)
class Figure:
    """A suppressed table: rows × columns with totals; a hidden count is None."""

    key: str
    k: int
    start: datetime.date
    end: datetime.date
    county_id: int | None
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], int | None]


def k_threshold() -> int:
    """Return this deployment's k: counts below it are never shown (as on the dashboards)."""
    return int(getattr(settings, "KINGA_INSIGHTS_K", 5))


def _since(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _until(day: datetime.date) -> datetime.datetime:
    return _since(day + datetime.timedelta(days=1))


def _months(start: datetime.date, end: datetime.date) -> list[str]:
    months: list[str] = []
    day = start.replace(day=1)
    while day <= end:
        months.append(day.strftime("%Y-%m"))
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def _month_bounds(code: str) -> tuple[datetime.datetime, datetime.datetime]:
    first = datetime.date.fromisoformat(f"{code}-01")
    return _since(first), _since((first + datetime.timedelta(days=32)).replace(day=1))


def _period(
    start: datetime.date | None, end: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    end = end or timezone.localdate()
    start = start or end - datetime.timedelta(days=365)
    for name, day in (("end", end), ("start", start)):
        if not EARLIEST <= day <= LATEST:
            raise ValidationError(
                {
                    name: _("Give a day between %(earliest)s and %(latest)s.")
                    % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
                }
            )
    if start > end:
        raise ValidationError({"start": _("The start is after the end.")})
    if (end.year - start.year) * 12 + end.month - start.month + 1 > MONTHS_MAX:
        raise ValidationError(
            {"start": _("Ask for at most %(months)s months at a time.") % {"months": MONTHS_MAX}}
        )
    return start, end


def _county_of(viewer: User, dashboard: str) -> int | None:
    """Return the county the viewer counts in (None: the programme), or an audited 404."""
    scope = policy.counting_scope(viewer, dashboard)
    if scope is None:
        raise policy.deny(viewer, record_type=FIGURE, record_id=dashboard, action="list")
    if scope == "county":
        county_id = viewer.agency.county_id if viewer.agency is not None else None
        if county_id is None:
            # an agency that serves no county counts nothing (never the whole programme)
            raise policy.deny(viewer, record_type=FIGURE, record_id=dashboard, action="list")
        return county_id
    return None


def _build(
    key: str,
    *,
    start: datetime.date,
    end: datetime.date,
    county_id: int | None,
    rows: list[str],
    columns: list[str],
    counts: dict[tuple[str, str], int],
) -> Figure:
    """Return the figure with its totals, every small count and its complements hidden."""
    k = k_threshold()
    values: dict[tuple[str, str], int] = {}
    for row in rows:
        for column in columns:
            values[(row, column)] = counts.get((row, column), 0)
        values[(row, "")] = sum(values[(row, column)] for column in columns)
    for column in columns:
        values[("", column)] = sum(values[(row, column)] for row in rows)
    values[("", "")] = sum(values[(row, "")] for row in rows)
    hidden = suppress(values, table_lines(rows, columns), k)
    return Figure(
        key=key,
        k=k,
        start=start,
        end=end,
        county_id=county_id,
        rows=rows,
        columns=columns,
        cells={cell: None if cell in hidden else value for cell, value in values.items()},
    )


def _audit(viewer: User, figure: Figure) -> None:
    detail: dict[str, Any] = {
        "start": figure.start.isoformat(),
        "end": figure.end.isoformat(),
        "via": "api",
    }
    if figure.county_id is not None:
        detail["county_id"] = figure.county_id
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer,
        record_type=FIGURE,
        record_id=figure.key,
        detail=detail,
    )


def reports_by_channel(
    *, viewer: User, start: datetime.date | None = None, end: datetime.date | None = None
) -> Figure:
    """Return the reports received month by month (rows) and channel (columns), as the
    reporting dashboard counts them; audit the read."""
    start, end = _period(start, end)
    county_id = _county_of(viewer, "reporting")
    months = _months(start, end)
    reports: QuerySet[Report] = Report.objects.filter(
        received_at__gte=_since(start), received_at__lt=_until(end)
    )
    if county_id is not None:
        reports = reports.filter(county_id=county_id)
    bounds = {code: _month_bounds(code) for code in months}
    grouped = (
        reports.values("channel")
        .order_by()
        .annotate(
            **{
                f"m{code.replace('-', '_')}": Count(
                    "pk", filter=Q(received_at__gte=since, received_at__lt=until)
                )
                for code, (since, until) in bounds.items()
            }
        )
    )
    counts: dict[tuple[str, str], int] = {}
    for row in grouped:
        values = dict(row)
        for code in months:
            counts[(code, str(values["channel"]))] = cast(int, values[f"m{code.replace('-', '_')}"])
    figure = _build(
        "reports_by_channel",
        start=start,
        end=end,
        county_id=county_id,
        rows=months,
        columns=list(Channel.values),
        counts=counts,
    )
    _audit(viewer, figure)
    return figure


REFERRAL_COLUMNS = ["waiting", "overdue", "accepted", "completed", "declined", "withdrawn"]


def referrals_by_provider(
    *, viewer: User, start: datetime.date | None = None, end: datetime.date | None = None
) -> Figure:
    """Return the referrals sent in the period by the kind of service receiving them (rows)
    and where each stands now (columns), as the referrals dashboard counts them; audit it."""
    start, end = _period(start, end)
    county_id = _county_of(viewer, "referrals")
    now = timezone.now()
    referrals: QuerySet[Referral] = Referral.objects.filter(
        sent_at__gte=_since(start), sent_at__lt=_until(end)
    )
    if county_id is not None:
        referrals = referrals.filter(receiving_agency__county_id=county_id)
    waiting = Q(status=ReferralStatus.SENT)
    grouped = (
        referrals.values("receiving_agency__kind")
        .order_by()
        .annotate(
            waiting=Count("pk", filter=waiting & Q(due_at__gte=now)),
            overdue=Count("pk", filter=waiting & Q(due_at__lt=now)),
            accepted=Count(
                "pk", filter=Q(status__in=[ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS])
            ),
            completed=Count("pk", filter=Q(status=ReferralStatus.COMPLETED)),
            declined=Count("pk", filter=Q(status=ReferralStatus.DECLINED)),
            withdrawn=Count("pk", filter=Q(status=ReferralStatus.WITHDRAWN)),
        )
    )
    counts = {
        (str(row["receiving_agency__kind"]), column): cast(int, dict(row)[column])
        for row in grouped
        for column in REFERRAL_COLUMNS
    }
    figure = _build(
        "referrals_by_provider",
        start=start,
        end=end,
        county_id=county_id,
        rows=list(AgencyKind.values),
        columns=REFERRAL_COLUMNS,
        counts=counts,
    )
    _audit(viewer, figure)
    return figure
