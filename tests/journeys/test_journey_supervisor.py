"""The supervisor's journey (issue 22 point 1), in English on a desk: the home's queues, a
break-glass access reviewed, a case plan approved from "My work", and the case list; then the
same pages in Kiswahili on a phone. Every screen passes the accessibility check."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kinga.access.models import BreakGlassGrant, BreakGlassReview
from kinga.access.services import break_glass_open
from kinga.cases import services as case_services
from kinga.cases.models import CasePlan, PlanState
from kinga.cases.tests.conftest import open_case
from kinga.people.models import PersonKind
from kinga.people.services import person_create
from kinga.places.models import County
from tests.journeys.walk_a import (
    DESK,
    PHONE,
    journey_ground,  # noqa: F401  # autouse
    revisit,
    screen,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WHY = "Police called at night: the girl from Tumaini's case is at our drop-in centre now"


def test_a_supervisor_reviews_break_glass_and_approves_a_plan_in_english_on_a_desk(
    journey, personas
) -> None:
    page = journey.page
    page.set_viewport_size(DESK)
    # a case of the supervisor's agency, its plan waiting for approval
    case = open_case(personas)
    case_services.plan_item_add(
        case=case,
        actor=personas.caseworker,
        kind="service",
        need="shelter",
        description="A safe bed at the rescue home while her family is assessed",
        due_on=timezone.localdate() + datetime.timedelta(days=7),
    )
    case_services.plan_submit(plan=CasePlan.objects.get(case=case), actor=personas.caseworker)
    # a caseworker of the supervisor's agency opened another agency's case in an emergency
    child = person_create(
        actor=personas.caseworker_other, kind=PersonKind.CHILD, given_name="Rehema"
    )
    theirs = case_services.case_open(
        child=child, county=County.objects.get(name="Kilifi"), actor=personas.caseworker_other
    )
    grant = break_glass_open(user=personas.caseworker, matter=theirs.access_matter(), reason=WHY)

    sign_in(journey, personas.supervisor, language="en")
    review_count = page.locator(".work-count", has_text="Break-glass access to review")
    assert review_count.locator(".figure").inner_text() == "1"
    screen(journey, "supervisor's home")

    review_count.locator("a").first.click()
    page.wait_for_selector(f"#grant-{grant.pk}")
    assert WHY in page.inner_text(f"#grant-{grant.pk}")
    screen(journey, "break-glass reviews")
    page.check(f"#grant-{grant.pk} input[name=decision][value=accepted]")
    page.fill(f"#grant-{grant.pk} textarea[name=note]", "Checked with the police: justified.")
    page.click(f"#grant-{grant.pk} button[type=submit]")
    page.wait_for_selector("main h2:has-text('Reviewed')")
    screen(journey, "break-glass reviewed")
    grant = BreakGlassGrant.objects.get(pk=grant.pk)
    assert grant.review == BreakGlassReview.ACCEPTED and grant.reviewed_by == personas.supervisor

    page.click(".main-nav a[href='/cases/my-work/']")
    page.wait_for_selector(f"main a[href='/cases/{case.pk}/#plan']")
    screen(journey, "my work: waiting for a decision")
    page.click(f"main a[href='/cases/{case.pk}/#plan']")
    page.wait_for_selector("main button:has-text('Approve plan')")
    screen(journey, "a case with its plan to approve")
    page.fill("main input[name=comments]", "Agreed: the bed is the first need.")
    page.click("main button:has-text('Approve plan')")
    page.wait_for_selector("#timeline:has-text('Case plan v1 approved')")
    screen(journey, "the plan approved")
    assert CasePlan.objects.get(case=case).state == PlanState.APPROVED

    page.click(".main-nav a[href='/cases/']")
    page.wait_for_selector(f"main a:has-text('{case.code}')")
    screen(journey, "the case list")

    revisit(
        journey,
        ["/", "/access/break-glass/reviews/", "/cases/my-work/", f"/cases/{case.pk}/", "/cases/"],
        language="sw",
        viewport=PHONE,
    )
