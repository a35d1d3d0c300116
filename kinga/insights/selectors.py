"""The figures of the dashboards: counts the viewer may see, suppressed, and audited.

What a role may count, and over which rows, is the policy's (`policy.COUNTING`): an
analyst counts the programme, a supervisor the county their agency serves. Each figure is
one aggregate statement (GROUP BY, or conditional counts with `filter=`), never a loop over
rows in Python; each count below k is hidden with its complements (`suppression`) before
it leaves this module, so neither a page nor an export ever holds a small count.
No figure reads a name, a narrative or any encrypted field.
"""

from __future__ import annotations

import collections
import datetime
import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kinga.access import policy
from kinga.accounts.models import AgencyKind, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import Case
from kinga.insights.measures import DaysBetween, count_and_median, median, medians, medians_by
from kinga.insights.models import ExportJob, MonthlyRollup, PathsRefresh, ReportPath, StepDays
from kinga.insights.paths import AGE_BANDS, CATEGORIES, STEP_DAYS, bit_of, stage_of, whole_days
from kinga.insights.suppression import suppress, table_lines
from kinga.intake.models import Channel, Report
from kinga.justice.models import (
    CONVICTIONS,
    ChargeDecision,
    ChargeDecisionKind,
    CountOutcome,
    CountOutcomeKind,
    FileSubmission,
    Incident,
    Investigation,
    Prosecution,
)
from kinga.referrals.models import Referral, ReferralStatus

Viewer = User | AnonymousUser | None
Label = str | Promise


def k_threshold() -> int:
    """Return this deployment's k: counts below it are never shown."""
    return int(getattr(settings, "KINGA_INSIGHTS_K", 5))


@dataclass(frozen=True)
class Filters:
    """What the viewer narrowed the figures to. Ids and codes only."""

    start: datetime.date
    end: datetime.date
    county_id: int | None = None
    sub_county_id: int | None = None
    ward_id: int | None = None
    agency_id: int | None = None
    age_band: str = ""
    sex: str = ""
    exploitation: str = ""

    def audit_detail(self) -> dict[str, Any]:
        """Return the filters as codes and ids, for the audit event."""
        detail: dict[str, Any] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name in ("county_id", "sub_county_id", "ward_id", "agency_id"):
            value = getattr(self, name)
            if value is not None:
                detail[name] = value
        for name in ("age_band", "sex", "exploitation"):
            value = getattr(self, name)
            if value:
                detail[name] = value
        return detail


def default_filters(today: datetime.date | None = None) -> Filters:
    """Return the last twelve months, everywhere the viewer may count."""
    today = today or timezone.localdate()
    return Filters(start=today - datetime.timedelta(days=365), end=today)


# --- results -------------------------------------------------------------------------------


@dataclass
class Cell:
    """One count as shown: None when it is hidden."""

    value: int | None

    @property
    def hidden(self) -> bool:
        return self.value is None


@dataclass
class Table:
    """A suppressed figure: rows × columns with totals; every hidden count is None."""

    key: str
    title: Label
    row_heading: Label
    rows: list[tuple[str, Label]]
    columns: list[tuple[str, Label]]
    cells: dict[tuple[str, str], Cell]
    ignored: list[Label] = field(default_factory=list)
    notes: list[Label] = field(default_factory=list)

    def cell(self, row: str, column: str) -> Cell:
        return self.cells[(row, column)]

    def body(self) -> list[tuple[Label, list[Cell], Cell]]:
        """Return each row's label, its cells and its total, for templates and exports."""
        return [
            (
                label,
                [self.cells[(row, column)] for column, _label in self.columns],
                self.cells[(row, "")],
            )
            for row, label in self.rows
        ]

    def footer(self) -> tuple[list[Cell], Cell]:
        return [self.cells[("", column)] for column, _label in self.columns], self.cells[("", "")]


def table_build(
    *,
    key: str,
    title: Label,
    row_heading: Label,
    rows: Sequence[tuple[str, Label]],
    columns: Sequence[tuple[str, Label]],
    counts: dict[tuple[str, str], int],
    k: int,
    ignored: list[Label] | None = None,
    notes: list[Label] | None = None,
) -> Table:
    """Return the table of these counts with its totals, small counts and complements hidden."""
    row_codes = [code for code, _label in rows]
    column_codes = [code for code, _label in columns]
    values: dict[tuple[str, str], int] = {}
    for row in row_codes:
        for column in column_codes:
            values[(row, column)] = counts.get((row, column), 0)
        values[(row, "")] = sum(values[(row, column)] for column in column_codes)
    for column in column_codes:
        values[("", column)] = sum(values[(row, column)] for row in row_codes)
    values[("", "")] = sum(values[(row, "")] for row in row_codes)
    hidden = suppress(values, table_lines(row_codes, column_codes), k)
    return Table(
        key=key,
        title=title,
        row_heading=row_heading,
        rows=list(rows),
        columns=list(columns),
        cells={key_: Cell(None if key_ in hidden else value) for key_, value in values.items()},
        ignored=list(ignored or []),
        notes=list(notes or []),
    )


@dataclass
class FunnelStep:
    key: str
    label: Label
    reached: Cell
    lost: Cell | None
    median_days: float | None
    median_label: Label


@dataclass
class Funnel:
    steps: list[FunnelStep]
    justice_thin: bool
    ignored: list[Label]


# --- scope ---------------------------------------------------------------------------------


def scope_require(viewer: Viewer, dashboard: str) -> str:
    """Return the viewer's counting scope for the dashboard, or an audited 404."""
    scope = policy.counting_scope(viewer, dashboard)
    if scope is None:
        raise policy.deny(
            viewer, record_type="insights.dashboard", record_id=dashboard, action="list"
        )
    return scope


def scoped_filters(viewer: Viewer, dashboard: str, filters: Filters) -> Filters:
    """Return the filters narrowed to the viewer's scope (a county scope fixes the county)."""
    scope = scope_require(viewer, dashboard)
    if scope == "county":
        user: User = viewer  # type: ignore[assignment]
        county_id = user.agency.county_id if user.agency is not None else None
        if filters.county_id not in (None, county_id):
            raise policy.deny(
                viewer, record_type="insights.dashboard", record_id=dashboard, action="list"
            )
        return Filters(**{**filters.__dict__, "county_id": county_id})
    return filters


def dashboard_audit(*, viewer: Viewer, dashboard: str, filters: Filters) -> None:
    """Record that the viewer looked at a dashboard with these filters (codes only)."""
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if isinstance(viewer, User) else None,
        record_type="insights.dashboard",
        record_id=dashboard,
        detail=filters.audit_detail(),
    )


# --- the rows each figure counts --------------------------------------------------------------


def _until(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    )


