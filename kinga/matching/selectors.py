"""Reads of matching, always given the viewer.

A pair of person records is shown only to someone with authority over both (the policy's
`person.merge` capability and `PERSON_MERGE_ACTION` on the identity of a matter each
record is linked to). Anyone else gets the same 404 as for a pair that does not exist,
audited, and finds no trace of it in any list or count.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.matching.models import CandidateStatus, MatchCandidate, PersonMerge
from kinga.people.matcher import COMPARISONS
from kinga.people.models import IdentifierKind, Person, PersonIdentifier, PersonLink
from kinga.people.selectors import visible_person_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.home import WorkCount
    from kinga.accounts.models import User

QUEUE_LIMIT = 100
# Fields shown side by side, in order (each is audited by name when shown).
IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "other_names",
    "aliases",
    "sex",
    "date_of_birth",
    "age_estimate",
    "home_ward",
    "village",
    "identifiers",
)


def mergeable_person_ids(viewer: User | AnonymousUser | None) -> QuerySet[PersonLink, Any]:
    """Return a subquery of the ids of persons the viewer has matching authority over."""
    if not policy.can_do(viewer, "person.merge"):
        return PersonLink.objects.none().values("person_id")
    return visible_person_ids(
        viewer, section=policy.PERSON_MERGE_SECTION, action=policy.PERSON_MERGE_ACTION
    )


def may_review_pair(viewer: User | AnonymousUser | None, first: int, second: int) -> bool:
    """Return whether the viewer has authority over both person records."""
    if first == second:
        return False
    allowed = mergeable_person_ids(viewer)
    return Person.objects.filter(pk__in=[first, second]).filter(pk__in=allowed).count() == 2


def _reviewable(viewer: User | AnonymousUser | None) -> QuerySet[MatchCandidate]:
    allowed = mergeable_person_ids(viewer)
    return MatchCandidate.objects.filter(person_a_id__in=allowed, person_b_id__in=allowed)


def review_queue(
    *, viewer: User | AnonymousUser | None, status: str = CandidateStatus.OPEN
) -> list[MatchCandidate]:
    """Return the pairs of the given status the viewer may review, most likely first.

    The list names no one: kinds, probability and what agreed, never a name.
    """
    return list(
        _reviewable(viewer)
        .filter(status=status)
        .select_related("person_a", "person_b")
        .only(
            "pk",
            "probability",
            "explanation",
            "status",
            "created_at",
            "decided_at",
            "person_a__kind",
            "person_b__kind",
            "person_a__age_band",
            "person_b__age_band",
        )
        .order_by("-probability", "-pk")[:QUEUE_LIMIT]
    )


@dataclass(frozen=True)
class ExplanationRow:
    field: str
    level: str
    weight: float

    @property
    def agrees(self) -> bool:
        return self.weight > 0

    @property
    def known(self) -> bool:
        return self.level != "not known"


@dataclass(frozen=True)
class MatterRef:
    matter_type: str  # its label, in the reader's language
    matter_id: int
    role: str  # its label


@dataclass(frozen=True)
class PersonSide:
    person: Person
    phones: list[str]
    documents: list[tuple[str, str]]
    matters: list[MatterRef]
    recorded_by_agency: str


@dataclass(frozen=True)
class CandidatePage:
    candidate: MatchCandidate
    left: PersonSide
    right: PersonSide
    rows: list[ExplanationRow]
    merge: PersonMerge | None


def explanation_rows(candidate: MatchCandidate) -> list[ExplanationRow]:
    """Return the candidate's explanation in the matcher's field order."""
    rows: list[ExplanationRow] = []
    for comparison in COMPARISONS:
        level, weight = candidate.explanation.get(comparison.name, ["not known", 0.0])
        rows.append(ExplanationRow(field=comparison.name, level=str(level), weight=float(weight)))
    return rows


def _side(viewer: User | AnonymousUser | None, person: Person) -> PersonSide:
    phones: list[str] = []
    documents: list[tuple[str, str]] = []
    for identifier in PersonIdentifier.objects.filter(person=person).order_by("kind", "pk"):
        if identifier.kind == IdentifierKind.PHONE:
            phones.append(identifier.value)
        else:
            documents.append((identifier.get_kind_display(), identifier.value))
    visible = Q(pk__in=[])
    for matter_type in MatterType.values:
        visible |= Q(
            matter_type=matter_type,
            matter_id__in=policy.visible_matter_ids(viewer, matter_type, "summary", "list"),
        )
    matters = [
        MatterRef(
            matter_type=str(MatterType(link.matter_type).label),
            matter_id=link.matter_id,
            role=link.get_role_display(),
        )
        for link in PersonLink.objects.filter(visible, person=person).order_by("pk")
    ]
    creator = person.created_by
    return PersonSide(
        person=person,
        phones=phones,
        documents=documents,
        matters=matters,
        recorded_by_agency=creator.agency.name if creator is not None and creator.agency else "",
    )


def candidate_page(*, viewer: User | AnonymousUser | None, candidate_id: int) -> CandidatePage:
    """Return the pair side by side with why it was found; audit the view of each record.

    Raise an audited 404 when the pair does not exist or the viewer lacks authority over
    either record: both look the same.
    """
    candidate = (
        MatchCandidate.objects.select_related(
            "person_a__home_ward",
            "person_b__home_ward",
            "person_a__created_by__agency",
            "person_b__created_by__agency",
        )
        .filter(pk=candidate_id)
        .first()
    )
    if candidate is None or not may_review_pair(
        viewer, candidate.person_a_id, candidate.person_b_id
    ):
        raise policy.deny(viewer, record_type="matching.matchcandidate", record_id=candidate_id)
    actor = viewer if viewer is not None and viewer.is_authenticated else None
    for person in (candidate.person_a, candidate.person_b):
        audit_record(
            action=AuditAction.VIEW,
            actor=actor,
            record_type="people.person",
            record_id=person.pk,
            fields=list(IDENTITY_FIELDS),
            detail={"candidate": candidate.pk},
        )
    merge = (
        PersonMerge.objects.filter(candidate=candidate, undone_at__isnull=True)
        .order_by("-pk")
        .first()
    )
    return CandidatePage(
        candidate=candidate,
        left=_side(viewer, candidate.person_a),
        right=_side(viewer, candidate.person_b),
        rows=explanation_rows(candidate),
        merge=merge,
    )


def merged_with(*, viewer: User | AnonymousUser | None, person: Person) -> list[int]:
    """Return the ids of the records merged with this one that the viewer may see."""
    live = PersonMerge.objects.filter(undone_at__isnull=True).filter(
        Q(person_a=person) | Q(person_b=person)
    )
    others = {
        merge.person_b_id if merge.person_a_id == person.pk else merge.person_a_id for merge in live
    }
    if not others:
        return []
    seen = visible_person_ids(viewer, section="identity", action="view")
    return sorted(
        Person.objects.filter(pk__in=others).filter(pk__in=seen).values_list("pk", flat=True)
    )


def home_work(*, viewer: User, today: datetime.date) -> list[WorkCount]:
    """Return the count of pairs waiting for the viewer's review, for their home."""
    from django.utils.translation import gettext_lazy as _

    from kinga.accounts.home import WorkCount

    if not policy.can_do(viewer, "person.merge"):
        return []
    count = _reviewable(viewer).filter(status=CandidateStatus.OPEN).count()
    if not count:
        return []
    return [WorkCount(_("Records that may be one person"), count, reverse("matching:queue"))]
