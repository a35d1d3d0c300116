"""In a real browser: a triager sees the words that raised each signal highlighted in a
Sheng SMS report, confirms one signal and rejects another, and the report moves up the
queue (issue 23). On a phone and at a desk, in English and Kiswahili."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from conftest import browser_sign_in, gazetteer_ensure
from kinga.intake.models import Priority, Report, SignalReview
from kinga.intake.tests.conftest import KEY, alert_chain_ensure, run_worker
from kinga.intake.tests.test_web_and_triage import make_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page: Any, name: str) -> None:
    """Save a screenshot to look at, when KINGA_SHOTS names a directory (never by default)."""
    directory = os.environ.get("KINGA_SHOTS")
    if directory:
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


SHENG = "DEM MDOGO WA FORM 2 AKO NA SPONSOR WA KIZUNGU XAXA KWA LODGING YA MTWAPA"


def test_a_triager_decides_on_the_signals_of_a_sheng_sms(
    live_server: Any, browser_page: Any, personas: Any, settings: Any
) -> None:
    gazetteer_ensure()
    alert_chain_ensure()
    settings.KINGA_REPORT_RATE_LIMIT = "1000/3600"
    # already waiting: a report about a young child (high priority), older than the SMS
    earlier = make_report(county=None, age_bands=["6-11"], narrative="A child sleeps outside")
    assert earlier.priority == Priority.HIGH
    response = Client().post(
        f"/channels/africastalking/sms/incoming/?key={KEY}",
        {"from": "+254711000999", "to": "22384", "text": SHENG, "date": "x", "id": "sms-1"},
    )
    assert response.status_code == 200
    run_worker()
    report = Report.objects.get(channel="sms")
    assert report.priority == Priority.HIGH and report.text_signals == ["danger_now", "csec"]

    page = browser_page
    officer = personas.children_officer  # the SMS names no county: children's services
    browser_sign_in(page, live_server.url, officer)
    page.goto(f"{live_server.url}/intake/triage/")
    rows = page.locator("tbody tr")
    assert (
        rows.nth(0).inner_text().startswith("High")
        and earlier.reference in rows.nth(0).inner_text()
    )
    assert report.reference in rows.nth(1).inner_text()
    assert "Commercial sexual exploitation of a child" in rows.nth(1).inner_text()
    shot(page, "assist-queue-390-en")

    page.click(f"a[href='/intake/triage/{report.pk}/']")
    page.wait_for_selector("#signals")
    marked = page.locator("#narrative mark.signal-words").all_inner_texts()
    assert {"DEM MDOGO", "FORM 2", "SPONSOR", "XAXA"} <= set(marked)
    assert "".join(page.locator("#narrative").inner_text().split()) == "".join(SHENG.split())
    danger = page.locator("#signal-danger_now")
    assert "A child in danger now" in danger.inner_text()
    assert "XAXA" in danger.locator("mark.phrase").all_inner_texts()
    assert page.locator("#text-language").inner_text() == "Sheng"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "assist-report-390-en")

    danger.locator("button[value=confirmed]").click()
    page.wait_for_selector("#signal-danger_now .verdict")
    page.locator("#signal-csec button[value=rejected]").click()
    page.wait_for_selector("#signal-csec .verdict")
    assert "Rejected" in page.locator("#signal-csec").inner_text()
    assert "Confirmed" in page.locator("#signal-danger_now").inner_text()
    assert {r.signal: r.verdict for r in SignalReview.objects.filter(report=report)} == {
        "danger_now": "confirmed",
        "csec": "rejected",
    }
    report.refresh_from_db()
    assert report.priority == Priority.URGENT and report.is_open

    page.goto(f"{live_server.url}/intake/triage/")
    first = page.locator("tbody tr").nth(0).inner_text()
    assert report.reference in first and "Urgent" in first

    # at a desk, in Kiswahili: the same signals, named in Kiswahili
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/intake/triage/{report.pk}/")
    page.select_option("#lang-select", "sw")
    page.click(".lang-switch button")
    page.wait_for_selector("html[lang=sw]")
    page.goto(f"{live_server.url}/intake/triage/{report.pk}/")
    page.wait_for_selector("#signals")
    assert "Mtoto yuko hatarini sasa" in page.locator("#signal-danger_now").inner_text()
    assert "Imethibitishwa" in page.locator("#signal-danger_now").inner_text()
    shot(page, "assist-report-1280-sw")
    page.goto(f"{live_server.url}/intake/triage/signals/")
    assert page.locator("#measures-decisions tr[data-signal=csec] .status").inner_text()
    shot(page, "assist-measures-1280-sw")


NOTE = "caller says mtt wa miaka 13 analala na mzee kwa LODGING ya mtwapa kila ijumaa"


def test_a_triager_reads_the_signals_of_a_helpline_call_note(
    live_server: Any, browser_page: Any, personas: Any
) -> None:
    """The operator's note of a call is read like the caller's words: its phrases are
    highlighted for the triager, on a phone in English and at a desk in Kiswahili; another
    county's caseworker gets the page of a report that does not exist."""
    from kinga.intake import services
    from kinga.places.models import County

    gazetteer_ensure()
    alert_chain_ensure()
    report, _code = services.report_log_call(
        operator=personas.helpline,
        data=services.ReportInput(
            categories=["other"],
            narrative="Caller is worried about a neighbour's child",
            county_id=County.objects.get(name="Mombasa").pk,
        ),
        call=services.CallInput(support_note=NOTE),
    )
    run_worker()
    report.refresh_from_db()
    assert "csec" in report.text_signals and report.priority == Priority.HIGH

    # the learned model trains once per process, on first use: here, before the page asks
    # (the live server runs in this process), so the page's own time is what is waited for
    from kinga.assist.learned import model

    assert model().kept == ("csec",)  # data/learned.toml
    page = browser_page
    browser_sign_in(page, live_server.url, personas.caseworker)
    page.goto(f"{live_server.url}/intake/triage/{report.pk}/")
    page.wait_for_selector("#call-notes")
    learned = page.locator("#learned li[data-signal=csec]")
    assert "confidence" in learned.inner_text()
    note = page.locator("li.call-note .words")
    assert "".join(note.inner_text().split()) == "".join(NOTE.split())
    assert {"mtt", "miaka 13", "LODGING", "mzee"} <= set(
        note.locator("mark.signal-words").all_inner_texts()
    )
    assert "LODGING" in page.locator("#signal-csec mark.phrase").all_inner_texts()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "assist-call-note-390-en")
    page.locator("#signal-csec button[value=confirmed]").click()
    page.wait_for_selector("#signal-csec .verdict")
    assert SignalReview.objects.get(report=report, signal="csec").verdict == "confirmed"

    page.set_viewport_size({"width": 1280, "height": 900})
    page.select_option("#lang-select", "sw")
    page.click(".lang-switch button")
    page.wait_for_selector("html[lang=sw]")
    page.goto(f"{live_server.url}/intake/triage/{report.pk}/")
    page.wait_for_selector("#call-notes")
    assert "Maelezo ya simu za msaada" in page.locator("#call-notes").inner_text()
    assert "Imethibitishwa" in page.locator("#signal-csec").inner_text()
    shot(page, "assist-call-note-1280-sw")
    page.context.clear_cookies()

    browser_sign_in(page, live_server.url, personas.caseworker_other)
    response = page.goto(f"{live_server.url}/intake/triage/{report.pk}/")
    assert response is not None and response.status == 404
    assert "LODGING" not in page.content()
