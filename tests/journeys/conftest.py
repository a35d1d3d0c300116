"""The journey suite's page: a Playwright page that checks headers and accessibility."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.journeys.checks import JourneyPage


@pytest.fixture
def journey(live_server, browser_page) -> Iterator[JourneyPage]:  # type: ignore[no-untyped-def]
    """A page on the live server; at the end, every document it loaded had the headers."""
    walk = JourneyPage(browser_page, live_server.url)
    yield walk
    walk.assert_headers()
