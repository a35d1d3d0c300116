"""Helpers of the second half of the roles' journeys (issue 22 points 1 and 2).

Each role walks its work once in one language and size, then `revisit` loads the pages the
walk showed in the other language and size: each is checked (axe-core and the headers) and,
on a phone, must not scroll sideways.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from conftest import browser_sign_in
from kinga.accounts.models import Authenticator
from tests.journeys.checks import AXE_TAGS, FAILING_IMPACTS, JourneyPage, axe_script

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}

# Rules switched off on Django admin's own pages only (/admin/), where the markup and the
# style sheet are Django's, not Kinga's. Each with why.
ADMIN_EXCLUDED_RULES = {
    # Django's breadcrumbs are links told apart from the text beside them by colour only
    # (contrib/admin/static/admin/css/base.css); the same links are reachable by the site's
    # own headings and menu.
    "link-in-text-block": "Django admin's breadcrumb links are styled by Django's CSS",
}

# axe run with some rules off (the shared check's script runs every rule of the tags).
AXE_RUN_WITHOUT = """async ([tags, off]) => {
  const rules = Object.fromEntries(off.map(id => [id, {enabled: false}]));
  const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], rules};
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }));
}"""


def walk_as(journey: JourneyPage, user: Any, *, language: str, size: dict[str, int]) -> None:
    """Start the walk as this person: a fresh browser session, their language, their screen."""
    page = journey.page
    page.context.clear_cookies()
    page.set_viewport_size(size)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": journey.base_url}]
    )
    # A second sign-in within the same 30 seconds would reuse the spent code (refused by
    # design, "wait for the next code"): take the next code, as a person would wait for it.
    Authenticator.objects.filter(user=user).update(last_t=-1)
    browser_sign_in(page, journey.base_url, user)
    screen(journey, "the home after signing in")


def screen(journey: JourneyPage, label: str) -> None:
    """Check the screen as it is now; on a phone, nothing runs off it sideways."""
    page = journey.page
    if page.url.startswith(f"{journey.base_url}/admin/"):
        admin_check(journey, label)
    else:
        journey.check(label)
    width = page.viewport_size["width"]
    folder = os.environ.get("KINGA_WALK_SCREENS")  # to look at the screens: a folder in /tmp
    if folder:
        language = page.locator("html").get_attribute("lang")
        name = re.sub(r"[^a-z0-9]+", "-", f"{len(journey.checked):03d} {label}".lower())
        page.screenshot(path=str(Path(folder) / f"{name}-{language}-{width}.png"), full_page=True)
    if width <= PHONE["width"]:
        scrolled = page.evaluate("document.documentElement.scrollWidth")
        assert scrolled <= width, f"{label}: the page is {scrolled}px wide on a {width}px phone"


def admin_check(journey: JourneyPage, label: str) -> None:
    """The accessibility check on a Django admin page, with ADMIN_EXCLUDED_RULES off."""
    page = journey.page
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_script())
    result = page.evaluate(AXE_RUN_WITHOUT, [AXE_TAGS, sorted(ADMIN_EXCLUDED_RULES)])
    bad = [v for v in result if v["impact"] in FAILING_IMPACTS]
    assert not bad, f"accessibility violations on {label}: {bad}"
    journey.checked.append(page.url)


def revisit(journey: JourneyPage, paths: list[str], *, language: str, size: dict[str, int]) -> None:
    """Load each page again in the other language and size, and check it."""
    page = journey.page
    page.set_viewport_size(size)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": journey.base_url}]
    )
    for path in paths:
        journey.goto(path)
        assert page.locator("html").get_attribute("lang") == language, path
        screen(journey, f"{path} ({language}, {size['width']}px)")


def path_of(journey: JourneyPage) -> str:
    """The page's path and query, to revisit it later."""
    url: str = journey.page.url
    return url.removeprefix(journey.base_url)