def _since(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def reports_in(filters: Filters) -> QuerySet[Report]:
    """Return the reports received in the period and area (the funnel's cohort)."""
    rows = Report.objects.filter(
        received_at__gte=_since(filters.start), received_at__lt=_until(filters.end)
    )
    if filters.ward_id is not None:
        rows = rows.filter(ward_id=filters.ward_id)
    elif filters.sub_county_id is not None:
        rows = rows.filter(sub_county_id=filters.sub_county_id)
    elif filters.county_id is not None:
        rows = rows.filter(county_id=filters.county_id)
    if filters.agency_id is not None:
        rows = rows.filter(decided_by__agency_id=filters.agency_id)
    if filters.age_band:
        # the JSON list as text: a band is a quoted code, and no code is inside another
        rows = rows.filter(age_bands__icontains=f'"{filters.age_band}"')
    if filters.exploitation:
        rows = rows.filter(categories__icontains=f'"{filters.exploitation}"')
    return rows


def paths_in(filters: Filters) -> QuerySet[ReportPath]:
    """Return the report paths of the period and area: the same reports as `reports_in`,
    read from the summary the worker keeps (`ReportPath`)."""
    rows = ReportPath.objects.filter(
        received_at__gte=_since(filters.start), received_at__lt=_until(filters.end)
    )
    return cast(QuerySet[ReportPath], _on_dimensions(rows, filters))


def paths_as_of() -> datetime.datetime | None:
    """Return when the report paths were last rebuilt (None: never yet)."""
    return (
        PathsRefresh.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )


# --- the monthly rollup: the whole months of a period, the summary for the days around ------


def whole_months(filters: Filters) -> tuple[datetime.date, datetime.date] | None:
    """Return the first day of the period's first whole month and of the month after its
    last whole month (None: the period holds no whole month)."""
    first = filters.start
    if first.day != 1:
        first = (first.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    after = (filters.end + datetime.timedelta(days=1)).replace(day=1)
    return (first, after) if first < after else None


def _on_dimensions(rows: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
    """Narrow rows of `ReportPath` or the rollup by the filters' place, agency and bits."""
    if filters.ward_id is not None:
        rows = rows.filter(ward_id=filters.ward_id)
    elif filters.sub_county_id is not None:
        rows = rows.filter(sub_county_id=filters.sub_county_id)
    elif filters.county_id is not None:
        rows = rows.filter(county_id=filters.county_id)
    if filters.agency_id is not None:
        rows = rows.filter(agency_id=filters.agency_id)
    if filters.age_band:
        # a band reports never use has no bit: nothing matches, as in the records
        band = bit_of(AGE_BANDS, filters.age_band)
        rows = rows.alias(band=F("age_bands").bitand(band)).filter(band__gt=0)
    if filters.exploitation:
        kind = bit_of(CATEGORIES, filters.exploitation)
        rows = rows.alias(kind=F("categories").bitand(kind)).filter(kind__gt=0)
    return rows


def rollup_in(filters: Filters, model: type[MonthlyRollup] | type[StepDays] = MonthlyRollup) -> Any:
    """Return the rollup rows (or step histograms) of the period's whole months and the
    filters' dimensions: none when the period holds no whole month."""
    months = whole_months(filters)
    if months is None:
        return model.objects.none()
    first, after = months
    return _on_dimensions(model.objects.filter(month__gte=first, month__lt=after), filters)


def edges_in(filters: Filters) -> QuerySet[ReportPath]:
    """Return the report paths of the period's days outside its whole months (all of them
    when it holds none): the part of a figure the rollup cannot answer."""
    months = whole_months(filters)
    if months is None:
        return paths_in(filters)
    first, after = months
    # two ranges of the received index: the days before the first whole month, and after
    # the last (an OR of open bounds over the whole period would read every path)
    before = Q(received_at__gte=_since(filters.start), received_at__lt=_since(first))
    later = Q(received_at__gte=_since(after), received_at__lt=_until(filters.end))
    rows = ReportPath.objects.filter(before | later)
    return cast(QuerySet[ReportPath], _on_dimensions(rows, filters))


Statement = tuple[str, tuple[Any, ...]]


def union_statement(querysets: Sequence[QuerySet[Any]]) -> Statement | None:
    """Return one statement for the rows of these grouped querysets (the same columns
    each): Django's compiled SELECTs joined by UNION ALL, their values bound as parameters.
    An empty queryset is left out (None: all were empty)."""
    parts: list[str] = []
    params: list[Any] = []
    for queryset in querysets:
        if queryset.query.is_empty():
            continue
        sql, values = queryset.query.sql_with_params()
        # Django's own compiled SQL; its values stay parameters
        parts.append(f"SELECT * FROM ({sql}) u{len(parts)}")  # noqa: S608
        params.extend(values)
    if not parts:
        return None
    return " UNION ALL ".join(parts), tuple(params)


def union_rows(querysets: Sequence[QuerySet[Any]]) -> list[tuple[Any, ...]]:
    """Return the rows of these grouped querysets in one statement (`union_statement`);
    the values come back as the database gives them."""
    return _rows(union_statement(querysets))


def _rows(statement: Statement | None) -> list[tuple[Any, ...]]:
    if statement is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return list(cursor.fetchall())


# The compiled statement of a figure, kept per process for each filter it was asked with
# (least recently used dropped first). A dashboard is asked again and again with the same
# filters (the last twelve months, a county), and on a county's figures building and
# compiling the statement through the ORM (5-20 ms) cost more than the database's work.
# A statement holds ids, dates and codes only (the filters'), never a row's value, and
# depends only on the filters and the schema: a migration or a flush forgets them all.
KEPT_STATEMENTS = 512
_kept: collections.OrderedDict[tuple[Any, ...], Statement | None] = collections.OrderedDict()
_kept_lock = threading.Lock()


def kept_rows(
    figure: str, filters: Filters, build: Callable[[Filters], Sequence[QuerySet[Any]]]
) -> list[tuple[Any, ...]]:
    """Return the rows of the figure's statement for these filters: compiled from `build`'s
    querysets (joined by UNION ALL) the first time, kept for the next ask."""
    key = (
        connection.alias,
        str(connection.settings_dict.get("NAME", "")),
        timezone.get_current_timezone_name(),  # the period's bounds are local midnights
        figure,
        filters,
    )
    with _kept_lock:
        found = key in _kept
        statement = _kept.get(key)
        if found:
            _kept.move_to_end(key)
    if not found:
        statement = union_statement(build(filters))
        with _kept_lock:
            _kept[key] = statement
            while len(_kept) > KEPT_STATEMENTS:
                _kept.popitem(last=False)
    return _rows(statement)


def statements_forget(**_kwargs: Any) -> None:
    """Forget the kept statements (after a migration or a flush of the database)."""
    with _kept_lock:
        _kept.clear()


def step_counts(filters: Filters) -> dict[str, int]:
    """Return how many reports of the period reached each funnel step: the rollup's sums
    over the whole months plus the summary's counts over the days around them, grouped by
    the furthest step in one statement (UNION ALL)."""
    keys = ["reports", *PATH_FLAGS]
    counts = dict.fromkeys(keys, 0)
    for row in kept_rows("step_counts", filters, _step_counts_rows):
        for key, value in zip(keys, row[1:], strict=True):
            counts[key] += int(value or 0)
    return counts


def _step_counts_rows(filters: Filters) -> list[QuerySet[Any]]:
    # one row from each part: grouped by a constant, which Django leaves out of the GROUP BY
    keys = ["reports", *PATH_FLAGS]
    flags = ["pk", *PATH_FLAGS.values()]
    whole = Value(1, output_field=IntegerField())
    rolled = (
        rollup_in(filters)
        .annotate(r_all=whole)
        .values_list("r_all")
        .order_by()
        .annotate(
            **{
                f"c_{key}": Sum("reports" if flag == "pk" else flag)
                for key, flag in zip(keys, flags, strict=True)
            }
        )
    )
    each = (
        edges_in(filters)
        .annotate(r_all=whole)
        .values_list("r_all")
        .order_by()
        .annotate(
            **{
                f"c_{key}": Count("pk", filter=None if flag == "pk" else Q(**{flag: True}))
                for key, flag in zip(keys, flags, strict=True)
            }
        )
    )
    return [rolled, each]


def median_of(histogram: dict[int, int]) -> float | None:
    """Return the median of the values a histogram counts (value -> how many): the middle
    value, or the mean of the middle two (None when it counts nothing)."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
        if not wanted:
            break
    return sum(found) / len(found)


def step_histograms(filters: Filters, steps: Sequence[str]) -> dict[str, dict[int, int]]:
    """Return for each step how many reports of the period took each whole number of days:
    the rollup's histograms over the whole months, the summary's over the days around them
    (a few weeks of reports), in one statement (UNION ALL)."""
    histograms: dict[str, dict[int, int]] = {step: {} for step in steps}
    chosen = tuple(steps)
    rows = kept_rows(f"step_histograms:{','.join(chosen)}", filters, _histogram_parts(chosen))
    for step, days, n in rows:
        histogram = histograms[str(step)]
        histogram[int(days)] = histogram.get(int(days), 0) + int(n)
    return histograms


def _histogram_parts(steps: Sequence[str]) -> Callable[[Filters], list[QuerySet[Any]]]:
    def parts_of(filters: Filters) -> list[QuerySet[Any]]:
        return _histogram_querysets(filters, steps)

    return parts_of


def _histogram_querysets(filters: Filters, steps: Sequence[str]) -> list[QuerySet[Any]]:
    parts: list[QuerySet[Any]] = [
        rollup_in(filters, StepDays)
        .filter(step__in=list(steps))
        .values_list("step", "days")
        .order_by()
        .annotate(n=Sum("reports"))
    ]
    edges = edges_in(filters)
    for step in steps:
        column = STEP_DAYS[step]
        parts.append(
            edges.filter(**{f"{column}__isnull": False})
            .annotate(r_step=Value(step, output_field=CharField()), r_days=whole_days(column))
            .values_list("r_step", "r_days")
            .order_by()
            .annotate(n=Count("pk"))
        )
    return parts


def step_medians(filters: Filters) -> dict[str, float | None]:
    """Return the median whole days each funnel step took over the period's reports.

    Read from day-histograms, the median is exact for whole days: it is the median of the
    durations each rounded down to its whole day (a step of 2 days 5 hours counts as 2)."""
    histograms = step_histograms(filters, list(PATH_DAYS))
    return {step: median_of(histogram) for step, histogram in histograms.items()}


REPORT_IGNORES = (("sex", _("sex (reports do not record it)")),)


def _ignored(filters: Filters, ignores: Sequence[tuple[str, Label]]) -> list[Label]:
    return [label for name, label in ignores if getattr(filters, name)]


# --- the funnel ------------------------------------------------------------------------------

FUNNEL_STEPS: list[tuple[str, Label, Label]] = [
    ("reports", _("Reports received"), ""),
    ("triaged", _("Triaged"), _("from the report to the triage decision")),
    ("cases", _("Case opened"), _("from the report to the case")),
    ("incidents", _("Incident opened"), _("from the report to the incident")),
    ("investigations", _("Investigation"), _("from the incident to the investigation")),
    ("files", _("File to the prosecutor"), _("from the incident to the file")),
    ("charged", _("Charged"), _("from the file to the decision to charge")),
    ("judgment", _("Judgment"), _("from the charge in court to its conclusion")),
    ("conviction", _("Conviction"), ""),
]
JUSTICE_STEPS = ("incidents", "investigations", "files", "charged", "judgment", "conviction")


def funnel_counts(cohort: QuerySet[Report]) -> dict[str, int]:
    """Return how many reports of the cohort reached each step.

    A report reaches the case step when a case was opened from it, and the justice steps
    through the incident opened on it (a report opens at most one: `source_report` is
    unique, so counting those incidents counts the reports). Two aggregate statements: the
    report steps over the cohort, the justice steps over the cohort's incidents, each
    narrowed to the cohort by an index (cases_case_source_report, the incident's unique
    source_report) instead of walking every incident ever opened.
    """
    ids = cohort.values("pk")
    result: dict[str, int] = cohort.aggregate(
        reports=Count("pk"),
        triaged=Count("pk", filter=Q(decided_at__isnull=False)),
        cases=Count(
            "pk",
            filter=Q(
                pk__in=Case.objects.filter(source_report_id__in=ids).values("source_report_id")
            ),
        ),
    )
    justice = Incident.objects.filter(source_report__in=ids).aggregate(
        incidents=Count("pk"),
        investigations=Count("pk", filter=Q(pk__in=Investigation.objects.values("incident_id"))),
        files=Count("pk", filter=Q(pk__in=FileSubmission.objects.values("incident_id"))),
        charged=Count(
            "pk",
            filter=Q(
                pk__in=ChargeDecision.objects.filter(decision=ChargeDecisionKind.CHARGE).values(
                    "incident_id"
                )
            ),
        ),
        judgment=Count(
            "pk",
            filter=Q(
                pk__in=CountOutcome.objects.exclude(outcome=CountOutcomeKind.WITHDRAWN).values(
                    "incident_id"
                )
            ),
        ),
        conviction=Count(
            "pk",
            filter=Q(
                pk__in=CountOutcome.objects.filter(outcome__in=CONVICTIONS).values("incident_id")
            ),
        ),
    )
    result.update(justice)
    return result


def funnel_medians(cohort: QuerySet[Report]) -> dict[str, float | None]:
    """Return the median days each step took, one statement per step."""
    ids = cohort.values("pk")
    incidents = Incident.objects.filter(source_report__in=ids).values("pk")
    cases = Case.objects.filter(source_report_id__in=ids)
    received = Report.objects.filter(pk=OuterRef("source_report_id")).values("received_at")[:1]
    return {
        "triaged": median(
            cohort.filter(decided_at__isnull=False), DaysBetween("decided_at", "received_at")
        ),
        "cases": median(cases, DaysBetween("opened_at", Subquery(received))),
        "incidents": median(
            Incident.objects.filter(source_report__in=ids),
            DaysBetween("opened_at", "source_report__received_at"),
        ),
        "investigations": median(
            Investigation.objects.filter(incident__in=incidents),
            DaysBetween("created_at", "incident__opened_at"),
        ),
        "files": median(
            FileSubmission.objects.filter(incident__in=incidents),
            DaysBetween("sent_at", "incident__opened_at"),
        ),
        "charged": median(
            ChargeDecision.objects.filter(
                incident__in=incidents, decision=ChargeDecisionKind.CHARGE
            ),
            DaysBetween("decided_at", "submission__sent_at"),
        ),
        "judgment": median(
            Prosecution.objects.filter(incident__in=incidents, concluded_on__isnull=False),
            DaysBetween("concluded_on", "filed_on"),
        ),
    }


# step -> the flag of `ReportPath` that says a report reached it, and the days it took
PATH_FLAGS = {
    "triaged": "triaged",
    "cases": "case_opened",
    "incidents": "incident_opened",
    "investigations": "investigated",
    "files": "filed",
    "charged": "charged",
    "judgment": "judged",
    "conviction": "convicted",
}
PATH_DAYS = {
    "triaged": "triage_days",
    "cases": "case_days",
    "incidents": "incident_days",
    "investigations": "investigation_days",
    "files": "file_days",
    "charged": "charge_days",
    "judgment": "judgment_days",
}


def path_counts(paths: QuerySet[ReportPath]) -> dict[str, int]:
    """Return how many of the paths reached each step: one aggregate statement."""
    found = paths.aggregate(
        c_reports=Count("pk"),
        **{f"c_{key}": Count("pk", filter=Q(**{flag: True})) for key, flag in PATH_FLAGS.items()},
    )
    return {key.removeprefix("c_"): int(value or 0) for key, value in found.items()}


def path_medians(paths: QuerySet[ReportPath]) -> dict[str, float | None]:
    """Return the median days each step took over the paths (one statement on PostgreSQL)."""
    return medians(paths, PATH_DAYS)


def funnel_build(counts: dict[str, int], medians: dict[str, float | None], k: int) -> Funnel:
    """Return the funnel with counts and losses hidden where small, with their complements.

    Each step's count is the next step's plus those lost at it: a line of the suppression.
    """
    keys = [key for key, _label, _median in FUNNEL_STEPS]
    values: dict[str, int] = {key: counts[key] for key in keys}
    lines = []
    for before, after in zip(keys, keys[1:], strict=False):
        values[f"lost:{after}"] = max(counts[before] - counts[after], 0)
        lines.append((before, [after, f"lost:{after}"]))
    hidden = suppress(values, lines, k)
    justice_thin = all(counts[key] == 0 for key in JUSTICE_STEPS) and counts["cases"] > 0
    steps = []
    for index, (key, label, median_label) in enumerate(FUNNEL_STEPS):
        lost_key = f"lost:{key}"
        steps.append(
            FunnelStep(
                key=key,
                label=label,
                reached=Cell(None if key in hidden else values[key]),
                lost=None if index == 0 else Cell(None if lost_key in hidden else values[lost_key]),
                median_days=_median_shown(medians.get(key), key, hidden),
                median_label=median_label,
            )
        )
    return Funnel(steps=steps, justice_thin=justice_thin, ignored=[])


def _median_shown(value: float | None, key: str, hidden: frozenset[str]) -> float | None:
    # a median of fewer than k durations speaks of too few children: shown with its count
    return None if value is None or key in hidden else round(value, 1)


def funnel(*, viewer: Viewer, filters: Filters, audit: bool = True) -> Funnel:
    """Return the report-to-verdict funnel the viewer may count, audited."""
    filters = scoped_filters(viewer, "funnel", filters)
    result = funnel_of(filters)
    if audit:
        dashboard_audit(viewer=viewer, dashboard="funnel", filters=filters)
    return result


def funnel_of(filters: Filters) -> Funnel:
    """Return the suppressed funnel of filters already narrowed to a scope (no audit)."""
    k = k_threshold()
    counts = step_counts(filters)
    result = funnel_build(counts, step_medians(filters), k)
    if counts["reports"] < k:
        # with fewer than k reports every median speaks of too few children
        for step in result.steps:
            step.median_days = None
    result.ignored = _ignored(filters, REPORT_IGNORES)
    return result


# --- reporting: reports by channel, month by month -----------------------------------------------


def _months(filters: Filters) -> list[tuple[str, Label]]:
    months: list[tuple[str, Label]] = []
    day = filters.start.replace(day=1)
    while day <= filters.end:
        months.append((day.strftime("%Y-%m"), day.strftime("%b %Y")))
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def reports_by_channel(*, viewer: Viewer, filters: Filters, audit: bool = True) -> Table:
    """Return the reports received month by month (rows) and channel (columns).

    One statement: GROUP BY channel with a conditional count per month of the period
    (the month's bounds in local time), so neither database calls a function per row.
    """
    filters = scoped_filters(viewer, "reporting", filters)
    months = _months(filters)
    counts = monthly_counts("channels", "channel", filters)
    table = table_build(
        key="reports_by_channel",
        title=_("Reports by channel, month by month"),
        row_heading=_("Month"),
        rows=months,
        columns=list(Channel.choices),
        counts=counts,
        k=k_threshold(),
        ignored=_ignored(filters, REPORT_IGNORES),
    )
    if audit:
        dashboard_audit(viewer=viewer, dashboard="reporting", filters=filters)
    return table


def _edge_month_bounds(
    filters: Filters,
) -> dict[str, tuple[datetime.datetime, datetime.datetime]]:
    """Return the bounds of each month of the period the rollup does not answer."""
    whole = whole_months(filters)
    return {
        code: (_since(datetime.date.fromisoformat(f"{code}-01")), _month_end(code))
        for code, _label in _months(filters)
        if whole is None or not (whole[0] <= datetime.date.fromisoformat(f"{code}-01") < whole[1])
    }


def _monthly_value(column: str) -> Any:
    """A path's value of a rollup column: its furthest step, or the column itself."""
    return stage_of() if column == "stage" else F(column)


def _monthly_rollup_parts(column: str) -> Callable[[Filters], list[QuerySet[Any]]]:
    def parts_of(filters: Filters) -> list[QuerySet[Any]]:
        rows = rollup_in(filters).values_list("month", column).order_by()
        return [rows.annotate(n=Sum("reports"))]

    return parts_of


def _monthly_edge_parts(column: str) -> Callable[[Filters], list[QuerySet[Any]]]:
    def parts_of(filters: Filters) -> list[QuerySet[Any]]:
        bounds = _edge_month_bounds(filters)
        if not bounds:
            return []
        names = [f"m{code.replace('-', '_')}" for code in bounds]
        valued = edges_in(filters).annotate(r_value=_monthly_value(column))
        rows = (
            valued.values("r_value")
            .order_by()
            .annotate(
                **{
                    name: Count("pk", filter=Q(received_at__gte=start, received_at__lt=end))
                    for name, (start, end) in zip(names, bounds.values(), strict=True)
                }
            )
        )
        return [rows.values_list("r_value", *names)]

    return parts_of


def monthly_counts(figure: str, column: str, filters: Filters) -> dict[tuple[str, str], int]:
    """Return the period's reports counted by month ("YYYY-MM") and a rollup column: the
    whole months from the rollup (one GROUP BY month and column), the days around them from
    the summary (a conditional count per month they fall in, so no function runs per row)."""
    counts: dict[tuple[str, str], int] = {}
    for month, value, n in kept_rows(f"{figure}_rollup", filters, _monthly_rollup_parts(column)):
        if isinstance(month, str):  # SQLite gives the date as text through a cursor
            month = datetime.date.fromisoformat(month)
        key = (month.strftime("%Y-%m"), str(value))
        counts[key] = counts.get(key, 0) + int(n)
    codes = list(_edge_month_bounds(filters))
    for value, *per_month in kept_rows(f"{figure}_edges", filters, _monthly_edge_parts(column)):
        for code, n in zip(codes, per_month, strict=True):
            key = (code, str(value))
            counts[key] = counts.get(key, 0) + int(n or 0)
    return counts


def _month_end(code: str) -> datetime.datetime:
    first = datetime.date.fromisoformat(f"{code}-01")
    return _since((first + datetime.timedelta(days=32)).replace(day=1))


# --- referrals ---------------------------------------------------------------------------------


def referrals_in(filters: Filters) -> QuerySet[Referral]:
    rows = Referral.objects.filter(
        sent_at__gte=_since(filters.start), sent_at__lt=_until(filters.end)
    )
    if filters.county_id is not None:
        rows = rows.filter(receiving_agency__county_id=filters.county_id)
    if filters.agency_id is not None:
        rows = rows.filter(
            Q(receiving_agency_id=filters.agency_id) | Q(sending_agency_id=filters.agency_id)
        )
    if filters.age_band:
        rows = rows.filter(child_age_band=filters.age_band)
    if filters.sex:
        rows = rows.filter(child_sex=filters.sex)
    return rows


REFERRAL_IGNORES = (
    ("sub_county_id", _("sub-county (referrals are counted by the receiving agency's county)")),
    ("ward_id", _("ward (referrals are counted by the receiving agency's county)")),
    ("exploitation", _("type of exploitation")),
)


def referrals_by_provider(*, viewer: Viewer, filters: Filters, audit: bool = True) -> Table:
    """Return referrals by the kind of provider receiving them (rows) and where each stands
    now (columns: a partition, so a row's total is every referral sent to that kind)."""
    filters = scoped_filters(viewer, "referrals", filters)
    now = timezone.now()
    waiting = Q(status=ReferralStatus.SENT)
    rows = (
        referrals_in(filters)
        .values("receiving_agency__kind")
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
    columns: list[tuple[str, Label]] = [
        ("waiting", _("Waiting for an answer")),
        ("overdue", _("Overdue, not answered")),
        ("accepted", _("Accepted, under way")),
        ("completed", _("Completed")),
        ("declined", _("Declined")),
        ("withdrawn", _("Withdrawn")),
    ]
    counts: dict[tuple[str, str], int] = {
        (str(row["receiving_agency__kind"]), column): cast(int, dict(row)[column])
        for row in rows
        for column, _label in columns
    }
    table = table_build(
        key="referrals_by_provider",
        title=_("Referrals by the kind of service receiving them"),
        row_heading=_("Provider"),
        rows=list(AgencyKind.choices),
        columns=columns,
        counts=counts,
        k=k_threshold(),
        ignored=_ignored(filters, REFERRAL_IGNORES),
        notes=[_("The total of a row is every referral sent to that kind of service.")],
    )
    if audit:
        dashboard_audit(viewer=viewer, dashboard="referrals", filters=filters)
    return table


# --- exports ---------------------------------------------------------------------------------


def export_audit(
    *, viewer: Viewer, figure: str, filters: Filters | None, fmt: str, rows: int
) -> None:
    """Record that the viewer took a figure (or the publication) away as a file."""
    detail: dict[str, Any] = filters.audit_detail() if filters is not None else {}
    detail.update({"format": fmt, "rows": rows})
    audit_record(
        action=AuditAction.EXPORT,
        actor=viewer if isinstance(viewer, User) else None,
        record_type="insights.figure",
        record_id=figure,
        detail=detail,
    )


def export_scope_require(viewer: Viewer) -> str:
    """Return the viewer's export scope, or an audited 404."""
    return scope_require(viewer, "export")


# --- the hotspot map: reports and incidents by ward and sub-county ------------------------------

MAP_MEASURES: dict[str, Label] = {
    "reports": _("Reports"),
    "incidents": _("Incidents"),
}
MAP_LEVELS: dict[str, Label] = {"ward": _("Ward"), "sub_county": _("Sub-county")}


@dataclass
class Spot:
    """One place on the map: its name, where it lies, and its (suppressed) count."""

    code: str
    name: str
    within: str
    latitude: float
    longitude: float
    cell: Cell


@dataclass
class HotspotMap:
    measure: str
    level: str
    spots: list[Spot]
    background: list[tuple[float, float]]
    counties: list[tuple[str, float, float]]
    total: Cell
    unplaced: Cell
    ignored: list[Label] = field(default_factory=list)


def _grouped_places(
    filters: Filters, measure: str
) -> dict[tuple[int, int | None, int | None], int]:
    """Return counts by (county, sub-county, ward): one GROUP BY statement."""
    if measure == "incidents":
        rows: Any = Incident.objects.filter(
            opened_at__gte=_since(filters.start), opened_at__lt=_until(filters.end)
        )
        if filters.county_id is not None:
            rows = rows.filter(county_id=filters.county_id)
        if filters.sub_county_id is not None:
            rows = rows.filter(ward__sub_county_id=filters.sub_county_id)
        if filters.ward_id is not None:
            rows = rows.filter(ward_id=filters.ward_id)
        if filters.agency_id is not None:
            rows = rows.filter(police_unit_id=filters.agency_id)
        grouped = rows.values_list("county_id", "ward__sub_county_id", "ward_id")
        counts = grouped.order_by().annotate(n=Count("pk"))
        return {
            (county, sub_county, ward): n
            for county, sub_county, ward, n in counts
            if county is not None
        }
    # reports: the rollup's whole months, the summary's days around them
    found: dict[tuple[int, int | None, int | None], int] = {}
    for county, sub_county, ward, n in kept_rows("map_reports", filters, _map_report_parts):
        if county is not None:
            key = (county, sub_county, ward)
            found[key] = found.get(key, 0) + int(n)
    return found


def _map_report_parts(filters: Filters) -> list[QuerySet[Any]]:
    places = ("county_id", "sub_county_id", "ward_id")
    return [
        rollup_in(filters).values_list(*places).order_by().annotate(n=Sum("reports")),
        edges_in(filters).values_list(*places).order_by().annotate(n=Count("pk")),
    ]


def hotspot_map(
    *, viewer: Viewer, filters: Filters, measure: str, level: str, audit: bool = True
) -> HotspotMap:
    """Return the map of the measure by ward or sub-county, suppressed within each
    sub-county, county and the whole (the places not given form their own hidden cell)."""
    filters = scoped_filters(viewer, "map", filters)
    result = hotspots_of(filters, measure=measure, level=level)
    if audit:
        dashboard_audit(viewer=viewer, dashboard="map", filters=filters)
    return result


Gazetteer = tuple[
    list[int],
    list[tuple[int, str, int, Any, Any]],
    list[tuple[int, str, int, Any, Any]],
    dict[int, str],
    list[tuple[str, float, float]],
]


@functools.cache
def _gazetteer(database: str, county_id: int | None) -> Gazetteer:
    from kinga.places.models import County, SubCounty, Ward

    counties = County.objects.filter(coastal=True)
    if county_id is not None:
        counties = County.objects.filter(pk=county_id)
    county_ids = list(counties.values_list("pk", flat=True))
    sub_counties = list(
        SubCounty.objects.filter(county_id__in=county_ids).values_list(
            "pk", "name", "county_id", "latitude", "longitude"
        )
    )
    wards = list(
        Ward.objects.filter(sub_county__county_id__in=county_ids).values_list(
            "pk", "name", "sub_county_id", "latitude", "longitude"
        )
    )
    rows = County.objects.filter(pk__in=county_ids).values_list(
        "pk", "name", "latitude", "longitude"
    )
    names = {pk: name for pk, name, _lat, _lon in rows}
    points = [(name, float(lat), float(lon)) for _pk, name, lat, lon in rows]
    return county_ids, sub_counties, wards, names, points


def gazetteer_of(county_id: int | None) -> Gazetteer:
    """Return the map's places (the coast's counties, or one): county ids, sub-counties,
    wards, county names and points. Read once per process and database: the gazetteer
    changes only by migration, and every migration (or flush) clears it
    (`gazetteer_forget`, on post_migrate)."""
    return _gazetteer(str(connection.settings_dict.get("NAME", "")), county_id)


def gazetteer_forget(**_kwargs: Any) -> None:
    """Forget the places read (after a migration or a flush of the database)."""
    _gazetteer.cache_clear()


def hotspots_of(filters: Filters, *, measure: str, level: str) -> HotspotMap:
    """Return the suppressed map of filters already narrowed to a scope (no audit)."""
    measure = measure if measure in MAP_MEASURES else "reports"
    level = level if level in MAP_LEVELS else "ward"
    grouped = _grouped_places(filters, measure)
    county_ids, sub_counties, wards, county_names, county_points = gazetteer_of(filters.county_id)
    values: dict[str, int] = {"all": 0}
    for county_id in county_ids:
        values[f"c{county_id}"] = 0
        values[f"c{county_id}:unplaced"] = 0
    for pk, *_rest in sub_counties:
        values[f"s{pk}"] = 0
        values[f"s{pk}:unplaced"] = 0
    for pk, *_rest in wards:
        values[f"w{pk}"] = 0
    for (county_id, sub_county_id, ward_id), n in grouped.items():
        if f"c{county_id}" not in values:
            continue
        values["all"] += n
        values[f"c{county_id}"] += n
        if sub_county_id is None or f"s{sub_county_id}" not in values:
            values[f"c{county_id}:unplaced"] += n
            continue
        values[f"s{sub_county_id}"] += n
        if ward_id is None or f"w{ward_id}" not in values:
            values[f"s{sub_county_id}:unplaced"] += n
        else:
            values[f"w{ward_id}"] += n
    wards_of: dict[int, list[str]] = {}
    for pk, _name, sub_county_id, _lat, _lon in wards:
        wards_of.setdefault(sub_county_id, []).append(f"w{pk}")
    subs_of: dict[int, list[str]] = {}
    for pk, _name, county_id, _lat, _lon in sub_counties:
        subs_of.setdefault(county_id, []).append(f"s{pk}")
    lines: list[tuple[str, list[str]]] = [("all", [f"c{county_id}" for county_id in county_ids])]
    for county_id in county_ids:
        lines.append((f"c{county_id}", [*subs_of.get(county_id, []), f"c{county_id}:unplaced"]))
    for pk, *_rest in sub_counties:
        lines.append((f"s{pk}", [*wards_of.get(pk, []), f"s{pk}:unplaced"]))
    hidden = suppress(values, lines, k_threshold())

    def cell(key: str) -> Cell:
        return Cell(None if key in hidden else values[key])

    sub_names = {pk: name for pk, name, *_rest in sub_counties}
    if level == "ward":
        spots = [
            Spot(f"w{pk}", name, sub_names.get(sub, ""), float(lat), float(lon), cell(f"w{pk}"))
            for pk, name, sub, lat, lon in wards
        ]
    else:
        spots = [
            Spot(f"s{pk}", name, county_names.get(c, ""), float(lat), float(lon), cell(f"s{pk}"))
            for pk, name, c, lat, lon in sub_counties
        ]
    spots.sort(key=lambda spot: (-(spot.cell.value or 0), spot.within, spot.name))
    unplaced_keys = [key for key in values if key.endswith(":unplaced")]
    unplaced_hidden = any(key in hidden for key in unplaced_keys)
    ignored = _ignored(filters, REPORT_IGNORES) if measure == "reports" else []
    if measure == "incidents":
        ignored += _ignored(
            filters,
            (
                ("age_band", _("age band")),
                ("sex", _("sex")),
                ("exploitation", _("type of exploitation")),
            ),
        )
    return HotspotMap(
        measure=measure,
        level=level,
        spots=spots,
        background=[(float(lat), float(lon)) for _pk, _n, _s, lat, lon in wards],
        counties=list(county_points),
        total=cell("all"),
        unplaced=Cell(None if unplaced_hidden else sum(values[key] for key in unplaced_keys)),
        ignored=ignored,
    )


# --- survivors: the cases opened in the period, by risk and where they stand -------------------

CASE_IGNORES = (
    ("sub_county_id", _("sub-county (a case is counted by its county)")),
    ("ward_id", _("ward (a case is counted by its county)")),
    ("exploitation", _("type of exploitation")),
)


def cases_by_risk_and_status(*, viewer: Viewer, filters: Filters, audit: bool = True) -> Table:
    """Return the cases opened in the period by risk level (rows) and status now (columns)."""
    from kinga.cases.models import CaseStatus, RiskLevel

    filters = scoped_filters(viewer, "survivors", filters)
    rows = Case.objects.filter(
        opened_at__gte=_since(filters.start), opened_at__lt=_until(filters.end)
    )
    if filters.county_id is not None:
        rows = rows.filter(county_id=filters.county_id)
    if filters.agency_id is not None:
        rows = rows.filter(owning_agency_id=filters.agency_id)
    if filters.age_band:
        rows = rows.filter(child__age_band=filters.age_band)
    if filters.sex:
        rows = rows.filter(child__sex=filters.sex)
    grouped = rows.values_list("risk_level", "status").order_by().annotate(n=Count("pk"))
    counts = {(str(risk), str(status)): n for risk, status, n in grouped}
    table = table_build(
        key="cases_by_risk_and_status",
        title=_("Cases opened in the period, by risk and where they stand now"),
        row_heading=_("Risk level"),
        rows=list(RiskLevel.choices),
        columns=list(CaseStatus.choices),
        counts=counts,
        k=k_threshold(),
        ignored=_ignored(filters, CASE_IGNORES),
    )
    if audit:
        dashboard_audit(viewer=viewer, dashboard="survivors", filters=filters)
    return table


# --- comparisons: where the reports of the period stand, by county, agency and month ---------

STAGES: list[tuple[str, Label]] = [
    ("waiting", _("Waiting for triage")),
    ("triaged", _("Triaged, nothing opened")),
    ("case", _("Case, no incident")),
    ("incident", _("Incident, no file")),
    ("file", _("File, not charged")),
    ("charged", _("Charged, no judgment")),
    ("judgment", _("Judgment")),
]


def _counties_of(filters: Filters) -> list[tuple[str, Label]]:
    from kinga.places.models import County

    counties = County.objects.filter(coastal=True)
    if filters.county_id is not None:
        counties = County.objects.filter(pk=filters.county_id)
    return [(str(pk), name) for pk, name in counties.order_by("name").values_list("pk", "name")]


def _stages_by(dimension: str) -> Callable[[Filters], list[QuerySet[Any]]]:
    """The furthest steps of the period's reports by a dimension of the rollup: its whole
    months summed, the days around them counted from the summary (one statement)."""

    def parts_of(filters: Filters) -> list[QuerySet[Any]]:
        return [
            rollup_in(filters)
            .values_list(dimension, "stage")
            .order_by()
            .annotate(n=Sum("reports")),
            edges_in(filters)
            .annotate(r_stage=stage_of())
            .values_list(dimension, "r_stage")
            .order_by()
            .annotate(n=Count("pk")),
        ]

    return parts_of


def _stage_counts(figure: str, dimension: str, filters: Filters) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for group, stage, n in kept_rows(figure, filters, _stages_by(dimension)):
        key = ("" if group is None else str(group), str(stage))
        counts[key] = counts.get(key, 0) + int(n or 0)
    return counts


def stages_by_county(filters: Filters) -> Table:
    """Return where the period's reports stand now (columns) in each county (rows)."""
    return table_build(
        key="stages_by_county",
        title=_("Where the reports stand now, county by county"),
        row_heading=_("County"),
        rows=_counties_of(filters),
        columns=STAGES,
        counts=_stage_counts("stages_by_county", "county_id", filters),
        k=k_threshold(),
        ignored=_ignored(filters, REPORT_IGNORES),
        notes=[_("Each report is counted once, at the furthest step it has reached.")],
    )


def stages_by_agency(filters: Filters) -> Table:
    """Return where the period's reports stand now (columns) by the agency that triaged
    them (rows; reports not yet triaged are counted under no agency)."""
    from kinga.accounts.models import Agency

    counts = _stage_counts("stages_by_agency", "agency_id", filters)
    ids = sorted({int(row) for row, _stage_code in counts if row})
    names = dict(Agency.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows: list[tuple[str, Label]] = [(str(pk), names.get(pk, str(pk))) for pk in ids]
    rows.sort(key=lambda row: str(row[1]))
    rows.append(("none", _("No agency recorded, or not triaged yet")))
    counts = {(row or "none", stage): n for (row, stage), n in counts.items()}
    return table_build(
        key="stages_by_agency",
        title=_("Where the reports stand now, by the agency that triaged them"),
        row_heading=_("Agency"),
        rows=rows,
        columns=STAGES,
        counts=counts,
        k=k_threshold(),
        ignored=_ignored(filters, REPORT_IGNORES),
    )


def stages_by_month(filters: Filters) -> Table:
    """Return where the reports of each month (rows) stand now (columns): the month-on-month
    view a supervisor acts on. The whole months from the rollup (GROUP BY month, stage), the
    days around them from the summary (a count per month they fall in)."""
    counts = monthly_counts("stages_by_month", "stage", filters)
    return table_build(
        key="stages_by_month",
        title=_("Month by month: where each month's reports stand now"),
        row_heading=_("Month"),
        rows=_months(filters),
        columns=STAGES,
        counts=counts,
        k=k_threshold(),
        ignored=_ignored(filters, REPORT_IGNORES),
    )


def comparisons(*, viewer: Viewer, filters: Filters) -> list[Table]:
    """Return the funnel's comparisons (county, agency, month) for the viewer's scope; the
    funnel page's audit event covers them."""
    filters = scoped_filters(viewer, "funnel", filters)
    return [stages_by_month(filters), stages_by_county(filters), stages_by_agency(filters)]


# --- medians shown with their count: hidden below k ----------------------------------------------


@dataclass
class MedianTable:
    """Median days by row (a county) and column (a step); None where fewer than k."""

    key: str
    title: Label
    row_heading: Label
    rows: list[tuple[str, Label]]
    columns: list[tuple[str, Label]]
    cells: dict[tuple[str, str], float | None]
    notes: list[Label] = field(default_factory=list)

    def body(self) -> list[tuple[Label, list[float | None]]]:
        return [
            (label, [self.cells.get((row, column)) for column, _label in self.columns])
            for row, label in self.rows
        ]


def _median_table(
    *,
    key: str,
    title: Label,
    rows: list[tuple[str, Label]],
    columns: list[tuple[str, Label]],
    found: dict[Any, dict[str, tuple[float | None, int]]],
    notes: list[Label],
) -> MedianTable:
    k = k_threshold()
    cells: dict[tuple[str, str], float | None] = {}
    for group, values in found.items():
        for column, (value, n) in values.items():
            shown = value is not None and n >= k
            cells[(str(group), column)] = round(value, 1) if shown and value is not None else None
    return MedianTable(
        key=key,
        title=title,
        row_heading=_("County"),
        rows=rows,
        columns=columns,
        cells=cells,
        notes=notes,
    )


# --- response: how fast reports are answered, and children in danger reached ----------------------

RESPONSE_STEPS: list[tuple[str, Label]] = [
    ("triaged", _("Report to triage decision")),
    ("contact", _("Report to first contact (case opened)")),
    ("service", _("Report to first service (referral sent)")),
]
ALERT_IGNORES = (
    ("agency_id", _("agency")),
    ("sex", _("sex (reports do not record it)")),
)


def alert_target_minutes() -> int:
    """Return the minutes within which a child in danger must be reached (acknowledged)."""
    return int(settings.KINGA_INSIGHTS_ALERT_TARGET_MINUTES)


def _alerts_in(filters: Filters) -> QuerySet[Any]:
    from kinga.intake.models import Alert

    rows = Alert.objects.filter(
        raised_at__gte=_since(filters.start), raised_at__lt=_until(filters.end)
    )
    if filters.ward_id is not None:
        rows = rows.filter(report__ward_id=filters.ward_id)
    elif filters.sub_county_id is not None:
        rows = rows.filter(report__sub_county_id=filters.sub_county_id)
    elif filters.county_id is not None:
        rows = rows.filter(report__county_id=filters.county_id)
    if filters.age_band:
        rows = rows.filter(report__age_bands__icontains=f'"{filters.age_band}"')
    if filters.exploitation:
        rows = rows.filter(report__categories__icontains=f'"{filters.exploitation}"')
    return rows


@dataclass
class Response:
    alerts: Table
    chain: Table
    times: MedianTable


def response_of(filters: Filters) -> Response:
    """Return the response figures of filters already narrowed to a scope (no audit)."""
    target = datetime.timedelta(minutes=alert_target_minutes())
    acknowledged = Q(acknowledged_at__isnull=False)
    in_time = acknowledged & Q(acknowledged_at__lte=F("raised_at") + target)
    grouped = (
        _alerts_in(filters)
        .values("report__county_id")
        .order_by()
        .annotate(
            in_time=Count("pk", filter=in_time),
            late=Count("pk", filter=acknowledged & ~in_time),
            open=Count("pk", filter=Q(acknowledged_at__isnull=True)),
            first_step=Count("pk", filter=Q(escalations=0)),
            went_up=Count("pk", filter=Q(escalations__gt=0)),
        )
    )
    alerts: dict[tuple[str, str], int] = {}
    chain: dict[tuple[str, str], int] = {}
    for row in grouped:
        county = str(row["report__county_id"] or "")
        for column in ("in_time", "late", "open"):
            alerts[(county, column)] = int(row[column])
        for column in ("first_step", "went_up"):
            chain[(county, column)] = int(row[column])
    counties = _counties_of(filters)
    ignored = _ignored(filters, ALERT_IGNORES)
    minutes = alert_target_minutes()
    alerts_table = table_build(
        key="alerts_reached",
        title=_("Children in danger: alerts answered within %(minutes)s minutes")
        % {"minutes": minutes},
        row_heading=_("County"),
        rows=counties,
        columns=[
            ("in_time", _("Within the target")),
            ("late", _("Later")),
            ("open", _("Not answered yet")),
        ],
        counts=alerts,
        k=k_threshold(),
        ignored=ignored,
        notes=[_("An alert is answered when someone it reached acknowledges it.")],
    )
    chain_table = table_build(
        key="alerts_chain",
        title=_("Alerts that went up the fallback chain"),
        row_heading=_("County"),
        rows=counties,
        columns=[
            ("first_step", _("Answered at the first step")),
            ("went_up", _("Went up the chain")),
        ],
        counts=chain,
        k=k_threshold(),
        ignored=ignored,
    )
    found = medians_by(
        paths_in(filters),
        "county_id",
        {"triaged": "triage_days", "contact": "case_days", "service": "service_days"},
    )
    times = _median_table(
        key="response_times",
        title=_("Median days from the report, county by county"),
        rows=counties,
        columns=RESPONSE_STEPS,
        found=found,
        notes=[_("A median of fewer than k reports is not shown (–).")],
    )
    return Response(alerts=alerts_table, chain=chain_table, times=times)


def response(*, viewer: Viewer, filters: Filters, audit: bool = True) -> Response:
    """Return how fast reports were answered and children in danger reached, audited."""
    filters = scoped_filters(viewer, "response", filters)
    result = response_of(filters)
    if audit:
        dashboard_audit(viewer=viewer, dashboard="response", filters=filters)
    return result


# --- justice: hearings, adjournments, time to verdict, outcomes by charge ------------------------

JUSTICE_IGNORES = (
    ("sub_county_id", _("sub-county (court records are counted by the incident's county)")),
    ("ward_id", _("ward (court records are counted by the incident's county)")),
    ("agency_id", _("agency")),
    ("age_band", _("age band")),
    ("sex", _("sex")),
    ("exploitation", _("type of exploitation")),
)


@dataclass
class Justice:
    sittings: Table
    adjournments: Table
    outcomes: Table
    verdict_days: float | None
    verdicts: Cell


def _on_incident(rows: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
    if filters.county_id is not None:
        rows = rows.filter(incident__county_id=filters.county_id)
    return rows


def justice_of(filters: Filters) -> Justice:
    """Return the court figures of filters already narrowed to a scope (no audit)."""
    from kinga.justice.models import (
        Adjournment,
        AdjournmentParty,
        AdjournmentReason,
        CourtEvent,
        CourtEventKind,
        CourtEventState,
    )
    from kinga.justice.statutes import CATALOGUE

    since, until = _since(filters.start), _until(filters.end)
    k = k_threshold()
    ignored = _ignored(filters, JUSTICE_IGNORES)
    events = _on_incident(
        CourtEvent.objects.filter(scheduled_for__gte=since, scheduled_for__lt=until), filters
    )
    sittings = table_build(
        key="court_sittings",
        title=_("Court dates in the period, by what they were for and what became of them"),
        row_heading=_("Court date for"),
        rows=list(CourtEventKind.choices),
        columns=list(CourtEventState.choices),
        counts={
            (str(kind), str(state)): n
            for kind, state, n in events.values_list("kind", "state")
            .order_by()
            .annotate(n=Count("pk"))
        },
        k=k,
        ignored=ignored,
    )
    adjourned = _on_incident(
        Adjournment.objects.filter(event__scheduled_for__gte=since, event__scheduled_for__lt=until),
        filters,
    )
    adjournments = table_build(
        key="adjournments",
        title=_("Adjournments by reason and by who asked"),
        row_heading=_("Reason"),
        rows=list(AdjournmentReason.choices),
        columns=list(AdjournmentParty.choices),
        counts={
            (str(reason), str(party)): n
            for reason, party, n in adjourned.values_list("reason", "requested_by")
            .order_by()
            .annotate(n=Count("pk"))
        },
        k=k,
        ignored=ignored,
    )
    acts = {offence.code: offence.act for offence in CATALOGUE}
    act_rows: list[tuple[str, Label]] = [(act, act) for act in dict.fromkeys(acts.values())]
    act_rows.append(("other", _("Other offences")))
    decided = _on_incident(
        CountOutcome.objects.filter(decided_on__gte=filters.start, decided_on__lte=filters.end),
        filters,
    )
    outcome_counts: dict[tuple[str, str], int] = {}
    for offence, outcome, n in (
        decided.values_list("count__offence", "outcome").order_by().annotate(n=Count("pk"))
    ):
        key = (acts.get(str(offence), "other"), str(outcome))
        outcome_counts[key] = outcome_counts.get(key, 0) + n
    outcomes = table_build(
        key="outcomes_by_charge",
        title=_("Outcomes of the counts charged, by the Act charged under"),
        row_heading=_("Charged under"),
        rows=act_rows,
        columns=list(CountOutcomeKind.choices),
        counts=outcome_counts,
        k=k,
        ignored=ignored,
    )
    concluded = _on_incident(
        Prosecution.objects.filter(concluded_on__gte=filters.start, concluded_on__lte=filters.end),
        filters,
    )
    verdicts, value = count_and_median(concluded, DaysBetween("concluded_on", "filed_on"))
    hidden = 0 < verdicts < k
    return Justice(
        sittings=sittings,
        adjournments=adjournments,
        outcomes=outcomes,
        verdict_days=None if value is None or verdicts < k else round(value, 1),
        verdicts=Cell(None if hidden else verdicts),
    )


def justice(*, viewer: Viewer, filters: Filters, audit: bool = True) -> Justice:
    """Return the court figures the viewer may count, audited."""
    filters = scoped_filters(viewer, "justice", filters)
    result = justice_of(filters)
    if audit:
        dashboard_audit(viewer=viewer, dashboard="justice", filters=filters)
    return result


# --- large exports built by the worker ----------------------------------------------------------


def exports_of(*, viewer: Viewer) -> list[ExportJob]:
    """Return the viewer's own exports, newest first (the last ten)."""
    if not isinstance(viewer, User):
        return []
    return list(ExportJob.objects.filter(requested_by=viewer).order_by("-requested_at")[:10])


def export_job_get(*, viewer: Viewer, pk: int) -> ExportJob:
    """Return the viewer's own export, or an audited 404 (another's looks like none)."""
    job = ExportJob.objects.filter(pk=pk).first()
    if job is None or not isinstance(viewer, User) or job.requested_by_id != viewer.pk:
        raise policy.deny(viewer, record_type="insights.export", record_id=pk, action="export")
    return job
