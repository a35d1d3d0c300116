"""Every chart with its table (issue 22 point 2): each chart (svg, canvas, figure) on the
insights, intel and training pages sits in a section with a data table holding the same
figures, asserted chart by chart: a bar or column chart's values are a column of its
table, row for row; the map's circles are its table's places; the network's people and
links are its two tables' rows. A chart is drawn for the eye only (aria-hidden or a
described image): a screen reader reads the table."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone

from kinga.insights.services import paths_refresh
from kinga.insights.tests.conftest import build_known
from kinga.intake.models import Channel, Report
from kinga.intel.tests.conftest import BUYER, PHONE, RECRUITER, incident_with, run_worker
from kinga.places.models import Ward
from kinga.training.tests.conftest import make_course, make_session
from tests.journeys.walk_b import DESK, screen, walk_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What each chart on the screen draws, and the tables of the section it sits in.
CHARTS = """() => [...document.querySelectorAll('main svg, main canvas, main figure')]
  .filter(chart => !chart.closest('a, button, .swatch'))
  .map(chart => {
    // the network's picture and its members' table sit side by side in one layout
    const section = chart.closest('.intel-layout') || chart.closest('section');
    const rows = table => [...table.querySelectorAll('tbody tr')]
      .map(tr => [...tr.children].map(cell => cell.textContent.trim()));
    const texts = selector => [...chart.querySelectorAll(selector)]
      .map(node => node.textContent.trim());
    return {
      kind: chart.tagName.toLowerCase() + '.' + (chart.getAttribute('class') || ''),
      title: texts('title').slice(0, 1).join(''),
      hidden_from_readers: chart.getAttribute('aria-hidden') === 'true',
      described: !!chart.getAttribute('aria-labelledby'),
      values: texts('text.chart-value'),
      labels: texts('text.chart-label'),
      spots: chart.querySelectorAll('circle[fill="#c0392b"], circle[r="5"][fill="url(#hatch)"]')
        .length,
      nodes: texts('g.node > circle > title'),
      links: texts('line > title'),
      tables: section ? [...section.querySelectorAll('table')].map(rows) : [],
    };
  })"""


def _figure(text: str) -> str:
    """A count as both the chart and the table write it: digits only, or the hidden mark."""
    if "•" in text:
        return "•"
    return re.sub(r"\D", "", text)


def assert_values_are_a_column(chart: dict[str, Any]) -> None:
    """The chart's values, in order, are one column of one of its tables, row for row."""
    wanted = [_figure(value) for value in chart["values"]]
    hidden = chart["values"].count("")
    assert wanted and not hidden, chart
    for table in chart["tables"]:
        if len(table) != len(wanted):
            continue
        for column in range(max(len(row) for row in table)):
            if [_figure(row[column]) if column < len(row) else "" for row in table] == wanted:
                return
    raise AssertionError(f"no table column holds the figures of {chart['title']!r}: {chart}")


def assert_map_matches(chart: dict[str, Any]) -> None:
    """Each circle is a place in the table; each labelled circle's count is that row's."""
    (table, *_rest) = chart["tables"]
    places = {row[0]: _figure(row[-1]) for row in table}
    assert chart["spots"] == len(places) > 0, chart
    for label in chart["labels"]:
        name, _space, count = label.rpartition(" ")
        assert places.get(name) == _figure(count), (label, places)


def assert_network_matches(chart: dict[str, Any]) -> None:
    """Each person or thing drawn is a member row; each line drawn is a link row."""
    members, links = chart["tables"]
    names = [row[0] for row in members]
    assert len(chart["nodes"]) == len(names) > 0
    for title in chart["nodes"]:
        assert title.split(" · ")[0] in names, (title, names)
    assert len(chart["links"]) == len(links) > 0
    pairs = {f"{row[0]} – {row[1]}" for row in links}
    for title in chart["links"]:
        assert title.split(":")[0] in pairs, (title, pairs)


def charts_on_screen(journey: Any, label: str) -> list[dict[str, Any]]:
    screen(journey, label)
    found: list[dict[str, Any]] = journey.page.evaluate(CHARTS)
    for chart in found:
        assert chart["tables"], f"{label}: a chart without a table: {chart['kind']}"
        assert chart["hidden_from_readers"] or chart["described"], chart["kind"]
    return found


INSIGHTS_PAGES = [
    "/insights/funnel/",
    "/insights/reporting/",
    "/insights/referrals/",
    "/insights/map/",
    "/insights/survivors/",
    "/insights/response/",
    "/insights/justice/",
]


def reports_in_wards() -> None:
    """Reports placed in two wards of Kwale and one of Mombasa, for the map's circles."""
    wards = [
        *Ward.objects.filter(sub_county__county__name="Kwale").order_by("name")[:2],
        *Ward.objects.filter(sub_county__county__name="Mombasa").order_by("name")[:1],
    ]
    received = timezone.now() - datetime.timedelta(days=20)
    Report.objects.bulk_create(
        Report(
            channel=Channel.WEB,
            received_at=received,
            county=ward.sub_county.county,
            sub_county=ward.sub_county,
            ward=ward,
            categories=["sexual_exploitation"],
        )
        for number, ward in enumerate(wards)
        for _ in range(6 + 3 * number)
    )


def test_every_insights_chart_has_a_table_with_the_same_figures(journey, personas) -> None:
    build_known(personas)
    reports_in_wards()
    paths_refresh()  # the figures are counted from the paths' summary
    walk_as(journey, personas.analyst, language="en", size=DESK)
    drawn = 0
    for path in INSIGHTS_PAGES:
        journey.goto(path)
        for chart in charts_on_screen(journey, path):
            assert chart["kind"] == "svg.chart", (path, chart["kind"])
            if path == "/insights/map/":
                assert_map_matches(chart)
            else:
                assert_values_are_a_column(chart)
            drawn += 1
    # the funnel page draws the funnel and the months; every other page one chart
    assert drawn == len(INSIGHTS_PAGES) + 1


def test_the_network_picture_has_its_members_and_links_as_tables(journey, personas) -> None:
    incident_with(
        personas,
        [("Omar", "Bakari", RECRUITER), ("Kazungu", "Baya", BUYER)],
        leads=[(PHONE, "0722 111 222", "", 0)],
    )
    run_worker()
    walk_as(journey, personas.investigator, language="en", size=DESK)
    journey.goto("/intel/")
    journey.page.locator("main table.list a").first.click()
    journey.page.wait_for_selector("#members")
    (chart,) = charts_on_screen(journey, "a network")
    assert chart["kind"] == "svg.network"
    assert_network_matches(chart)
    # the links' table is behind a summary: opened, it is read like any table
    journey.page.click("#links summary")
    screen(journey, "a network with its links' table open")
    assert "0722 111 222" in journey.page.inner_text("#links")


def test_training_pages_draw_no_chart_without_its_table(journey, personas) -> None:
    course = make_course(personas)
    session = make_session(personas, course)
    walk_as(journey, personas.trainer, language="en", size=DESK)
    for path in (
        "/training/",
        "/training/courses/",
        "/training/coverage/",
        f"/training/courses/{course.pk}/",
        f"/training/sessions/{session.pk}/",
    ):
        journey.goto(path)
        for chart in charts_on_screen(journey, path):
            assert_values_are_a_column(chart)
