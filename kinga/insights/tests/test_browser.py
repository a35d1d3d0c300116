"""Issue 17 in Chromium: an analyst filters the funnel to Kwale for the last year, opens the
map and downloads the CTDC export; on a phone and a desk, in English and Kiswahili; a
supervisor sees their county only. Screenshots of the dashboard go to docs/screens/ when
KINGA_SCREENS=1 (the repository's pictures), else to the test's own folder."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_sign_in
from kinga.audit.models import AuditEvent
from kinga.cases.models import Case
from kinga.insights.services import paths_refresh
from kinga.intake.models import Channel, Report
from kinga.justice.models import FileSubmission, Incident, Investigation
from kinga.people.models import Person
from kinga.places.models import County, Ward
from kinga.tasks.services import run_due_names

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parents[3] / "docs" / "screens"


def _programme(personas: Any) -> None:
    """A year of reports on the coast, a case from most, an incident from some."""
    wards = list(Ward.objects.filter(sub_county__county__coastal=True).select_related("sub_county"))
    weights = {"Kwale": 5, "Mombasa": 6, "Kilifi": 4}
    channels = [Channel.WEB, Channel.SMS, Channel.USSD, Channel.HELPLINE, Channel.POLICE]
    reports = []
    for index, ward in enumerate(wards):
        county = ward.sub_county.county
        for n in range(weights.get(county.name, 1) * (1 + index % 4)):
            received = timezone.now() - datetime.timedelta(days=(index * 7 + n * 11) % 360)
            reports.append(
                Report(
                    channel=channels[(index + n) % len(channels)],
                    received_at=received,
                    county=county,
                    sub_county=ward.sub_county,
                    ward=ward,
                    categories=["sexual_exploitation"],
                    decided_at=received + datetime.timedelta(days=1 + n % 3) if n % 7 else None,
                )
            )
    Report.objects.bulk_create(reports, batch_size=500)
    stored = list(Report.objects.filter(decided_at__isnull=False).order_by("pk"))
    for number, report in enumerate(stored):
        if number % 5 == 4:
            continue
        child = Person.objects.create(
            kind="child", sex="female", age_band="15-17", nationality="KE"
        )
        Case.objects.create(
            code=f"SCR-{number:05d}",
            county=report.county,
            year=2026,
            number=number + 1,
            child=child,
            owning_agency=personas.ngo,
            caseworker=personas.caseworker,
            opened_by=personas.caseworker,
            opened_at=report.received_at + datetime.timedelta(days=2),
            source_report_id=report.pk,
        )
        if number % 3 == 0:
            incident = Incident.objects.create(
                code=f"SCR-I-{number:05d}",
                county=report.county,
                ward=report.ward,
                police_unit=personas.police,
                source_report=report,
                reported_on=report.received_at.date(),
                opened_at=report.received_at + datetime.timedelta(days=6),
                opened_by=personas.investigator,
            )
            if number % 2 == 0:
                Investigation.objects.create(
                    incident=incident,
                    station="Station",
                    ob_number="OB",
                    lead_officer=personas.investigator,
                    created_by=personas.investigator,
                    created_at=incident.opened_at + datetime.timedelta(days=2),
                )
                if number % 4 == 0:
                    FileSubmission.objects.create(
                        incident=incident,
                        sent_at=incident.opened_at + datetime.timedelta(days=40),
                        prosecutor=personas.prosecutor,
                        created_by=personas.investigator,
                    )
    paths_refresh()


def _screens_dir(tmp_path: Path) -> Path:
    return SCREENS if os.environ.get("KINGA_SCREENS") == "1" else tmp_path


@pytest.mark.parametrize(
    ("width", "height", "language", "show"),
    [(1280, 900, "en", "Show"), (390, 844, "sw", "Onyesha")],
)
def test_an_analyst_filters_the_funnel_to_kwale_opens_the_map_and_takes_the_ctdc_export(
    live_server: Any,
    browser_page: Any,
    personas: Any,
    tmp_path: Path,
    width: int,
    height: int,
    language: str,
    show: str,
) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    _programme(personas)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    browser_sign_in(page, base, personas.analyst)
    page.click(".main-nav a[href='/insights/funnel/']")
    page.wait_for_selector("table.funnel")
    # the filters: Kwale, the last year
    if page.locator("details.insights-filters[open]").count() == 0:
        page.click("details.insights-filters summary")
    kwale = County.objects.get(name="Kwale")
    today = timezone.localdate()
    page.fill("#id_start", (today - datetime.timedelta(days=365)).isoformat())
    page.fill("#id_end", today.isoformat())
    page.select_option("#id_county", str(kwale.pk))
    page.click(f"form.filters button:has-text('{show}')")
    page.wait_for_url("**county=*")
    reached = page.locator("table.funnel tbody tr").first.locator("td").first.inner_text()
    kwale_reports = Report.objects.filter(county=kwale).count()
    assert reached.replace(",", "") == str(kwale_reports)
    assert page.locator("svg.chart").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(
        path=str(_screens_dir(tmp_path) / f"insights-funnel-{language}-{width}.png"), full_page=True
    )
    # the map, with the same filters
    page.click(".insights-tabs a[href^='/insights/map/']")
    page.wait_for_selector("svg.chart circle")
    assert "county=" in page.url
    assert page.locator("table.figures tbody tr").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(
        path=str(_screens_dir(tmp_path) / f"insights-map-{language}-{width}.png"), full_page=True
    )
    # the CTDC export from the page: asked for, built by the worker, offered when ready
    page.click(".insights-tabs a[href^='/insights/export/']")
    while run_due_names(now=timezone.now()):  # what other apps queued for the known records
        pass
    page.click("form[action='/insights/export/prepare/ctdc'] button")
    page.wait_for_selector("table.exports-ready progress")
    assert run_due_names(now=timezone.now()) == ["insights.build_export"]
    page.click("#check-again button")  # the page does not reload by itself
    with page.expect_download() as download_info:
        page.click("table.exports-ready a[href$='/download']")
    download = download_info.value
    saved = tmp_path / "ctdc.csv"
    download.save_as(str(saved))
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("yearOfRegistration,")
    assert lines[-1].startswith("# records ")
    assert "SCR-" not in saved.read_text(encoding="utf-8")
    assert AuditEvent.objects.filter(action="export", record_id="ctdc").count() == 1
    assert AuditEvent.objects.filter(record_type="insights.dashboard", record_id="map").exists()


def test_a_supervisor_counts_their_county_and_no_other(
    live_server: Any, browser_page: Any, personas: Any
) -> None:
    page = browser_page
    base = live_server.url
    _programme(personas)
    browser_sign_in(page, base, personas.supervisor)
    page.goto(f"{base}/insights/funnel/")
    mombasa = Report.objects.filter(county__name="Mombasa").count()
    reached = page.locator("table.funnel tbody tr").first.locator("td").first.inner_text()
    assert reached.replace(",", "") == str(mombasa)
    # Kwale is not even among the choices
    options = page.locator("#id_county option").all_inner_texts()
    assert "Kwale" not in options
    # the CTDC publication is not theirs: no button (the HTCDS rows of their county are)
    page.goto(f"{base}/insights/export/")
    assert page.locator("form[action='/insights/export/prepare/ctdc']").count() == 0
    assert page.locator("form[action='/insights/export/prepare/htcds']").count() == 1


def _walk_dir(tmp_path: Path) -> Path:
    """Where the walk's screenshots go: KINGA_WALK_DIR when set (to look at), else the
    test's own folder."""
    chosen = os.environ.get("KINGA_WALK_DIR")
    return Path(chosen) if chosen else tmp_path


