from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from kinga.access.models import AccessGrant, Relation
from kinga.access.policy import Matter
from kinga.audit.models import AuditAction, AuditEvent
from kinga.people.selectors import person_likely_matches
from kinga.people.services import person_create, person_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_child(personas):  # type: ignore[no-untyped-def]
    """A child a helpline call recorded; the caseworker's agency triages the report."""
    report = Matter(type="report", id=77)
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
        matter_type="report", matter_id=77, relation=Relation.TRIAGE_AREA, agency=personas.ngo
    )
    other = person_create(
        actor=personas.helpline, kind="child", given_name="Mwanaisha", family_name="Kombo"
    )
    person_link(person=other, matter=report, role="child", actor=personas.helpline)
    return child


def test_the_child_known_from_a_helpline_call_comes_first_with_why(personas, known_child) -> None:
    matches = person_likely_matches(viewer=personas.caseworker, text="Mwanaesha Saidi")
    assert matches[0].person == known_child
    reasons = {reason.field: reason.level for reason in matches[0].reasons}
    assert reasons["given_name"] in ("same", "close")
    assert reasons["family_name"] in ("same", "close")  # binti Said read as her father's name
    assert matches[0].probability > matches[1].probability
    assert AuditEvent.objects.filter(action=AuditAction.SEARCH, actor=personas.caseworker).exists()


def test_nobody_out_of_reach_is_compared_or_shown(personas, known_child) -> None:
    assert person_likely_matches(viewer=personas.caseworker_other, text="Mwanaisha Said") == []
    assert person_likely_matches(viewer=personas.admin, text="Mwanaisha Said") == []


def test_opening_a_case_shows_the_known_child_and_why(personas, client_for, known_child) -> None:
    response = client_for(personas.caseworker).get(reverse("cases:new"), {"q": "Mwanaesha Saidi"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mwanaisha binti Said" in page
    assert "Why:" in page
    assert "given name" in page
    outsider = client_for(personas.caseworker_other).get(
        reverse("cases:new"), {"q": "Mwanaisha Said"}
    )
    shown = outsider.content.decode().split("Possible matches")[1].split("</section>")[0]
    assert "Nobody you may see matches." in shown
    assert "binti" not in shown
