"""Benchmark: a training session's page with 60 participants over 5 days.

It writes rows, so it needs a scratch database (its name contains "bench", or
KINGA_BENCH_SCRATCH=1):

    DATABASE_URL=sqlite:///var/bench.sqlite3 kinga migrate
    DATABASE_URL=sqlite:///var/bench.sqlite3 kinga bench training

The session (venue "[bench] ...") is made once through the services, with every
participant's attendance, scores and, for half of them, a certificate, and reused by the
next run (audit events cannot be deleted, by design). `--quick`: 30 participants.

The page is requested through Django's test Client inside this process, signed in as the
bench's trainer with two-factor passed: p50/p95 server time and the number of queries of
one request. Reference: a bare SELECT of the same participants, their attendance and their
certificates (no decryption, no policy, no audit, no template). Targets: p50 <= 150 ms and a
number of queries that does not grow with the participants.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from kinga.lib.bench import BenchResult, database_label, percentile, record

RUNS = 40
DAYS = 5
VENUE = "[bench] Mombasa training hall"


def _scratch_database() -> bool:
    name = str(settings.DATABASES["default"].get("NAME", ""))
    return "bench" in name.lower() or os.environ.get("KINGA_BENCH_SCRATCH") == "1"


def _trainer() -> Any:
    from kinga.accounts.models import Agency, RoleAssignment, User
    from kinga.places.models import County

    agency, _ = Agency.objects.get_or_create(
        name="Bench Training Centre",
        defaults={"kind": "training_institution", "county": County.objects.get(name="Mombasa")},
    )
    user, created = User.objects.get_or_create(
        username="bench_trainer", defaults={"agency": agency, "first_name": "Bench"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        RoleAssignment.objects.create(user=user, role="trainer")
    return user


def _session(trainer: Any, participants: int) -> Any:
    from kinga.places.models import County
    from kinga.training import services
    from kinga.training.models import Course, Participant, TrainingSession

    venue = f"{VENUE} ({participants})"
    existing = TrainingSession.objects.filter(venue=venue).first()
    if existing is not None:
        return existing
    rng = random.Random(participants)  # noqa: S311  # synthetic data, reproducible
    course = Course.objects.filter(title="[bench] Joint investigation and prosecution").first()
    if course is None:
        course = services.course_create(
            actor=trainer,
            title="[bench] Joint investigation and prosecution",
            objectives="Bench",
            modules="One\nTwo",
            duration_days=DAYS,
            audiences=["police", "prosecutor"],
            test_max_score=40,
            refresher_months=24,
        )
    starts = dt.date.today() - dt.timedelta(days=30)  # noqa: DTZ011  # a calendar day
    session = services.session_create(
        actor=trainer,
        course=course,
        starts_on=starts,
        ends_on=starts + dt.timedelta(days=DAYS - 1),
        venue=venue,
        county=County.objects.get(name="Mombasa"),
        facilitators="Bench",
        audiences=["police", "prosecutor"],
    )
    for number in range(participants):
        person = services.participant_add(
            actor=trainer,
            session=session,
            name=f"Bench participant {number}",
            agency_name="Bench station",
            job_title="Constable",
            audience="police" if number % 2 else "prosecutor",
        )
        pre = rng.randint(5, 30)
        services.participant_record(
            actor=trainer,
            participant=person,
            days_present=session.days(),
            pre_score=pre,
            post_score=min(40, pre + rng.randint(0, 10)) if number % 5 else None,
            feedback_rating=4,
        )
        if number % 2:
            person = Participant.objects.get(pk=person.pk)
            if person.post_score is not None:
                services.certificate_issue(actor=trainer, participant=person)
    return session


def _signed_in(user: Any) -> Client:
    from kinga.accounts.services import authenticator_ensure

    device = authenticator_ensure(user=user)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def _count_queries(call: Callable[[], Any]) -> int:
    count = 0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        call()
    return count


def _time(call: Callable[[], Any], runs: int) -> list[float]:
    call()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def _reference(session_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, name, agency_name, audience, pre_score, post_score "
            "FROM training_participant WHERE session_id = %s ORDER BY id",
            [session_id],
        )
        ids = [row[0] for row in cursor.fetchall()]
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            "SELECT participant_id, day FROM training_attendance "
            f"WHERE participant_id IN ({marks})",
            ids,
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT id, participant_id FROM training_certificate "
            f"WHERE revoked_at IS NULL AND participant_id IN ({marks})",
            ids,
        )
        cursor.fetchall()


def training_bench(*, out: Callable[[str], None], quick: bool = False) -> None:
    """Time the session page against the bare-SQL reference."""
    if not _scratch_database():
        out(
            "  skipped: training writes sessions and needs a scratch database — "
            "DATABASE_URL=sqlite:///var/bench.sqlite3 (a name containing 'bench') "
            "or KINGA_BENCH_SCRATCH=1"
        )
        return
    participants = 30 if quick else 60
    trainer = _trainer()
    session = _session(trainer, participants)
    small = _session(trainer, 6)
    client = _signed_in(trainer)
    url = reverse("training:session", args=[session.pk])

    def page() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    queries = _count_queries(page)
    small_queries = _count_queries(lambda: client.get(reverse("training:session", args=[small.pk])))
    kinga_ms = _time(page, RUNS)
    reference_ms = _time(lambda: _reference(session.pk), RUNS)
    p50 = percentile(kinga_ms, 0.5)
    record(
        BenchResult(
            name="training_session_page",
            database=database_label(),
            figures={
                "participants": participants,
                "days": DAYS,
                "queries": queries,
                "queries_with_6": small_queries,
                "p50_ms": p50,
                "p95_ms": percentile(kinga_ms, 0.95),
                "reference_p50_ms": percentile(reference_ms, 0.5),
            },
            ratio=p50 / percentile(reference_ms, 0.5),
            ratio_label="p50 page/bare-sql",
            target="p50 <= 150 ms and queries fixed",
            passed=p50 <= 150 and queries == small_queries,
        ),
        out,
    )


BENCHMARKS = {"training": training_bench}
