"""Issue 13 points 5 and 6 in Chromium: a form posted after the session expired is saved
after sign-in; each role's home shows its counts, on a phone and on a desk, in English and
Kiswahili."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from conftest import PASSWORD, browser_enter_code, browser_sign_in
from kinga.accounts.models import Authenticator
from kinga.cases.models import Note
from kinga.cases.tests.conftest import open_case
from kinga.notifications.services import notify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Her aunt in Likoni says the girls are collected at the ferry after dark."


def test_a_note_posted_after_the_session_expired_is_saved_after_sign_in(
    live_server, browser_page, personas
) -> None:
    page = browser_page
    base = live_server.url
    case = open_case(personas)
    browser_sign_in(page, base, personas.caseworker)
    page.goto(f"{base}/cases/{case.pk}/add/note/")
    page.select_option("#id_sensitivity", "general")
    page.fill("#id_text", NOTE)
    # Idle too long: the session ends on the server while the note is typed.
    Session.objects.all().delete()
    page.click("main form button[type=submit]")
    page.wait_for_selector("#id_username")
    assert "What you typed is kept" in page.content()
    assert not Note.objects.filter(case=case).exists()
    # The next 30-second code (the one used to sign in is spent).
    Authenticator.objects.filter(user=personas.caseworker).update(last_t=-1)
    # Sign in on the page the expired post led to (it carries where to go next).
    page.fill("#id_username", personas.caseworker.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    browser_enter_code(page, personas.caseworker)
    assert "/accounts/resume/" in page.url
    assert NOTE in page.inner_text("main")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert Note.objects.get(case=case).text == NOTE


@pytest.mark.parametrize(
    ("width", "height", "language", "unread_label"),
    [
        (390, 844, "en", "Unread notifications"),
        (1280, 800, "sw", "Arifa ambazo hazijasomwa"),
    ],
)
def test_a_home_shows_its_counts_on_phone_and_desk(
    live_server, browser_page, personas, width, height, language, unread_label
) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    for number in range(2):
        notify(recipients=[personas.analyst], message="Course %(code)s", values={"code": number})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    browser_sign_in(page, base, personas.analyst)
    page.goto(f"{base}/")
    item = page.locator(".work-count", has_text=unread_label)
    assert item.locator(".figure").inner_text() == "2"
    assert item.is_visible()
    assert page.locator(".main-nav .count").inner_text() == "2"
    # Nothing runs off a phone's screen sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_every_role_signs_in_to_a_home_with_its_counts(live_server, browser_page, personas) -> None:
    """Issue 13 "Done when": each role signs in and its home shows its counts."""
    page = browser_page
    base = live_server.url
    for user in personas.all_users():
        notify(recipients=[user], message="Course %(code)s", values={"code": user.pk})
        page.context.clear_cookies()
        browser_sign_in(page, base, user)
        page.goto(f"{base}/")
        assert page.locator("h1").inner_text().startswith("Karibu"), user.username
        unread = page.locator(".work-count", has_text="Unread notifications")
        assert unread.locator(".figure").inner_text() == "1", user.username
        assert page.locator(".work-count").count() >= 1, user.username
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, user.username
