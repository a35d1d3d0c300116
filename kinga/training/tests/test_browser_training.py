"""Issue 18 in Chromium: a trainer creates a joint session for police and prosecutors in
Mombasa, imports attendance and scores, issues certificates, and the public page confirms
one; a reporter who came through a campaign's poster keeps its code across the language
switch."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import browser_sign_in
from kinga.intake.models import Report
from kinga.intake.tests.conftest import alert_chain_ensure
from kinga.training.models import Certificate, TrainingSession
from kinga.training.tests.conftest import make_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keep a screenshot to look at: in KINGA_WALK_SCREENS when set, else the test's own
    temporary folder."""
    folder = Path(os.environ.get("KINGA_WALK_SCREENS") or tmp_path)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("width", "language"), [(390, "en"), (1280, "sw")])
def test_a_trainer_runs_a_joint_session_to_certificates(
    live_server, browser_page, personas, tmp_path, width, language
) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    base = live_server.url
    course = make_course(personas)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    browser_sign_in(page, base, personas.trainer)
    page.click(".main-nav a[href='/training/']")
    page.click("main a[href='/training/sessions/new/']")
    page.select_option("#id_course", str(course.pk))
    page.fill("#id_starts_on", "2026-03-02")
    page.fill("#id_ends_on", "2026-03-04")
    page.fill("#id_venue", "Mombasa Law Courts training hall")
    page.select_option("#id_county", label="Mombasa")
    page.fill("#id_facilitators", "Hon. A. Mwangi")
    page.check("input[name=audiences][value=police]")
    page.check("input[name=audiences][value=prosecutor]")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/training/sessions/\d+/$"))
    session = TrainingSession.objects.get()
    assert session.joint and session.county.name == "Mombasa"
    assert page.locator("h1 .badge").is_visible()
    _shot(page, tmp_path, f"session-empty-{width}-{language}")

    sheet = tmp_path / "mahudhurio.csv"
    sheet.write_text(
        "name,agency,kind,role,day 1,day 2,day 3,pre,post\n"
        "Cpl. Amina Wekesa,Mombasa AHTCPU,,Corporal,1,1,1,9,16\n"
        "Halima Juma,ODPP Mombasa,,Prosecution Counsel,1,1,1,12,18\n"
        "Sgt. Tsuma Baya,Mombasa AHTCPU,,Sergeant,1,1,,10,\n"
        ",Mombasa AHTCPU,,,1,1,1,8,14\n",
        encoding="utf-8",
    )
    page.click(f"main a[href='/training/sessions/{session.pk}/import/']")
    page.set_input_files("#id_file", str(sheet))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/training/imports/\d+/$"))
    summary = page.inner_text("#summary")
    assert "3" in summary and "1" in summary
    _shot(page, tmp_path, f"import-preview-{width}-{language}")
    assert session.participants.count() == 0  # nothing until confirmed
    page.click("main form input[name=skip_bad] + button")
    page.wait_for_url(re.compile(rf".*/training/sessions/{session.pk}/$"))
    assert session.participants.count() == 3

    # the two who came every day and sat the post-test can have certificates
    buttons = page.locator("main form[action$='/certificate/'] button")
    assert buttons.count() == 2
    buttons.first.click()
    page.wait_for_url(re.compile(rf".*/training/sessions/{session.pk}/$"))
    message = page.inner_text(".messages")
    code = re.search(r"KNG-[A-Z0-9]{4}-[A-Z0-9]{4}", message)
    assert code is not None
    page.locator("main form[action$='/certificate/'] button").first.click()
    page.wait_for_url(re.compile(rf".*/training/sessions/{session.pk}/$"))
    assert Certificate.objects.count() == 2
    _shot(page, tmp_path, f"session-{width}-{language}")
    # nothing runs off a phone's screen sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    public = page.context.new_page()
    public.context.clear_cookies()
    public.goto(f"{base}/certificates/verify/?code={code.group(0)}")
    result = public.inner_text("#result")
    assert "Amina Wekesa" in result
    assert "Corporal" not in public.content() and "AHTCPU" not in public.content()
    _shot(public, tmp_path, f"verify-{width}")
    public.goto(f"{base}/certificates/verify/")
    public.fill("#id_code", "KNG-ZZZZ-ZZZZ")
    public.click("main form button[type=submit]")
    assert public.locator("#result .badge").inner_text() == "Unknown"


def test_a_reporter_from_a_poster_keeps_the_campaign_code_across_the_language_switch(
    live_server, browser_page, personas
) -> None:
    alert_chain_ensure()
    page = browser_page
    base = live_server.url
    page.goto(f"{base}/report/?lang=en&c=HOTELI116")
    page.click("header a[hreflang=sw]")
    assert "c=HOTELI116" in page.url
    assert page.locator("html").get_attribute("lang") == "sw"
    assert page.locator("#id_campaign_code").input_value() == "HOTELI116"
    page.check("input[name=categories]>> nth=0")
    page.fill("#id_narrative", "Watoto wanaonekana na wageni ufukweni usiku.")
    page.check("input[name=danger_now][value=no]")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert Report.objects.get().campaign_code == "HOTELI116"
