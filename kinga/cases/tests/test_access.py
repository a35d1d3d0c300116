"""Each persona's access to each section of a case, through the pages and the selectors."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404
from django.urls import reverse
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
    """Guards issue 11 hole 9: a print is an export. The counsellor and the investigator
    may view the case but export none of its summary: their print is refused (it used to
    print care notes for the counsellor, who may not export them)."""
    body = client_for(personas.caseworker).get(f"/cases/{full_case.pk}/print/").content.decode()
    assert "Mwanaisha" in body
    response = client_for(personas.counsellor).get(f"/cases/{full_case.pk}/print/")
    assert response.status_code == 404 and b"CARE-NOTE" not in response.content
    response = client_for(personas.investigator).get(f"/cases/{full_case.pk}/?print=1")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Mwanaisha" not in body and "CARE-NOTE" not in body and "JUSTICE-NOTE" not in body


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


# --- issue 11 holes 8 and 9: denials and reads ----------------------------------------------------


def _unused_code(case) -> str:  # type: ignore[no-untyped-def]
    """Return a code shaped like the case's that no case has (codes are sequential)."""
    from kinga.cases.models import Case

    head, _sep, tail = case.code.rpartition("-")
    number = int(tail) if tail.isdigit() else 0
    while True:
        number += 1
        code = f"{head}-{number:0{len(tail)}d}" if head else f"{number}"
        if not Case.objects.filter(code=code).exists():
            return code


@pytest.mark.parametrize("persona", ["prosecutor", "service_provider", "counsellor_other"])
def test_a_code_out_of_reach_answers_exactly_like_a_code_that_does_not_exist(
    personas, full_case, client_for, persona
) -> None:
    """Guards issue 11 hole 8: looking up another agency's case code answered "exists but
    you are not on its team", an enumeration oracle over sequential codes. For a user who
    may not break glass, a real code out of reach and an unused code get the same bytes."""
    from conftest import make_user

    if persona == "counsellor_other":
        user = make_user("tumaini_counsellor", personas.other_ngo, "counsellor")
    else:
        user = getattr(personas, persona)
    client = client_for(user)
    real = client.get("/cases/", {"q": full_case.code})
    missing = client.get("/cases/", {"q": _unused_code(full_case)})
    assert real.status_code == missing.status_code == 404
    assert real.content == missing.content
    assert full_case.code.encode() not in real.content
    assert b"not on its team" not in real.content


def test_a_code_lookup_from_the_referral_page_says_the_same_for_both(
    personas, full_case, client_for
) -> None:
    """Guards issue 11 hole 8: the referral page's case-code box is the same oracle."""
    client = client_for(personas.caseworker_other)
    real = client.get(reverse("referrals:refer_start"), {"case_code": full_case.code}, follow=True)
    missing = client.get(
        reverse("referrals:refer_start"), {"case_code": _unused_code(full_case)}, follow=True
    )
    assert real.redirect_chain == missing.redirect_chain
    assert real.status_code == missing.status_code
    assert [str(m) for m in real.context["messages"]] == [
        str(m) for m in missing.context["messages"]
    ]


def test_a_user_who_may_break_glass_is_offered_it_on_a_real_code(
    personas, full_case, client_for
) -> None:
    """A caseworker of another agency may break glass: the page may offer it."""
    response = client_for(personas.caseworker_other).get("/cases/", {"q": full_case.code})
    assert response.status_code == 200
    assert f"/access/break-glass/case/{full_case.pk}/" in response.content.decode()
    assert b"not on its team" not in response.content
    missing = client_for(personas.caseworker_other).get("/cases/", {"q": _unused_code(full_case)})
    assert missing.status_code == 404


def test_every_denial_lands_on_the_trail_of_the_record(personas, full_case, client_for) -> None:
    """Guards issue 11 hole 8: denials found by code or search were audited without the
    record's matter, so the supervisor's "who has seen this" trail never showed them."""
    from kinga.audit.models import AuditEvent

    client_for(personas.prosecutor).get("/cases/", {"q": full_case.code})
    client_for(personas.analyst).get(f"/cases/{full_case.pk}/")
    client_for(personas.caseworker_other).get(f"/cases/{full_case.pk}/print/")
    client_for(personas.investigator).get(f"/cases/{full_case.pk}/add/no-such-form/")
    denied = AuditEvent.objects.filter(action="denied", matter_type="case", matter_id=full_case.pk)
    actors = set(denied.values_list("actor__username", flat=True))
    assert {
        personas.prosecutor.username,
        personas.analyst.username,
        personas.caseworker_other.username,
        personas.investigator.username,
    } <= actors
    trail = client_for(personas.supervisor).get(f"/access/trail/case/{full_case.pk}/")
    assert trail.status_code == 200
    body = trail.content.decode()
    for user in (personas.prosecutor, personas.analyst, personas.caseworker_other):
        assert user.username in body, user.username


def test_a_code_that_does_not_exist_is_audited_as_a_denial_too(personas, db, client_for) -> None:
    """Guards issue 11 hole 8: the refusal is audited whether or not the record exists."""
    from kinga.audit.models import AuditEvent

    client_for(personas.prosecutor).get("/cases/", {"q": "KNG-NOPE-999"})
    assert AuditEvent.objects.filter(
        action="denied", actor=personas.prosecutor, record_type="cases.case", matter_type=""
    ).exists()


