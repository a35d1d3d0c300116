"""Issue 13: from a report to a shelter and back, in Chromium, on a phone and on a desk.

A caseworker triages a report and opens a case, lands on the case, reads what the report
said, records the child's name and age, and refers her to a shelter. The shelter's staff
member, working in Kiswahili, accepts, sees the first name, age and sex, completes the
referral and finds it in the history of finished referrals.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from conftest import PASSWORD, browser_enter_code, totp_now
from kinga.cases import services as case_services
from kinga.cases.models import Case
from kinga.directory.tests.test_directory import directory  # noqa: F401  # the fixture
from kinga.intake.models import Report
from kinga.intake.tests.test_web_and_triage import make_report
from kinga.people.models import Sex
from kinga.places.models import Ward
from kinga.referrals.models import Referral, ReferralStatus
from kinga.referrals.tests.test_browser import _service_types  # noqa: F401  # autouse fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NARRATIVE = "A girl of about 14 is sold at a beach bar in Mtwapa at night"


def sign_in(page, base: str, user, *, language: str = "en") -> None:  # type: ignore[no-untyped-def]
    totp_now(user)
    page.goto(f"{base}/accounts/login/")
    if language != "en":
        page.select_option("#lang-select", language)
        page.click(".lang-switch button")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    browser_enter_code(page, user)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_report_follows_the_child_to_a_shelter_and_back(  # type: ignore[no-untyped-def]
    live_server,
    browser_page,
    personas,
    directory,  # noqa: F811  # the fixture
    viewport,
) -> None:
    base = live_server.url
    page = browser_page
    page.set_viewport_size(viewport)
    report: Report = make_report(narrative=NARRATIVE, age_bands=["12-14"], children_count=1)

    # --- the caseworker triages and opens a case, and lands on it
    sign_in(page, base, personas.caseworker)
    page.goto(f"{base}/intake/triage/")
    page.click(f"text={report.reference}")
    page.check("input[name=decision][value=open_case]")
    page.fill("#id_reason", "A child sold at night: she needs a case and a safe place")
    page.click("form.panel button[type=submit]")
    page.wait_for_selector("#source-report")
    case = Case.objects.get(source_report_id=report.pk)
    assert page.url.rstrip("/").endswith(f"/cases/{case.pk}")
    assert NARRATIVE in page.inner_text("#report-narrative")

    # --- records the child's name and age
    page.click("#child-profile")
    page.fill("#id_given_name", "Zawadi")
    page.fill("#id_family_name", "Mwakio")
    page.select_option("#id_sex", "female")
    page.fill("#id_age_estimate", "14")
    page.check("input[name=languages][value=sw]")
    page.click("form.panel button[type=submit]")
    page.wait_for_selector("#child")
    assert "Zawadi" in page.inner_text("#child") and "14" in page.inner_text("#child")

    # --- consent is on the case; refers her to the shelter near Ukunda
    case_services.consent_record(
        case=case,
        actor=personas.caseworker,
        purpose="referral",
        recipient_agency=personas.shelter,
        given_by="child",
        explained="What the rescue home is, and that she may leave it.",
    )
    page.reload()
    page.click("#referrals a.button")
    page.select_option("#id_service_type", "rescue_shelter")
    page.select_option("#id_ward", str(Ward.objects.get(name="Ukunda").pk))
    page.click("form[role=search] button[type=submit]")
    page.locator("tr", has_text=directory.shelter.name).get_by_role("link").click()
    page.wait_for_selector("#chosen")
    page.fill("#id_reason", "She needs a safe bed tonight, away from the bar in Mtwapa.")
    page.fill("#id_child_told", "That a safe home for girls will take her tonight.")
    page.check("input[name=needs][value=shelter]")
    page.click("#chosen button[type=submit]")
    page.wait_for_selector("#referral-status")
    referral = Referral.objects.get(case=case)

    # --- the shelter's staff member, in Kiswahili, on their own device
    shelter_context = page.context.browser.new_context(viewport=viewport)
    shelter = shelter_context.new_page()
    shelter.set_default_timeout(15000)
    try:
        sign_in(shelter, base, personas.service_provider, language="sw")
        assert shelter.locator("html").get_attribute("lang") == "sw"
        shelter.goto(f"{base}/referrals/received/")
        shelter.click(f"text={referral.reference}")
        shelter.click("#accept")
        shelter.wait_for_selector("#referral-status")
        child = shelter.inner_text("main")
        with translation.override("sw"):
            female = str(Sex.FEMALE.label)
        assert "Zawadi" in child and "14" in child and female in child
        assert "Mwakio" not in child
        shelter.click("#answer button")  # the service has started
        shelter.fill("#id_feedback", "She stayed three weeks and went home to her grandmother.")
        shelter.click("#answer button")  # complete
        shelter.wait_for_selector("main")
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.COMPLETED
        shelter.goto(f"{base}/referrals/received/")
        shelter.click("a[href='/referrals/received/history/']")
        assert referral.reference in shelter.inner_text("#history")
    finally:
        shelter_context.close()
