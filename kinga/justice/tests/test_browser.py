"""From a triaged report to a court date, in Chromium: the investigator opens the incident,
adds two people of interest (one found under a misspelt name), records an arrest and sends
the file; the prosecutor charges, amends the charge sheet, takes a plea, grants the child an
intermediary, and records a hearing that is adjourned; the caseworker sees the next date and
the measures on the child's case, and nothing of the evidence. On a phone-sized screen for
the police and the prosecutor, on a desktop for the caseworker, in English and Kiswahili."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from conftest import browser_sign_in
from kinga.justice import services
from kinga.justice.models import (
    Adjournment,
    Arrest,
    ChargeSheet,
    CourtEvent,
    FileSubmission,
    Incident,
    PersonOfInterest,
    Plea,
    WitnessProtection,
)
from kinga.justice.tests.conftest import SHA, child_case, facts, triaged_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_from_a_triaged_report_to_an_adjourned_hearing(  # type: ignore[no-untyped-def]
    live_server, browser_page, personas
) -> None:
    p = personas
    report = triaged_report(p)
    case = child_case(p)
    # the recruiter is already known to this unit from an earlier incident
    earlier = services.incident_open(actor=p.investigator, facts=facts(ob_number="OB 3/01/2026"))
    services.person_of_interest_add(
        incident=earlier,
        actor=p.investigator,
        role="recruiter",
        relationship="community",
        new_person=services.NewPerson(given_name="Mohamed", family_name="Salim"),
    )
    page = browser_page
    base = live_server.url

    # --- the investigator -----------------------------------------------------------------
    browser_sign_in(page, base, p.investigator)
    page.goto(f"{base}/justice/")
    page.locator("#waiting a", has_text="Open an incident").first.click()
    page.wait_for_selector("#report")
    page.fill("#id_station", "Mtwapa Police Station")
    page.fill("#id_ob_number", "OB 22/14/03/2026")
    page.check("input[name=exploitation_types][value=commercial_in_person]")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_selector("#incident-stage")
    incident = Incident.objects.get(source_report=report)

    page.click("text=Link a child's case")
    page.fill("#id_case_code", case.code)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#children")
    assert case.code in page.inner_text("#children")

    # a misspelt name finds the known recruiter
    page.click("text=Add a person of interest")
    page.fill("#id_q", "Mohamad Saleem")
    page.click("#person-search button[type=submit]")
    found = page.locator("form.found-person").first
    assert "Mohamed Salim" in found.inner_text()
    found.locator("select[name$='-role']").select_option("recruiter")
    found.locator("select[name$='-relationship']").select_option("community")
    found.locator("button[type=submit]").click()
    page.wait_for_selector("#people")
    # nobody is known under the buyer's name: a new person
    page.click("text=Add a person of interest")
    page.fill("#id_q", "Klaus Berger")
    page.click("#person-search button[type=submit]")
    page.wait_for_selector("#new-person")
    assert "No one found" in page.inner_text("#found")
    page.fill("#id_new-family_name", "Berger")
    page.select_option("#id_new-role", "buyer")
    page.select_option("#id_new-relationship", "tourist")
    page.check("#id_new-is_foreign")
    page.click("#new-person button[type=submit]")
    page.wait_for_selector("#people")
    people = page.inner_text("#people")
    assert "Mohamed Salim" in people and "Klaus Berger" in people
    recruiter = PersonOfInterest.objects.get(incident=incident, role="recruiter")
    assert recruiter.person_id == PersonOfInterest.objects.get(incident=earlier).person_id

    services.evidence_log(
        incident=incident,
        actor=p.investigator,
        exhibit_number="PExh. 1",
        kind="digital",
        item="Chat export from the recruiter's phone",
        how_obtained="forensic_extraction",
        obtained_on=timezone.localdate(),
        first_holder="Exhibits store",
        sha256=SHA,
    )
    page.click("text=Record an arrest")
    page.select_option("#id_suspect", label="Mohamed Salim (Recruiter or intermediary)")
    page.fill("#id_arrested_at", _local(timezone.now() - datetime.timedelta(hours=5)))
    page.fill("#id_station", "Mtwapa Police Station")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#arrests")
    assert Arrest.objects.filter(incident=incident, suspect=recruiter).exists()
    # the exhibit's SHA-256 wraps: the phone's page never scrolls sideways
    assert SHA in page.inner_text("#evidence")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.click("text=Send the file to a prosecutor")
    page.select_option("#id_prosecutor", str(p.prosecutor.pk))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#file")
    assert FileSubmission.objects.filter(incident=incident, prosecutor=p.prosecutor).exists()

    # --- the prosecutor -------------------------------------------------------------------
    page.context.clear_cookies()
    browser_sign_in(page, base, p.prosecutor)
    page.goto(f"{base}/justice/{incident.pk}/")
    page.locator("#file a", has_text="Decide").click()
    page.select_option("#id_decision", "charge")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#court")

    page.click("text=Charge in court")
    page.fill("#id_court", "Shanzu Law Courts")
    page.fill("#id_court_file_number", "E77 of 2026")
    page.select_option("#id_counts-0-offence", "ctipa-3")
    page.select_option("#id_counts-0-accused", label="Mohamed Salim (Recruiter or intermediary)")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".charge-sheet")

    page.click("text=Amend the charge sheet")
    page.fill("#id_note", "A count of child prostitution against the buyer")
    page.select_option("#id_counts-1-offence", "soa-15")
    page.select_option("#id_counts-1-accused", label="Klaus Berger (Buyer or customer)")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".charge-sheet.superseded")
    sheets = list(ChargeSheet.objects.filter(prosecution__incident=incident).order_by("version"))
    assert [sheet.version for sheet in sheets] == [1, 2]
    assert [sheet.counts.count() for sheet in sheets] == [1, 2]

    page.locator(".charge-sheet:not(.superseded) a", has_text="Plea").first.click()
    page.select_option("#id_plea", "not_guilty")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".plea")
    assert Plea.objects.filter(count__sheet=sheets[1], plea="not_guilty").count() == 1

    page.locator("#court .actions a", has_text="The child in court").click()
    page.fill("#id_declared_on", timezone.localdate().isoformat())
    page.check("input[name=measures][value=intermediary]")
    page.check("input[name=measures][value=screen]")
    page.fill("#id_told_child_on", timezone.localdate().isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_selector(".protection")
    assert WitnessProtection.objects.get(case=case).measures == ["intermediary", "screen"]

    hearing_at = (timezone.localtime() + datetime.timedelta(days=5)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    page.click("text=Add a court date")
    page.select_option("#id_kind", "hearing")
    page.fill("#id_scheduled_for", _local(hearing_at))
    page.fill("#id_courtroom", "Court 2")
    page.select_option("#id_witness", "child")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".court-event")

    next_at = hearing_at + datetime.timedelta(days=21)
    page.locator(".court-event a", has_text="Adjourned").first.click()
    page.select_option("#id_requested_by", "prosecution")
    page.select_option("#id_reason", "officer_absent")
    page.fill("#id_next_date", _local(next_at))
    page.click("main form button[type=submit]")
    page.wait_for_selector(".adjournment")
    assert Adjournment.objects.get(incident=incident).reason == "officer_absent"
    following = CourtEvent.objects.get(previous__incident=incident)
    assert following.accompanied_by == p.caseworker

    # --- the caseworker, on a desktop -----------------------------------------------------
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_sign_in(page, base, p.caseworker)
    page.goto(f"{base}/cases/{case.pk}/")
    panel = page.inner_text("#court-path-1")
    assert "Path to verdict" in panel
    assert timezone.localtime(following.scheduled_for).strftime("%-d %b %Y") in panel
    assert "Shanzu Law Courts" in panel and "Court 2" in panel
    assert "Evidence through an intermediary" in panel
    body = page.inner_text("main")
    for secret in ("PExh", "Chat export", "Mohamed", "Salim", "Berger", SHA, "E77 of 2026"):
        assert secret not in body
    # the same in Kiswahili
    page.context.add_cookies([{"name": "django_language", "value": "sw", "url": base}])
    page.goto(f"{base}/cases/{case.pk}/")
    panel = page.inner_text("#court-path-1")
    assert "Njia ya kufikia hukumu" in panel
    assert "Ushahidi kupitia mpatanishi" in panel
    assert "PExh" not in page.inner_text("main")
