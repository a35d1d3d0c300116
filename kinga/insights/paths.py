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
from django.db.models.functions import Coalesce

from kinga.cases.models import Case
from kinga.insights.measures import DaysBetween
from kinga.insights.models import ReportPath
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
