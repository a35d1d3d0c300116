"""The path each report took, computed from the records: the source of `ReportPath`.

One SELECT over the reports, each step a correlated subquery on an index (the case by its
source report, the incident by its unique source report, the justice rows by their
incident), compiled by Django for either database and written into the summary with
INSERT ... SELECT, so no row passes through Python. The live figures (`selectors.
funnel_counts`, `funnel_medians`) count the same steps over the records themselves; a test
holds the two together on the same data.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce, Floor, Trunc

from kinga.cases.models import Case
from kinga.insights.measures import DaysBetween
from kinga.insights.models import MonthlyRollup, ReportPath, StepDays
from kinga.intake.models import AgeBand, Category, Report
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
from kinga.referrals.models import Referral

AGE_BANDS = list(AgeBand.values)
CATEGORIES = list(Category.values)


def bit_of(codes: list[str], code: str) -> int:
    """Return the bit of a code in its list (0 when the code is not one of them)."""
    return 1 << codes.index(code) if code in codes else 0


def _mask(field: str, codes: list[str]) -> Combinable:
    # a JSON list of codes as text: each code quoted, and no code inside another
    parts: list[Combinable] = [
        SqlCase(
            When(**{f"{field}__icontains": f'"{code}"'}, then=Value(1 << index)),
            default=Value(0),
            output_field=IntegerField(),
        )
        for index, code in enumerate(codes)
    ]
    return reduce(lambda left, right: left + right, parts)


def _first(rows: QuerySet[Any], order: str, measure: DaysBetween) -> Subquery:
    return Subquery(rows.order_by(order).annotate(d=measure).values("d")[:1])


def path_columns() -> dict[str, Any]:
    """Return each column of `ReportPath` as an expression over the report (`pk` outer)."""
    report = OuterRef("pk")
    on_report = {"incident__source_report_id": report}
    cases = Case.objects.filter(source_report_id=report)
    charges = ChargeDecision.objects.filter(decision=ChargeDecisionKind.CHARGE, **on_report)
    return {
        "report_id": F("pk"),
        "received_at": F("received_at"),
        "channel": F("channel"),
        "language": F("language"),
        "county_id": F("county_id"),
        "sub_county_id": F("sub_county_id"),
        "ward_id": F("ward_id"),
        "agency_id": F("decided_by__agency_id"),
        "age_bands": _mask("age_bands", AGE_BANDS),
        "categories": _mask("categories", CATEGORIES),
        "triaged": ExpressionWrapper(Q(decided_at__isnull=False), output_field=BooleanField()),
        "triage_days": DaysBetween("decided_at", "received_at"),
        "case_opened": Exists(cases),
        "case_days": DaysBetween(
            Subquery(cases.order_by("opened_at").values("opened_at")[:1]), "received_at"
        ),
        # the first referral sent on the report itself, else for the case opened from it
        "service_days": DaysBetween(
            Coalesce(
                Subquery(
                    Referral.objects.filter(report_id=report)
                    .order_by("sent_at")
                    .values("sent_at")[:1]
                ),
                Subquery(
                    Referral.objects.filter(case__source_report_id=report)
                    .order_by("sent_at")
                    .values("sent_at")[:1]
                ),
            ),
            "received_at",
        ),
        "incident_opened": Exists(Incident.objects.filter(source_report_id=report)),
        "incident_days": DaysBetween(
            Subquery(Incident.objects.filter(source_report_id=report).values("opened_at")[:1]),
            "received_at",
        ),
        "investigated": Exists(Investigation.objects.filter(**on_report)),
        "investigation_days": _first(
            Investigation.objects.filter(**on_report),
            "created_at",
            DaysBetween("created_at", "incident__opened_at"),
        ),
        "filed": Exists(FileSubmission.objects.filter(**on_report)),
        "file_days": _first(
            FileSubmission.objects.filter(**on_report),
            "sent_at",
            DaysBetween("sent_at", "incident__opened_at"),
        ),
        "charged": Exists(charges),
        "charge_days": _first(
            charges, "decided_at", DaysBetween("decided_at", "submission__sent_at")
        ),
        "judged": Exists(
            CountOutcome.objects.filter(**on_report).exclude(outcome=CountOutcomeKind.WITHDRAWN)
        ),
        "judgment_days": _first(
            Prosecution.objects.filter(concluded_on__isnull=False, **on_report),
            "concluded_on",
            DaysBetween("concluded_on", "filed_on"),
        ),
        "convicted": Exists(CountOutcome.objects.filter(outcome__in=CONVICTIONS, **on_report)),
    }


def paths_insert(reports: QuerySet[Report]) -> int:
    """Write the paths of these reports into the summary (their old rows already gone);
    return how many. One INSERT ... SELECT."""
    columns = path_columns()
    aliases = {f"path_{name}": expression for name, expression in columns.items()}
    source = reports.order_by().annotate(**aliases).values(*aliases)
    select_sql, params = source.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    picked = ", ".join(quote(alias) for alias in aliases)
    table = quote(ReportPath._meta.db_table)
    # Django's own compiled SELECT, its values bound as parameters; only names are added
    sql = f"INSERT INTO {table} ({names}) SELECT {picked} FROM ({select_sql}) paths"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(int(cursor.rowcount), 0)


# --- the monthly rollup: the paths counted by month and dimension ---------------------------

# the dimensions of a rollup row, in `RollupFields`' order
ROLLUP_DIMENSIONS = (
    "county_id",
    "sub_county_id",
    "ward_id",
    "channel",
    "language",
    "agency_id",
    "age_bands",
    "categories",
)
# a rollup count -> the flag of `ReportPath` it counts
ROLLUP_FLAGS = (
    "triaged",
    "case_opened",
    "incident_opened",
    "investigated",
    "filed",
    "charged",
    "judged",
    "convicted",
)
# a funnel step -> the column of `ReportPath` with the days it took
STEP_DAYS = {
    "triaged": "triage_days",
    "cases": "case_days",
    "incidents": "incident_days",
    "investigations": "investigation_days",
    "files": "file_days",
    "charged": "charge_days",
    "judgment": "judgment_days",
    # not a funnel step: the response dashboard's report to first service
    "service": "service_days",
}
# a day counts whole when the duration reaches it within a tenth of a second: the days
# between two moments a whole number of days apart come back as 1.9999999... on SQLite
WHOLE_DAY_SLACK = 1e-6


def stage_of() -> SqlCase:
    """The furthest step a report reached, as one code (the columns of a comparison)."""
    return SqlCase(
        When(judged=True, then=Value("judgment")),
        When(charged=True, then=Value("charged")),
        When(filed=True, then=Value("file")),
        When(incident_opened=True, then=Value("incident")),
        When(case_opened=True, then=Value("case")),
        When(triaged=True, then=Value("triaged")),
        default=Value("waiting"),
        output_field=CharField(),
    )


def month_of() -> Trunc:
    """The first day of the month a path's report was received, in local time."""
    return Trunc("received_at", "month", output_field=DateField())


