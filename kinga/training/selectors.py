"""Reads of joint training, each given the viewer and checked against the policy's
capabilities: trainers manage training (`training.manage`); the public may only check a
certificate's code. A page that names participants is audited as one view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from kinga.access.policy import can_do, deny
from kinga.accounts.models import Agency, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.training.codes import certificate_code_index
from kinga.training.gain import Gain, SessionGain, participant_gain, session_gain
from kinga.training.models import (
    Attendance,
    Audience,
    Certificate,
    Course,
    ImportBatch,
    Participant,
    TrainingSession,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.home import WorkCount

    Viewer = User | AnonymousUser | None


def manages_training(viewer: Viewer) -> bool:
    return can_do(viewer, "training.manage")


def _require_trainer(viewer: Viewer, *, record_type: str, record_id: object = "") -> None:
    if not manages_training(viewer):
        raise deny(viewer, record_type=record_type, record_id=record_id, action="list")


def courses_for(*, viewer: Viewer) -> QuerySet[Course]:
    """Return every course with its number of sessions (trainers only)."""
    _require_trainer(viewer, record_type="training.course")
    return Course.objects.annotate(session_count=Count("sessions"))


def course_get(*, viewer: Viewer, course_id: int) -> Course:
    _require_trainer(viewer, record_type="training.course", record_id=course_id)
    course = Course.objects.prefetch_related("questions").filter(pk=course_id).first()
    if course is None:
        raise deny(viewer, record_type="training.course", record_id=course_id)
    return course


def sessions_for(*, viewer: Viewer) -> QuerySet[TrainingSession]:
    """Return every session, newest first, with its course, county and counts."""
    _require_trainer(viewer, record_type="training.session")
    return TrainingSession.objects.select_related("course", "county").annotate(
        participant_count=Count("participants", distinct=True),
    )


def session_get(*, viewer: Viewer, session_id: int) -> TrainingSession:
    """Return a session to act on (no participants are shown, so no audit)."""
    _require_trainer(viewer, record_type="training.session", record_id=session_id)
    session = (
        TrainingSession.objects.select_related("course", "county").filter(pk=session_id).first()
    )
    if session is None:
        raise deny(viewer, record_type="training.session", record_id=session_id)
    return session


def participant_get(*, viewer: Viewer, participant_id: int) -> Participant:
    """Return a participant to act on, with their session, course and days present."""
    _require_trainer(viewer, record_type="training.participant", record_id=participant_id)
    participant = (
        Participant.objects.select_related("session__course", "session__county", "user", "agency")
        .prefetch_related("attendance")
        .filter(pk=participant_id)
        .first()
    )
    if participant is None:
        raise deny(viewer, record_type="training.participant", record_id=participant_id)
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="training.participant",
        record_id=participant.pk,
        fields=["name", "agency", "job_title", "scores", "attendance"],
    )
    return participant


def certificate_get(*, viewer: Viewer, certificate_id: int) -> Certificate:
    """Return a certificate with its participant and session (trainers only), audited."""
    _require_trainer(viewer, record_type="training.certificate", record_id=certificate_id)
    certificate = (
        Certificate.objects.select_related(
            "participant__session__course", "participant__session__county"
        )
        .filter(pk=certificate_id)
        .first()
    )
    if certificate is None:
        raise deny(viewer, record_type="training.certificate", record_id=certificate_id)
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="training.certificate",
        record_id=certificate.pk,
        fields=["code", "name_on_certificate"],
    )
    return certificate


def import_batch_get(*, viewer: Viewer, batch_id: int) -> ImportBatch:
    """Return an uploaded sheet waiting for its import (trainers only), audited: its rows
    name people."""
    _require_trainer(viewer, record_type="training.import", record_id=batch_id)
    batch = (
        ImportBatch.objects.select_related("session__course", "session__county")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise deny(viewer, record_type="training.import", record_id=batch_id)
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="training.import",
        record_id=batch.pk,
        fields=["rows"],
        detail={"session": batch.session_id},
    )
    return batch


@dataclass
class ParticipantRow:
    participant: Participant
    name: str
    agency: str
    days_present: int
    gain: Gain
    certificate_id: int | None
    certificate_blocked: str
    record_url: str
    issue_url: str
    pdf_url: str
    revoke_url: str


@dataclass
class SessionPage:
    session: TrainingSession
    days: list[dt.date]
    rows: list[ParticipantRow]
    gain: SessionGain
    audiences_present: list[str] = field(default_factory=list)
    # Written feedback, sorted by its text so its place in the list does not tell whose it
    # is; how many rated the session, and the mean of the ratings.
    feedback: list[str] = field(default_factory=list)
    ratings: int = 0
    mean_rating: float | None = None

    @property
    def joint(self) -> bool:
        return self.session.joint


def session_page(*, viewer: Viewer, session_id: int) -> SessionPage:
    """Return a session with every participant, their days, scores, gains and certificate.

    A fixed number of queries whatever the size of the list: the session, its participants
    (with their user, agency, days present and live certificate). One audit event names the
    list that was shown.
    """
    _require_trainer(viewer, record_type="training.session", record_id=session_id)
    session = (
        TrainingSession.objects.select_related("course", "county").filter(pk=session_id).first()
    )
    if session is None:
        raise deny(viewer, record_type="training.session", record_id=session_id)
    # One query: each participant with the number of days present and the live certificate,
    # as subqueries (no model per attendance row, no query per participant).
    days_present = (
        Attendance.objects.filter(participant=OuterRef("pk"))
        .order_by()
        .values("participant")
        .annotate(n=Count("pk"))
        .values("n")
    )
    live_certificate = (
        Certificate.objects.filter(participant=OuterRef("pk"), revoked_at__isnull=True)
        .order_by()
        .values("pk")[:1]
    )
    participants = list(
        Participant.objects.filter(session=session)
        .select_related("user", "agency")
        .annotate(
            days_present=Coalesce(Subquery(days_present), 0),
            live_certificate=Subquery(live_certificate),
        )
        .order_by("pk")
    )
    days = session.days()
    maximum = session.course.test_max_score
    links = {
        name: reverse(f"training:{name}", args=[0]).replace("/0/", "/%d/")
        for name in ("participant_record", "certificate_issue", "certificate_revoke")
    }
    pdf_link = reverse("training:certificate_pdf", args=[0]).replace("/0/", "/%d/")
    rows = []
    for participant in participants:
        participant.session = session  # already loaded: no query per row
        present: int = participant.days_present
        certificate_id: int | None = participant.live_certificate
        rows.append(
            ParticipantRow(
                participant=participant,
                name=participant.display_name(),
                agency=participant.agency.name
                if participant.agency is not None
                else participant.agency_name,
                days_present=present,
                gain=participant_gain(participant.pre_score, participant.post_score, maximum),
                certificate_id=certificate_id,
                certificate_blocked=""
                if certificate_id is not None
                else participant.certificate_blocked(present),
                record_url=links["participant_record"] % participant.pk,
                issue_url=links["certificate_issue"] % participant.pk,
                pdf_url=pdf_link % certificate_id if certificate_id else "",
                revoke_url=links["certificate_revoke"] % certificate_id if certificate_id else "",
            )
        )
    feedback = sorted(p.feedback_text for p in participants if p.feedback_text.strip())
    ratings = [p.feedback_rating for p in participants if p.feedback_rating is not None]
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="training.session",
        record_id=session.pk,
        fields=["participants", "scores", "attendance", "feedback_text"],
        detail={"participants": len(rows), "feedback": len(feedback)},
    )
    return SessionPage(
        session=session,
        days=days,
        rows=rows,
        gain=session_gain(((p.pre_score, p.post_score) for p in participants), maximum),
        audiences_present=sorted({p.audience for p in participants}),
        feedback=feedback,
        ratings=len(ratings),
        mean_rating=sum(ratings) / len(ratings) if ratings else None,
    )


class VerifyStatus:
    VALID = "valid"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verification:
    status: str
    name: str = ""
    course: str = ""
    issued_on: dt.date | None = None


def certificate_verify(*, code: str) -> Verification:
    """Check a certificate's code for anyone: valid, revoked or unknown.

    A valid certificate shows the name printed on it, the course and the date; nothing
    else about the person. A revoked one shows nothing but that it is revoked.
    """
    if not code.strip():
        return Verification(status=VerifyStatus.UNKNOWN)
    certificate = (
        Certificate.objects.select_related("participant__session__course")
        .filter(code_index=certificate_code_index(code))
        .first()
    )
    if certificate is None:
        return Verification(status=VerifyStatus.UNKNOWN)
    audit_record(
        action=AuditAction.VIEW,
        actor=None,
        record_type="training.certificate",
        record_id=certificate.pk,
        fields=["name_on_certificate"],
        detail={"public_check": True, "revoked": certificate.revoked_at is not None},
    )
    if certificate.revoked_at is not None:
        return Verification(status=VerifyStatus.REVOKED)
    return Verification(
        status=VerifyStatus.VALID,
        name=certificate.name_on_certificate,
        course=certificate.participant.session.course.title,
        issued_on=certificate.issued_at.date(),
    )


@dataclass(frozen=True)
class TrainingSummary:
    sessions: int
    joint_sessions: int
    participants: int
    sat_both: int
    pre_only: int
    certificates: int


def training_summary(*, viewer: Viewer, since: dt.date) -> TrainingSummary:
    """Return the trainer's figures for the sessions that began since the date (counts)."""
    _require_trainer(viewer, record_type="training.session")
    sessions = TrainingSession.objects.filter(starts_on__gte=since).aggregate(
        total=Count("pk"), joint=Count("pk", filter=Q(joint=True))
    )
    people = Participant.objects.filter(session__starts_on__gte=since).aggregate(
        total=Count("pk"),
        both=Count("pk", filter=Q(pre_score__isnull=False, post_score__isnull=False)),
        pre_only=Count("pk", filter=Q(pre_score__isnull=False, post_score__isnull=True)),
    )
    certificates = Certificate.objects.filter(
        revoked_at__isnull=True, participant__session__starts_on__gte=since
    ).count()
    return TrainingSummary(
        sessions=sessions["total"],
        joint_sessions=sessions["joint"],
        participants=people["total"],
        sat_both=people["both"],
        pre_only=people["pre_only"],
        certificates=certificates,
    )