@pytest.mark.parametrize(
    ("width", "height", "language"),
    [(390, 844, "sw"), (1280, 900, "en"), (390, 844, "en"), (1280, 900, "sw")],
)
def test_each_role_with_a_dashboard_walks_every_tab_it_has(
    live_server: Any,
    browser_page: Any,
    personas: Any,
    tmp_path: Path,
    width: int,
    height: int,
    language: str,
) -> None:
    """The analyst and the supervisor open every dashboard of theirs on a phone and a desk,
    in both languages: each page has its figures and tables, nothing runs off the side,
    and neither sees a tab that is not theirs."""
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    _programme(personas)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    expected = {
        personas.analyst.username: {
            "funnel",
            "response",
            "referrals",
            "survivors",
            "justice",
            "reporting",
            "map",
            "export",
            "report",
        },
        personas.supervisor.username: {
            "funnel",
            "response",
            "referrals",
            "survivors",
            "reporting",
            "map",
            "export",
            "report",
        },
    }
    for user in (personas.analyst, personas.supervisor):
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
        browser_sign_in(page, base, user)
        page.goto(f"{base}/insights/")
        tabs = page.locator(".insights-tabs a").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        )
        names = {href.strip("/").split("/")[1] for href in tabs}
        assert names == expected[user.username]
        for href in tabs:
            response = page.goto(f"{base}{href}")
            assert response is not None and response.status == 200, href
            assert page.locator("main h1").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= width, href
            name = href.strip("/").split("/")[1]
            folder = _walk_dir(tmp_path)
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(folder / f"{user.username}-{name}-{language}-{width}.png"),
                full_page=True,
            )
        # the justice dashboard and the publication are not the supervisor's: 404
        if user == personas.supervisor:
            assert page.goto(f"{base}/insights/justice/").status == 404  # type: ignore[union-attr]
