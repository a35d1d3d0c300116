"""Each persona's access to each section of a case, through the pages and the selectors."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from kinga.access.services import break_glass_open
from kinga.cases import selectors, services
from kinga.cases.models import CounsellingSession, Note
from kinga.cases.tests.conftest import open_case

TODAY = timezone.localdate()


@pytest.fixture
def full_case(personas, case):  # type: ignore[no-untyped-def]
    p = personas
    services.note_add(case=case, actor=p.caseworker, sensitivity="general", text="GENERAL-NOTE")
    services.note_add(case=case, actor=p.counsellor, sensitivity="care", text="CARE-NOTE")
    services.note_add(case=case, actor=p.investigator, sensitivity="justice", text="JUSTICE-NOTE")
    services.session_record(
        case=case,
        actor=p.counsellor,
        held_on=TODAY,
        session_type="trauma_focused",
        attendance="attended",
        notes="SESSION-NOTES",
    )
    services.consent_record(
        case=case,
        actor=p.caseworker,
        purpose="referral",
        recipient_agency=p.shelter,
        given_by="guardian",
        explained="Explained to the grandmother in Kiswahili.",
    )
    return case


def page_text(client_for, user, case) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    response = client_for(user).get(f"/cases/{case.pk}/")
    return response.status_code, response.content.decode()


def test_caseworker_on_the_case_sees_every_section(personas, full_case, client_for) -> None:
    status, body = page_text(client_for, personas.caseworker, full_case)
    assert status == 200
    for marker in ("GENERAL-NOTE", "CARE-NOTE", "JUSTICE-NOTE", "Mwanaisha", "Trauma-focused"):
        assert marker in body, marker


def test_counsellor_sees_care_notes_of_their_cases_only(personas, full_case, client_for) -> None:
    status, body = page_text(client_for, personas.counsellor, full_case)
    assert status == 200
    assert "CARE-NOTE" in body and "GENERAL-NOTE" in body
    assert "JUSTICE-NOTE" not in body
    other = open_case(personas, given_name="Saida")
    services.note_add(case=other, actor=personas.caseworker, sensitivity="care", text="OTHER-CARE")
    status, body = page_text(client_for, personas.counsellor, other)
    assert status == 404 and "OTHER-CARE" not in body


def test_investigator_never_sees_counselling(personas, full_case, client_for) -> None:
    status, body = page_text(client_for, personas.investigator, full_case)
    assert status == 200
    assert "JUSTICE-NOTE" in body and "GENERAL-NOTE" in body
    for marker in ("CARE-NOTE", "Trauma-focused", "SESSION-NOTES", "Case plan", "Wellbeing"):
        assert marker not in body, marker
    session = CounsellingSession.objects.get(case=full_case)
    with pytest.raises(Http404):
        selectors.record_get(
            viewer=personas.investigator,
            model=CounsellingSession,
            record_id=session.pk,
            case=full_case,
            action="view",
        )
    care_note = Note.objects.get(case=full_case, sensitivity="care")
    with pytest.raises(Http404):
        selectors.record_get(
            viewer=personas.investigator,
            model=Note,
            record_id=care_note.pk,
            case=full_case,
            action="view",
        )


def test_supervisor_of_an_agency_on_the_team_oversees_but_does_not_write_care(
    personas, full_case, client_for
) -> None:
    status, body = page_text(client_for, personas.supervisor, full_case)
    assert status == 200 and "CARE-NOTE" in body and "Who has seen this" in body
    client = client_for(personas.supervisor)
    assert client.get(f"/cases/{full_case.pk}/add/session/").status_code == 404
    assert client.get(f"/cases/{full_case.pk}/add/risk/").status_code == 200


@pytest.mark.parametrize(
    "persona",
    [
        "caseworker_other",
        "prosecutor",
        "service_provider",
        "helpline",
        "analyst",
        "trainer",
        "admin",
        "children_officer",
    ],
)
def test_outsiders_see_nothing(personas, full_case, client_for, persona) -> None:
    user = getattr(personas, persona)
    status, body = page_text(client_for, user, full_case)
    assert status == 404
    for marker in ("GENERAL-NOTE", "CARE-NOTE", "JUSTICE-NOTE", full_case.code):
        assert marker not in body
    assert list(selectors.case_list(viewer=user)) == []


def test_break_glass_opens_the_summary_but_never_care_or_justice(
    personas, full_case, client_for
) -> None:
    """Issue 11 hole 4: break-glass opened police notes; it now opens what protects the
    child now (summary, identity) and never justice or care."""
    user = personas.caseworker_other
    break_glass_open(
        user=user,
        matter=full_case.access_matter(),
        reason="Child seen at the Likoni ferry tonight; need the risk level.",
    )
    status, body = page_text(client_for, user, full_case)
    assert status == 200
    assert "GENERAL-NOTE" in body and "Mwanaisha" in body
    assert "JUSTICE-NOTE" not in body
    assert "CARE-NOTE" not in body and "SESSION-NOTES" not in body
    status, body = page_text(client_for, personas.caseworker, full_case)
    assert "Break-glass access is open on this case" in body


def test_print_view_hides_identity_unless_it_may_be_exported(
    personas, full_case, client_for
) -> None:
    body = client_for(personas.caseworker).get(f"/cases/{full_case.pk}/print/").content.decode()
    assert "Mwanaisha" in body
    body = client_for(personas.counsellor).get(f"/cases/{full_case.pk}/print/").content.decode()
    assert "Mwanaisha" not in body and "CARE-NOTE" in body
    body = client_for(personas.investigator).get(f"/cases/{full_case.pk}/?print=1").content.decode()
    assert "Mwanaisha" not in body and "CARE-NOTE" not in body


def test_denied_attempts_are_audited(personas, full_case, client_for) -> None:
    from kinga.audit.models import AuditEvent

    client_for(personas.analyst).get(f"/cases/{full_case.pk}/")
    assert AuditEvent.objects.filter(
        action="denied", actor=personas.analyst, record_type="cases.case"
    ).exists()


def test_views_are_audited(personas, full_case, client_for) -> None:
    from kinga.audit.models import AuditEvent

    client_for(personas.counsellor).get(f"/cases/{full_case.pk}/")
    event = AuditEvent.objects.filter(action="view", actor=personas.counsellor).latest("seq")
    assert event.matter_id == full_case.pk and "care" in event.detail["sections"]


def test_referral_recipient_agency_sees_no_case_page(personas, full_case, client_for) -> None:
    from kinga.access.models import Relation
    from kinga.access.services import access_grant

    access_grant(
        matter=full_case.access_matter(),
        relation=Relation.REFERRAL_RECIPIENT,
        actor=personas.caseworker,
        agency=personas.shelter,
        source_type="referrals.referral",
        source_id=1,
    )
    # the shelter reads its referral (referral section) elsewhere, never the case summary
    status, _body = page_text(client_for, personas.service_provider, full_case)
    assert status == 404
    _ = datetime


def test_note_form_offers_only_the_sections_the_writer_may_add_to(
    personas, full_case, client_for
) -> None:
    body = client_for(personas.counsellor).get(f"/cases/{full_case.pk}/add/note/").content
    assert b'value="care"' in body and b'value="justice"' not in body
    assert b'value="general"' not in body
    body = client_for(personas.investigator).get(f"/cases/{full_case.pk}/add/note/").content
    assert b'value="justice"' in body and b'value="care"' not in body
