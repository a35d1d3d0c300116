"""In Chromium: a mother asks, by phone, to correct her child's name. The data protection
officer finds the child by the phone number (no case code given), records the request,
checks who asks, corrects the record and places a hold on a witness's record; at phone
width in English, then at desk width in Kiswahili. Then an insider of another agency tries
the same pages. Screenshots go to /tmp, never into the repository."""

from __future__ import annotations

import os
import tempfile

import pytest
from django.urls import reverse

from conftest import browser_sign_in
from kinga.cases import services as case_services
from kinga.dataprotection.models import LegalHold, SubjectRequest
from kinga.people.models import Person, PersonKind
from kinga.people.services import person_create
from kinga.places.models import County

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.path.join(tempfile.gettempdir(), "kinga-dataprotection")


def test_the_officer_finds_by_phone_corrects_and_holds_and_outsiders_see_nothing(
    live_server, browser_page, personas
) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page = browser_page
    base = live_server.url
    officer = personas.data_protection_officer
    child = person_create(
        actor=personas.caseworker,
        kind=PersonKind.CHILD,
        given_name="Zawadi",
        family_name="Mwachiro",
        age_estimate=14,
        age_basis="apparent",
        phones=["0712 345678"],
    )
    case = case_services.case_open(
        child=child,
        county=County.objects.get(name="Mombasa"),
        actor=personas.caseworker,
        reason="A girl exploited at a lodge in Mtwapa",
    )
    witness = person_create(
        actor=personas.caseworker, kind=PersonKind.WITNESS, given_name="Halima", family_name="Said"
    )

    browser_sign_in(page, base, officer)
    page.goto(f"{base}{reverse('dataprotection:request_new')}")
    page.click("text=No case code? Find the person by name or phone")
    page.fill("#id_phone", "0712 34567")  # a digit short: said what to fix, kept
    page.click("main form button[type=submit]")
    page.wait_for_selector(".error")
    assert page.input_value("#id_phone") == "0712 34567"
    page.fill("#id_phone", "+254 712 345 678")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#found")
    found = page.locator("#found").inner_text()
    assert case.code in found
    assert "Zawadi" not in page.content() and "Mwachiro" not in page.content()
    page.screenshot(path=f"{SHOTS}/find-phone-en.png", full_page=True)
    page.click("#found >> text=Record a request about this person")
    page.wait_for_selector("#subject")
    page.select_option("#id_kind", "correction")
    page.fill("#id_requester_name", "Mama Zawadi")
    page.select_option("#id_on_behalf", "parent")
    page.fill("#id_details", "Her family name is Mwachiru, not Mwachiro.")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#identity")
    made = SubjectRequest.objects.get()
    assert made.person_id == child.pk

    # at a desk, in Kiswahili: the identity check, then the correction
    page.set_viewport_size({"width": 1280, "height": 900})
    page.select_option("#lang-select", "sw")
    page.click("form.lang-switch button")
    page.wait_for_selector("html[lang=sw]")
    page.check("input[name=check][value=birth_certificate]")
    page.click("#identity button[type=submit]")
    page.wait_for_selector("#correct")
    page.fill("#correct #id_family_name", "Mwachiru")
    page.screenshot(path=f"{SHOTS}/correct-desk-sw.png", full_page=True)
    page.click("#correct button[type=submit]")
    page.wait_for_selector("#decide")
    assert Person.objects.get(pk=child.pk).family_name == "Mwachiru"

    # a witness's record held on its own, found by name
    page.goto(f"{base}{reverse('dataprotection:subject_find')}?name=Halima+Said")
    page.click("#found >> a[href*='holds']")
    page.wait_for_selector("#subject")
    page.fill("#id_reason", "Witness in Shanzu E123 of 2026: the court needs her identity.")
    page.click("#place button[type=submit]")
    page.wait_for_selector(f"text=P-{witness.pk}")
    assert LegalHold.objects.get().person_id == witness.pk
    page.screenshot(path=f"{SHOTS}/holds-desk-sw.png", full_page=True)

    # another agency's insider, signed in, tries the officer's pages: the same 404 as nothing
    page.context.clear_cookies()
    browser_sign_in(page, base, personas.caseworker_other)
    for path in (
        f"{reverse('dataprotection:subject_find')}?phone=0712345678",
        f"{reverse('dataprotection:request_new')}?person={child.pk}",
        f"{reverse('dataprotection:legal_holds')}?person={witness.pk}",
        reverse("dataprotection:request", args=[made.pk]),
    ):
        answer = page.goto(f"{base}{path}")
        assert answer is not None and answer.status == 404, path
        assert case.code not in page.content()