def home_work(*, viewer: User, today: dt.date) -> list[WorkCount]:
    """Return a trainer's training work: sessions running or coming in the next 30 days,
    and participants of past sessions still without a post-test score."""
    from django.utils.translation import gettext_lazy as _

    from kinga.accounts.home import WorkCount

    if not manages_training(viewer):
        return []
    counts = TrainingSession.objects.aggregate(
        coming=Count(
            "pk",
            filter=Q(ends_on__gte=today, starts_on__lte=today + dt.timedelta(days=30)),
            distinct=True,
        ),
    )
    waiting = Participant.objects.filter(
        session__ends_on__lt=today, pre_score__isnull=False, post_score__isnull=True
    ).count()
    url = reverse("training:sessions")
    return [
        WorkCount(_("Training sessions now or in the next 30 days"), counts["coming"], url),
        WorkCount(_("Participants still without a post-test"), waiting, url),
    ]


# -- coverage ------------------------------------------------------------------------------

# A refresher falls due this many days ahead shows as "due soon".
REFRESHER_WARNING_DAYS = 90


def _coverage_agencies(viewer: Viewer) -> QuerySet[Agency] | None:
    """Return the agencies whose coverage the viewer may see: every one for a trainer, their
    own for a supervisor; None (refused) for anyone else."""
    if manages_training(viewer):
        return Agency.objects.filter(is_active=True)
    if can_do(viewer, "training.coverage"):
        user: User = viewer  # type: ignore[assignment]
        return Agency.objects.filter(pk__in=[user.agency_id] if user.agency_id else [])
    return None