@pytest.mark.parametrize(
    "persona", ["caseworker_other", "prosecutor", "service_provider", "helpline", "analyst"]
)
def test_no_case_page_answers_403(personas, full_case, client_for, persona) -> None:
    """Guards issue 11 hole 8: every refusal on a case is the 404 of a missing record."""
    from kinga.cases.models import Promise

    client = client_for(getattr(personas, persona))
    pk = full_case.pk
    for url in (
        f"/cases/{pk}/",
        f"/cases/{pk}/print/",
        f"/cases/{pk}/add/note/",
        f"/cases/{pk}/add/promise/",
        f"/cases/{pk}/add/unknown/",
    ):
        assert client.get(url).status_code == 404, url
    for step in ("task_done", "plan_approve", "unknown"):
        assert client.post(f"/cases/{pk}/act/{step}/", {"record": "1"}).status_code == 404
    _ = Promise


def test_a_step_a_service_refuses_is_audited_on_the_case(personas, full_case, client_for) -> None:
    """Guards issue 11 hole 8: a step refused by a service (a caseworker approving a plan)
    was shown as a message and left no trace; it is audited as a denial on the case."""
    from kinga.audit.models import AuditEvent
    from kinga.cases.models import CasePlan

    services.plan_item_add(
        case=full_case,
        actor=personas.caseworker,
        kind="goal",
        need="safety",
        description="Safe place to sleep",
        due_on=TODAY + datetime.timedelta(days=7),
    )
    plan = CasePlan.objects.get(case=full_case)
    services.plan_submit(plan=plan, actor=personas.caseworker)
    response = client_for(personas.caseworker).post(
        f"/cases/{full_case.pk}/act/plan_approve/", {"record": plan.pk}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="denied",
        actor=personas.caseworker,
        matter_type="case",
        matter_id=full_case.pk,
        detail__wanted="plan_approve",
    ).exists()


def test_print_is_an_export_and_omits_what_the_viewer_may_not_export(
    personas, full_case, client_for
) -> None:
    """Guards issue 11 hole 9: printing was recorded as a view, and printed every section
    the viewer could see. The supervisor of the caseworker's agency may view care notes
    but not export them: the print leaves them out, and the audit says export."""
    from kinga.audit.models import AuditEvent

    start = AuditEvent.objects.count()
    response = client_for(personas.supervisor).get(f"/cases/{full_case.pk}/print/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "GENERAL-NOTE" in body and "Mwanaisha" in body
    assert "CARE-NOTE" not in body and "SESSION-NOTES" not in body
    events = AuditEvent.objects.filter(seq__gt=start, actor=personas.supervisor)
    assert events.filter(action="export", matter_id=full_case.pk).count() == 1
    assert not events.filter(action="view", record_type="cases.case").exists()
    exported = events.get(action="export").detail["sections"]
    assert "care" not in exported and "summary" in exported
    # the screen still shows care notes to the same supervisor: viewing is not exporting
    screen = client_for(personas.supervisor).get(f"/cases/{full_case.pk}/").content.decode()
    assert "CARE-NOTE" in screen


# --- issue 13: the source report through the case, the child's profile, referrals ------------

# persona -> (reads the source report through the case, sees its words, edits the child)
THROUGH_CASE_MATRIX = {
    "caseworker": (True, True, True),
    "supervisor": (True, True, False),  # oversees through the caseworker: identity lve
    "counsellor": (True, True, False),
    "investigator": (True, True, False),
    "caseworker_other": (False, False, False),
    "prosecutor": (False, False, False),
    "service_provider": (False, False, False),
    "helpline": (False, False, False),
    "analyst": (False, False, False),
    "trainer": (False, False, False),
    "admin": (False, False, False),
    "children_officer": (False, False, False),
}
REPORT_WORDS = "REPORT-WORDS a girl taken to Mtwapa at night"


@pytest.fixture
def case_from_report(personas):  # type: ignore[no-untyped-def]
    from kinga.intake.models import Decision
    from kinga.intake.services import report_decide
    from kinga.intake.tests.test_web_and_triage import make_report

    report = make_report(narrative=REPORT_WORDS)
    report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.OPEN_CASE,
        reason="A child needs a case opened now",
    )
    from kinga.cases.models import Case

    case = Case.objects.get(source_report_id=report.pk)
    for user, role in (
        (personas.counsellor, "counsellor"),
        (personas.investigator, "investigator"),
    ):
        services.case_team_add(case=case, user=user, role_on_case=role, actor=personas.caseworker)
    return case, report


@pytest.mark.parametrize("persona", sorted(THROUGH_CASE_MATRIX))
def test_the_source_report_and_the_child_follow_the_case_policy(
    personas, client_for, case_from_report, persona
) -> None:
    from kinga.audit.models import AuditAction, AuditEvent

    case, report = case_from_report
    reads, words, edits = THROUGH_CASE_MATRIX[persona]
    user = getattr(personas, persona)
    client = client_for(user)
    denied_before = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=user).count()
    page = client.get(f"/intake/triage/{report.pk}/")
    assert page.status_code == (200 if reads else 404)
    assert (REPORT_WORDS in page.content.decode()) is words
    case_page = client.get(f"/cases/{case.pk}/").content.decode()
    assert (REPORT_WORDS in case_page) is words
    assert client.get(f"/cases/{case.pk}/add/child/").status_code == (200 if edits else 404)
    denials = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=user).count()
    expected = (0 if reads else 2) + (0 if edits else 1)
    assert denials - denied_before == expected


def test_the_report_itself_stays_closed_to_the_team(personas, case_from_report) -> None:
    """The policy is not widened: the report's own matter grants nothing to the case team
    once triage ends; they read it only through the case, and the read lands on the case."""
    from kinga.access import policy

    case, report = case_from_report
    for user in (personas.caseworker, personas.counsellor, personas.investigator):
        assert not policy.can(user, "view", report, "summary")
        assert policy.can(user, "view", case, "summary")
