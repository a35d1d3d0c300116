"""Every step of a case's life and its approvals, through the services."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from kinga.access.models import AccessGrant, Relation
from kinga.access.policy import can
from kinga.audit.models import AuditEvent
from kinga.cases import services
from kinga.cases.models import (
    ApprovalState,
    Case,
    CaseEvent,
    CaseStatus,
    ConsentBasis,
    ConsentGivenBy,
    ConsentPurpose,
    InterviewState,
    PlanState,
    PromiseState,
    RiskLevel,
    RoleOnCase,
)
from kinga.cases.tests.conftest import open_case
from kinga.notifications.models import Notification
from kinga.people.models import PersonLink
from kinga.places.models import County

TODAY = timezone.localdate()
LATER = TODAY + datetime.timedelta(days=14)


def test_opening_gives_a_county_year_number_code_and_team_grants(personas) -> None:
    first = open_case(personas)
    second = open_case(personas, given_name="Rehema")
    year = TODAY.year
    assert first.code == f"MSA-{year}-00001"
    assert second.code == f"MSA-{year}-00002"
    grants = AccessGrant.objects.live().filter(matter_type="case", matter_id=first.pk)
    assert grants.filter(relation=Relation.TEAM_MEMBER, user=personas.caseworker).exists()
    assert grants.filter(relation=Relation.AGENCY_ON_TEAM, agency=personas.ngo).exists()
    assert PersonLink.objects.filter(person=first.child, matter_type="case", role="child").exists()
    assert AuditEvent.objects.filter(record_type="cases.case", record_id=str(first.pk)).exists()


def test_numbers_restart_per_county(personas) -> None:
    from kinga.people.services import person_create

    child = person_create(actor=personas.caseworker, kind="child", given_name="Zawadi")
    case = services.case_open(
        child=child, county=County.objects.get(name="Kwale"), actor=personas.caseworker
    )
    assert case.code == f"KWL-{timezone.localdate().year}-00001"  # Kwale's first this year


@pytest.mark.django_db(transaction=True)
def test_concurrent_openings_get_distinct_numbers(personas) -> None:
    from django.db import connection

    from kinga.people.services import person_create

    children = [
        person_create(actor=personas.caseworker, kind="child", given_name=f"Child{i}")
        for i in range(4)
    ]
    county = County.objects.get(name="Mombasa")
    errors: list[Exception] = []

    def work(child) -> None:  # type: ignore[no-untyped-def]
        try:
            services.case_open(child=child, county=county, actor=personas.caseworker)
        except Exception as error:  # the test reports any failure
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(child,)) for child in children]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4]


def test_one_open_case_per_child(personas) -> None:
    case = open_case(personas)
    with pytest.raises(ValidationError):
        services.case_open(child=case.child, county=case.county, actor=personas.caseworker)


def test_only_caseworkers_and_supervisors_open_cases(personas) -> None:
    from kinga.people.services import person_create

    child = person_create(actor=personas.caseworker, kind="child", given_name="Fatuma")
    with pytest.raises(PermissionDenied):
        services.case_open(
            child=child, county=County.objects.get(name="Mombasa"), actor=personas.counsellor
        )


def test_team_change_grants_and_revokes_access(personas, case) -> None:
    member = services.case_team_add(
        case=case,
        user=personas.children_officer,
        role_on_case=RoleOnCase.CHILDRENS_OFFICER,
        actor=personas.caseworker,
    )
    assert can(personas.children_officer, "view", case, "summary")
    assert (
        AccessGrant.objects.live()
        .filter(
            matter_id=case.pk, relation=Relation.AGENCY_ON_TEAM, agency=personas.childrens_services
        )
        .exists()
    )
    services.case_team_remove(member=member, actor=personas.caseworker)
    assert not can(personas.children_officer, "view", case, "summary")
    assert (
        not AccessGrant.objects.live()
        .filter(
            matter_id=case.pk, relation=Relation.AGENCY_ON_TEAM, agency=personas.childrens_services
        )
        .exists()
    )


def test_owner_leaves_only_through_transfer(personas, case) -> None:
    owner = case.team.get(user=personas.caseworker)
    with pytest.raises(ValidationError):
        services.case_team_remove(member=owner, actor=personas.caseworker)


def test_case_opened_from_a_report(personas) -> None:
    from kinga.intake.services import ReportInput, report_log_call

    county = County.objects.get(name="Mombasa")
    report, _code = report_log_call(
        operator=personas.helpline,
        data=ReportInput(
            categories=["sexual_exploitation"],
            narrative="A girl of about 15 is taken to a guest house in Bamburi at night.",
            county_id=county.pk,
            age_bands=["15-17"],
            danger_now="yes",
        ),
    )
    case = services.case_open_from_report(
        report=report,
        actor=personas.caseworker,
        reason="Triaged: exploitation reported by helpline",
    )
    assert case.source_report_id == report.pk
    assert case.risk_level == RiskLevel.HIGH
    assert case.child.age_estimate == 16
    assert case.events.filter(kind=CaseEvent.Kind.REPORT).exists()


# --- consent ----------------------------------------------------------------------------


def _consent(personas, case, **extra):  # type: ignore[no-untyped-def]
    fields = {
        "purpose": ConsentPurpose.REFERRAL,
        "recipient_agency": personas.shelter,
        "given_by": ConsentGivenBy.PARENT,
        "explained": "Explained in Kiswahili what the shelter will know and why.",
        "given_by_name": "Mama Kahindi",
    }
    fields.update(extra)
    return services.consent_record(case=case, actor=personas.caseworker, **fields)


def test_consent_allows_sharing_for_its_purpose_and_recipient_only(personas, case) -> None:
    consent = _consent(personas, case)
    decision = services.consent_allows(
        case=case, recipient_agency=personas.shelter, purpose=ConsentPurpose.REFERRAL
    )
    assert decision.allowed and decision.consent == consent and decision.reason == "consent"
    assert not services.consent_allows(
        case=case, recipient_agency=personas.hospital, purpose=ConsentPurpose.REFERRAL
    ).allowed
    assert not services.consent_allows(
        case=case, recipient_agency=personas.shelter, purpose=ConsentPurpose.MEDICAL
    ).allowed


def test_consent_withdrawal_stops_future_sharing(personas, case) -> None:
    consent = _consent(personas, case)
    services.consent_withdraw(consent=consent, actor=personas.caseworker, note="The child said no")
    decision = services.consent_allows(
        case=case, recipient_agency=personas.shelter, purpose=ConsentPurpose.REFERRAL
    )
    assert not decision.allowed
    assert decision.reason == "withdrawn"


def test_expired_consent_does_not_allow(personas, case) -> None:
    _consent(
        personas,
        case,
        given_on=TODAY - datetime.timedelta(days=60),
        expires_on=TODAY - datetime.timedelta(days=1),
    )
    decision = services.consent_allows(
        case=case, recipient_agency=personas.shelter, purpose=ConsentPurpose.REFERRAL
    )
    assert (decision.allowed, decision.reason) == (False, "expired")


def test_an_official_gives_a_legal_basis_not_consent(personas, case) -> None:
    with pytest.raises(ValidationError):
        _consent(personas, case, given_by=ConsentGivenBy.CHILDRENS_OFFICER)
    consent = _consent(
        personas,
        case,
        given_by=ConsentGivenBy.CHILDRENS_OFFICER,
        basis=ConsentBasis.BEST_INTERESTS,
    )
    decision = services.consent_allows(
        case=case, recipient_agency=personas.shelter, purpose=ConsentPurpose.REFERRAL
    )
    assert decision.allowed and decision.reason == "legal_basis" and decision.consent == consent


def test_override_needs_the_permission_and_a_reason_and_is_audited(personas, case) -> None:
    reason = "Child in immediate danger; the parent is the suspected trafficker."
    with pytest.raises(PermissionDenied):
        services.consent_override(
            case=case,
            recipient_agency=personas.shelter,
            purpose=ConsentPurpose.REFERRAL,
            actor=personas.caseworker,
            reason=reason,
        )
    with pytest.raises(ValidationError):
        services.consent_override(
            case=case,
            recipient_agency=personas.shelter,
            purpose=ConsentPurpose.REFERRAL,
            actor=personas.supervisor,
            reason="urgent",
        )
    consent = services.consent_override(
        case=case,
        recipient_agency=personas.shelter,
        purpose=ConsentPurpose.REFERRAL,
        actor=personas.supervisor,
        reason=reason,
    )
    decision = services.consent_allows(
        case=case, recipient_agency=personas.shelter, purpose=ConsentPurpose.REFERRAL
    )
    assert decision.allowed and decision.reason == "override"
    event = AuditEvent.objects.filter(record_type="cases.consent").order_by("-seq").first()
    # the written reason is kept on the consent record; the event refers to it (issue 11 hole 5)
    assert consent.explained == reason
    assert event is not None and event.record_id == str(consent.pk)
    assert event.reason == "" and event.detail["override"] is True


def test_supervisor_of_an_agency_not_on_the_team_cannot_override(personas, case) -> None:
    from conftest import make_user

    outsider = make_user("salim_supervisor", personas.other_ngo, "supervisor")
    with pytest.raises(Http404):
        services.consent_override(
            case=case,
            recipient_agency=personas.shelter,
            purpose=ConsentPurpose.REFERRAL,
            actor=outsider,
            reason="Child in immediate danger; the parent is the suspect.",
        )


# --- assessment -------------------------------------------------------------------------


def _assessment(personas, case, **extra):  # type: ignore[no-untyped-def]
    fields = {
        "kind": "screening",
        "trafficking_status": "possible",
        "status_decided_by": "caseworker",
        "palermo_acts": ["recruitment", "harbouring"],
        "palermo_purposes": ["sexual_exploitation"],
        "control_methods": ["false_promises"],
        "exploitation_types": ["travel_and_tourism", "remote_live_streaming"],
        "recruitment_channel": "online",
        "recruitment_apps": ["tiktok", "whatsapp"],
        "age_basis": "apparent",
        "assessed_age": 16,
        "risk_level": "high",
        "needs": ["safety", "shelter", "psychosocial"],
        "child_views": "Wants to go back to school and not to the aunt's house.",
    }
    fields.update(extra)
    return services.assessment_record(case=case, actor=personas.caseworker, **fields)


def test_assessment_sets_the_case_risk_and_child_flag(personas, case) -> None:
    assessment = _assessment(personas, case)
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.HIGH
    assert assessment.is_child


def test_uncertain_age_presumes_a_minor() -> None:
    assert services.child_flag(age_basis="unknown", assessed_age=None, date_of_birth=None)
    assert services.child_flag(age_basis="apparent", assessed_age=19, date_of_birth=None)
    assert not services.child_flag(age_basis="assessed", assessed_age=25, date_of_birth=None)
    today = datetime.date(2026, 6, 1)
    assert not services.child_flag(
        age_basis="documented",
        assessed_age=None,
        date_of_birth=datetime.date(2008, 5, 31),
        today=today,
    )
    assert services.child_flag(
        age_basis="documented",
        assessed_age=None,
        date_of_birth=datetime.date(2008, 6, 2),
        today=today,
    )


def test_investigator_cannot_record_an_assessment(personas, case) -> None:
    with pytest.raises(Http404):
        services.assessment_record(
            case=case,
            actor=personas.investigator,
            kind="screening",
            trafficking_status="possible",
            status_decided_by="police",
            age_basis="unknown",
            risk_level="high",
        )


# --- plan and approvals -----------------------------------------------------------------


def _plan(personas, case):  # type: ignore[no-untyped-def]
    item = services.plan_item_add(
        case=case,
        actor=personas.caseworker,
        kind="goal",
        need="education",
        description="Back in school by next term",
        due_on=LATER,
    )
    return item.plan


def test_plan_is_submitted_then_approved_by_a_supervisor(
    personas, case, django_capture_on_commit_callbacks
) -> None:
    plan = _plan(personas, case)
    with pytest.raises(ValidationError):
        services.plan_approve(plan=plan, actor=personas.supervisor)  # not yet submitted
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_submit(plan=plan, actor=personas.caseworker)
    assert plan.state == PlanState.SUBMITTED
    assert Notification.objects.filter(recipient=personas.supervisor).exists()
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=plan, actor=personas.caseworker)
    services.plan_approve(plan=plan, actor=personas.supervisor, comments="Good plan")
    plan.refresh_from_db()
    assert plan.state == PlanState.APPROVED and plan.decided_by == personas.supervisor


def test_plan_returned_with_comments_then_resubmitted(personas, case) -> None:
    plan = _plan(personas, case)
    services.plan_submit(plan=plan, actor=personas.caseworker)
    with pytest.raises(ValidationError):
        services.plan_return(plan=plan, actor=personas.supervisor, comments="")
    services.plan_return(plan=plan, actor=personas.supervisor, comments="Add a shelter service")
    assert plan.state == PlanState.RETURNED
    services.plan_item_add(
        case=case,
        actor=personas.caseworker,
        kind="service",
        need="shelter",
        description="Place at the rescue home",
        due_on=LATER,
        provider_agency=personas.shelter,
    )
    services.plan_submit(plan=plan, actor=personas.caseworker)
    assert plan.state == PlanState.SUBMITTED


def test_changing_an_approved_plan_starts_a_new_version(personas, case) -> None:
    plan = _plan(personas, case)
    services.plan_submit(plan=plan, actor=personas.caseworker)
    services.plan_approve(plan=plan, actor=personas.supervisor)
    item = services.plan_item_add(
        case=case,
        actor=personas.caseworker,
        kind="goal",
        need="family",
        description="Family visit",
        due_on=LATER,
    )
    assert item.plan.version == 2
    assert item.plan.items.count() == 2


def test_a_submitted_plan_cannot_be_changed(personas, case) -> None:
    plan = _plan(personas, case)
    services.plan_submit(plan=plan, actor=personas.caseworker)
    with pytest.raises(ValidationError):
        _plan(personas, case)


def test_closure_needs_supervisor_approval(personas, case) -> None:
    reason = "Reintegrated with her grandmother, in school, wellbeing good."
    request = services.closure_request(
        case=case, actor=personas.caseworker, closing_status=CaseStatus.CLOSED, reason=reason
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    with pytest.raises(PermissionDenied):
        services.closure_approve(request=request, actor=personas.caseworker)
    services.closure_approve(request=request, actor=personas.supervisor)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None


def test_closure_returned_keeps_the_case_open(personas, case) -> None:
    request = services.closure_request(
        case=case,
        actor=personas.caseworker,
        closing_status=CaseStatus.CLOSED_REFERRED,
        reason="Referred to the county children's office for the long term.",
    )
    services.closure_return(request=request, actor=personas.supervisor, comments="Follow up first")
    case.refresh_from_db()
    assert request.state == ApprovalState.RETURNED and case.status == CaseStatus.ACTIVE


def test_reopening_a_closed_case(personas, case) -> None:
    request = services.closure_request(
        case=case,
        actor=personas.caseworker,
        closing_status=CaseStatus.CLOSED,
        reason="Reintegrated with her grandmother, in school.",
    )
    services.closure_approve(request=request, actor=personas.supervisor)
    with pytest.raises(ValidationError):
        services.case_reopen(case=case, actor=personas.caseworker, reason="short")
    services.case_reopen(
        case=case, actor=personas.caseworker, reason="Seen again at the beach hotel at night."
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE and case.closed_at is None


def test_follow_up_after_closure_is_recorded(personas, case) -> None:
    services.case_follow_up_start(case=case, actor=personas.caseworker)
    assert case.status == CaseStatus.FOLLOW_UP
    request = services.closure_request(
        case=case,
        actor=personas.caseworker,
        closing_status=CaseStatus.CLOSED,
        reason="All goals met and the family is stable.",
    )
    services.closure_approve(request=request, actor=personas.supervisor)
    follow_up = services.follow_up_record(
        case=case, actor=personas.caseworker, held_on=TODAY, outcome="well"
    )
    assert follow_up.pk


def test_transfer_requested_then_accepted(personas, case) -> None:
    from conftest import make_user

    receiver = make_user("mwanaidi_supervisor", personas.other_ngo, "supervisor")
    transfer = services.transfer_request(
        case=case,
        actor=personas.caseworker,
        to_agency=personas.other_ngo,
        reason="The family moved to Kilifi; Tumaini works there.",
    )
    # the receiving supervisor may look before accepting
    assert can(receiver, "view", case, "summary")
    with pytest.raises(PermissionDenied):
        services.transfer_accept(
            transfer=transfer, actor=personas.supervisor, caseworker=personas.caseworker_other
        )
    services.transfer_accept(
        transfer=transfer, actor=receiver, caseworker=personas.caseworker_other
    )
    case.refresh_from_db()
    assert case.owning_agency == personas.other_ngo
    assert case.caseworker == personas.caseworker_other
    assert can(personas.caseworker_other, "change", case, "care")
    assert not can(personas.caseworker, "view", case, "summary")


def test_transfer_declined(personas, case) -> None:
    from conftest import make_user

    receiver = make_user("mwanaidi_supervisor", personas.other_ngo, "supervisor")
    transfer = services.transfer_request(
        case=case,
        actor=personas.caseworker,
        to_agency=personas.other_ngo,
        reason="The family moved to Kilifi; Tumaini works there.",
    )
    services.transfer_decline(transfer=transfer, actor=receiver, note="No capacity this month")
    assert not can(receiver, "view", case, "summary")
    case.refresh_from_db()
    assert case.owning_agency == personas.ngo


# --- tasks, promises, reminders ---------------------------------------------------------


def test_tasks_go_to_team_members_and_are_completed(personas, case) -> None:
    with pytest.raises(ValidationError):
        services.task_create(
            case=case,
            actor=personas.caseworker,
            title="Call school",
            assigned_to=personas.caseworker_other,
            due_on=LATER,
        )
    task = services.task_create(
        case=case,
        actor=personas.caseworker,
        title="Book a session",
        assigned_to=personas.counsellor,
        due_on=LATER,
    )
    services.task_complete(task=task, actor=personas.counsellor)
    assert task.done_at is not None


def test_overdue_promises_reach_owner_and_supervisor_once_a_day(personas, case) -> None:
    promise = services.promise_make(
        case=case,
        actor=personas.caseworker,
        kind="return_call",
        description="Call back about the school fees",
        due_on=TODAY - datetime.timedelta(days=2),
    )
    assert services.case_reminders_send(today=TODAY) == 1
    assert Notification.objects.filter(
        recipient=personas.caseworker, kind="promise_overdue"
    ).exists()
    assert Notification.objects.filter(
        recipient=personas.supervisor, kind="promise_overdue"
    ).exists()
    assert services.case_reminders_send(today=TODAY) == 0
    text = Notification.objects.filter(kind="promise_overdue").first().text
    assert case.code in text and "Mwanaisha" not in text
    with pytest.raises(ValidationError):
        services.promise_explain(promise=promise, actor=personas.caseworker, explanation="")
    services.promise_explain(
        promise=promise,
        actor=personas.caseworker,
        explanation="The bursary office closed; told her on the phone and set a new date.",
    )
    assert promise.state == PromiseState.EXPLAINED


def test_promise_kept(personas, case) -> None:
    promise = services.promise_make(
        case=case,
        actor=personas.caseworker,
        kind="referral",
        description="Referral to the GBV clinic",
        due_on=LATER,
    )
    services.promise_keep(promise=promise, actor=personas.caseworker)
    assert promise.state == PromiseState.KEPT


# --- notes, interviews, aftercare -------------------------------------------------------


def test_note_sensitivity_follows_the_policy(personas, case) -> None:
    services.note_add(case=case, actor=personas.counsellor, sensitivity="care", text="Nightmares")
    with pytest.raises(Http404):
        services.note_add(case=case, actor=personas.counsellor, sensitivity="justice", text="x")
    with pytest.raises(Http404):
        services.note_add(case=case, actor=personas.investigator, sensitivity="care", text="x")
    services.note_add(
        case=case, actor=personas.investigator, sensitivity="justice", text="OB 12/03/2026"
    )


def test_interview_recorded_once_and_another_warns(personas, case) -> None:
    services.interview_record(
        case=case,
        actor=personas.investigator,
        held_on=TODAY,
        purpose="Statement",
        present="Investigator, Children's Officer, intermediary",
        place="Child-friendly room, Central police station",
        recording_reference="Exhibit AHTCPU/2026/114, sealed locker 3",
        recording_kept_by=personas.police,
    )
    assert services.interviews_held(case) == 1
    with pytest.raises(services.RepeatInterviewWarning):
        services.interview_plan(
            case=case, actor=personas.investigator, held_on=LATER, purpose="Clarify dates"
        )
    planned = services.interview_plan(
        case=case,
        actor=personas.investigator,
        held_on=LATER,
        purpose="Clarify dates",
        confirm_repeat=True,
        justification="The prosecutor needs the dates of the second guest house.",
    )
    assert planned.state == InterviewState.PLANNED
    services.interview_cancel(interview=planned, actor=personas.investigator)
    assert planned.state == InterviewState.CANCELLED


def test_aftercare_sessions_wellbeing_and_relapse(personas, case) -> None:
    services.session_record(
        case=case,
        actor=personas.counsellor,
        held_on=TODAY,
        session_type="individual",
        attendance="attended",
        notes="Talked about sleep.",
    )
    services.wellbeing_record(
        case=case,
        actor=personas.counsellor,
        measured_on=TODAY - datetime.timedelta(days=1),
        scores=[2, 2, 2, 2, 2, 2],
    )
    services.wellbeing_record(
        case=case, actor=personas.counsellor, measured_on=TODAY, scores=[1, 1, 1, 1, 1, 1]
    )
    assert case.events.filter(kind="wellbeing", summary__contains="setback").exists()
    with pytest.raises(ValidationError):
        services.wellbeing_record(
            case=case, actor=personas.counsellor, measured_on=TODAY, scores=[4, 0, 0, 0, 0, 0]
        )
    services.safety_event_record(
        case=case, actor=personas.caseworker, occurred_on=TODAY, kind="re_exploitation"
    )
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.HIGH
    services.reintegration_record(
        case=case, actor=personas.caseworker, recorded_on=TODAY, domain="school", status="achieved"
    )


def test_transfer_audit_event_holds_none_of_the_typed_reason(personas, case) -> None:
    """Guards issue 11 hole 5: the transfer keeps its reason (encrypted); the audit event
    refers to the transfer and holds none of the words typed."""
    from kinga.audit.tests.raw import assert_no_typed_words, last_seq

    typed = "Grandmother relocated toward Malindi; schooling continues Thursdays"
    before = last_seq()
    transfer = services.transfer_request(
        case=case, actor=personas.caseworker, to_agency=personas.other_ngo, reason=typed
    )
    assert_no_typed_words(typed, since_seq=before)
    event = AuditEvent.objects.get(record_type="cases.casetransfer", record_id=str(transfer.pk))
    assert event.reason == "" and "reason" in event.fields