@dataclass
class AgencyCoverage:
    agency: Agency
    staff: int
    staff_trained: int
    people_trained: int
    certified: int
    by_audience: dict[str, int]

    @property
    def never_trained(self) -> int:
        return self.staff - self.staff_trained


@dataclass
class CountyCoverage:
    county: str
    sessions: int
    joint_sessions: int
    by_audience: dict[str, int]
    people: int

    def counts(self) -> list[int]:
        """Return the people trained of each kind, in the order of `Audience`."""
        return [self.by_audience.get(str(value), 0) for value in Audience.values]


@dataclass
class Coverage:
    agencies: list[AgencyCoverage]
    counties: list[CountyCoverage]
    audiences: list[tuple[str, str]]
    course: Course | None
    everyone: bool


def coverage(*, viewer: Viewer, course_id: int | None = None) -> Coverage:
    """Return who has been trained, by agency and by county (optionally for one course).

    Trained means present on at least one day of a session; certified means holding a live
    certificate. Staff are the agency's active accounts; people trained also counts those
    without an account whom a trainer put down under the agency. A supervisor sees only
    their own agency and no county table (it counts other agencies' people). Counts only.
    """
    agencies = _coverage_agencies(viewer)
    if agencies is None:
        raise deny(viewer, record_type="training.coverage", record_id="", action="list")
    everyone = manages_training(viewer)
    course = Course.objects.filter(pk=course_id).first() if course_id else None
    trained = Participant.objects.filter(attendance__isnull=False)
    if course is not None:
        trained = trained.filter(session__course=course)
    agency_ids = list(agencies.values_list("pk", flat=True))
    by_agency: dict[int, dict[str, int]] = {}
    people: dict[int, int] = {}
    staff_trained: dict[int, int] = {}
    for row in (
        trained.filter(agency_id__in=agency_ids)
        .values("agency_id", "audience")
        .annotate(
            people=Count("pk", distinct=True),
            staff=Count("user_id", distinct=True),
        )
    ):
        by_agency.setdefault(row["agency_id"], {})[row["audience"]] = row["people"]
        people[row["agency_id"]] = people.get(row["agency_id"], 0) + row["people"]
    for agency_id, count in (
        trained.filter(agency_id__in=agency_ids, user__isnull=False)
        .values("agency_id")
        .annotate(staff=Count("user_id", distinct=True))
        .values_list("agency_id", "staff")
    ):
        staff_trained[agency_id] = count
    certified_rows = Certificate.objects.filter(
        revoked_at__isnull=True, participant__agency_id__in=agency_ids
    )
    if course is not None:
        certified_rows = certified_rows.filter(participant__session__course=course)
    certified = dict(
        certified_rows.values("participant__agency_id")
        .annotate(n=Count("participant_id", distinct=True))
        .values_list("participant__agency_id", "n")
    )
    staff = dict(
        User.objects.filter(is_active=True, agency_id__in=agency_ids)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .values_list("agency_id", "n")
    )
    rows = [
        AgencyCoverage(
            agency=agency,
            staff=staff.get(agency.pk, 0),
            staff_trained=staff_trained.get(agency.pk, 0),
            people_trained=people.get(agency.pk, 0),
            certified=certified.get(agency.pk, 0),
            by_audience=by_agency.get(agency.pk, {}),
        )
        for agency in agencies.select_related("county").order_by("county__name", "name")
    ]
    counties: list[CountyCoverage] = []
    if everyone:
        sessions = TrainingSession.objects.all()
        if course is not None:
            sessions = sessions.filter(course=course)
        county_sessions: dict[str, dict[str, int]] = {
            county_name: {"sessions": total, "joint": joint}
            for county_name, total, joint in sessions.values("county__name")
            .annotate(total=Count("pk"), joint=Count("pk", filter=Q(joint=True)))
            .values_list("county__name", "total", "joint")
        }
        county_people: dict[str, dict[str, int]] = {}
        for county_name, audience, count in (
            trained.values("session__county__name", "audience")
            .annotate(n=Count("pk", distinct=True))
            .values_list("session__county__name", "audience", "n")
        ):
            county_people.setdefault(county_name, {})[audience] = count
        for name in sorted(set(county_sessions) | set(county_people)):
            counted = county_sessions.get(name, {})
            kinds = county_people.get(name, {})
            counties.append(
                CountyCoverage(
                    county=name,
                    sessions=counted.get("sessions", 0),
                    joint_sessions=counted.get("joint", 0),
                    by_audience=kinds,
                    people=sum(kinds.values()),
                )
            )
    return Coverage(
        agencies=rows,
        counties=counties,
        audiences=[(str(value), str(label)) for value, label in Audience.choices],
        course=course,
        everyone=everyone,
    )


