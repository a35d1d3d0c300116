"""The caseworker's journeys (issue 22 point 1).

Triage, in Kiswahili on a phone: the queue, a report, a decision first refused then recorded,
a case opened. The case owner, in English on a desk: the case list, the case page, a note,
the child's profile, a plan item and a referral to a shelter. Each then revisits what it read
in the other language at the other size; every screen passes the accessibility check.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kinga.cases import services as case_services
from kinga.cases.models import Case, Note, PlanItem
from kinga.cases.tests.conftest import open_case
from kinga.directory.tests.test_directory import directory  # noqa: F401  # the fixture
from kinga.intake.models import Decision, Report
from kinga.intake.tests.test_web_and_triage import make_report
from kinga.people.models import Person
from kinga.places.models import Ward
from kinga.referrals import services as referral_services
from kinga.referrals.models import Referral, ReferralStatus
from kinga.referrals.tests.test_browser import _service_types  # noqa: F401  # autouse
from tests.journeys.walk_a import (
    DESK,
    PHONE,
    journey_ground,  # noqa: F401  # autouse
    path_of,
    revisit,
    screen,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARRATIVE = "Msichana wa miaka 14 anauzwa katika baa ya ufukweni Bamburi usiku"
REASON = "Mtoto yuko hatarini: anahitaji kesi na mahali salama usiku huu"
NOTE = "Her grandmother in Likoni will keep her if the school fees are met."
PLAN = "Back to Form 2 at Likoni Secondary once she is settled"


def test_a_caseworker_triages_a_report_into_a_case_in_kiswahili_on_a_phone(
    journey, personas
) -> None:
    page = journey.page
    page.set_viewport_size(PHONE)
    report: Report = make_report(narrative=NARRATIVE, age_bands=["12-14"], children_count=1)
    sign_in(journey, personas.caseworker, language="sw")
    screen(journey, "caseworker's home")

    page.click(".main-nav a[href='/intake/triage/']")
    page.wait_for_selector("h1:has-text('Uchambuzi')")
    screen(journey, "triage queue")
    page.click(f"main a:has-text('{report.reference}')")
    page.wait_for_selector("#decision-form")
    assert NARRATIVE in page.inner_text("main")
    screen(journey, "a report to triage")
    report_path = path_of(journey)

    # a reason too short: refused, the choice and the words kept
    page.check("input[name=decision][value=open_case]")
    page.fill("#id_reason", "Hatari")
    page.click("#decision-form button[type=submit]")
    page.wait_for_selector("#decision-form .error")
    assert page.is_checked("input[name=decision][value=open_case]")
    assert page.input_value("#id_reason") == "Hatari"
    assert not Case.objects.exists()
    screen(journey, "a triage decision refused")

    page.fill("#id_reason", REASON)
    page.click("#decision-form button[type=submit]")
    page.wait_for_selector("#source-report")
    case = Case.objects.get(source_report_id=report.pk)
    assert path_of(journey) == f"/cases/{case.pk}/"
    assert NARRATIVE in page.inner_text("#report-narrative")
    screen(journey, "the case just opened")
    report.refresh_from_db()
    assert report.decision == Decision.OPEN_CASE
    assert case.caseworker == personas.caseworker and case.owning_agency == personas.ngo

    revisit(
        journey,
        ["/intake/triage/", report_path, f"/cases/{case.pk}/"],
        language="en",
        viewport=DESK,
    )


def test_a_case_owner_works_a_case_in_english_on_a_desk(
    journey,
    personas,
    directory,  # noqa: F811  # the fixture
) -> None:
    page = journey.page
    page.set_viewport_size(DESK)
    case = open_case(personas)
    case_services.consent_record(
        case=case,
        actor=personas.caseworker,
        purpose="referral",
        recipient_agency=personas.shelter,
        given_by="child",
        explained="What the rescue home is, and that she may leave it.",
    )
    sign_in(journey, personas.caseworker, language="en")

    page.click(".main-nav a[href='/cases/']")
    page.wait_for_selector(f"main a:has-text('{case.code}')")
    screen(journey, "case list")
    page.click(f"main a:has-text('{case.code}')")
    page.wait_for_selector("#child-profile")
    assert page.locator("h1").inner_text() == case.code
    screen(journey, "case page")
    seen = ["/cases/", f"/cases/{case.pk}/"]

    # a note: saved without its words, the browser stops it there, the choice kept
    page.click("main a:has-text('Add a note')")
    page.wait_for_selector("#id_text")
    screen(journey, "add a note")
    seen.append(path_of(journey))
    page.select_option("#id_sensitivity", "general")
    page.click("main form button[type=submit]")
    assert page.evaluate("document.querySelector('#id_text').validity.valueMissing")
    assert path_of(journey) == seen[-1] and not Note.objects.exists()
    assert page.input_value("#id_sensitivity") == "general"
    page.fill("#id_text", NOTE)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#child-profile")
    assert Note.objects.get(case=case).text == NOTE
    assert NOTE in page.inner_text("main")

    # the child's profile
    page.click("#child-profile")
    page.wait_for_selector("#id_given_name")
    screen(journey, "the child's profile")
    seen.append(path_of(journey))
    page.fill("#id_given_name", "Zawadi")
    page.select_option("#id_sex", "female")
    page.fill("#id_age_estimate", "14")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#child")
    assert "Zawadi" in page.inner_text("#child")
    child = Person.objects.get(pk=case.child_id)
    assert child.given_name == "Zawadi" and child.age_estimate == 14

    # a plan item
    page.click("main a:has-text('Add a goal or service')")
    page.wait_for_selector("#id_description")
    screen(journey, "add a goal or service")
    seen.append(path_of(journey))
    page.select_option("#id_kind", "goal")
    page.select_option("#id_need", "education")
    page.fill("#id_description", PLAN)
    due = timezone.localdate() + datetime.timedelta(days=30)
    page.fill("#id_due_on", due.isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_selector("#child-profile")
    item = PlanItem.objects.get(plan__case=case)
    assert item.description == PLAN and item.due_on == due
    assert PLAN in page.inner_text("main")

    # a referral to the shelter near Ukunda
    page.click("#referrals a.button")
    page.wait_for_selector("form[role=search]")
    screen(journey, "refer: find a service")
    seen.append(path_of(journey))
    page.select_option("#id_service_type", "rescue_shelter")
    page.select_option("#id_ward", str(Ward.objects.get(name="Ukunda").pk))
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector(f"tr:has-text('{directory.shelter.name}')")
    screen(journey, "refer: services found")
    page.locator("tr", has_text=directory.shelter.name).get_by_role("link").click()
    page.wait_for_selector("#chosen")
    screen(journey, "refer: the service chosen")
    page.fill("#id_reason", "She needs a safe bed tonight, away from the bar.")
    page.fill("#id_child_told", "That a safe home for girls will take her tonight.")
    page.check("input[name=needs][value=shelter]")
    page.click("#chosen button[type=submit]")
    page.wait_for_selector("#referral-status")
    screen(journey, "the referral sent")
    referral = Referral.objects.get(case=case)
    assert referral.status == ReferralStatus.SENT
    seen.append(path_of(journey))
    page.goto(f"{journey.base_url}/cases/{case.pk}/")
    assert referral.reference in page.inner_text("#referrals")

    revisit(journey, seen, language="sw", viewport=PHONE)


def test_outsiders_find_nothing_of_the_case_its_report_or_its_referral(
    journey,
    personas,
    directory,  # noqa: F811  # the fixture
) -> None:
    """Another agency's caseworker and the administrator, signed in, type the addresses a
    caseworker's pages lead to: each is "not found" like a page that does not exist, shows
    nothing of the child, and is audited as a refusal."""
    from kinga.audit.models import AuditAction, AuditEvent
    from kinga.intake.services import report_decide

    page = journey.page
    report = make_report(narrative=NARRATIVE, age_bands=["12-14"])
    report_decide(report=report, actor=personas.caseworker, decision="open_case", reason=REASON)
    case = Case.objects.get(source_report_id=report.pk)
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
        urgency="urgent",
        reason="She needs a safe bed tonight, away from the bar.",
        child_told="That a safe home for girls will take her tonight.",
        needs=["shelter"],
        childrens_officer=personas.children_officer,
    )
    paths = [
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/add/note/",
        f"/cases/{case.pk}/add/child/",
        f"/intake/triage/{report.pk}/",
        f"/referrals/{referral.pk}/",
        f"/referrals/refer/case/{case.pk}/",
    ]
    for outsider in (personas.caseworker_other, personas.admin):
        page.context.clear_cookies()
        sign_in(journey, outsider, language="en")
        before = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=outsider).count()
        for path in [*paths, "/cases/999999/"]:
            response = page.goto(f"{journey.base_url}{path}")
            assert response is not None and response.status == 404, (outsider, path)
            assert NARRATIVE not in page.content() and case.code not in page.content()
        screen(journey, "not found")
        denied = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=outsider).count()
        assert denied - before >= len(paths), outsider
