"""Issue 16 (third pass) in Chromium: an investigator asks the path between two suspects and
gets the path alone, step by step with each link's kind and source, on a phone and a desk,
in English and Kiswahili; a path to someone out of reach, typed into the address, is
refused on the form and names no one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import browser_sign_in, make_agency, make_user
from kinga.access.models import AccessGrant
from kinga.accounts.models import AgencyKind, Role
from kinga.intake.tests.conftest import alert_chain_ensure
from kinga.intel.models import Appearance
from kinga.intel.tests.conftest import (
    ACCOUNT,
    BUYER,
    PHONE,
    RECRUITER,
    TRANSPORTER,
    VENUE,
    incident_with,
    run_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def node_of(person_id: int) -> int:
    row = Appearance.objects.filter(person_record=person_id).first()
    assert row is not None
    return row.node_id


def test_the_path_form_answers_with_the_path_on_a_phone_and_a_desk_in_both_languages(
    live_server, browser_page, personas, tmp_path
) -> None:
    alert_chain_ensure()
    page = browser_page
    base = live_server.url
    first, (hamisi, klaus) = incident_with(
        personas,
        [("Hamisi", "Mwakio", RECRUITER), ("Klaus", "Berger", BUYER)],
        leads=[(PHONE, "0722 000 111", "", 0), (VENUE, "Tropicana Bar", "", None)],
    )
    second, (juma,) = incident_with(
        personas,
        [("Juma", "Kombo", TRANSPORTER)],
        leads=[(PHONE, "+254722000111", "", 0), (ACCOUNT, "@juma_safari", "tiktok", 0)],
    )
    kilifi = make_agency("Kilifi AHTCPU", AgencyKind.POLICE_UNIT, "Kilifi")
    stranger = make_user("kahindi_investigator", kilifi, Role.INVESTIGATOR)
    hidden, (kahindi,) = incident_with(personas, [("Kahindi", "Ngala", RECRUITER)])
    AccessGrant.objects.filter(matter_type="incident", matter_id=hidden.pk).delete()
    AccessGrant.objects.create(
        matter_type="incident", matter_id=hidden.pk, relation="team_member", user=stranger
    )
    run_worker()
    browser_sign_in(page, base, personas.investigator)

    # on a phone: the network page, the path form, the answer
    page.set_viewport_size({"width": 390, "height": 844})
    network = f"{base}{reverse('intel:network', args=[node_of(klaus.person_id)])}"
    page.goto(network)
    page.select_option("#id_to", label="Juma Kombo")
    page.click("#network-query button[type=submit]")
    page.wait_for_selector("#path")
    assert "The path from Klaus Berger to Juma Kombo" in page.inner_text("h1")
    steps = page.inner_text("#path")
    order = [
        steps.index(name)
        for name in ("Klaus Berger", "Hamisi Mwakio", "0722 000 111", "Juma Kombo")
    ]
    assert order == sorted(order)
    assert "In the same incident" in steps and "Uses" in steps
    assert first.code in steps and second.code in steps
    body = page.inner_text("body")
    for off_path in ("Tropicana Bar", "juma_safari", "Kahindi"):
        assert off_path not in body
    assert page.locator("svg.network line.on-path").count() == 3
    assert page.locator("svg.network g.on-path").count() == 4
    assert page.locator("#members tbody tr").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    table = page.locator("#members").bounding_box()
    picture = page.locator("svg.network").bounding_box()
    assert table is not None and picture is not None and table["y"] < picture["y"]
    page.screenshot(path=tmp_path / "path-answer-phone.png", full_page=True)

    # at a desk the picture sits beside the table
    page.set_viewport_size({"width": 1280, "height": 900})
    table = page.locator("#members").bounding_box()
    picture = page.locator("svg.network").bounding_box()
    assert table is not None and picture is not None
    assert table["x"] > picture["x"] + picture["width"] - 5
    page.screenshot(path=tmp_path / "path-answer-desk.png", full_page=True)

    # the way back leads to the network, where another path can be asked
    page.click("main >> text=Back to the network of Klaus Berger")
    page.wait_for_selector("#network-query")
    assert "Tropicana Bar" in page.inner_text("#members")

    # in Kiswahili, on a phone
    page.context.add_cookies([{"name": "django_language", "value": "sw", "url": base}])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(network)
    page.select_option("#id_to", label="Juma Kombo")
    page.click("#network-query button[type=submit]")
    page.wait_for_selector("#path")
    assert "Njia kutoka Klaus Berger hadi Juma Kombo" in page.inner_text("h1")
    assert "Hatua" in page.inner_text("#members")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    page.screenshot(path=tmp_path / "path-answer-sw-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=tmp_path / "path-answer-sw-desk.png", full_page=True)

    # an attacker edits the address: a path to another unit's suspect is refused, the date
    # typed beside it is kept, and no one of theirs is named
    page.goto(f"{network}?to={node_of(kahindi.person_id)}&since=2026-01-01")
    assert page.locator("#path").count() == 0
    assert page.locator(".errorlist").count() == 1
    assert "Kahindi" not in page.inner_text("body")
    assert page.input_value("#id_since") == "2026-01-01"
    page.screenshot(path=tmp_path / "path-refused-sw.png", full_page=True)
    assert hamisi.person_id and juma.person_id
