"""The repeat-report rule, written once: which reports count as the same matter again.

A report repeats another when both came from the same phone within 30 days, or from the
same ward within 72 hours. Routing asks it with one prepared statement per signal on the
hot path (`services.routing.repeat_signals_of`); the triage page lists the repeats a
viewer may see through the ORM (`selectors.possible_duplicates`). Both read the signals
from `repeat_conditions`, and a test runs both on the same reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q

from kinga.intake.models import Report

PHONE_REPEAT_WINDOW = timedelta(days=30)
WARD_REPEAT_WINDOW = timedelta(hours=72)


@dataclass(frozen=True)
class RepeatCondition:
    """One repeat signal of a report: another report with `field` = `value` within `window`."""

    signal: str
    field: str
    value: object
    window: timedelta


def repeat_conditions(report: Report) -> list[RepeatCondition]:
    """Return the repeat signals the report can show, given what it holds."""
    conditions = []
    if report.reporter_phone_index:
        conditions.append(
            RepeatCondition(
                "phone", "reporter_phone_index", report.reporter_phone_index, PHONE_REPEAT_WINDOW
            )
        )
    if report.ward_id:
        conditions.append(RepeatCondition("ward", "ward", report.ward_id, WARD_REPEAT_WINDOW))
    return conditions


def repeat_q(report: Report, condition: RepeatCondition) -> Q:
    """Return the ORM condition of one repeat signal (the report itself is not excluded)."""
    return Q(
        **{
            condition.field: condition.value,
            "received_at__gte": report.received_at - condition.window,
            "received_at__lte": report.received_at + condition.window,
        }
    )
