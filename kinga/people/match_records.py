"""Persons as the matcher reads them (`kinga.people.matcher.MatchRecord`).

Decrypts identity in memory only, for the length of a matching run; nothing decrypted is
stored. Reads go in batches so a whole table never sits in memory as model instances.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from kinga.lib.names import name_lineage, pair_tokens, phonetic_token
from kinga.people.matcher import MatchRecord
from kinga.people.models import (
    AgeBasis,
    IdentifierKind,
    Person,
    PersonIdentifier,
    PersonNameToken,
)
from kinga.people.services import identifier_index

# How far an age estimate may be off, in years either side, by how it was arrived at.
AGE_UNCERTAINTY: dict[str, float] = {
    AgeBasis.DOCUMENT: 1.0,
    AgeBasis.ASSESSED: 2.0,
    AgeBasis.SELF_REPORTED: 2.0,
    AgeBasis.APPARENT: 3.0,
}
DOCUMENTS = (IdentifierKind.NATIONAL_ID, IdentifierKind.BIRTH_CERTIFICATE, IdentifierKind.PASSPORT)
BATCH = 2_000


def person_match_record(person: Person, identifiers: Iterable[PersonIdentifier]) -> MatchRecord:
    """Return the person as a matcher record (its id is the person's id)."""
    phones: list[str] = []
    document = ""
    for identifier in identifiers:
        if identifier.kind == IdentifierKind.PHONE:
            phones.append(identifier.value)
        elif identifier.kind in DOCUMENTS and not document:
            document = identifier.value
    ward = person.home_ward
    return MatchRecord(
        record_id=str(person.pk),
        given_name=person.given_name,
        family_name=person.family_name,
        other_names=person.other_names,
        aliases=tuple(person.aliases or ()),
        sex=person.sex if person.sex in ("female", "male") else "",
        date_of_birth=person.date_of_birth.strftime("%Y%m%d") if person.date_of_birth else "",
        age_years=float(person.age_estimate) if person.age_estimate is not None else None,
        age_uncertainty=AGE_UNCERTAINTY.get(person.age_basis, 2.0),
        age_on=person.created_at.date() if person.created_at else None,
        phones=tuple(phones),
        national_id=document,
        village=person.village,
        ward=ward.name if ward is not None else "",
        sub_county=ward.sub_county.name if ward is not None else "",
        county=ward.sub_county.county.name if ward is not None else "",
    )


def match_records(persons: QuerySet[Person], *, batch: int | None = None) -> Iterator[MatchRecord]:
    """Yield the persons of a queryset as matcher records, in id order, batch by batch
    (`BATCH` persons at a time unless told): no more than one batch is held as persons."""
    batch = batch or BATCH
    last = 0
    ordered = persons.select_related("home_ward__sub_county__county").order_by("pk")
    while True:
        chunk = list(ordered.filter(pk__gt=last)[:batch])
        if not chunk:
            return
        by_person: dict[int, list[PersonIdentifier]] = {}
        for identifier in PersonIdentifier.objects.filter(
            person_id__in=[person.pk for person in chunk],
            kind__in=[IdentifierKind.PHONE, *DOCUMENTS],
        ).order_by("pk"):
            by_person.setdefault(identifier.person_id, []).append(identifier)
        for person in chunk:
            yield person_match_record(person, by_person.get(person.pk, ()))
        last = chunk[-1].pk


# At most this many persons are drawn from each index for one new record.
CANDIDATES_PER_KEY = 200


def likely_candidate_ids(record: MatchRecord, *, exclude: int | None = None) -> list[int]:
    """Return ids of persons who may be the record's person, from the keyed indexes alone.

    The blocking of the incremental matcher and of search-before-create: persons sharing
    both names by sound (in either order), the given or the family name by sound, a phone,
    or an identity document. Newest first within each; no access rule applied (callers
    filter by the viewer, or are the worker).
    """
    parts: list[str] = []
    for text in (record.given_name, record.family_name, record.other_names, *record.aliases):
        own, father = name_lineage(text)
        parts.extend(own + father)
    tokens = sorted(pair_tokens(parts)) if len(parts) > 1 else []
    sounds = sorted({phonetic_token(part) for part in parts})
    found: list[int] = []

    def take(rows: QuerySet[Any, Any]) -> None:
        if exclude is not None:
            rows = rows.exclude(person_id=exclude)
        for person_id in (
            rows.order_by("-person_id").values_list("person_id", flat=True).distinct()
        )[:CANDIDATES_PER_KEY]:
            if person_id not in found:
                found.append(person_id)

    if tokens:
        take(PersonNameToken.objects.filter(token__in=tokens))
    if sounds and len(found) < CANDIDATES_PER_KEY:
        take(PersonNameToken.objects.filter(token__in=sounds))
    indexes: list[str] = []
    for phone in record.phones:
        try:
            indexes.append(identifier_index(IdentifierKind.PHONE, phone))
        except ValueError:
            continue
    if record.national_id:
        for kind in DOCUMENTS:
            indexes.append(identifier_index(kind, record.national_id))
    if indexes:
        take(PersonIdentifier.objects.filter(blind_index__in=indexes))
    return found
