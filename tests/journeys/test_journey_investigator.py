"""The investigator's journey (issue 22 point 1), in English on a desk: from a report triaged
to the police, open the incident, link the child's case, add a suspect and the phone they
use, record a statement, log an exhibit and hand it over, record the arrest and send the
file to a prosecutor; then on the network page find the path from that suspect to a buyer
of an earlier incident through the shared phone. The pages seen are revisited in Kiswahili
on a phone."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kinga.intel.tests.conftest import BUYER, PHONE, incident_with, run_worker
from kinga.justice.models import (
    Arrest,
    CustodyEntry,
    Evidence,
    FileSubmission,
    Incident,
    IncidentLead,
    PersonOfInterest,
    Statement,
)
from kinga.justice.tests.conftest import child_case, triaged_report
from tests.journeys.walk_b import DESK, path_of, revisit, screen, walk_as
from tests.journeys.walk_b import PHONE as PHONE_SIZE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_investigator_takes_a_report_to_the_prosecutor_and_finds_the_network_path(
    journey, personas
) -> None:
    p = personas
    report = triaged_report(p)
    case = child_case(p)
    # an earlier incident of the unit: a buyer who called the same phone, written another way
    incident_with(p, [("Kazungu", "Baya", BUYER)], leads=[(PHONE, "+254722111222", "", 0)])
    page = journey.page
    seen: list[str] = []

    walk_as(journey, p.investigator, language="en", size=DESK)
    page.click(".main-nav a[href='/justice/']")
    screen(journey, "the incidents and the reports waiting")
    seen.append(path_of(journey))
    page.click(f"#waiting a[href$='?report={report.pk}']")
    page.wait_for_selector("#report")
    screen(journey, "opening an incident from the report")
    seen.append("/justice/open/")  # once opened, the report's own form is gone (404)
    page.fill("#id_station", "Mtwapa Police Station")
    page.fill("#id_ob_number", "OB 22/14/03/2026")
    page.check("input[name=exploitation_types][value=commercial_in_person]")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_selector("#incident-stage")
    incident = Incident.objects.get(source_report=report)
    assert incident.police_unit == p.police
    screen(journey, "the new incident")

    page.click("main a[href$='/act/child/']")
    screen(journey, "linking the child's case")
    seen.append(path_of(journey))
    page.fill("#id_case_code", case.code)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#children")
    assert case.code in page.inner_text("#children")

    page.click("main a[href$='/act/person/']")
    screen(journey, "searching before adding a person")
    seen.append(path_of(journey))
    page.fill("#id_q", "Omar Bakari")
    page.click("#person-search button[type=submit]")
    page.wait_for_selector("#new-person")
    screen(journey, "nobody found: a new person")
    page.fill("#id_new-given_name", "Omar")
    page.fill("#id_new-family_name", "Bakari")
    page.select_option("#id_new-role", "recruiter")
    page.select_option("#id_new-relationship", "community")
    page.click("#new-person button[type=submit]")
    page.wait_for_selector("#people")
    assert "Omar Bakari" in page.inner_text("#people")
    omar = PersonOfInterest.objects.get(incident=incident)

    page.click("main a[href$='/act/lead/']")
    screen(journey, "adding the phone the recruiter uses")
    seen.append(path_of(journey))
    page.select_option("#id_kind", "phone")
    page.fill("#id_value", "0722 111 222")
    page.select_option("#id_person", str(omar.pk))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#leads")
    assert "0722 111 222" in page.inner_text("#leads")
    assert IncidentLead.objects.get(incident=incident).person == omar

    page.click("main a[href$='/act/statement/']")
    screen(journey, "recording a statement")
    seen.append(path_of(journey))
    page.select_option("#id_kind", "guardian")
    page.fill("#id_taken_on", timezone.localdate().isoformat())
    page.fill("#id_reference", "Statement book 4, page 17")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#statements")
    assert Statement.objects.get(incident=incident).kind == "guardian"

    page.click("main a[href$='/act/evidence/']")
    screen(journey, "logging an exhibit")
    seen.append(path_of(journey))
    page.fill("#id_exhibit_number", "PExh. 1")
    page.select_option("#id_kind", "physical")
    page.fill("#id_item", "Lodge register, March 2026")
    page.select_option("#id_how_obtained", "search_warrant")
    page.fill("#id_obtained_on", timezone.localdate().isoformat())
    page.fill("#id_first_holder", "Cpl. Omari, exhibits store")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#evidence")
    exhibit = Evidence.objects.get(incident=incident)
    assert exhibit.item == "Lodge register, March 2026"

    page.click(f"#evidence a[href$='/evidence/{exhibit.pk}/custody/']")
    screen(journey, "handing the exhibit over")
    seen.append(path_of(journey))
    page.fill("#id_to_holder", "Government Chemist, Mombasa")
    page.fill("#id_purpose", "Handwriting examination")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#evidence")
    assert "Government Chemist, Mombasa" in page.inner_text("#evidence")
    handed = CustodyEntry.objects.filter(evidence=exhibit).order_by("sequence").last()
    assert handed is not None and handed.to_holder == "Government Chemist, Mombasa"

    page.click("main a[href$='/act/arrest/']")
    screen(journey, "recording an arrest")
    seen.append(path_of(journey))
    page.select_option("#id_suspect", str(omar.pk))
    arrested = timezone.localtime() - datetime.timedelta(hours=3)
    page.fill("#id_arrested_at", arrested.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_station", "Mtwapa Police Station")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#arrests")
    assert Arrest.objects.get(incident=incident).suspect == omar

    page.click("main a[href$='/act/file/']")
    screen(journey, "sending the file")
    seen.append(path_of(journey))
    page.select_option("#id_prosecutor", str(p.prosecutor.pk))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#file")
    assert FileSubmission.objects.get(incident=incident).prosecutor == p.prosecutor
    screen(journey, "the incident with its file at the prosecutor")
    seen.append(path_of(journey))

    # the network: the worker links what the incidents name within a minute
    run_worker()
    page.click(".main-nav a[href='/intel/']")
    screen(journey, "the networks")
    seen.append(path_of(journey))
    page.locator("main table.list a").first.click()
    page.wait_for_selector("#members")
    members = page.inner_text("#members")
    assert "Omar Bakari" in members and "Kazungu Baya" in members
    # from the recruiter's own network page, the path to the buyer
    page.click("#members a:text-is('Omar Bakari')")
    page.wait_for_selector("h1:has-text('Omar Bakari')")
    page.select_option("#id_to", label="Kazungu Baya")
    page.click("#network-query button[type=submit]")
    page.wait_for_selector("#path")
    steps = page.inner_text("#path")
    # the phone is labelled as the earlier incident wrote it
    order = [steps.index(name) for name in ("Omar Bakari", "+254722111222", "Kazungu Baya")]
    assert order == sorted(order), steps
    assert page.locator("svg.network line.on-path").count() == 2
    screen(journey, "the path between two suspects")
    seen.append(path_of(journey))

    revisit(journey, seen, language="sw", size=PHONE_SIZE)

    # another agency's caseworker, signed in, gets nothing of the incident or its network
    walk_as(journey, p.caseworker_other, language="en", size=DESK)
    for path in (f"/justice/{incident.pk}/", "/intel/", seen[-1]):
        response = page.goto(f"{journey.base_url}{path}")
        assert response is not None and response.status == 404, path
        assert "Omar" not in page.inner_text("body"), path
