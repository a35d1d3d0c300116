"""A staff member signs in through two-factor, in English and in Kiswahili, in Chromium."""

from __future__ import annotations

import pytest

from conftest import browser_enter_code, browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "sign_in", "verify_heading"),
    [("en", "Sign in", "Two-factor check"), ("sw", "Ingia", "Uthibitisho wa hatua mbili")],
)
def test_sign_in_with_two_factor_in_both_languages(
    live_server, browser_page, personas, language, sign_in, verify_heading
):
    page = browser_page
    user = personas.caseworker
    page.goto(f"{live_server.url}/accounts/login/")
    if language == "sw":
        page.select_option("#lang-select", "sw")
        page.click(".lang-switch button")
    assert page.locator("h1").inner_text() == sign_in
    browser_sign_in(page, live_server.url, user, second_step=False)  # the language stays
    assert page.locator("h1").inner_text() == verify_heading
    # staff pages are closed until the second step is passed
    page.goto(f"{live_server.url}/notifications/")
    assert page.locator("h1").inner_text() == verify_heading
    browser_enter_code(page, user)
    assert "/notifications/" in page.url
    assert page.locator(".main-nav").is_visible()
