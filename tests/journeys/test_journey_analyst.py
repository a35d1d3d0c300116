"""The analyst's journey (issue 22 point 1), in English on a desk: the funnel filtered to
Kwale, the map with the same filters, the monthly report made as a PDF, the CTDC export
asked for, built by the worker and downloaded, and intel's patterns (the analyst's view of
intel: counts, no one named, no network). The pages seen are revisited in Kiswahili on a
phone."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.insights.tests.conftest import build_known
from kinga.tasks.services import run_due_names
from tests.journeys.walk_b import DESK, PHONE, path_of, revisit, screen, walk_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_filters_the_funnel_to_kwale_makes_the_report_and_takes_the_ctdc_export(
    journey, personas, tmp_path: Path
) -> None:
    known = build_known(personas)
    page = journey.page
    seen: list[str] = []

    walk_as(journey, personas.analyst, language="en", size=DESK)
    page.click(".main-nav a[href='/insights/funnel/']")
    page.wait_for_selector("table.funnel")
    screen(journey, "the funnel, the whole coast")
    if page.locator("details.insights-filters[open]").count() == 0:
        page.click("details.insights-filters summary")
    today = timezone.localdate()
    page.fill("#id_start", (today - datetime.timedelta(days=365)).isoformat())
    page.fill("#id_end", today.isoformat())
    page.select_option("#id_county", str(known.kwale.pk))
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**county=*")
    screen(journey, "the funnel of Kwale")
    seen.append(path_of(journey))
    steps = page.locator("table.funnel tbody tr")
    # Kwale's known figures: 20 reports, 12 cases opened from them (Mombasa's 7 left out)
    assert steps.nth(0).locator("td").first.inner_text() == "20"
    assert "12" in steps.nth(2).inner_text()

    page.click(".insights-tabs a[href^='/insights/map/']")
    page.wait_for_selector("svg.chart")
    assert f"county={known.kwale.pk}" in page.url
    screen(journey, "the map of Kwale")
    seen.append(path_of(journey))
    places = page.inner_text("table.figures tfoot")
    assert "20" in places

    page.click(".insights-tabs a[href^='/insights/report/']")
    screen(journey, "the monthly report")
    seen.append(path_of(journey))
    with page.expect_download() as made:
        page.click("main form[action='/insights/report/pdf'] button[type=submit]")
    pdf = tmp_path / "report.pdf"
    made.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")

    page.click(".insights-tabs a[href^='/insights/export/']")
    screen(journey, "the exports")
    seen.append(path_of(journey))
    while run_due_names(now=timezone.now()):  # what the known records queued elsewhere
        pass
    page.click("form[action='/insights/export/prepare/ctdc'] button")
    page.wait_for_selector("table.exports-ready progress")
    screen(journey, "the export being prepared")
    assert run_due_names(now=timezone.now()) == ["insights.build_export"]
    page.click("#check-again button")
    page.wait_for_selector("table.exports-ready a[href$='/download']")
    screen(journey, "the export ready")
    with page.expect_download() as taken:
        page.click("table.exports-ready a[href$='/download']")
    saved = tmp_path / "ctdc.csv"
    taken.value.save_as(str(saved))
    text = saved.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("yearOfRegistration,")
    assert "KWL-" not in text and "Secret narrative" not in text
    assert AuditEvent.objects.filter(action="export", record_id="ctdc").count() == 1

    # intel, as an analyst sees it: patterns counted over everything, nobody named
    page.click(".main-nav a[href='/intel/patterns/']")
    page.wait_for_selector("main table")
    screen(journey, "intel's patterns")
    seen.append(path_of(journey))
    assert "Secret narrative" not in page.inner_text("main")
    assert journey.goto("/intel/patterns/").status == 200
    response = page.goto(f"{journey.base_url}/intel/")
    assert response is not None and response.status == 404  # no network is the analyst's

    revisit(journey, seen, language="sw", size=PHONE)
