from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from conftest import Personas
from kinga.places.models import County
from kinga.training import services
from kinga.training.models import Audience, Course, TrainingSession


@dataclass
class Training:
    p: Personas
    course: Course
    session: TrainingSession


def make_course(p: Personas, title: str = "Victim-sensitive investigation") -> Course:
    return services.course_create(
        actor=p.trainer,
        title=title,
        objectives="Interview a child once, well.",
        modules="The law\nThe child's interview\nEvidence",
        duration_days=3,
        audiences=[Audience.POLICE, Audience.PROSECUTOR],
        test_max_score=20,
        refresher_months=24,
    )


def make_session(
    p: Personas, course: Course, *, audiences: list[str] | None = None, days: int = 3
) -> TrainingSession:
    starts = timezone.localdate() - dt.timedelta(days=10)
    return services.session_create(
        actor=p.trainer,
        course=course,
        starts_on=starts,
        ends_on=starts + dt.timedelta(days=days - 1),
        venue="Mombasa Law Courts training room",
        county=County.objects.get(name="Mombasa"),
        facilitators="Hon. A. Mwangi; Insp. R. Chari",
        audiences=audiences if audiences is not None else [Audience.POLICE, Audience.PROSECUTOR],
        agencies=[p.police, p.prosecution],
    )


@pytest.fixture
def training(personas: Personas) -> Training:
    course = make_course(personas)
    return Training(p=personas, course=course, session=make_session(personas, course))
