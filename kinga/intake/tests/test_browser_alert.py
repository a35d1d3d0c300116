"""In a real browser, on a phone: a danger report from a ward nobody covers reaches the
fallback chain, and a person it reached opens the alert and acknowledges it (issue 13
point 3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import browser_sign_in, make_agency, make_user
from kinga.accounts.models import AgencyKind, Role
from kinga.intake.models import Alert, Report
from kinga.intake.tests.conftest import alert_chain_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_danger_report_nobody_covers_reaches_the_fallback_and_is_acknowledged(
    live_server: Any, browser_page: Any, personas: Any, settings: Any
) -> None:
    alert_chain_ensure()
    settings.KINGA_REPORT_RATE_LIMIT = "1000/3600"
    lamu = make_agency("Children's Services Lamu", AgencyKind.CHILDRENS_SERVICES, "Lamu")
    officer = make_user("athman_lamu", lamu, Role.CASEWORKER)
    page = browser_page
    assert page.viewport_size == {"width": 390, "height": 844}

    # a reporter on a phone, in Kiswahili: children in danger now, in Faza (Lamu)
    page.goto(f"{live_server.url}/report/?lang=sw")
    page.check("input[name=categories][value=trafficking]")
    page.fill("#id_narrative", "Wasichana wawili wamefungiwa chumbani nyuma ya baa")
    page.check("input[name=danger_now][value=yes]")
    page.select_option("#id_ward", label="Faza")
    page.fill("#id_children_count", "2")
    page.check("input[name=age_bands][value='12-14']")
    page.click("main button[type=submit]")
    page.wait_for_selector("#follow-up-code")
    report = Report.objects.get()
    alert = Alert.objects.get(report=report)
    # nobody on call in Lamu: the county's children's services were reached at once
    assert set(alert.notified.all()) == {officer}

    # nobody acknowledges in 15 minutes: the worker takes it to the helpline desk
    call_command("worker", "--once", "--now", (timezone.now() + timedelta(minutes=16)).isoformat())
    alert.refresh_from_db()
    assert personas.helpline in set(alert.notified.all())

    # the helpline operator signs in on their phone and opens it from their notifications
    browser_sign_in(page, live_server.url, personas.helpline)
    page.goto(f"{live_server.url}/notifications/")
    page.click(f"a[href='/intake/alerts/{alert.pk}/']")
    page.wait_for_selector("#what-to-act-on")
    assert "Faza" in page.locator("#alert-place").inner_text()
    what = page.locator("#alert-what").inner_text()
    assert "A child taken, moved or sold" in what and "Wasichana wawili" in what
    children = page.locator("#alert-children").inner_text()
    assert "2" in children and "12 to 14" in children
    # the header stays on screen without sideways scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.click("text=I am acting on it")
    page.wait_for_selector("#alert-status .badge.ok")
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas.helpline
    # acknowledged: no further escalation
    call_command("worker", "--once", "--now", (timezone.now() + timedelta(hours=2)).isoformat())
    alert.refresh_from_db()
    assert alert.escalations == 1
