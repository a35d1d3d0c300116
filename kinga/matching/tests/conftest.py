from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from kinga.access.models import AccessGrant, Relation
from kinga.access.policy import Matter
from kinga.accounts.models import User
from kinga.matching.models import MatchCandidate
from kinga.matching.services import match_new_persons
from kinga.people.models import Person
from kinga.people.services import person_create, person_link


def on_team(user: User, matter: Matter) -> None:
    AccessGrant.objects.create(
        matter_type=matter.type, matter_id=matter.id, relation=Relation.TEAM_MEMBER, user=user
    )


@dataclass
class SuspectPair:
    first: Person
    second: Person
    first_incident: Matter
    second_incident: Matter
    candidate: MatchCandidate


def suspect_pair(investigator: User) -> SuspectPair:
    """One recruiter recorded in two incidents, spelled two ways; the investigator is on both."""
    first_incident, second_incident = (
        Matter(type="incident", id=501),
        Matter(type="incident", id=502),
    )
    first = person_create(
        actor=investigator,
        kind="suspect",
        given_name="Omar",
        family_name="Bakari",
        sex="male",
        date_of_birth=datetime.date(1985, 2, 11),
        village="Likoni",
        phones=["0799 888 777"],
        matter=first_incident,
    )
    person_link(person=first, matter=first_incident, role="suspect", actor=investigator)
    second = person_create(
        actor=investigator,
        kind="suspect",
        given_name="Omari",
        family_name="Bakar",
        aliases=["Babu"],
        sex="male",
        age_estimate=41,
        village="Likoni",
        phones=["+254799888777"],
        matter=second_incident,
    )
    person_link(person=second, matter=second_incident, role="suspect", actor=investigator)
    on_team(investigator, first_incident)
    on_team(investigator, second_incident)
    match_new_persons(now=timezone.now())
    candidate = MatchCandidate.objects.get(person_a=first, person_b=second)
    return SuspectPair(first, second, first_incident, second_incident, candidate)


@pytest.fixture
def pair(personas) -> SuspectPair:  # type: ignore[no-untyped-def]
    return suspect_pair(personas.investigator)
