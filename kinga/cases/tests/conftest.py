"""A case in Mombasa owned by the caseworker persona, with a counsellor and an investigator
on its team."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from kinga.cases import services
from kinga.cases.models import Case, RoleOnCase
from kinga.people.models import PersonKind
from kinga.people.services import person_create
from kinga.places.models import County


@dataclass
class CaseWorld:
    case: Case
    personas: object


def open_case(personas: object, *, given_name: str = "Mwanaisha") -> Case:
    p = personas
    child = person_create(
        actor=p.caseworker,  # type: ignore[attr-defined]
        kind=PersonKind.CHILD,
        given_name=given_name,
        family_name="Kahindi",
        age_estimate=15,
        age_basis="apparent",
    )
    return services.case_open(
        child=child,
        county=County.objects.get(name="Mombasa"),
        actor=p.caseworker,  # type: ignore[attr-defined]
        reason="Triaged complaint of a girl exploited near the ferry",
    )


@pytest.fixture
def case(personas: object) -> Case:
    p = personas
    case = open_case(p)
    services.case_team_add(
        case=case,
        user=p.counsellor,
        role_on_case=RoleOnCase.COUNSELLOR,
        actor=p.caseworker,  # type: ignore[attr-defined]
    )
    services.case_team_add(
        case=case,
        user=p.investigator,
        role_on_case=RoleOnCase.INVESTIGATOR,
        actor=p.caseworker,  # type: ignore[attr-defined]
    )
    return case


TODAY = datetime.date(2026, 3, 2)
