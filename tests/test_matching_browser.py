"""Issue 15 in Chromium: an investigator merges two records of a suspect and undoes it, on a
phone in English and on a desk in Kiswahili; a caseworker opening a case is shown the child
already known from a helpline call, with why; another agency's caseworker finds nothing."""

from __future__ import annotations

import datetime

import pytest

from conftest import browser_sign_in
from kinga.access.models import AccessGrant, Relation
from kinga.access.policy import Matter
from kinga.matching.models import CandidateStatus, PersonMerge
from kinga.matching.tests.conftest import suspect_pair
from kinga.people.services import person_create, person_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("width", "height", "language", "merge_label", "undo_label", "merged_text"),
    [
        (390, 844, "en", "One person: merge", "Undo the merge", "Merged: these records"),
        (390, 844, "sw", "Mtu mmoja: unganisha", "Tendua muunganisho", "Zimeunganishwa"),
        (1280, 800, "en", "One person: merge", "Undo the merge", "Merged: these records"),
        (1280, 800, "sw", "Mtu mmoja: unganisha", "Tendua muunganisho", "Zimeunganishwa"),
    ],
)
def test_an_investigator_merges_two_records_of_a_suspect_then_unmerges_them(
    live_server,
    browser_page,
    personas,
    width,
    height,
    language,
    merge_label,
    undo_label,
    merged_text,
) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    pair = suspect_pair(personas.investigator)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    browser_sign_in(page, base, personas.investigator)
    page.goto(f"{base}/")
    page.click(".main-nav a[href='/matching/']")
    queue = page.inner_text("main")
    assert "Omar" not in queue  # the queue names no one
    page.click(f"a[href='/matching/{pair.candidate.pk}/']")
    main = page.inner_text("main")
    assert "Omar Bakari" in main and "Omari Bakar" in main
    assert page.locator("#why tr.agrees").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click(f"button:has-text('{merge_label}')")
    page.wait_for_selector(f"text={merged_text}")
    merge = PersonMerge.objects.get(candidate=pair.candidate)
    assert merge.undone_at is None
    page.click(f"button:has-text('{undo_label}')")
    page.wait_for_selector(f"button:has-text('{merge_label}')")
    merge.refresh_from_db()
    assert merge.undone_at is not None
    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidateStatus.OPEN


def test_a_caseworker_opening_a_case_is_shown_the_child_known_from_a_helpline_call(
    live_server, browser_page, personas
) -> None:
    page = browser_page
    base = live_server.url
    report = Matter(type="report", id=88)
    child = person_create(
        actor=personas.helpline,
        kind="child",
        given_name="Mwanaisha",
        family_name="binti Said",
        sex="female",
        date_of_birth=datetime.date(2012, 7, 2),
        matter=report,
    )
    person_link(person=child, matter=report, role="child", actor=personas.helpline)
    AccessGrant.objects.create(
        matter_type="report", matter_id=88, relation=Relation.TRIAGE_AREA, agency=personas.ngo
    )
    browser_sign_in(page, base, personas.caseworker)
    page.goto(f"{base}/cases/new/")
    page.fill("#id_q", "Mwanaesha Saidi")
    page.click("form[method=get] button[type=submit]")
    matches = page.locator(".likely-matches li").first
    text = matches.inner_text()
    assert "Mwanaisha binti Said" in text
    assert "Why:" in text and "given name" in text


def test_another_agencys_caseworker_finds_neither_the_pair_nor_the_child(
    live_server, browser_page, personas
) -> None:
    page = browser_page
    base = live_server.url
    pair = suspect_pair(personas.investigator)
    browser_sign_in(page, base, personas.caseworker_other)
    response = page.goto(f"{base}/matching/{pair.candidate.pk}/")
    assert response is not None and response.status == 404
    page.goto(f"{base}/matching/")
    assert "No pair is waiting here." in page.inner_text("main")
