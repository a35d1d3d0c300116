"""Demo survivor cases at every stage, with believable histories (synthetic people only).

Each story is played through the services (so grants, audit and timelines are real) and
then its dates are moved back to when the story says things happened. Some survivors
heal steadily; some relapse.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils import timezone

from kinga.accounts.models import Agency, User
from kinga.cases import services
from kinga.cases.models import Case, CaseStatus, InCase, RoleOnCase
from kinga.places.models import County

Step = Callable[[Case, dict[str, User]], Any]


@dataclass
class Story:
    given_name: str
    family_name: str
    sex: str
    age: int
    county: str
    opened_days_ago: int
    owner: str = "caseworker"
    steps: list[tuple[int, Step]] = field(default_factory=list)


def _users() -> dict[str, User]:
    names = [
        "caseworker",
        "caseworker2",
        "childrenofficer",
        "counsellor",
        "supervisor",
        "investigator",
        "prosecutor",
    ]
    return {user.username: user for user in User.objects.filter(username__in=names)}


def _agency(name: str) -> Agency:
    return Agency.objects.get(name=name)


def _day(days_ago: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days_ago)


# --- the steps stories are made of -------------------------------------------------------


def team(username: str, role: str) -> Step:
    return lambda case, u: services.case_team_add(
        case=case, user=u[username], role_on_case=role, actor=u[case.caseworker.username]
    )


def consent(purpose: str, agency: str, given_by: str = "guardian", basis: str = "consent") -> Step:
    return lambda case, u: services.consent_record(
        case=case,
        actor=u[case.caseworker.username],
        purpose=purpose,
        recipient_agency=_agency(agency),
        given_by=given_by,
        basis=basis,
        child_assented=True,
        explained="Explained in Kiswahili, with the child present, what will be shared and why.",
    )


def assessment(kind: str, status: str, risk: str, **extra: Any) -> Step:
    fields = {
        "kind": kind,
        "trafficking_status": status,
        "status_decided_by": "childrens_officer",
        "palermo_acts": ["recruitment", "harbouring"],
        "palermo_purposes": ["sexual_exploitation"],
        "control_methods": ["false_promises", "drugs_alcohol"],
        "exploitation_types": ["travel_and_tourism"],
        "recruitment_channel": "friend",
        "age_basis": "apparent",
        "assessed_age": 15,
        "risk_level": risk,
        "needs": ["safety", "psychosocial", "education", "family"],
        "child_views": "Wants to go back to school and live with her grandmother.",
        "best_interests": "Safe placement near school; family assessment before return.",
    }
    fields.update(extra)
    return lambda case, u: services.assessment_record(
        case=case, actor=u[case.caseworker.username], **fields
    )


def plan(*items: tuple[str, str, str, int]) -> Step:
    def run(case: Case, u: dict[str, User]) -> None:
        for kind, need, text, due_in in items:
            services.plan_item_add(
                case=case,
                actor=u[case.caseworker.username],
                kind=kind,
                need=need,
                description=text,
                due_on=timezone.localdate() + datetime.timedelta(days=due_in),
            )

    return run


def submit(case: Case, u: dict[str, User]) -> None:
    plan_ = services.plan_current(case)
    assert plan_ is not None
    services.plan_submit(plan=plan_, actor=u[case.caseworker.username])


def approve(case: Case, u: dict[str, User]) -> None:
    plan_ = services.plan_current(case)
    assert plan_ is not None
    services.plan_approve(plan=plan_, actor=u["supervisor"], comments="Agreed. Review in 3 months.")


def session(kind: str = "individual", attendance: str = "attended") -> Step:
    return lambda case, u: services.session_record(
        case=case,
        actor=u["counsellor"],
        held_on=timezone.localdate(),
        session_type=kind,
        attendance=attendance,
        notes="Worked on sleep and safety planning; she named two trusted adults.",
    )


def wellbeing(*scores: int) -> Step:
    return lambda case, u: services.wellbeing_record(
        case=case,
        actor=u["counsellor"],
        measured_on=timezone.localdate(),
        scores=list(scores),
        language="sw",
    )


def safety(kind: str, text: str) -> Step:
    return lambda case, u: services.safety_event_record(
        case=case,
        actor=u[case.caseworker.username],
        occurred_on=timezone.localdate(),
        kind=kind,
        description=text,
        action_taken="Moved to the rescue home; police informed.",
    )


def note(sensitivity: str, text: str, who: str = "") -> Step:
    return lambda case, u: services.note_add(
        case=case, actor=u[who or case.caseworker.username], sensitivity=sensitivity, text=text
    )


def interview(case: Case, u: dict[str, User]) -> None:
    services.interview_record(
        case=case,
        actor=u["investigator"],
        held_on=timezone.localdate(),
        purpose="Statement on recruitment and the guest house",
        present="Investigator, Children's Officer, intermediary; the grandmother waited outside",
        place="Child-friendly room, Central police station",
        recording_reference="Exhibit AHTCPU/2026/114 — sealed, evidence store locker 3",
        recording_kept_by=u["investigator"].agency,
    )


def promise(kind: str, text: str, due_in: int) -> Step:
    return lambda case, u: services.promise_make(
        case=case,
        actor=u[case.caseworker.username],
        kind=kind,
        description=text,
        due_on=timezone.localdate() + datetime.timedelta(days=due_in),
    )


def task(text: str, who: str, due_in: int) -> Step:
    return lambda case, u: services.task_create(
        case=case,
        actor=u[case.caseworker.username],
        title=text,
        assigned_to=u[who],
        due_on=timezone.localdate() + datetime.timedelta(days=due_in),
    )


def reintegration(domain: str, status: str) -> Step:
    return lambda case, u: services.reintegration_record(
        case=case,
        actor=u[case.caseworker.username],
        recorded_on=timezone.localdate(),
        domain=domain,
        status=status,
    )


def follow_up_status(case: Case, u: dict[str, User]) -> None:
    services.case_follow_up_start(case=case, actor=u[case.caseworker.username])


def close(status: str = CaseStatus.CLOSED) -> Step:
    def run(case: Case, u: dict[str, User]) -> None:
        request = services.closure_request(
            case=case,
            actor=u[case.caseworker.username],
            closing_status=status,
            reason="Goals met: in school, living with family, wellbeing good for three months.",
        )
        services.closure_approve(request=request, actor=u["supervisor"])

    return run


def ask_to_close(case: Case, u: dict[str, User]) -> None:
    services.closure_request(
        case=case,
        actor=u[case.caseworker.username],
        closing_status=CaseStatus.CLOSED,
        reason="Back in school and at home; two follow-ups went well.",
    )


def reopen(case: Case, u: dict[str, User]) -> None:
    services.case_reopen(
        case=case,
        actor=u[case.caseworker.username],
        reason="Seen again with the same recruiter near the beach hotels.",
    )


def follow_up(outcome: str) -> Step:
    return lambda case, u: services.follow_up_record(
        case=case, actor=u[case.caseworker.username], held_on=timezone.localdate(), outcome=outcome
    )


def transfer(agency: str) -> Step:
    return lambda case, u: services.transfer_request(
        case=case,
        actor=u[case.caseworker.username],
        to_agency=_agency(agency),
        reason="The family moved to Kilifi, where Tumaini runs the nearest programme.",
    )


SHELTER = "Salama Rescue Home"
HOSPITAL = "Coast General Hospital GBV Recovery Centre"
TUMAINI = "Tumaini Girls Initiative"
CO = RoleOnCase.CHILDRENS_OFFICER

STORIES = [
    Story(
        "Mwanaisha",
        "Kahindi",
        "female",
        15,
        "Mombasa",
        3,
        steps=[
            (3, consent("referral", SHELTER)),
            (2, assessment("screening", "possible", "high")),
            (2, task("Visit the grandmother in Bamburi", "caseworker", 2)),
            (1, promise("return_call", "Call her back about moving to the rescue home", 1)),
        ],
    ),
    Story(
        "Zawadi",
        "Mwinyi",
        "female",
        14,
        "Kwale",
        20,
        steps=[
            (19, team("counsellor", RoleOnCase.COUNSELLOR)),
            (18, consent("psychosocial", "Pwani Child Rights Network")),
            (
                15,
                assessment(
                    "assessment",
                    "actual",
                    "medium",
                    recruitment_channel="online",
                    recruitment_apps=["tiktok", "whatsapp"],
                    exploitation_types=["online_grooming", "remote_live_streaming"],
                ),
            ),
            (
                12,
                plan(
                    ("goal", "psychosocial", "Weekly counselling for three months", 90),
                    ("service", "education", "Re-enrol at Diani primary", 30),
                ),
            ),
            (11, submit),
        ],
    ),
    Story(
        "Halima",
        "Bakari",
        "female",
        16,
        "Kilifi",
        160,
        steps=[
            (159, team("counsellor", RoleOnCase.COUNSELLOR)),
            (159, team("childrenofficer", CO)),
            (158, consent("referral", SHELTER)),
            (150, assessment("assessment", "actual", "high")),
            (
                148,
                plan(
                    ("service", "shelter", "Rescue home placement", 60),
                    ("goal", "education", "Back in school in Malindi", 120),
                ),
            ),
            (147, submit),
            (145, approve),
            (140, wellbeing(1, 0, 1, 1, 1, 2)),
            (133, session()),
            (110, wellbeing(2, 1, 1, 2, 1, 2)),
            (80, wellbeing(2, 2, 2, 2, 2, 2)),
            (75, reintegration("school", "in_progress")),
            (50, wellbeing(3, 2, 3, 3, 2, 2)),
            (40, reintegration("family", "achieved")),
            (30, follow_up_status),
            (20, wellbeing(3, 3, 3, 3, 2, 3)),
        ],
    ),
    Story(
        "Rehema",
        "Chai",
        "female",
        13,
        "Mombasa",
        120,
        steps=[
            (119, team("counsellor", RoleOnCase.COUNSELLOR)),
            (119, team("investigator", RoleOnCase.INVESTIGATOR)),
            (
                118,
                consent(
                    "information_sharing",
                    "Mombasa Anti-Human Trafficking and Child Protection Unit",
                    "childrens_officer",
                    "best_interests",
                ),
            ),
            (
                115,
                assessment("assessment", "actual", "high", age_basis="assessed", assessed_age=13),
            ),
            (113, interview),
            (110, plan(("goal", "safety", "Safety plan agreed with the family", 14))),
            (109, submit),
            (108, approve),
            (100, wellbeing(1, 1, 1, 2, 1, 2)),
            (70, wellbeing(2, 1, 2, 2, 2, 2)),
            (40, wellbeing(2, 2, 2, 3, 2, 2)),
            (20, safety("re_exploitation", "Seen with the same recruiter at a Likoni bar")),
            (18, wellbeing(1, 1, 1, 2, 1, 1)),
            (
                17,
                note(
                    "care",
                    "She blames herself; we agreed two sessions a week for now.",
                    "counsellor",
                ),
            ),
            (5, promise("follow_up", "Visit her at the rescue home with her mother", -2)),
        ],
    ),
    Story(
        "Amani",
        "Juma",
        "male",
        15,
        "Mombasa",
        60,
        steps=[
            (59, team("investigator", RoleOnCase.INVESTIGATOR)),
            (59, team("prosecutor", RoleOnCase.PROSECUTOR)),
            (
                58,
                assessment(
                    "screening",
                    "actual",
                    "medium",
                    exploitation_types=["online_images"],
                    recruitment_channel="online",
                    recruitment_apps=["instagram"],
                ),
            ),
            (50, interview),
            (
                49,
                note(
                    "justice",
                    "OB 23/04/2026 Nyali; phone seized, forensic request sent.",
                    "investigator",
                ),
            ),
            (30, promise("return_call", "Tell his mother when the court date is set", -10)),
        ],
    ),
    Story(
        "Saumu",
        "Hassan",
        "female",
        17,
        "Lamu",
        300,
        steps=[
            (299, team("counsellor", RoleOnCase.COUNSELLOR)),
            (298, consent("medical", HOSPITAL)),
            (290, assessment("assessment", "actual", "medium")),
            (
                288,
                plan(
                    ("service", "medical", "Medical care at the GBV centre", 10),
                    ("goal", "livelihood", "Tailoring course in Lamu town", 150),
                ),
            ),
            (287, submit),
            (285, approve),
            (260, wellbeing(1, 1, 2, 1, 1, 1)),
            (200, wellbeing(2, 2, 2, 2, 1, 2)),
            (150, wellbeing(3, 2, 2, 3, 2, 2)),
            (130, reintegration("livelihood", "achieved")),
            (120, close()),
            (30, follow_up("well")),
        ],
    ),
    Story(
        "Neema",
        "Tsuma",
        "female",
        16,
        "Kilifi",
        200,
        steps=[
            (199, team("counsellor", RoleOnCase.COUNSELLOR)),
            (198, consent("referral", SHELTER)),
            (195, assessment("assessment", "actual", "medium")),
            (193, plan(("goal", "family", "Return home after a family assessment", 60))),
            (192, submit),
            (190, approve),
            (150, wellbeing(2, 1, 2, 2, 2, 2)),
            (90, wellbeing(2, 2, 3, 2, 3, 2)),
            (60, follow_up_status),
            (30, follow_up("well")),
            (4, ask_to_close),
        ],
    ),
    Story(
        "Fatuma",
        "Ali",
        "female",
        14,
        "Taita-Taveta",
        45,
        steps=[
            (44, consent("referral", TUMAINI)),
            (40, assessment("screening", "possible", "medium")),
            (6, transfer(TUMAINI)),
        ],
    ),
    Story(
        "Mariam",
        "Salim",
        "female",
        15,
        "Tana River",
        260,
        steps=[
            (258, team("counsellor", RoleOnCase.COUNSELLOR)),
            (255, assessment("assessment", "actual", "high")),
            (250, plan(("service", "shelter", "Rescue home placement", 30))),
            (249, submit),
            (248, approve),
            (230, wellbeing(1, 1, 1, 1, 2, 1)),
            (190, wellbeing(2, 2, 2, 2, 2, 2)),
            (150, wellbeing(3, 2, 3, 2, 3, 2)),
            (140, close(CaseStatus.CLOSED_REFERRED)),
            (40, safety("re_exploitation", "Taken to Malindi by a 'boyfriend' who sells her")),
            (39, reopen),
            (35, wellbeing(1, 1, 0, 1, 1, 1)),
            (25, session("crisis")),
            (10, wellbeing(2, 1, 1, 2, 1, 2)),
        ],
    ),
]

IN_CASE_MODELS = [
    model for model in apps.get_app_config("cases").get_models() if issubclass(model, InCase)
]


def _backdate(case: Case, since: datetime.datetime, days_ago: int) -> None:
    """Move what was written since `since` back to `days_ago` (demo histories only)."""
    when = timezone.now() - datetime.timedelta(days=days_ago, hours=days_ago % 7)
    for model in IN_CASE_MODELS:
        model._default_manager.filter(case=case, created_at__gte=since).update(created_at=when)
    date_fields = {
        "Assessment": "assessed_on",
        "CounsellingSession": "held_on",
        "WellbeingMeasure": "measured_on",
        "SafetyEvent": "occurred_on",
        "ReintegrationStep": "recorded_on",
        "FollowUp": "held_on",
        "Interview": "held_on",
        "Consent": "given_on",
        "CaseEvent": "occurred_on",
    }
    for model in IN_CASE_MODELS:
        name = date_fields.get(model.__name__)
        if name:
            model._default_manager.filter(case=case, created_at=when).update(**{name: when.date()})


def load(*, out: Callable[[str], None]) -> None:
    """Play the stories once; a second run finds them and does nothing.

    No transaction around it: each step is a service that commits on its own (they are
    durable, issue 12).
    """
    from kinga.people.services import person_create

    users = _users()
    if "caseworker" not in users or "supervisor" not in users:
        out("    no demo users: skipped")
        return
    # The stories' cases are opened directly; cases that intake's demo opened from
    # triaged reports carry their report and do not count.
    stories = Case.objects.filter(opened_by__in=users.values(), source_report_id__isnull=True)
    if stories.count() >= len(STORIES):
        out("    cases already loaded")
        return
    for story in STORIES:
        owner = users[story.owner]
        start = timezone.now()
        child = person_create(
            actor=owner,
            kind="child",
            given_name=story.given_name,
            family_name=story.family_name,
            sex=story.sex,
            age_estimate=story.age,
            age_basis="apparent",
            languages=["sw"],
        )
        case = services.case_open(
            child=child,
            county=County.objects.get(name=story.county),
            actor=owner,
            reason="Opened after triage of a report",
        )
        _backdate(case, start, story.opened_days_ago)
        Case.objects.filter(pk=case.pk).update(
            opened_at=timezone.now() - datetime.timedelta(days=story.opened_days_ago)
        )
        for days_ago, step in story.steps:
            case.refresh_from_db()
            started = timezone.now()
            step(case, users)
            _backdate(case, started, days_ago)
        case.refresh_from_db()
        if case.closed_at is not None:
            closed = case.events.filter(kind="closure").order_by("-created_at").first()
            if closed is not None:
                Case.objects.filter(pk=case.pk).update(closed_at=closed.created_at)
        out(f"    {case.code}: {case.get_status_display()}")
