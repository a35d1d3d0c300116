"""The benchmark's hand-written SQL asks what the dashboards ask.

`kinga bench insights` sets each figure against a hand-written statement of the same figure;
the ratio in BENCHMARKS.md means something only if both count the same rows. Here, on a
small world written by the benchmark's own code (every count shown: k = 1), each figure
through the selectors equals its hand-written statement, for Kwale and for the programme.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from kinga.insights import bench, selectors
from kinga.insights.selectors import Filters, Table
from kinga.insights.services import paths_refresh
from kinga.places.models import County

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings: Any) -> Any:
    settings.KINGA_INSIGHTS_K = 1
    analyst = bench._world({"reports": 600, "events": 1200}, lambda _line: None)
    assert bench._world_services(lambda _line: None)
    assert not bench._world_services(lambda _line: None)  # written once
    paths_refresh()
    selectors.statements_forget()
    return analyst


def _filters() -> list[Filters]:
    today = timezone.localdate()
    year = today - datetime.timedelta(days=365)
    kwale = County.objects.get(name="Kwale").pk
    return [Filters(start=year, end=today, county_id=kwale), Filters(start=year, end=today)]


def _shown(table: Table) -> dict[tuple[str, str], int]:
    """The table's non-zero cells, totals left out."""
    return {
        key: int(cell.value or 0)
        for key, cell in table.cells.items()
        if key[0] and key[1] and cell.value
    }


def _grouped(rows: list[Any], key: Any = lambda row: (str(row[0]), str(row[1]))) -> dict:
    found: dict[Any, int] = {}
    for row in rows:
        if int(row[-1]):
            found[key(row)] = found.get(key(row), 0) + int(row[-1])
    return found


def test_the_funnel_channels_and_map_count_what_their_hand_written_sql_counts(world: Any) -> None:
    for filters in _filters():
        counts = selectors.step_counts(filters)
        hand = [int(value or 0) for value in bench._hand_rollup_funnel(filters)[0]]
        assert counts["reports"] == hand[0] > 0
        flags = dict(zip(bench.FLAGS, hand[1:], strict=True))
        assert {flag: counts[key] for key, flag in selectors.PATH_FLAGS.items()} == flags
        assert selectors.step_medians(filters) == bench._hand_rollup_medians(filters)

        table = selectors.reports_by_channel(viewer=world, filters=filters)
        months = _grouped(
            bench._hand_rollup_channels(filters), lambda row: (str(row[0])[:7], str(row[1]))
        )
        assert _shown(table) == months

        places = selectors._grouped_places(filters, "reports")
        hand_places = _grouped(bench._hand_rollup_map(filters), lambda row: tuple(row[:3]))
        assert places == hand_places and sum(places.values()) == hand[0]


def test_the_comparisons_count_what_their_hand_written_sql_counts(world: Any) -> None:
    for filters in _filters():
        by_month, by_county, by_agency = selectors.comparisons(viewer=world, filters=filters)
        for hand in (bench._hand_rollup_comparisons, bench._hand_comparisons):
            months, counties, agencies = hand(filters)
            assert _shown(by_month) == _grouped(months, lambda row: (str(row[0])[:7], row[1]))
            assert _shown(by_county) == _grouped(counties)
            assert _shown(by_agency) == _grouped(
                agencies, lambda row: (str(row[0]) if row[0] else "none", row[2])
            )
        assert sum(_shown(by_county).values()) > 0


def test_survivors_and_referrals_count_what_their_hand_written_sql_counts(world: Any) -> None:
    columns = ["waiting", "overdue", "accepted", "completed", "declined", "withdrawn"]
    for filters in _filters():
        survivors = selectors.cases_by_risk_and_status(viewer=world, filters=filters)
        assert _shown(survivors) == _grouped(bench._hand_survivors(filters))
        assert sum(_shown(survivors).values()) > 0

        referrals = selectors.referrals_by_provider(viewer=world, filters=filters)
        hand = {
            (str(row[0]), column): int(n)
            for row in bench._hand_referrals(filters)
            for column, n in zip(columns, row[1:], strict=True)
            if int(n)
        }
        assert _shown(referrals) == hand
        # the world's referrals stand in every state (waiting: only the last weeks' few)
        assert {column for _kind, column in hand} >= set(columns) - {"waiting"}


def test_response_and_justice_count_what_their_hand_written_sql_counts(world: Any) -> None:
    from kinga.justice.statutes import CATALOGUE

    acts = {offence.code: offence.act for offence in CATALOGUE}
    for filters in _filters():
        response = selectors.response(viewer=world, filters=filters)
        alerts, *medians = bench._hand_response(filters)
        assert _shown(response.alerts) == {
            (str(row[0]), column): int(n)
            for row in alerts
            for column, n in zip(["in_time", "late", "open"], row[1:4], strict=True)
            if int(n)
        }
        assert _shown(response.chain) == {
            (str(row[0]), column): int(n)
            for row in alerts
            for column, n in zip(["first_step", "went_up"], row[4:6], strict=True)
            if int(n)
        }
        assert {column for _county, column in _shown(response.alerts)} == {
            "in_time",
            "late",
            "open",
        }
        for step, rows in zip(["triaged", "contact", "service"], medians, strict=True):
            assert rows, step
            for county, _n, value in rows:
                assert response.times.cells[(str(county), step)] == round(float(value), 1)

        justice = selectors.justice(viewer=world, filters=filters)
        sittings, adjournments, outcomes, verdicts = bench._hand_justice(filters)
        assert _shown(justice.sittings) == _grouped(sittings)
        assert _shown(justice.adjournments) == _grouped(adjournments)
        assert _shown(justice.outcomes) == _grouped(
            outcomes, lambda row: (acts.get(str(row[0]), "other"), str(row[1]))
        )
        assert sum(_shown(justice.sittings).values()) > 0
        assert _shown(justice.adjournments)
        (_one, count, days), *_rest = verdicts or [(1, 0, None)]
        assert justice.verdicts.value == count
        assert justice.verdict_days == (round(float(days), 1) if count else None)
