"""The prosecutor's journey (issue 22 point 1), in Kiswahili on a phone: the file the police
sent is decided, the charge sheet is filed with two counts, a hearing is set and adjourned,
the next date is on the court calendar, and the buyer's count ends in a conviction. The pages
seen are revisited in English on a desk."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kinga.justice import services
from kinga.justice.models import (
    Adjournment,
    ChargeCount,
    ChargeDecision,
    ChargeSheet,
    CountOutcome,
    CourtEvent,
    EvidenceKind,
    HowObtained,
    Incident,
    PersonOfInterest,
    PersonRole,
    Relationship,
)
from kinga.justice.tests.conftest import facts
from tests.journeys.walk_b import DESK, PHONE, path_of, revisit, screen, walk_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def file_at_the_prosecutor(
    personas,
) -> tuple[Incident, PersonOfInterest, PersonOfInterest]:  # type: ignore[no-untyped-def]
    """An incident the investigator built and sent: a recruiter arrested, a buyer, a record."""
    p = personas
    incident = services.incident_open(actor=p.investigator, facts=facts())
    recruiter = services.person_of_interest_add(
        incident=incident,
        actor=p.investigator,
        role=PersonRole.RECRUITER,
        relationship=Relationship.COMMUNITY,
        new_person=services.NewPerson(given_name="Mohamed", family_name="Salim"),
    )
    buyer = services.person_of_interest_add(
        incident=incident,
        actor=p.investigator,
        role=PersonRole.BUYER,
        relationship=Relationship.TOURIST,
        is_foreign=True,
        new_person=services.NewPerson(given_name="Klaus", family_name="Berger"),
    )
    services.evidence_log(
        incident=incident,
        actor=p.investigator,
        exhibit_number="PExh. 1",
        kind=EvidenceKind.DOCUMENT,
        item="Lodge register",
        how_obtained=HowObtained.SEARCH_WARRANT,
        obtained_on=timezone.localdate(),
        first_holder="Exhibits store",
    )
    services.arrest_record(
        incident=incident,
        actor=p.investigator,
        suspect=recruiter,
        arrested_at=timezone.now() - datetime.timedelta(days=2),
        station="Mtwapa Police Station",
    )
    services.file_send(incident=incident, actor=p.investigator, prosecutor=p.prosecutor)
    return incident, recruiter, buyer


def test_a_prosecutor_charges_sets_a_hearing_records_an_adjournment_and_an_outcome(
    journey, personas
) -> None:
    p = personas
    incident, recruiter, buyer = file_at_the_prosecutor(p)
    page = journey.page
    seen: list[str] = []

    walk_as(journey, p.prosecutor, language="sw", size=PHONE)
    page.click(".main-nav a[href='/justice/']")
    screen(journey, "the prosecutor's incidents")
    seen.append(path_of(journey))
    page.click(f"main a[href='/justice/{incident.pk}/']")
    page.wait_for_selector("#file")
    screen(journey, "the incident with the file")
    seen.append(path_of(journey))

    page.click("#file a[href$='/decide/']")
    screen(journey, "deciding on the file")
    seen.append(path_of(journey))
    page.select_option("#id_decision", "charge")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#court")
    assert ChargeDecision.objects.get(submission__incident=incident).decision == "charge"

    page.click("main a[href$='/act/charge/']")
    screen(journey, "the charge sheet")
    seen.append(path_of(journey))
    page.fill("#id_court", "Shanzu Law Courts")
    page.fill("#id_court_file_number", "E77 of 2026")
    page.select_option("#id_counts-0-offence", "ctipa-3")
    page.select_option("#id_counts-0-accused", str(recruiter.pk))
    page.select_option("#id_counts-1-offence", "soa-15")
    page.select_option("#id_counts-1-accused", str(buyer.pk))
    page.click("main form button[type=submit]")
    page.wait_for_selector(".charge-sheet")
    screen(journey, "the incident charged in court")
    sheet = ChargeSheet.objects.get(prosecution__incident=incident)
    counts = {count.accused_id: count for count in ChargeCount.objects.filter(sheet=sheet)}
    assert counts[recruiter.pk].offence == "ctipa-3"
    assert counts[buyer.pk].offence == "soa-15"
    assert "E77 of 2026" in page.inner_text("#court")

    hearing_at = (timezone.localtime() + datetime.timedelta(days=3)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    page.click("#court a[href$='/date/']")
    screen(journey, "setting a court date")
    seen.append(path_of(journey))
    page.select_option("#id_kind", "hearing")
    page.fill("#id_scheduled_for", _local(hearing_at))
    page.fill("#id_courtroom", "Court 2")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".court-event")

    next_at = hearing_at + datetime.timedelta(days=14)
    page.locator(".court-event a[href$='/adjourn/']").first.click()
    screen(journey, "recording an adjournment")
    seen.append(path_of(journey))
    page.select_option("#id_requested_by", "defence")
    page.select_option("#id_reason", "defence_request")
    page.fill("#id_next_date", _local(next_at))
    page.click("main form button[type=submit]")
    page.wait_for_selector(".adjournment")
    screen(journey, "the hearing adjourned")
    assert Adjournment.objects.get(incident=incident).reason == "defence_request"
    following = CourtEvent.objects.get(previous__incident=incident)
    assert following.scheduled_for == next_at

    # the next date is on the court calendar, in the week it falls in
    page.click(".main-nav a[href='/justice/calendar/']")
    screen(journey, "the court calendar")
    seen.append(path_of(journey))
    while "E77 of 2026" not in page.inner_text("main"):
        page.click("main a[href^='?from=']:last-of-type")
        screen(journey, "the court calendar, later weeks")
    assert next_at.strftime("%H:%M") in page.inner_text("main")

    page.click(f"main a[href='/justice/{incident.pk}/']")
    page.wait_for_selector(".charge-sheet")
    page.click(f".charge-sheet a[href='/justice/count/{counts[buyer.pk].pk}/outcome/']")
    screen(journey, "the outcome of a count")
    seen.append(path_of(journey))
    page.select_option("#id_outcome", "convicted")
    page.fill("#id_decided_on", timezone.localdate().isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_selector(".charge-sheet")
    screen(journey, "the count decided")
    assert CountOutcome.objects.get(count=counts[buyer.pk]).outcome == "convicted"
    assert not CountOutcome.objects.filter(count=counts[recruiter.pk]).exists()

    revisit(journey, seen, language="en", size=DESK)
