"""Reads of joint training, each given the viewer and checked against the policy's
capabilities: trainers manage training (`training.manage`); the public may only check a
certificate's code. A page that names participants is audited as one view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse

from kinga.access.policy import can_do, deny
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.training.codes import certificate_code_index
from kinga.training.gain import Gain, SessionGain, participant_gain, session_gain
from kinga.training.models import (
    Attendance,
    Certificate,
    Course,
    Participant,
    TrainingSession,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.home import WorkCount
    from kinga.accounts.models import User

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


@dataclass
class ParticipantRow:
    participant: Participant
    name: str
    agency: str
    present: set[dt.date]
    gain: Gain
    certificate: Certificate | None
    certificate_blocked: str


@dataclass
class SessionPage:
    session: TrainingSession
    days: list[dt.date]
    rows: list[ParticipantRow]
    gain: SessionGain
    audiences_present: list[str] = field(default_factory=list)

    @property
    def joint(self) -> bool:
        return self.session.joint


def session_page(*, viewer: Viewer, session_id: int) -> SessionPage:
    """Return a session with every participant, their days, scores, gains and certificate.

    A fixed number of queries whatever the size of the list: the session, its participants
    (with their user and agency), their attendance, their live certificates. One audit event
    names the list that was shown.
    """
    _require_trainer(viewer, record_type="training.session", record_id=session_id)
    session = (
        TrainingSession.objects.select_related("course", "county").filter(pk=session_id).first()
    )
    if session is None:
        raise deny(viewer, record_type="training.session", record_id=session_id)
    participants = list(
        Participant.objects.filter(session=session)
        .select_related("user", "agency")
        .prefetch_related(
            Prefetch("attendance", queryset=Attendance.objects.only("participant_id", "day")),
            Prefetch(
                "certificates",
                queryset=Certificate.objects.filter(revoked_at__isnull=True),
                to_attr="live_certificates",
            ),
        )
        .order_by("pk")
    )
    days = session.days()
    maximum = session.course.test_max_score
    rows = []
    for participant in participants:
        participant.session = session  # already loaded: no query per row
        present = {row.day for row in participant.attendance.all()}
        live: list[Certificate] = participant.live_certificates
        rows.append(
            ParticipantRow(
                participant=participant,
                name=participant.display_name(),
                agency=participant.agency.name
                if participant.agency is not None
                else participant.agency_name,
                present=present,
                gain=participant_gain(participant.pre_score, participant.post_score, maximum),
                certificate=live[0] if live else None,
                certificate_blocked=participant.certificate_blocked(len(present)),
            )
        )
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="training.session",
        record_id=session.pk,
        fields=["participants", "scores", "attendance"],
        detail={"participants": len(rows)},
    )
    return SessionPage(
        session=session,
        days=days,
        rows=rows,
        gain=session_gain(((p.pre_score, p.post_score) for p in participants), maximum),
        audiences_present=sorted({p.audience for p in participants}),
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
