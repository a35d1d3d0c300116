"""Small incidents with known links, built through justice's own services."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kinga.intake.tests.conftest import run_worker
from kinga.justice import services as justice
from kinga.justice.models import Incident, LeadKind, PersonOfInterest, PersonRole, Relationship
from kinga.justice.tests.conftest import facts
from kinga.matching.models import MatchCandidate, MatchRun, PersonMerge, RunKind
from kinga.matching.services import person_merge, person_unmerge
from kinga.people.models import Person

__all__ = ["incident_with", "merge", "run_worker", "unmerge"]


def incident_with(
    personas: Any,
    people: list[tuple[str, str, str]],
    *,
    leads: list[tuple[str, str, str, int | None]] = (),  # type: ignore[assignment]
    county: str = "Mombasa",
) -> tuple[Incident, list[PersonOfInterest]]:
    """Open an incident as the investigator with these (given, family, role) people and
    leads (kind, value, platform, index of the person using it or None)."""
    from kinga.places.models import County

    incident = justice.incident_open(
        actor=personas.investigator, facts=facts(county=County.objects.get(name=county))
    )
    pois = [
        justice.person_of_interest_add(
            incident=incident,
            actor=personas.investigator,
            role=role,
            relationship=Relationship.COMMUNITY,
            new_person=justice.NewPerson(given_name=given, family_name=family),
        )
        for given, family, role in people
    ]
    for kind, value, platform, user in leads:
        justice.lead_add(
            incident=incident,
            actor=personas.investigator,
            kind=kind,
            value=value,
            platform=platform,
            person=pois[user] if user is not None else None,
        )
    return incident, pois


def merge(personas: Any, first: Person, second: Person) -> PersonMerge:
    """Confirm two records as one person, as a reviewer does on the matching page."""
    a, b = sorted((first, second), key=lambda person: person.pk)
    run = MatchRun.objects.create(kind=RunKind.NEW, started_at=timezone.now())
    candidate = MatchCandidate.objects.create(
        person_a=a, person_b=b, probability=0.97, pattern=0, run=run
    )
    return person_merge(candidate=candidate, actor=personas.investigator)


def unmerge(personas: Any, done: PersonMerge) -> PersonMerge:
    return person_unmerge(merge=done, actor=personas.investigator)


RECRUITER = PersonRole.RECRUITER
TRANSPORTER = PersonRole.TRANSPORTER
BUYER = PersonRole.BUYER
PHONE = LeadKind.PHONE
ACCOUNT = LeadKind.ONLINE_ACCOUNT
VENUE = LeadKind.VENUE
VEHICLE = LeadKind.VEHICLE
