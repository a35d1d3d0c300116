"""A caseworker finds a shelter near Ukunda open now and refers a child; the shelter's staff
accept; the case shows it. In Chromium, on a phone-sized screen."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from conftest import browser_sign_in
from kinga.cases import services as case_services
from kinga.cases.tests.conftest import open_case
from kinga.directory.models import TaxonomyTerm
from kinga.directory.tests.test_directory import directory  # noqa: F401  # the fixture
from kinga.places.models import Ward
from kinga.referrals.models import Referral, ReferralStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _service_types(transactional_db: None) -> None:
    """Reload the service types if a transactional test's flush emptied them."""
    if TaxonomyTerm.objects.exists():
        return
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("kinga.referrals.migrations.0002_service_types")

    class DirectoryApps:
        # The seed names the model where it lived then; it lives in the directory now.
        def get_model(self, app_label: str, model_name: str) -> Any:
            return apps.get_model("directory", model_name)

    with connection.schema_editor() as editor:
        migration.seed(DirectoryApps(), editor)


def test_refer_a_child_to_a_shelter_near_ukunda(  # type: ignore[no-untyped-def]
    live_server,
    browser_page,
    personas,
    directory,  # noqa: F811  # the fixture
) -> None:

    ukunda = Ward.objects.get(name="Ukunda")
    case = open_case(personas)
    case_services.consent_record(
        case=case,
        actor=personas.caseworker,
        purpose="referral",
        recipient_agency=personas.shelter,
        given_by="child",
        explained="What the rescue home is, and that she may leave it.",
    )
    page = browser_page
    base = live_server.url

    browser_sign_in(page, base, personas.caseworker)
    page.goto(f"{base}/referrals/refer/case/{case.pk}/")
    page.select_option("#id_service_type", "rescue_shelter")
    page.select_option("#id_ward", str(ukunda.pk))
    page.check("#id_open_now")
    page.click("form[role=search] button[type=submit]")
    row = page.locator("tr", has_text=directory.shelter.name)
    row.get_by_role("link").click()
    page.wait_for_selector("#chosen")
    assert "Consent to refer" in page.inner_text("#chosen")
    page.select_option("#id_urgency", "emergency")
    page.fill("#id_reason", "She needs a safe bed tonight, away from the ferry.")
    page.fill("#id_child_told", "That a safe home for girls will take her tonight.")
    page.check("input[name=needs][value=shelter]")
    page.click("#chosen button[type=submit]")
    page.wait_for_selector("#referral-status")
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.SENT
    assert referral.childrens_officer == personas.children_officer

    # the shelter's staff, in a browser of their own
    shelter = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        staff = shelter.new_page()
        staff.set_default_timeout(15000)
        browser_sign_in(staff, base, personas.service_provider)
        staff.goto(f"{base}/referrals/received/")
        staff.click(f"text={referral.reference}")
        staff.click("#accept")
        staff.wait_for_selector(".main-nav")
    finally:
        shelter.close()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED

    page.goto(f"{base}/cases/{case.pk}/")
    assert f"{referral.reference} accepted by" in page.content()
