"""Reads of people, always given the viewer.

A person is seen through the matters that link to them: a viewer sees a person when they
may take the action on the identity section of at least one matter the person is linked
to (`PersonLink`), by `kinga.access.policy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Case, IntegerField, Q, QuerySet, Sum, Value, When

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.lib.names import PREFIX_LENGTH, exact_token, pair_tokens, query_tokens
from kinga.lib.phones import normalise_phone
from kinga.people.match_records import person_match_record
from kinga.people.matcher import Explanation, MatchModel, MatchRecord, score_pairs
from kinga.people.models import (
    IdentifierKind,
    Person,
    PersonIdentifier,
    PersonLink,
    PersonNameToken,
)
from kinga.people.services import identifier_index

# At most this many persons holding a pair of the query's names are ranked; beyond that
# the newest are kept (a pair so common needs more words to narrow it anyway).
PAIR_CANDIDATES = 2000

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User


def visible_person_ids(
    viewer: User | AnonymousUser | None, *, section: str = "identity", action: str = "list"
) -> QuerySet[PersonLink, Any]:
    """Return a subquery of the ids of persons the viewer may see, filtered in SQL."""
    condition = Q(pk__in=[])
    for matter_type in MatterType.values:
        condition |= Q(
            matter_type=matter_type,
            matter_id__in=policy.visible_matter_ids(viewer, matter_type, section, action),
        )
    return PersonLink.objects.filter(condition).values("person_id")


def person_list(
    *, viewer: User | AnonymousUser | None, section: str = "identity", action: str = "list"
) -> QuerySet[Person]:
    """Return the persons the viewer may take the action on (identity section by default)."""
    return Person.objects.filter(pk__in=visible_person_ids(viewer, section=section, action=action))


def person_search(
    *,
    viewer: User | AnonymousUser | None,
    text: str | None = None,
    phone: str | None = None,
    limit: int = 20,
) -> list[Person]:
    """Return up to `limit` persons the viewer may list whose names or phone match, best first.

    Each part of `text` matches a person's name part by its exact spelling after
    normalisation (score 2) or its sound (score 1); short parts also match as the start of
    a name. With `phone`, only persons holding that number are returned. The search is
    audited with its terms hashed. Raise ValueError for a phone that cannot be read.
    """
    terms = " ".join(part for part in (text or "", phone or "") if part).strip()
    canonical_phone = normalise_phone(phone) if phone else None
    results: list[Person] = []
    parts = query_tokens(text) if text else []
    if parts or canonical_phone:
        visible = visible_person_ids(viewer, section="identity", action="list")
        if parts:
            among = visible
            if canonical_phone:
                among = among.filter(
                    person_id__in=_holders_of_phone(canonical_phone).values("person_id")
                )
            order = rank_by_name(parts, among=among, limit=limit)
        else:
            assert canonical_phone is not None
            order = list(
                _holders_of_phone(canonical_phone)
                .filter(person_id__in=visible)
                .order_by("-person_id")
                .values_list("person_id", flat=True)
                .distinct()[:limit]
            )
        by_id = Person.objects.in_bulk(order)
        results = [by_id[pk] for pk in order if pk in by_id]
    audit_record(
        action=AuditAction.SEARCH,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="people.person",
        search_terms=terms,
        detail={"results": len(results)},
    )
    return results


def rank_by_name(
    parts: list[tuple[str, frozenset[str], frozenset[str]]],
    *,
    among: QuerySet[Any, Any] | None,
    limit: int,
) -> list[int]:
    """Return the ids of the persons best matching the query parts (`query_tokens`).

    Persons holding every two of the query's parts (by sound) come first, then persons
    matching some parts; each group ordered by score — 2 for a part spelled the same
    after normalisation, 1 for a part that only sounds the same — then newest first.

    The first group is found through pair tokens, a few rows even on a million persons;
    the long per-part lists are merged only when that gives fewer than `limit`.

    A building block, not a selector: it applies no access rule beyond `among` (a subquery
    of person ids), so callers pass the viewer's visible persons.
    """
    exact = sorted({token for _, tokens, _ in parts for token in tokens})
    phonetic = sorted({token for _, _, tokens in parts for token in tokens} - set(exact))
    if len(parts) == 1:
        return _single_part(parts[0], among=among, limit=limit)
    order: list[int] = []
    pairs = sorted(pair_tokens(part for part, _, _ in parts))
    if pairs:
        holders = PersonNameToken.objects.filter(token__in=pairs)
        if among is not None:
            holders = holders.filter(person_id__in=among)
        candidates = list(
            holders.order_by("-person_id")
            .values_list("person_id", flat=True)
            .distinct()[:PAIR_CANDIDATES]
        )
        if candidates:
            order = _scored(exact, phonetic, limit=limit, person_ids=candidates)
    if len(order) < limit:
        if len(parts) == 2 and all(len(part) > PREFIX_LENGTH for part, _, _ in parts):
            # Whoever holds both parts (by sound) is already in `order`, so the rest hold
            # one part: its exact spelling (score 3) before its sound alone (1), newest
            # first within each — read tier by tier from the index instead of summing
            # scores over every row of two common names.
            wholes = sorted({exact_token(part) for part, _, _ in parts})
            order += _tiered([wholes, phonetic], among=among, limit=limit, order=order)
        else:
            matches = PersonNameToken.objects.all()
            if among is not None:
                matches = matches.filter(person_id__in=among)
            if order:
                matches = matches.exclude(person_id__in=order)
            order += _scored(exact, phonetic, limit=limit - len(order), matches=matches)
    return order


def _tiered(
    tiers: list[list[str]],
    *,
    among: QuerySet[Any, Any] | None,
    limit: int,
    order: list[int],
) -> list[int]:
    """Return up to `limit - len(order)` more person ids, tier by tier, newest first within
    each, leaving out those already in `order`: each tier reads the (token, person) index
    backwards and stops at the limit."""
    found: list[int] = []
    for tokens in tiers:
        wanted = limit - len(order) - len(found)
        if not tokens or wanted <= 0:
            continue
        rows = PersonNameToken.objects.filter(token__in=tokens)
        if among is not None:
            rows = rows.filter(person_id__in=among)
        if order or found:
            rows = rows.exclude(person_id__in=[*order, *found])
        found += list(
            rows.order_by("-person_id").values_list("person_id", flat=True).distinct()[:wanted]
        )
    return found


def _single_part(
    part: tuple[str, frozenset[str], frozenset[str]],
    *,
    among: QuerySet[Any, Any] | None,
    limit: int,
) -> list[int]:
    """Rank a one-word query tier by tier, newest first within each, from the index alone.

    The same order as the scores: whoever holds the exact spelling also holds its sound
    (score 3, or 5 with a short part's prefix), then those whose name starts with a short
    part (2), then those who only sound alike (1). Each tier reads the (token, person)
    index backwards and stops at `limit`, instead of merging tens of thousands of rows.
    """
    name, exact_tokens, phonetic_tokens = part
    whole = exact_token(name)
    tiers = [[whole], sorted(exact_tokens - {whole}), sorted(phonetic_tokens)]
    return _tiered(tiers, among=among, limit=limit, order=[])


def _scored(
    exact: list[str],
    phonetic: list[str],
    *,
    limit: int,
    person_ids: list[int] | None = None,
    matches: QuerySet[PersonNameToken] | None = None,
) -> list[int]:
    """Return up to `limit` person ids ordered by their name score, then newest first."""
    rows = (matches if matches is not None else PersonNameToken.objects.all()).filter(
        token__in=[*exact, *phonetic]
    )
    if person_ids is not None:
        rows = rows.filter(person_id__in=person_ids)
    ranked = (
        rows.values("person_id")
        .annotate(
            score=Sum(
                Case(
                    When(token__in=exact, then=Value(2)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
        )
        .order_by("-score", "-person_id")[:limit]
    )
    return [row["person_id"] for row in ranked]


def _holders_of_phone(canonical_phone: str) -> QuerySet[PersonIdentifier]:
    return PersonIdentifier.objects.filter(
        kind=IdentifierKind.PHONE,
        blind_index=identifier_index(IdentifierKind.PHONE, canonical_phone),
    )


@dataclass(frozen=True)
class LikelyMatch:
    """A person who may be the one being recorded, with why: the fields that agreed."""

    person: Person
    probability: float
    reasons: list[Explanation]


def person_likely_matches(
    *,
    viewer: User | AnonymousUser | None,
    text: str,
    sex: str = "",
    age_years: int | None = None,
    phone: str | None = None,
    limit: int = 10,
) -> list[LikelyMatch]:
    """Return the persons the viewer may list who may be the person described, most
    likely first, each with the comparisons that speak for it (search before create).

    Candidates come from the audited name search (`person_search`), so nobody the viewer
    may not see is ever compared; each is then scored by the matcher against what was
    typed (the first word as given name, the rest as family name) with the priors' model.
    """
    parts = text.split()
    if not parts:
        return []
    found = person_search(viewer=viewer, text=text, limit=max(limit * 3, 30))
    if not found:
        return []
    identifiers: dict[int, list[PersonIdentifier]] = {}
    for identifier in PersonIdentifier.objects.filter(person__in=found).order_by("pk"):
        identifiers.setdefault(identifier.person_id, []).append(identifier)
    query = MatchRecord(
        record_id="query",
        given_name=parts[0],
        family_name=" ".join(parts[1:]),
        sex=sex if sex in ("female", "male") else "",
        age_years=float(age_years) if age_years is not None else None,
        phones=(phone,) if phone else (),
    )
    records = [query, *(person_match_record(p, identifiers.get(p.pk, ())) for p in found)]
    model = MatchModel.default()
    scored = score_pairs(records, [(0, index) for index in range(1, len(records))], model=model)
    ranked = sorted(scored, key=lambda pair: (-pair.probability, -found[pair.right - 1].pk))
    return [
        LikelyMatch(
            person=found[pair.right - 1],
            probability=pair.probability,
            reasons=[item for item in model.explain(pair.pattern) if item.weight > 0],
        )
        for pair in ranked[:limit]
    ]
