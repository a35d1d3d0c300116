"""Demo incidents, investigations and prosecutions at every stage of the path to verdict.

Runs after the cases' and intake's demo. The Mombasa unit's investigator (`investigator`)
opens ten incidents over the last year, most linked to the demo children's cases; the ODPP's
prosecutor (`prosecutor`) takes them on: one waits for a decision, one is not charged, one
is diverted, the rest go to court: awaiting plea, a trafficking case whose charge sheet
grew from 3 counts to 11, a trial adjourned nine times (the investigating officer absent
most of them), a conviction with sentence and compensation, an acquittal and a withdrawal.
Court dates in the coming weeks fill the calendar. Only synthetic people. Idempotent: a
second run finds the incidents and does nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from kinga.accounts.models import User
from kinga.cases.models import OPEN_STATUSES, Case
from kinga.justice import services
from kinga.justice.models import (
    AdjournmentParty,
    AdjournmentReason,
    ChargeDecisionKind,
    CourtEvent,
    CourtEventKind,
    CourtEventOutcome,
    EventKind,
    EvidenceKind,
    HowObtained,
    Incident,
    Measure,
    NoChargeReason,
    PersonOfInterest,
    PersonRole,
    Prosecution,
    Relationship,
    WitnessKind,
)
from kinga.places.models import County


@dataclass(frozen=True)
class Story:
    stage: str
    county: str
    days_ago: int
    summary: str
    suspects: tuple[tuple[str, str, str, str, bool], ...]  # given, family, role, relation, foreign
    offences: tuple[str, ...] = ()


SUSPECTS_A = (
    ("Hamisi", "Mwakio", PersonRole.RECRUITER, Relationship.COMMUNITY, False),
    ("Jürgen", "Vogel", PersonRole.BUYER, Relationship.TOURIST, True),
)
SUSPECTS_B = (
    ("Salma", "Omar", PersonRole.PIMP, Relationship.COMMUNITY, False),
    ("Kassim", "Baya", PersonRole.VENUE_OWNER, Relationship.STRANGER, False),
    ("Peter", "Otieno", PersonRole.TRANSPORTER, Relationship.STRANGER, False),
)
STORIES = [
    Story(
        "investigating",
        "Kilifi",
        20,
        "A girl of 14 recruited at a Mtwapa market and taken to a guest house.",
        SUSPECTS_A[:1],
    ),
    Story(
        "investigating",
        "Kwale",
        45,
        "Girls sold to tourists at a Diani beach bar.",
        (("Omari", "Juma", PersonRole.AGENT, Relationship.FRIEND, False),),
    ),
    Story(
        "with_prosecutor",
        "Mombasa",
        80,
        "A boy of 15 exploited through a dating app.",
        (("Ali", "Rashid", PersonRole.EXPLOITER, Relationship.STRANGER, False),),
    ),
    Story(
        "not_charged",
        "Mombasa",
        200,
        "A girl taken to a lodge in Bamburi; the suspect was never identified.",
        (("Unknown", "Driver", PersonRole.TRANSPORTER, Relationship.STRANGER, False),),
    ),
    Story(
        "diverted",
        "Kilifi",
        160,
        "A 17-year-old paid to bring younger girls to a party.",
        (("Amani", "Kazungu", PersonRole.FACILITATOR, Relationship.FRIEND, False),),
    ),
    Story(
        "pending_plea",
        "Mombasa",
        30,
        "Two girls harboured in a flat in Nyali.",
        SUSPECTS_B[:2],
        ("soa-15", "soa-17"),
    ),
    Story(
        "amended",
        "Mombasa",
        120,
        "A network moving girls from Kwale to Mombasa lodges.",
        SUSPECTS_B,
        ("ctipa-3", "soa-13", "soa-17"),
    ),
    Story(
        "adjourned",
        "Kilifi",
        330,
        "A girl of 13 exploited by a foreign tourist in Watamu.",
        SUSPECTS_A,
        ("soa-8", "soa-14"),
    ),
    Story(
        "convicted",
        "Mombasa",
        300,
        "A girl recruited by a relative for a Likoni bar.",
        (("Mwanajuma", "Said", PersonRole.RECRUITER, Relationship.FAMILY, False),),
        ("ctipa-3", "soa-15"),
    ),
    Story(
        "acquitted",
        "Kwale",
        280,
        "A girl kept at a Ukunda lodge.",
        (("Rama", "Mwinyi", PersonRole.VENUE_OWNER, Relationship.COMMUNITY, False),),
        ("soa-17",),
    ),
    Story(
        "withdrawn",
        "Mombasa",
        250,
        "A boy approached online and met at a hotel.",
        (("Brian", "Kamau", PersonRole.EXPLOITER, Relationship.STRANGER, False),),
        ("soa-12",),
    ),
]


def _users() -> dict[str, User]:
    return {user.username: user for user in User.objects.filter(is_active=True)}


def _ago(days: int, hour: int = 9) -> dt.datetime:
    moment = timezone.localtime() - dt.timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def _ahead(days: int, hour: int = 9) -> dt.datetime:
    return _ago(-days, hour)


def load(*, out: Callable[[str], None]) -> None:
    """Play the stories once; a second run finds them and does nothing."""
    users = _users()
    investigator = users.get("investigator")
    prosecutor = users.get("prosecutor")
    if investigator is None or prosecutor is None:
        out("    no demo investigator or prosecutor: skipped")
        return
    if Incident.objects.filter(opened_by=investigator).count() >= len(STORIES):
        out("    incidents already loaded")
        return
    rng = random.Random(14)  # noqa: S311  # demo data, not secrets
    cases = list(
        Case.objects.filter(status__in=OPEN_STATUSES).order_by("opened_at")[: len(STORIES)]
    )
    for index, story in enumerate(STORIES):
        case = cases[index] if index < len(cases) else None
        _play(story, case, investigator, prosecutor, rng, index)
    out(f"    {len(STORIES)} incidents, from investigation to verdict")


def _play(
    story: Story,
    case: Case | None,
    investigator: User,
    prosecutor: User,
    rng: random.Random,
    index: int,
) -> None:
    start = _ago(story.days_ago)
    incident = services.incident_open(
        actor=investigator,
        at=start,
        facts=services.IncidentInput(
            county=County.objects.get(name=story.county),
            station=f"{story.county} Central Police Station",
            ob_number=f"OB {10 + index}/{start:%d/%m/%Y}",
            reported_on=(start - dt.timedelta(days=rng.randint(1, 6))).date(),
            summary=story.summary,
            exploitation_types=["commercial_in_person"]
            if "online" not in story.summary and "app" not in story.summary
            else ["online_grooming"],
            control_methods=["drugs_alcohol", "false_promises"][: 1 + index % 2],
            began_on=(start - dt.timedelta(days=60)).date(),
            ended_on=(start - dt.timedelta(days=7)).date(),
            buyer_origin="foreign" if "tourist" in story.summary else "local",
        ),
    )
    if case is not None:
        services.incident_link_case(incident=incident, actor=investigator, case_code=case.code)
    for kind, days in (
        (EventKind.RECRUITMENT, 60),
        (EventKind.EXPLOITATION, 30),
        (EventKind.EXIT, 7),
    ):
        services.event_add(
            incident=incident,
            actor=investigator,
            kind=kind,
            occurred_on=(start - dt.timedelta(days=days)).date(),
            county=incident.county,
            place=f"{story.county} town",
        )
    people = [
        services.person_of_interest_add(
            incident=incident,
            actor=investigator,
            role=role,
            relationship=relation,
            is_foreign=foreign,
            new_person=services.NewPerson(
                given_name=given, family_name=family, nationality="DE" if foreign else "KE"
            ),
        )
        for given, family, role, relation, foreign in story.suspects
    ]
    services.lead_add(
        incident=incident,
        actor=investigator,
        kind="phone",
        value=f"+2547{rng.randint(10000000, 99999999)}",
        person=people[0],
    )
    services.evidence_log(
        incident=incident,
        actor=investigator,
        exhibit_number="PExh. 1",
        kind=EvidenceKind.DIGITAL,
        item="Extraction of the suspect's phone",
        how_obtained=HowObtained.FORENSIC_EXTRACTION,
        obtained_on=start.date(),
        first_holder="Exhibits store, " + incident.police_unit.name,
        sha256=f"{rng.getrandbits(256):064x}",
    )
    services.arrest_record(
        incident=incident,
        actor=investigator,
        suspect=people[0],
        arrested_at=start + dt.timedelta(days=2),
        station="Central Police",
    )
    if story.stage == "investigating":
        services.task_add(
            incident=incident,
            actor=investigator,
            title="Obtain the child's birth certificate from the registrar",
            due_on=(timezone.localdate() + dt.timedelta(days=5)),
            assigned_to=investigator,
        )
        return
    submission = services.file_send(
        incident=incident,
        actor=investigator,
        prosecutor=prosecutor,
        at=start + dt.timedelta(days=21),
    )
    if story.stage == "with_prosecutor":
        return
    decided = start + dt.timedelta(days=35)
    if story.stage == "not_charged":
        services.charge_decide(
            submission=submission,
            actor=prosecutor,
            decision=ChargeDecisionKind.NO_CHARGE,
            no_charge_reason=NoChargeReason.SUSPECT_UNKNOWN,
            at=decided,
        )
        return
    if story.stage == "diverted":
        services.charge_decide(
            submission=submission,
            actor=prosecutor,
            decision=ChargeDecisionKind.DIVERSION,
            at=decided,
        )
        return
    services.charge_decide(
        submission=submission, actor=prosecutor, decision=ChargeDecisionKind.CHARGE, at=decided
    )
    prosecution = services.prosecution_open(
        incident=incident,
        actor=prosecutor,
        court="Shanzu Law Courts" if story.county != "Kwale" else "Kwale Law Courts",
        court_file_number=f"E{100 + index} of {decided:%Y}",
        filed_on=decided.date(),
        counts=[
            services.CountInput(offence=code, accused=people[n % len(people)])
            for n, code in enumerate(story.offences)
        ],
    )
    if case is not None:
        services.protection_record(
            prosecution=prosecution,
            actor=prosecutor,
            case=case,
            measures=[Measure.INTERMEDIARY, Measure.IN_CAMERA, Measure.NO_PUBLICATION],
            declared_on=decided.date(),
            told_child_on=decided.date(),
        )
    services.bail_record(
        prosecution=prosecution,
        actor=prosecutor,
        accused=people[0],
        kind="cash_bail",
        amount_kes=200000,
        decided_on=decided.date(),
        conditions=["no_contact_child", "stay_away", "report_to_station"],
    )
    if story.stage == "pending_plea":
        services.court_event_schedule(
            prosecution=prosecution,
            actor=prosecutor,
            kind=CourtEventKind.PLEA,
            scheduled_for=_ahead(3),
        )
        return
    if story.stage == "amended":
        _amend_to_eleven(prosecution, prosecutor, people, decided)
        services.court_event_schedule(
            prosecution=prosecution,
            actor=prosecutor,
            kind=CourtEventKind.MENTION,
            scheduled_for=_ahead(9),
            courtroom="Court 1",
        )
        return
    _plead(prosecution, prosecutor, decided)
    if story.stage == "adjourned":
        _adjourned_trial(prosecution, prosecutor, decided)
        return
    if story.stage == "withdrawn":
        services.prosecution_withdraw(
            prosecution=prosecution,
            actor=prosecutor,
            decided_on=(decided + dt.timedelta(days=90)).date(),
        )
        return
    _trial_to_judgment(prosecution, prosecutor, decided, convicted=story.stage == "convicted")


def _amend_to_eleven(
    prosecution: Prosecution, prosecutor: User, people: list[PersonOfInterest], decided: dt.datetime
) -> None:
    """The trafficking case whose charge sheet went from 3 counts to 11 in six weeks."""
    codes = [
        "ctipa-3",
        "ctipa-3",
        "ctipa-4",
        "ctipa-5",
        "soa-13",
        "soa-13",
        "soa-15",
        "soa-15",
        "soa-17",
        "soa-17",
        "ctipa-10",
    ]
    for step, size in ((1, 7), (2, 11)):
        services.charge_sheet_amend(
            prosecution=prosecution,
            actor=prosecutor,
            filed_on=(decided + dt.timedelta(days=21 * step)).date(),
            note="Further counts after the phone extractions and two more children's statements"
            if step == 1
            else "Organised crime count and the remaining children",
            counts=[
                services.CountInput(offence=code, accused=people[n % len(people)])
                for n, code in enumerate(codes[:size])
            ],
        )


def _plead(prosecution: Prosecution, prosecutor: User, decided: dt.datetime) -> None:
    plea = services.court_event_schedule(
        prosecution=prosecution,
        actor=prosecutor,
        kind=CourtEventKind.PLEA,
        scheduled_for=decided + dt.timedelta(days=1),
    )
    services.court_event_held(
        event=plea, actor=prosecutor, outcome=CourtEventOutcome.PLEA_TAKEN, officer_present=True
    )
    sheet = services.current_sheet(prosecution)
    assert sheet is not None
    for count in sheet.counts.all():
        services.plea_enter(
            count=count,
            actor=prosecutor,
            plea="not_guilty",
            entered_on=(decided + dt.timedelta(days=1)).date(),
        )


ADJOURNMENTS = [
    (AdjournmentParty.PROSECUTION, AdjournmentReason.OFFICER_ABSENT),
    (AdjournmentParty.DEFENCE, AdjournmentReason.DEFENCE_REQUEST),
    (AdjournmentParty.PROSECUTION, AdjournmentReason.OFFICER_ABSENT),
    (AdjournmentParty.COURT, AdjournmentReason.COURT_NOT_SITTING),
    (AdjournmentParty.PROSECUTION, AdjournmentReason.FILE_MISSING),
    (AdjournmentParty.PROSECUTION, AdjournmentReason.OFFICER_ABSENT),
    (AdjournmentParty.PROSECUTION, AdjournmentReason.INTERPRETER_ABSENT),
    (AdjournmentParty.DEFENCE, AdjournmentReason.ACCUSED_ABSENT),
    (AdjournmentParty.PROSECUTION, AdjournmentReason.OFFICER_ABSENT),
]


def _adjourned_trial(prosecution: Prosecution, prosecutor: User, decided: dt.datetime) -> None:
    """A child's hearing adjourned nine times: she came to court for nothing most of them."""
    event: CourtEvent = services.court_event_schedule(
        prosecution=prosecution,
        actor=prosecutor,
        kind=CourtEventKind.HEARING,
        scheduled_for=decided + dt.timedelta(days=30),
        witness=WitnessKind.CHILD,
        courtroom="Children's Court",
    )
    for number, (party, reason) in enumerate(ADJOURNMENTS):
        last = number == len(ADJOURNMENTS) - 1
        next_date = _ahead(6) if last else event.scheduled_for + dt.timedelta(days=30)
        services.court_event_adjourn(
            event=event,
            actor=prosecutor,
            requested_by=party,
            reason=reason,
            next_date=next_date,
            officer_present=reason != AdjournmentReason.OFFICER_ABSENT,
        )
        event = CourtEvent.objects.get(previous=event)


