"""SQL measures both databases compute the same way: days between two moments, the median.

Each figure is one aggregate statement; these keep the arithmetic in the database so no
figure walks its rows in Python.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, Expression, F, FloatField, Func, QuerySet
from django.db.models.expressions import Combinable
from django.db.models.sql.compiler import SQLCompiler


class DaysBetween(Func):
    """The days (a fraction) from `earlier` to `later`; dates count from their midnight."""

    output_field = FloatField()

    def __init__(self, later: str | Combinable, earlier: str | Combinable) -> None:
        super().__init__(
            F(later) if isinstance(later, str) else later,
            F(earlier) if isinstance(earlier, str) else earlier,
        )

    def as_sql(  # type: ignore[override]  # Func's signature takes more keywords than we use
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        later, earlier = self.get_source_expressions()
        later_sql, later_params = compiler.compile(later)
        earlier_sql, earlier_params = compiler.compile(earlier)
        if connection.vendor == "postgresql":
            sql = (
                f"(EXTRACT(EPOCH FROM (CAST({later_sql} AS timestamptz)"
                f" - CAST({earlier_sql} AS timestamptz))) / 86400.0)"
            )
        else:
            sql = f"(julianday({later_sql}) - julianday({earlier_sql}))"
        return sql, [*later_params, *earlier_params]


class _PercentileMedian(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def median(queryset: QuerySet[Any], measure: Expression | F) -> float | None:
    """Return the median of the measure over the queryset's rows (None when it has none).

    One statement: PostgreSQL's percentile_cont; on SQLite the middle one or two values
    by ORDER BY ... LIMIT/OFFSET over the same rows.
    """
    if queryset.query.is_empty():  # `.none()`: nothing to compile, no median
        return None
    rows = queryset.annotate(insights_measure=measure).filter(insights_measure__isnull=False)
    if connection.vendor == "postgresql":
        value = rows.aggregate(middle=_PercentileMedian("insights_measure"))["middle"]
        return None if value is None else float(value)
    inner_sql, params = rows.values("insights_measure").query.sql_with_params()
    sql = (
        # the inner statement is Django's own compiled SQL with its values as parameters
        f"SELECT AVG(m) FROM (SELECT insights_measure AS m FROM ({inner_sql}) ORDER BY m "  # noqa: S608
        f"LIMIT 2 - (SELECT COUNT(*) FROM ({inner_sql})) % 2 "
        f"OFFSET ((SELECT COUNT(*) FROM ({inner_sql})) - 1) / 2)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params, *params])
        row = cursor.fetchone()
    return None if row is None or row[0] is None else float(row[0])


def count_and_median(queryset: QuerySet[Any], measure: Expression | F) -> tuple[int, float | None]:
    """Return how many rows the queryset has and the median of the measure over them (rows
    without a measure left out of the median). PostgreSQL: one statement."""
    if connection.vendor == "postgresql":
        found = queryset.annotate(insights_measure=measure).aggregate(
            n=Count("pk"), middle=_PercentileMedian("insights_measure")
        )
        value = found["middle"]
        return int(found["n"]), None if value is None else float(value)
    return queryset.count(), median(queryset, measure)


def medians(queryset: QuerySet[Any], columns: dict[str, str]) -> dict[str, float | None]:
    """Return the median of each column (key -> column name) over the queryset's rows.

    PostgreSQL: one statement, a percentile_cont per column (each leaves out its NULLs);
    SQLite: one `median` statement per column.
    """
    if connection.vendor == "postgresql":
        values = queryset.aggregate(
            **{f"m_{key}": _PercentileMedian(column) for key, column in columns.items()}
        )
        return {
            key: None if values[f"m_{key}"] is None else float(values[f"m_{key}"])
            for key in columns
        }
    return {key: median(queryset, F(column)) for key, column in columns.items()}


def medians_by(
    queryset: QuerySet[Any], group: str, columns: dict[str, str]
) -> dict[Any, dict[str, tuple[float | None, int]]]:
    """Return, for each value of `group` with a value in some column, each column's median
    and how many values it is the median of (a median of fewer than k is not shown)."""
    counted = {f"n_{key}": Count(column) for key, column in columns.items()}
    result: dict[Any, dict[str, tuple[float | None, int]]] = {}
    if queryset.query.is_empty():
        return result
    if connection.vendor == "postgresql":
        rows = (
            queryset.order_by()
            .values(group)
            .annotate(
                **counted,
                **{f"m_{key}": _PercentileMedian(column) for key, column in columns.items()},
            )
        )
        for row in rows:
            result[row[group]] = {
                key: (
                    None if row[f"m_{key}"] is None else float(row[f"m_{key}"]),
                    int(row[f"n_{key}"]),
                )
                for key in columns
            }
        return result
    # SQLite: one statement a column, each row ranked within its group by a window; the
    # middle one or two of each group averaged (a statement per group and column read the
    # period's rows once for each)
    for key, column in columns.items():
        inner_sql, params = (
            queryset.order_by()
            .filter(**{f"{column}__isnull": False})
            .annotate(m_group=F(group), m_value=F(column))
            .values("m_group", "m_value")
            .query.sql_with_params()
        )
        sql = (
            # the inner statement is Django's own compiled SQL with its values as parameters
            "SELECT m_group, MAX(n), AVG(m_value) FROM (SELECT m_group, m_value,"  # noqa: S608
            " ROW_NUMBER() OVER (PARTITION BY m_group ORDER BY m_value) AS i,"
            f" COUNT(*) OVER (PARTITION BY m_group) AS n FROM ({inner_sql}) t) m"
            " WHERE i IN ((n + 1) / 2, (n + 2) / 2) GROUP BY m_group"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        for value_of_group, n, middle in rows:
            found = result.setdefault(value_of_group, dict.fromkeys(columns, (None, 0)))
            found[key] = (None if middle is None else float(middle), int(n))
    return result
