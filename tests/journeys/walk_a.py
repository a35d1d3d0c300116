"""Helpers of the journeys of the public, helpline, caseworker, counsellor, supervisor,
service provider and field volunteer (issue 22 points 1 and 2).

Each journey is walked once in one language at one size (half in English on a desk, half in
Kiswahili on a phone), then the pages it read are revisited in the other language at the other
size. Every screen shown goes through `screen()`: axe-core's check and no sideways scrolling.
Set KINGA_SCREENSHOT_DIR to keep a picture of each screen (to look at; never in the repo).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD, browser_enter_code, gazetteer_ensure, totp_now
from kinga.intake.forms import _coast_choices
from kinga.intake.services import triage_agencies_forget
from kinga.intake.tests.conftest import alert_chain_ensure
from kinga.intake.ussd import coast
from tests.journeys.checks import JourneyPage

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
# Quick exit's neutral site, stood in for so that no test reaches the network.
NEUTRAL = "https://www.google.com/**"


@pytest.fixture(autouse=True)
def journey_ground(settings: Any, tmp_path: Path, transactional_db: None) -> None:
    """What a journey stands on, fresh for each test (import it into the test's module).

    A transactional test's flush empties the gazetteer and the alert chain, and PostgreSQL
    gives the reloaded places new ids: the lists cached in the process must go with them.
    SMS go to a file; the public channels' limits do not stop a test's second report.
    """
    gazetteer_ensure()
    alert_chain_ensure()
    coast.cache_clear()
    _coast_choices.cache_clear()
    triage_agencies_forget()
    settings.KINGA_SMS_BACKEND = "file"
    settings.KINGA_SMS_FILE_DIR = str(tmp_path / "sms")
    settings.KINGA_REPORT_RATE_LIMIT = "1000/3600"
    settings.KINGA_FOLLOW_UP_RATE_LIMIT = "1000/3600"


def fits_sideways(page: Any) -> bool:
    """True when nothing on the page runs off the screen sideways."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# The innermost elements reaching past the screen's right edge, to say what to fix.
OVERFLOWING = """() => {
  const edge = document.documentElement.clientWidth + 1;
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.getBoundingClientRect().right <= edge) continue;
    if ([...e.children].some(c => c.getBoundingClientRect().right > edge)) continue;
    let clipped = false;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') { clipped = true; break; }
    }
    if (clipped) continue;  // inside a box that scrolls or clips: the page does not widen
    const name = typeof e.className === 'string' ? e.className.split(' ')[0] : '';
    const cls = name ? '.' + name : '';
    out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + cls);
  }
  return out.slice(0, 5);
}"""


def overflowing(page: Any) -> list[str]:
    found: list[str] = page.evaluate(OVERFLOWING)
    return found


def screen(journey: JourneyPage, label: str) -> None:
    """Check the screen shown now: accessibility, no sideways scroll; keep a picture if asked."""
    page = journey.page
    journey.check(label)
    width = page.viewport_size["width"]
    assert fits_sideways(page), f"{label}: wider than the {width}px screen: {overflowing(page)}"
    folder = os.environ.get("KINGA_SCREENSHOT_DIR")
    if folder:
        language = page.locator("html").get_attribute("lang") or "xx"
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}-{language}-{width}.png", full_page=True)


def language_cookie(journey: JourneyPage, language: str) -> None:
    """Choose the interface language as the header's switch would (its cookie)."""
    journey.page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": journey.base_url}]
    )


def switch_language(journey: JourneyPage, language: str) -> None:
    """Change the language with the header's switch, as a person does."""
    page = journey.page
    page.select_option("#lang-select", language)
    page.click(".lang-switch button")
    page.wait_for_selector(f"html[lang={language}]")


def sign_in(journey: JourneyPage, user: Any, *, language: str = "en") -> None:
    """Sign in through the real pages in the given language, checking each screen."""
    page = journey.page
    totp_now(user)  # enrol the authenticator, so sign-in asks for its code
    journey.goto("/accounts/login/")
    if language != page.locator("html").get_attribute("lang"):
        switch_language(journey, language)
    screen(journey, "sign in")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("#id_code")
    screen(journey, "two-factor code")
    browser_enter_code(page, user)


def revisit(
    journey: JourneyPage, paths: list[str], *, language: str, viewport: dict[str, int]
) -> None:
    """Open each page again in the other language and size; each passes the same checks."""
    page = journey.page
    page.set_viewport_size(viewport)
    language_cookie(journey, language)
    for path in paths:
        journey.goto(path)
        assert page.locator("html").get_attribute("lang") == language, path
        screen(journey, f"{path} again")
    if viewport["width"] > PHONE["width"]:
        # and on a phone too, in that language: nothing runs off sideways at 390 px
        page.set_viewport_size(PHONE)
        for path in paths:
            journey.goto(path)
            assert fits_sideways(page), f"{path}: wider than a 390px phone: {overflowing(page)}"


def path_of(journey: JourneyPage) -> str:
    """The path (and query) of the page on the screen."""
    url: str = journey.page.url
    return url.removeprefix(journey.base_url)


# What the focused element looks like: a focus indicator is a drawn outline or a box shadow.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow !== '' && s.boxShadow !== 'none';
  const name = e.getAttribute('name') || e.id || (e.textContent || '').trim().slice(0, 40);
  return {tag: e.tagName.toLowerCase(), name: name, type: e.getAttribute('type') || '',
          value: e.value === undefined ? '' : String(e.value), visible: outline || shadow};
}"""


def focused(page: Any) -> dict[str, Any] | None:
    """The element that has the keyboard's focus now, and whether its focus is visible."""
    result: dict[str, Any] | None = page.evaluate(FOCUSED)
    return result


def tab_to(page: Any, selector: str, *, limit: int = 120, unseen: list[str]) -> None:
    """Press Tab until the element matching `selector` has the focus.

    Every element the focus passes through on the way is looked at: one without a visible
    focus indicator is added to `unseen` (the caller asserts it stays empty).
    """
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is not None and not now["visible"]:
            unseen.append(f"{now['tag']} {now['name']}")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def every_stop_shows_focus(page: Any, *, limit: int = 200) -> list[str]:
    """Tab once through the whole page from its top; return the stops with no visible focus."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    page.evaluate("() => window.scrollTo(0, 0)")
    first = None
    unseen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None:
            break
        key = (now["tag"], now["name"], now["type"], now["value"])
        if key == first:
            break
        first = first or key
        if not now["visible"]:
            unseen.append(f"{now['tag']} {now['name']}")
    return unseen