def _trial_to_judgment(
    prosecution: Prosecution, prosecutor: User, decided: dt.datetime, *, convicted: bool
) -> None:
    hearing = services.court_event_schedule(
        prosecution=prosecution,
        actor=prosecutor,
        kind=CourtEventKind.HEARING,
        scheduled_for=decided + dt.timedelta(days=40),
        witness=WitnessKind.CHILD,
    )
    services.court_event_adjourn(
        event=hearing,
        actor=prosecutor,
        requested_by=AdjournmentParty.PROSECUTION,
        reason=AdjournmentReason.WITNESS_ABSENT,
        next_date=decided + dt.timedelta(days=70),
        officer_present=True,
    )
    hearing = CourtEvent.objects.get(previous=hearing)
    services.court_event_held(
        event=hearing,
        actor=prosecutor,
        outcome=CourtEventOutcome.TESTIMONY_COMPLETE,
        child_testified=True,
        officer_present=True,
    )
    ruling = services.court_event_schedule(
        prosecution=prosecution,
        actor=prosecutor,
        kind=CourtEventKind.CASE_TO_ANSWER,
        scheduled_for=decided + dt.timedelta(days=120),
    )
    services.court_event_held(
        event=ruling,
        actor=prosecutor,
        outcome=CourtEventOutcome.CASE_TO_ANSWER
        if convicted
        else CourtEventOutcome.NO_CASE_TO_ANSWER,
    )
    judged_on = (decided + dt.timedelta(days=120 if not convicted else 180)).date()
    sheet = services.current_sheet(prosecution)
    assert sheet is not None
    for count in sheet.counts.order_by("number"):
        services.count_outcome_record(
            count=count,
            actor=prosecutor,
            outcome="convicted" if convicted else "acquitted_no_case",
            decided_on=judged_on,
        )
        if convicted:
            services.sentence_record(
                count=count,
                actor=prosecutor,
                kind="imprisonment",
                months=360,
                passed_on=judged_on,
                compensation_kes=500000,
            )
