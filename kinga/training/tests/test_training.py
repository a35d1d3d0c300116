"""Issue 18 point 1: courses, joint sessions, attendance, pre/post tests and the learning
gain, certificates and their public check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.urls import reverse

from kinga.accounts.models import User
from kinga.audit.models import AuditEvent
from kinga.training import selectors, services
from kinga.training.gain import participant_gain, session_gain
from kinga.training.models import Audience, Certificate, Participant, TrainingSession
from kinga.training.tests.conftest import Training, make_course, make_session

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], Client]


# -- the learning gain -------------------------------------------------------------------


def test_learning_gain_of_a_known_set() -> None:
    # out of 20: 10 -> 15 learns half of what was left; 4 -> 20 all of it; 20 -> 18 had
    # nothing left to learn (no normalised gain, but a raw -2); 8 never sat the post-test;
    # one sat neither.
    scores = [(10, 15), (4, 20), (20, 18), (8, None), (None, None)]
    assert participant_gain(10, 15, 20).raw == 5
    assert participant_gain(10, 15, 20).normalised == pytest.approx(0.5)
    assert participant_gain(4, 20, 20).normalised == pytest.approx(1.0)
    assert participant_gain(20, 18, 20).normalised is None
    assert participant_gain(20, 18, 20).raw == -2
    assert participant_gain(8, None, 20).raw is None
    gain = session_gain(scores, 20)
    assert (gain.participants, gain.sat_pre, gain.sat_post, gain.sat_both) == (5, 4, 3, 3)
    assert gain.pre_only == 1
    assert gain.mean_pre == pytest.approx(34 / 3)
    assert gain.mean_post == pytest.approx(53 / 3)
    assert gain.mean_raw == pytest.approx(19 / 3)
    # class gain: (53/3 - 34/3) / (20 - 34/3) = 19 / 26
    assert gain.class_normalised == pytest.approx(19 / 26)
    assert gain.mean_normalised == pytest.approx(0.75)
    assert gain.normalised_over == 2


def test_a_session_where_nobody_sat_both_tests_has_no_gain() -> None:
    gain = session_gain([(5, None), (None, 9)], 20)
    assert gain.sat_both == 0
    assert gain.mean_raw is None and gain.class_normalised is None


# -- joint sessions ----------------------------------------------------------------------


def test_joint_sessions_are_counted_as_joint(training: Training) -> None:
    p = training.p
    single = make_session(p, training.course, audiences=[Audience.POLICE])
    assert training.session.joint is True
    assert single.joint is False
    assert TrainingSession.objects.filter(joint=True).count() == 1
    again = make_session(p, training.course, audiences=[Audience.POLICE, Audience.POLICE])
    assert again.joint is False


def test_a_session_needs_someone_taking_part_and_days_in_order(training: Training) -> None:
    p = training.p
    with pytest.raises(ValidationError):
        make_session(p, training.course, audiences=[])
    with pytest.raises(ValidationError):
        services.session_create(
            actor=p.trainer,
            course=training.course,
            starts_on=dt.date(2026, 5, 4),
            ends_on=dt.date(2026, 5, 1),
            venue="x",
            county=training.session.county,
            facilitators="y",
            audiences=[Audience.POLICE],
        )


# -- who may --------------------------------------------------------------------------


def test_only_trainers_write(training: Training) -> None:
    p = training.p
    for outsider in (p.supervisor, p.investigator, p.admin, p.analyst, p.caseworker):
        with pytest.raises(Http404):
            services.participant_add(
                actor=outsider, session=training.session, name="Someone", audience="police"
            )
    assert not Participant.objects.exists()


def test_training_pages_refuse_everyone_but_trainers(
    training: Training, client_for: ClientFor
) -> None:
    p = training.p
    participant = services.participant_add(
        actor=p.trainer, session=training.session, user=p.investigator
    )
    urls = [
        reverse("training:sessions"),
        reverse("training:courses"),
        reverse("training:course", args=[training.course.pk]),
        reverse("training:session", args=[training.session.pk]),
        reverse("training:participant_record", args=[participant.pk]),
        reverse("training:session_new"),
    ]
    for url in urls:
        assert client_for(p.trainer).get(url).status_code == 200, url
        anonymous = client_for(None).get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        for outsider in (p.supervisor, p.investigator, p.admin, p.analyst, p.prosecutor):
            assert client_for(outsider).get(url).status_code == 404, (url, outsider)
    denied = AuditEvent.objects.filter(action="denied", record_type__startswith="training.")
    assert denied.count() >= len(urls) * 5


# -- the trainer's journey through the pages ----------------------------------------------


def test_trainer_builds_a_course_and_a_joint_session(training: Training, client_for) -> None:  # type: ignore[no-untyped-def]
    p = training.p
    client = client_for(p.trainer)
    response = client.post(
        reverse("training:course_new"),
        {
            "title": "Prosecuting trafficking",
            "objectives": "Charge under the Counter-Trafficking in Persons Act.",
            "modules": "Charges\nWitness support",
            "duration_days": 2,
            "audiences": ["prosecutor", "judicial"],
            "test_max_score": 30,
            "refresher_months": 18,
        },
    )
    assert response.status_code == 302
    course = selectors.courses_for(viewer=p.trainer).get(title="Prosecuting trafficking")
    response = client.post(
        reverse("training:question_add", args=[course.pk]),
        {"text": "Which Act defines trafficking?", "answer_key": "CTIPA 2010 s.3", "points": 2},
    )
    assert response.status_code == 302
    assert course.questions.get().number == 1
    response = client.post(
        reverse("training:session_new"),
        {
            "course": course.pk,
            "starts_on": "2026-03-02",
            "ends_on": "2026-03-03",
            "venue": "Kilifi",
            "county": training.session.county.pk,
            "facilitators": "Trainer",
            "audiences": ["prosecutor", "police"],
            "agencies": [p.police.pk, p.prosecution.pk],
        },
    )
    assert response.status_code == 302
    session = TrainingSession.objects.get(course=course)
    assert session.joint and set(session.agencies.all()) == {p.police, p.prosecution}


def test_a_bad_session_form_keeps_what_was_typed(training: Training, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(training.p.trainer)
    response = client.post(
        reverse("training:session_new"),
        {
            "course": training.course.pk,
            "starts_on": "2026-03-05",
            "ends_on": "2026-03-02",
            "venue": "Malindi youth hall",
            "county": training.session.county.pk,
            "facilitators": "Trainer",
            "audiences": ["police"],
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The last day is before the first day." in body
    assert "Malindi youth hall" in body
    assert TrainingSession.objects.count() == 1


def test_participants_staff_and_external_with_the_external_encrypted(training: Training) -> None:
    p = training.p
    staff = services.participant_add(actor=p.trainer, session=training.session, user=p.investigator)
    assert staff.agency == p.police and staff.audience == Audience.POLICE
    outsider = services.participant_add(
        actor=p.trainer,
        session=training.session,
        name="Mwanaisha Bakari",
        agency_name="Kwale County Court",
        job_title="Magistrate",
        audience=Audience.JUDICIAL,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, agency_name, job_title FROM training_participant WHERE id = %s",
            [outsider.pk],
        )
        stored = " ".join(cursor.fetchone())
    assert "Mwanaisha" not in stored and "Kwale" not in stored and "Magistrate" not in stored
    assert Participant.objects.get(pk=outsider.pk).name == "Mwanaisha Bakari"
    with pytest.raises(ValidationError):
        services.participant_add(actor=p.trainer, session=training.session, user=p.investigator)
    with pytest.raises(ValidationError):
        services.participant_add(actor=p.trainer, session=training.session, name="   ")


def _record(t: Training, participant: Participant, *, days: int, pre: int | None, post: int | None):  # type: ignore[no-untyped-def]
    return services.participant_record(
        actor=t.p.trainer,
        participant=participant,
        days_present=t.session.days()[:days],
        pre_score=pre,
        post_score=post,
        feedback_rating=4,
    )


def test_results_are_checked_and_nothing_half_written(training: Training) -> None:
    p = training.p
    participant = services.participant_add(
        actor=p.trainer, session=training.session, user=p.investigator
    )
    _record(training, participant, days=2, pre=8, post=None)
    with pytest.raises(ValidationError):
        _record(training, Participant.objects.get(pk=participant.pk), days=3, pre=8, post=21)
    with pytest.raises(ValidationError):
        services.participant_record(
            actor=p.trainer,
            participant=Participant.objects.get(pk=participant.pk),
            days_present=[training.session.ends_on + dt.timedelta(days=1)],
            pre_score=8,
            post_score=12,
            feedback_rating=None,
        )
    kept = Participant.objects.get(pk=participant.pk)
    assert (kept.pre_score, kept.post_score) == (8, None)
    assert kept.attendance.count() == 2


def test_the_session_page_shows_gains_in_a_fixed_number_of_queries(
    training: Training,
    client_for,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    p = training.p
    client = client_for(p.trainer)
    url = reverse("training:session", args=[training.session.pk])

    def add(count: int) -> None:
        for number in range(count):
            person = services.participant_add(
                actor=p.trainer,
                session=training.session,
                name=f"Officer {Participant.objects.count()}-{number}",
                agency=p.police,
            )
            _record(training, person, days=3, pre=10, post=15 if number % 2 else None)
            if number % 2:
                services.certificate_issue(actor=p.trainer, participant=person)

    add(2)
    client.get(url)
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as few:
        client.get(url)
    add(12)
    with CaptureQueriesContext(conn) as many:
        body = client.get(url).content.decode()
    assert len(many) == len(few)
    assert "7 of 14 participants sat both tests" in body
    assert "7 sat the pre-test but not the post-test." in body
    assert "50%" in body  # (15 - 10) / (20 - 10)


def test_the_session_page_audits_that_it_named_the_participants(
    training: Training, client_for: ClientFor
) -> None:
    p = training.p
    services.participant_add(actor=p.trainer, session=training.session, user=p.investigator)
    client_for(p.trainer).get(reverse("training:session", args=[training.session.pk]))
    event = AuditEvent.objects.filter(
        action="view", record_type="training.session", record_id=str(training.session.pk)
    ).get()
    assert event.actor == p.trainer
    assert "participants" in event.fields


# -- certificates -----------------------------------------------------------------------


def test_a_certificate_needs_every_day_and_the_post_test(training: Training) -> None:
    p = training.p
    person = services.participant_add(actor=p.trainer, session=training.session, user=p.prosecutor)
    _record(training, person, days=2, pre=10, post=14)
    with pytest.raises(ValidationError, match="every day"):
        services.certificate_issue(actor=p.trainer, participant=person)
    _record(training, person, days=3, pre=10, post=None)
    with pytest.raises(ValidationError, match="post-test"):
        services.certificate_issue(actor=p.trainer, participant=person)
    _record(training, person, days=3, pre=10, post=14)
    certificate, code = services.certificate_issue(actor=p.trainer, participant=person)
    assert certificate.name_on_certificate == "Halima"
    with pytest.raises(ValidationError):
        services.certificate_issue(actor=p.trainer, participant=person)
    assert code not in Certificate.objects.values_list("code_index", flat=True)[0]


def test_certificate_verification_valid_revoked_unknown(
    training: Training, client_for: ClientFor
) -> None:
    p = training.p
    person = services.participant_add(
        actor=p.trainer,
        session=training.session,
        name="Mwanaisha Bakari",
        agency_name="Kwale County Court",
        job_title="Magistrate",
        audience=Audience.JUDICIAL,
    )
    _record(training, person, days=3, pre=12, post=18)
    certificate, code = services.certificate_issue(actor=p.trainer, participant=person)
    public = client_for(None)
    url = reverse("certificates:verify")
    valid = public.get(url, {"code": code.lower().replace("-", " ")}).content.decode()
    assert "Valid" in valid and "Mwanaisha Bakari" in valid
    assert "Victim-sensitive investigation" in valid
    # nothing else about the person: not their agency, role or scores
    assert "Kwale County Court" not in valid and "Magistrate" not in valid
    unknown = public.get(url, {"code": "KNG-AAAA-BBBB"}).content.decode()
    assert "Unknown" in unknown and "Mwanaisha" not in unknown
    services.certificate_revoke(actor=p.trainer, certificate=certificate, reason="error")
    revoked = public.get(url, {"code": code}).content.decode()
    assert "Revoked" in revoked and "Mwanaisha" not in revoked
    page = public.get(url)
    assert page.status_code == 200 and "result" not in page.content.decode()
    # a new certificate may replace a revoked one
    again, new_code = services.certificate_issue(actor=p.trainer, participant=person)
    assert new_code != code
    assert "Valid" in public.get(url, {"code": new_code}).content.decode()


def test_certificate_checks_are_rate_limited(training: Training, client_for: ClientFor) -> None:
    public = client_for(None)
    url = reverse("certificates:verify")
    statuses = [public.get(url, {"code": f"KNG-AAAA-{n:04d}"}).status_code for n in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_certificate_pdf_in_both_languages(training: Training, client_for: ClientFor) -> None:
    p = training.p
    person = services.participant_add(actor=p.trainer, session=training.session, user=p.prosecutor)
    _record(training, person, days=3, pre=10, post=14)
    certificate, code = services.certificate_issue(actor=p.trainer, participant=person)
    response = client_for(p.trainer).get(reverse("training:certificate_pdf", args=[certificate.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF")
    assert b"Certificate of completion" in body and b"Cheti cha kuhitimu" in body
    assert code.encode() in body
    assert (
        client_for(p.supervisor)
        .get(reverse("training:certificate_pdf", args=[certificate.pk]))
        .status_code
        == 404
    )


def test_issue_and_revoke_through_the_pages(training: Training, client_for: ClientFor) -> None:
    p = training.p
    person = services.participant_add(actor=p.trainer, session=training.session, user=p.prosecutor)
    client = client_for(p.trainer)
    response = client.post(
        reverse("training:participant_record", args=[person.pk]),
        {
            "days": [day.isoformat() for day in training.session.days()],
            "pre_score": 9,
            "post_score": 25,
        },
    )
    assert response.status_code == 400
    assert "A score is at most 20." in response.content.decode()
    response = client.post(
        reverse("training:participant_record", args=[person.pk]),
        {
            "days": [day.isoformat() for day in training.session.days()],
            "pre_score": 9,
            "post_score": 16,
        },
    )
    assert response.status_code == 302
    response = client.post(reverse("training:certificate_issue", args=[person.pk]), follow=True)
    assert "Certificate issued for Halima" in response.content.decode()
    certificate = Certificate.objects.get(participant=person)
    response = client.post(
        reverse("training:certificate_revoke", args=[certificate.pk]), {"reason": "misconduct"}
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None and certificate.revoked_by == p.trainer


def test_a_trainer_home_counts_training_work(training: Training, client_for: ClientFor) -> None:
    p = training.p
    person = services.participant_add(actor=p.trainer, session=training.session, user=p.prosecutor)
    _record(training, person, days=3, pre=10, post=None)
    body = client_for(p.trainer).get(reverse("home")).content.decode()
    assert "Participants still without a post-test" in body
    assert "Participants still without a post-test" not in (
        client_for(p.supervisor).get(reverse("home")).content.decode()
    )


def test_another_course_and_sessions_are_separate(training: Training) -> None:
    course = make_course(training.p, title="Child-friendly courts")
    session = make_session(training.p, course, audiences=[Audience.JUDICIAL])
    assert session.course == course and not session.joint


def test_names_on_the_session_page_are_escaped(training: Training, client_for: ClientFor) -> None:
    p = training.p
    services.participant_add(
        actor=p.trainer,
        session=training.session,
        name='<script>alert("x")</script>',
        agency_name="<b>Bad & co</b>",
        audience=Audience.POLICE,
    )
    body = client_for(p.trainer).get(reverse("training:session", args=[training.session.pk]))
    text = body.content.decode()
    assert "<script>alert" not in text and "&lt;script&gt;alert(&quot;x&quot;)" in text
    assert "&lt;b&gt;Bad &amp; co&lt;/b&gt;" in text


def test_the_trainers_dashboard_counts_the_last_twelve_months(
    training: Training, client_for: ClientFor
) -> None:
    p = training.p
    both = services.participant_add(actor=p.trainer, session=training.session, user=p.prosecutor)
    _record(training, both, days=3, pre=10, post=14)
    services.certificate_issue(actor=p.trainer, participant=both)
    pre_only = services.participant_add(
        actor=p.trainer, session=training.session, user=p.investigator
    )
    _record(training, pre_only, days=3, pre=10, post=None)
    make_session(p, training.course, audiences=[Audience.POLICE])
    summary = selectors.training_summary(
        viewer=p.trainer, since=training.session.starts_on - dt.timedelta(days=1)
    )
    assert (summary.sessions, summary.joint_sessions) == (2, 1)
    assert (summary.participants, summary.sat_both, summary.pre_only) == (2, 1, 1)
    assert summary.certificates == 1
    body = client_for(p.trainer).get(reverse("training:sessions")).content.decode()
    assert '<span class="figure">1</span> <span class="what">never sat the post-test' in body
