"""The service provider's journey (issue 22 point 1), in Kiswahili on a phone: a referral
received, accepted, started and recorded done (not without its feedback), then found in
the history; the case itself stays closed to them. Then the same pages in English on a desk.
Every screen passes the accessibility check."""

from __future__ import annotations

import pytest
from django.utils import translation

from kinga.cases import services as case_services
from kinga.cases.tests.conftest import open_case
from kinga.directory.tests.test_directory import directory  # noqa: F401  # the fixture
from kinga.people.models import Sex
from kinga.referrals import services as referral_services
from kinga.referrals.models import Referral, ReferralStatus, Urgency
from kinga.referrals.tests.test_browser import _service_types  # noqa: F401  # autouse
from tests.journeys.walk_a import (
    DESK,
    PHONE,
    journey_ground,  # noqa: F401  # autouse
    language_cookie,
    path_of,
    revisit,
    screen,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FEEDBACK = "Alikaa wiki tatu, akarudi nyumbani kwa bibi yake Likoni."


def test_a_service_provider_accepts_and_completes_a_referral_in_kiswahili_on_a_phone(
    journey,
    personas,
    directory,  # noqa: F811  # the fixture
) -> None:
    page = journey.page
    page.set_viewport_size(PHONE)
    case = open_case(personas, given_name="Zawadi")
    person = case.child
    person.sex = Sex.FEMALE
    person.save(update_fields=["sex"])
    case_services.consent_record(
        case=case,
        actor=personas.caseworker,
        purpose="referral",
        recipient_agency=personas.shelter,
        given_by="child",
        explained="What the rescue home is, and that she may leave it.",
    )
    referral = referral_services.referral_send(
        case=case,
        actor=personas.caseworker,
        service_at_location=directory.shelter.service_at_locations.get(),
        urgency=Urgency.URGENT,
        reason="She needs a safe bed tonight, away from the bar in Mtwapa.",
        child_told="That a safe home for girls will take her tonight.",
        needs=["shelter"],
        childrens_officer=personas.children_officer,
    )

    sign_in(journey, personas.service_provider, language="sw")
    screen(journey, "service provider's home")
    page.click(".main-nav a[href='/referrals/received/']")
    page.wait_for_selector(f"main a:has-text('{referral.reference}')")
    screen(journey, "referrals received")
    page.click(f"main a:has-text('{referral.reference}')")
    page.wait_for_selector("#accept")
    screen(journey, "a referral received")
    detail_path = path_of(journey)
    page.click("#accept")
    page.wait_for_selector("#answer button")
    child = page.inner_text("main")
    with translation.override("sw"):
        female = str(Sex.FEMALE.label)
    # what the service needs to serve her, and no more
    assert "Zawadi" in child and female in child and "Kahindi" not in child
    screen(journey, "a referral accepted")
    # its page in the other language and size now: once done, it closes to them (below)
    revisit(journey, [detail_path], language="en", viewport=DESK)
    page.set_viewport_size(PHONE)
    language_cookie(journey, "sw")
    journey.goto(detail_path)
    page.click("#answer button")  # the service has started
    page.wait_for_selector("#id_feedback")
    screen(journey, "a referral started")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.IN_PROGRESS

    page.click("#answer button")  # done, with nothing said about it: the browser stops it
    assert page.evaluate("document.querySelector('#id_feedback').validity.valueMissing")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.IN_PROGRESS
    page.fill("#id_feedback", FEEDBACK)
    page.click("#answer button")
    # done: back to the referrals waiting, where it is no longer
    page.wait_for_url("**/referrals/received/")
    assert referral.reference not in page.inner_text("main")
    screen(journey, "referrals received, that one done")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.feedback == FEEDBACK

    page.click("main a[href='/referrals/received/history/']")
    page.wait_for_selector("#history")
    assert referral.reference in page.inner_text("#history")
    screen(journey, "finished referrals")

    # the case behind the referral is not theirs to open, nor the referral once done
    for path in (f"/cases/{case.pk}/", detail_path):
        response = page.goto(f"{journey.base_url}{path}")
        assert response is not None and response.status == 404
        assert "Zawadi" not in page.content()
    screen(journey, "not found")

    revisit(
        journey,
        ["/referrals/received/", "/referrals/received/history/"],
        language="en",
        viewport=DESK,
    )
