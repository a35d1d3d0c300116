"""Issue 16 in Chromium: an investigator confirms that two records are one recruiter, sees
the two incidents join into one network, and finds the path between two suspects through a
shared phone number; the page on a phone (table first) and a desk, in English and
Kiswahili."""

from __future__ import annotations

import pytest
from django.utils import timezone

from conftest import browser_sign_in
from kinga.intake.tests.conftest import alert_chain_ensure
from kinga.intel.models import Appearance
from kinga.intel.tests.conftest import (
    BUYER,
    PHONE,
    RECRUITER,
    TRANSPORTER,
    incident_with,
    run_worker,
)
from kinga.justice.models import PersonRole
from kinga.matching.models import MatchCandidate, MatchRun, RunKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def node_of(person_id: int) -> int:
    row = Appearance.objects.filter(person_record=person_id).first()
    assert row is not None
    return row.node_id


def test_a_confirmed_match_joins_two_incidents_and_the_path_runs_through_a_phone(
    live_server, browser_page, personas, tmp_path
) -> None:
    alert_chain_ensure()
    page = browser_page
    base = live_server.url
    # incident 1 and 3 already share a phone; incident 2's recruiter is incident 1's, spelled
    # differently, which nobody has confirmed yet
    _first, (omar, _hassan) = incident_with(
        personas,
        [("Omar", "Bakari", RECRUITER), ("Hassan", "Ali", TRANSPORTER)],
        leads=[(PHONE, "0722 111 222", "", 1)],
    )
    _third, (kazungu,) = incident_with(
        personas, [("Kazungu", "Baya", BUYER)], leads=[(PHONE, "+254722111222", "", 0)]
    )
    _second, (omari, fatuma) = incident_with(
        personas, [("Omari", "Bakar", RECRUITER), ("Fatuma", "Said", PersonRole.PIMP)]
    )
    run_worker()
    a, b = sorted((omar.person, omari.person), key=lambda person: person.pk)
    run = MatchRun.objects.create(kind=RunKind.NEW, started_at=timezone.now())
    candidate = MatchCandidate.objects.create(
        person_a=a, person_b=b, probability=0.93, pattern=0, run=run
    )
    browser_sign_in(page, base, personas.investigator)

    # before: Fatuma's network holds only her incident
    page.goto(f"{base}/intel/network/{node_of(fatuma.person_id)}/")
    members = page.inner_text("#members")
    assert "Fatuma Said" in members and "Kazungu Baya" not in members

    # the investigator confirms the match on the matching page
    page.goto(f"{base}/matching/{candidate.pk}/")
    page.click("text=One person: merge")
    page.wait_for_selector("#decision")
    assert "Merged" in page.inner_text("#decision")
    run_worker()  # the worker re-keys both records' links within a minute

    # after: one network, and the path from Fatuma to Kazungu runs through the phone
    page.goto(f"{base}/intel/network/{node_of(fatuma.person_id)}/")
    members = page.inner_text("#members")
    for name in ("Fatuma Said", "Hassan Ali", "Kazungu Baya", "0722 111 222"):
        assert name in members
    page.select_option("#id_to", label="Kazungu Baya")
    page.click("#network-query button[type=submit]")
    page.wait_for_selector("#path")
    steps = page.inner_text("#path")
    order = [
        steps.index(name) for name in ("Fatuma Said", "Hassan Ali", "0722 111 222", "Kazungu Baya")
    ]
    assert order == sorted(order)
    assert page.locator("svg.network line.on-path").count() == 4
    assert page.locator("svg.network g.on-path").count() == 5
    page.screenshot(path=tmp_path / "path-phone.png", full_page=True)

    # at desk width the picture sits beside the table; on a phone the table comes first
    page.set_viewport_size({"width": 1280, "height": 900})
    picture = page.locator("svg.network").bounding_box()
    table = page.locator("#members").bounding_box()
    assert picture is not None and table is not None
    assert table["x"] > picture["x"] + picture["width"] - 5
    page.screenshot(path=tmp_path / "path-desk.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    picture = page.locator("svg.network").bounding_box()
    table = page.locator("#members").bounding_box()
    assert picture is not None and table is not None
    assert table["y"] < picture["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1

    # in Kiswahili
    page.context.add_cookies([{"name": "django_language", "value": "sw", "url": base}])
    page.goto(f"{base}/intel/network/{node_of(fatuma.person_id)}/")
    assert "Mtandao" in page.inner_text("h1")
    page.screenshot(path=tmp_path / "sw.png", full_page=True)