@dataclass
class StaffTraining:
    user: User
    # (course title, last day attended, refresher due) for each course attended
    courses: list[tuple[str, dt.date, dt.date]]
    due: bool


def agency_staff_training(*, viewer: Viewer, agency_id: int, today: dt.date) -> list[StaffTraining]:
    """Return each active member of the agency's staff with the courses they attended and
    when a refresher falls due; those never trained first. Audited: it names people."""
    agencies = _coverage_agencies(viewer)
    if agencies is None or not agencies.filter(pk=agency_id).exists():
        raise deny(viewer, record_type="training.coverage", record_id=agency_id, action="list")
    staff = list(User.objects.filter(is_active=True, agency_id=agency_id).order_by("username"))
    attended = (
        Participant.objects.filter(user__in=staff, attendance__isnull=False)
        .values("user_id", "session__course__title", "session__course__refresher_months")
        .annotate(last=Max("session__ends_on"))
    )
    courses: dict[int, list[tuple[str, dt.date, dt.date]]] = {}
    for row in attended:
        last: dt.date = row["last"]
        due = _add_months(last, row["session__course__refresher_months"])
        courses.setdefault(row["user_id"], []).append((row["session__course__title"], last, due))
    soon = today + dt.timedelta(days=REFRESHER_WARNING_DAYS)
    result = [
        StaffTraining(
            user=user,
            courses=sorted(courses.get(user.pk, [])),
            due=any(due <= soon for _title, _last, due in courses.get(user.pk, [])),
        )
        for user in staff
    ]
    audit_record(
        action=AuditAction.LIST,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="training.coverage",
        record_id=agency_id,
        fields=["staff", "courses"],
        detail={"staff": len(result)},
    )
    return sorted(result, key=lambda row: (bool(row.courses), not row.due, row.user.username))


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    return dt.date(year, month, 28)


def coverage_agency(*, viewer: Viewer, agency_id: int) -> Agency:
    agencies = _coverage_agencies(viewer)
    agency = agencies.filter(pk=agency_id).first() if agencies is not None else None
    if agency is None:
        raise deny(viewer, record_type="training.coverage", record_id=agency_id, action="list")
    return agency