def whole_days(column: str) -> Cast:
    """The days a step took, rounded down to the whole day (`WHOLE_DAY_SLACK`)."""
    return Cast(Floor(F(column) + Value(WHOLE_DAY_SLACK)), IntegerField())


def _insert_select(table: str, columns: list[str], source: QuerySet[Any]) -> int:
    select_sql, params = source.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    picked = ", ".join(quote(f"r_{name}") for name in columns)
    # Django's own compiled SELECT, its values bound as parameters; only names are added
    sql = f"INSERT INTO {quote(table)} ({names}) SELECT {picked} FROM ({select_sql}) r"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(int(cursor.rowcount), 0)


def rollup_insert(paths: QuerySet[ReportPath]) -> int:
    """Count these paths into the monthly rollup and the step histograms (their months'
    old rows already gone); return the rollup rows written. One INSERT ... SELECT with a
    GROUP BY for the rollup, one per step for the histograms."""
    dimensions = {f"r_{name}": F(name) for name in ROLLUP_DIMENSIONS}
    grouped = (
        paths.order_by()
        .annotate(r_month=month_of(), r_stage=stage_of(), **dimensions)
        .values("r_month", *dimensions, "r_stage")
        .annotate(
            r_reports=Count("pk"),
            **{f"r_{flag}": Count("pk", filter=Q(**{flag: True})) for flag in ROLLUP_FLAGS},
        )
    )
    written = _insert_select(
        MonthlyRollup._meta.db_table,
        ["month", *ROLLUP_DIMENSIONS, "stage", "reports", *ROLLUP_FLAGS],
        grouped,
    )
    for step, column in STEP_DAYS.items():
        days = (
            paths.order_by()
            .filter(**{f"{column}__isnull": False})
            .annotate(
                r_month=month_of(), r_step=Value(step), r_days=whole_days(column), **dimensions
            )
            .values("r_month", *dimensions, "r_step", "r_days")
            .annotate(r_reports=Count("pk"))
        )
        _insert_select(
            StepDays._meta.db_table,
            ["month", *ROLLUP_DIMENSIONS, "step", "days", "reports"],
            days,
        )
    return written
