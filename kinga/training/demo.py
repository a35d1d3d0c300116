"""A year of joint trainings on the coast (synthetic people only).

Courses for police, prosecutors, judicial officers, children's officers, social workers and
health workers; sessions in every coastal county over the past year, most of them joint;
demo staff and invented outside participants; attendance, pre- and post-tests (some never
came back for the post-test), certificates, one of them revoked. Idempotent: a second run
finds the first course's sessions and does nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.utils import timezone

from kinga.accounts.models import Agency, Role, User
from kinga.places.models import County
from kinga.training import services
from kinga.training.models import Audience, Course, Participant

COURSES = [
    (
        "Victim-sensitive investigation and prosecution of child trafficking",
        "Investigate and prosecute so that a child is interviewed once, believed, and "
        "protected in court.",
        "The Counter-Trafficking in Persons Act 2010 and the Sexual Offences Act 2006\n"
        "Identifying a child victim: the Palermo elements\n"
        "The single interview and intermediaries\n"
        "Evidence that does not rest on the child alone\n"
        "Victim support in court: in camera, screens, intermediaries",
        3,
        [Audience.POLICE, Audience.PROSECUTOR, Audience.JUDICIAL],
        20,
    ),
    (
        "Child-friendly case management",
        "Assess, plan and follow up a survivor's case with the child's own views.",
        "Screening and best-interests assessment\nCase plans and referrals\n"
        "Consent and assent under the Children Act 2022\nClosing a case well",
        2,
        [Audience.CHILDRENS_OFFICER, Audience.SOCIAL_WORKER, Audience.POLICE],
        20,
    ),
    (
        "Trauma-informed care for health workers",
        "Examine, treat and document without harming the child again.",
        "Post-rape care and the PRC form\nTalking with a frightened child\nReferral pathways",
        2,
        [Audience.HEALTH_WORKER, Audience.SOCIAL_WORKER],
        15,
    ),
]

# (course index, days ago the session began, county, venue, kinds taking part)
SESSIONS = [
    (0, 340, "Mombasa", "Mombasa Law Courts training hall", ["police", "prosecutor", "judicial"]),
    (1, 310, "Kilifi", "Kilifi county offices", ["childrens_officer", "social_worker", "police"]),
    (0, 280, "Kwale", "Ukunda social hall", ["police", "prosecutor"]),
    (2, 250, "Mombasa", "Coast General Hospital boardroom", ["health_worker", "social_worker"]),
    (0, 215, "Kilifi", "Malindi law courts", ["police", "prosecutor", "judicial"]),
    (1, 180, "Lamu", "Lamu fort conference room", ["childrens_officer", "police"]),
    (0, 150, "Taita-Taveta", "Voi county hall", ["police", "prosecutor"]),
    (1, 120, "Tana River", "Hola youth centre", ["childrens_officer", "social_worker"]),
    (0, 90, "Mombasa", "Pwani Judicial Training Centre", ["police", "prosecutor", "judicial"]),
    (2, 60, "Kwale", "Msambweni hospital", ["health_worker"]),
    (0, 30, "Kwale", "Diani police training room", ["police", "prosecutor"]),
    (1, 12, "Kilifi", "Mtwapa community hall", ["childrens_officer", "social_worker", "police"]),
]

FIRST = [
    "Amina",
    "Baraka",
    "Chari",
    "Dama",
    "Emmanuel",
    "Fatuma",
    "Gona",
    "Hamisi",
    "Imani",
    "Jabali",
    "Kadzo",
    "Lewa",
    "Mwanajuma",
    "Nuru",
    "Ochieng",
    "Pendo",
    "Rashid",
    "Saumu",
    "Tsuma",
    "Wanjiru",
    "Yusuf",
    "Zawadi",
    "Kahindi",
    "Mejumaa",
    "Shukri",
    "Bahati",
]
LAST = [
    "Mwangi",
    "Kazungu",
    "Chengo",
    "Said",
    "Omar",
    "Karisa",
    "Mwadime",
    "Ngala",
    "Baya",
    "Kenga",
    "Charo",
    "Katana",
    "Mohamed",
    "Otieno",
    "Mwinyi",
    "Salim",
    "Wekesa",
    "Tune",
]
TITLES = {
    "police": ["Constable", "Corporal", "Sergeant", "Inspector"],
    "prosecutor": ["Prosecution Counsel", "Senior Prosecution Counsel"],
    "judicial": ["Magistrate", "Court Assistant", "Senior Resident Magistrate"],
    "childrens_officer": ["Children's Officer", "Sub-County Children's Officer"],
    "social_worker": ["Social Worker", "Case Manager"],
    "health_worker": ["Clinical Officer", "Nurse", "Counselling Psychologist"],
}
# Demo accounts who attend, by the kind of participant they are.
STAFF = {
    "police": ["investigator"],
    "prosecutor": ["prosecutor"],
    "childrens_officer": ["childrenofficer"],
    "social_worker": ["caseworker", "caseworker2"],
}


def load(*, out: Callable[[str], None]) -> None:
    """Load the year of trainings once."""
    trainer = User.objects.filter(username="trainer").first()
    if trainer is None or not trainer.has_role(Role.TRAINER):
        out("    no demo trainer: skipped")
        return
    if Course.objects.filter(title=COURSES[0][0]).exists():
        out("    trainings already loaded")
        return
    rng = random.Random(18)  # noqa: S311  # demo data, not secrets
    courses = [
        services.course_create(
            actor=trainer,
            title=title,
            objectives=objectives,
            modules=modules,
            duration_days=days,
            audiences=list(audiences),
            test_max_score=maximum,
            refresher_months=24,
        )
        for title, objectives, modules, days, audiences, maximum in COURSES
    ]
    services.question_add(
        actor=trainer,
        course=courses[0],
        text="Under the Counter-Trafficking in Persons Act, must a child victim have "
        "consented for the offence to be made out?",
        answer_key="No: a child's consent is irrelevant (s.3).",
        points=2,
    )
    services.question_add(
        actor=trainer,
        course=courses[0],
        text="Name two measures a court may order to protect a child witness.",
        answer_key="Any two of: in camera hearing, screen, intermediary, video link.",
        points=2,
    )
    agencies = {agency.kind: agency for agency in Agency.objects.order_by("pk")}
    staff = {
        user.username: user for user in User.objects.filter(username__in=sum(STAFF.values(), []))
    }
    today = timezone.localdate()
    certificates = []
    for course_index, days_ago, county, venue, kinds in SESSIONS:
        course = courses[course_index]
        starts = today - dt.timedelta(days=days_ago)
        session = services.session_create(
            actor=trainer,
            course=course,
            starts_on=starts,
            ends_on=starts + dt.timedelta(days=course.duration_days - 1),
            venue=venue,
            county=County.objects.get(name=county),
            facilitators="Mwakio Mghanga; Hon. R. Tsuma (retired judge)",
            audiences=kinds,
            agencies=[],
        )
        people: list[Participant] = []
        for kind in kinds:
            for username in STAFF.get(kind, []):
                user = staff.get(username)
                if user is not None and rng.random() < 0.5:
                    people.append(
                        services.participant_add(actor=trainer, session=session, user=user)
                    )
            for _ in range(rng.randint(3, 6)):
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                agency = agencies.get(_agency_kind(kind)) if rng.random() < 0.4 else None
                people.append(
                    services.participant_add(
                        actor=trainer,
                        session=session,
                        name=name,
                        agency=agency,
                        agency_name="" if agency else f"{county} {_agency_label(kind)}",
                        job_title=rng.choice(TITLES[kind]),
                        audience=kind,
                    )
                )
        days = session.days()
        for person in people:
            present = [day for day in days if rng.random() < 0.9]
            pre = rng.randint(course.test_max_score // 4, course.test_max_score * 3 // 4)
            came_back = rng.random() < 0.8 and len(present) == len(days)
            post = min(course.test_max_score, pre + rng.randint(-1, 8)) if came_back else None
            services.participant_record(
                actor=trainer,
                participant=person,
                days_present=[day for day in present if day <= today],
                pre_score=pre,
                post_score=post if session.ends_on < today else None,
                feedback_rating=rng.randint(3, 5) if came_back else None,
                feedback_text=rng.choice(FEEDBACK) if came_back and rng.random() < 0.5 else "",
            )
            person.refresh_from_db()
            if person.post_score is not None and person.attendance.count() == len(days):
                certificate, _code = services.certificate_issue(actor=trainer, participant=person)
                certificates.append(certificate)
    if certificates:
        revoked = certificates[min(3, len(certificates) - 1)]
        services.certificate_revoke(actor=trainer, certificate=revoked, reason="name")
    out(
        f"    {len(courses)} courses, {len(SESSIONS)} sessions, "
        f"{Participant.objects.count()} participants, {len(certificates)} certificates "
        "(one revoked)"
    )


# What participants wrote on the feedback form after a session (as they wrote it).
FEEDBACK = [
    "The mock interview with an intermediary showed me how to stop re-interviewing a child.",
    "Kusikia kutoka kwa waendesha mashtaka na polisi pamoja kumesaidia sana.",
    "Too little time on online exploitation; we see more of it every month.",
    "I want a refresher on the Counter-Trafficking in Persons Act sentencing provisions.",
    "Mafunzo mazuri, lakini siku tatu hazitoshi kwa mada zote.",
    "Working through a case file with the children's officer was the best part.",
]


def _agency_kind(kind: str) -> str:
    return {
        "police": "police_unit",
        "prosecutor": "prosecution_office",
        "childrens_officer": "childrens_services",
        "social_worker": "ngo",
        "health_worker": "hospital",
        "judicial": "training_institution",
    }.get(kind, "ngo")


def _agency_label(kind: str) -> str:
    return {
        "police": "Police Station",
        "prosecutor": "ODPP Office",
        "childrens_officer": "Children's Services",
        "social_worker": "Community Outreach",
        "health_worker": "County Referral Hospital",
        "judicial": "Law Courts",
    }.get(kind, "Office")
