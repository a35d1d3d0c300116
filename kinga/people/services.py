"""Writes to people: create and change a person, link them to a matter.

Every write recomputes what is derived from identity (age band, name tokens, blind
indexes) in the same transaction, and writes one audit event naming the fields, never
their values.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F

from kinga.access.policy import Matter, matter_of
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.lib.crypto import keyed_hash
from kinga.lib.names import name_tokens
from kinga.lib.phones import normalise_phone
from kinga.people.models import (
    IdentifierKind,
    Person,
    PersonIdentifier,
    PersonLink,
    PersonNameToken,
)

if TYPE_CHECKING:
    from kinga.access.policy import ProtectedRecord
    from kinga.accounts.models import User
    from kinga.places.models import Ward

# An identifier as given to a service: (kind, value) or (kind, value, platform).
IdentifierInput = tuple[str, str] | tuple[str, str, str]

NAME_FIELDS = ("given_name", "family_name", "other_names", "aliases")
CHANGEABLE_FIELDS = frozenset(
    {
        "kind",
        "given_name",
        "family_name",
        "other_names",
        "aliases",
        "sex",
        "date_of_birth",
        "age_estimate",
        "age_basis",
        "nationality",
        "languages",
        "home_ward",
        "village",
    }
)


def normalise_identifier(kind: str, value: str, platform: str = "") -> str:
    """Return the canonical form of an identifier, the input of its blind index.

    Phones become E.164; ID, certificate, passport and plate numbers lose spaces, dashes
    and case (`KCA 123A` -> `KCA123A`); handles lose a leading `@` and case. Raise
    ValueError when a value is empty or not of its kind.
    """
    text = (value or "").strip()
    if kind == IdentifierKind.PHONE:
        return normalise_phone(text)
    if kind == IdentifierKind.ONLINE_HANDLE:
        handle = text.lstrip("@").casefold()
        if not handle:
            raise ValueError("An online handle is empty.")
        return handle
    if kind in (
        IdentifierKind.NATIONAL_ID,
        IdentifierKind.BIRTH_CERTIFICATE,
        IdentifierKind.PASSPORT,
        IdentifierKind.VEHICLE_PLATE,
    ):
        compact = re.sub(r"[^0-9A-Za-z]", "", text).upper()
        if not compact:
            raise ValueError(f"The {IdentifierKind(kind).label} is empty.")
        return compact
    raise ValueError(f"Unknown identifier kind {kind!r}.")


def identifier_index(kind: str, value: str, platform: str = "") -> str:
    """Return the blind index of an identifier (normalised first)."""
    purpose = kind if kind != IdentifierKind.ONLINE_HANDLE else f"{kind}:{platform.casefold()}"
    return keyed_hash(normalise_identifier(kind, value, platform), purpose=purpose)


def _identifier_rows(
    person: Person, phones: Iterable[str], identifiers: Iterable[Sequence[str]]
) -> list[PersonIdentifier]:
    rows: dict[tuple[str, str], PersonIdentifier] = {}
    entries: list[tuple[str, str, str]] = [(IdentifierKind.PHONE, phone, "") for phone in phones]
    for entry in identifiers:
        kind, value = entry[0], entry[1]
        platform = entry[2] if len(entry) > 2 else ""
        entries.append((kind, value, platform))
    for kind, value, platform in entries:
        canonical = normalise_identifier(kind, value, platform)
        index = identifier_index(kind, value, platform)
        rows[(kind, index)] = PersonIdentifier(
            person=person,
            kind=kind,
            platform=platform.casefold() if kind == IdentifierKind.ONLINE_HANDLE else "",
            value=canonical if kind == IdentifierKind.PHONE else value.strip(),
            blind_index=index,
        )
    return list(rows.values())


def _identifier_keys(rows: Iterable[PersonIdentifier]) -> set[tuple[str, str, str, str]]:
    return {(row.kind, row.platform, row.blind_index, str(row.value)) for row in rows}


def person_names(person: Person) -> list[str]:
    """Return every name a person goes by, for the search tokens."""
    return [person.given_name, person.family_name, person.other_names, *(person.aliases or [])]


def _write_tokens(person: Person) -> None:
    PersonNameToken.objects.filter(person=person).delete()
    PersonNameToken.objects.bulk_create(
        [
            PersonNameToken(person=person, token=token)
            for token in sorted(name_tokens(person_names(person)))
        ]
    )


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    kind: str,
    given_name: str = "",
    family_name: str = "",
    other_names: str = "",
    aliases: Iterable[str] = (),
    sex: str = "",
    date_of_birth: datetime.date | None = None,
    age_estimate: int | None = None,
    age_basis: str = "",
    nationality: str = "",
    languages: Iterable[str] = (),
    home_ward: Ward | None = None,
    village: str = "",
    phones: Iterable[str] = (),
    identifiers: Iterable[IdentifierInput] = (),
    matter: ProtectedRecord | Matter | None = None,
) -> Person:
    """Create a person with their identifiers and search tokens; audit it.

    `matter` names the matter the person is recorded for (a guardian on a case), so the
    event shows on that matter's trail.

    Raise ValidationError for invalid fields and ValueError for a phone or identifier
    that cannot be read.
    """
    person = Person(
        kind=kind,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        other_names=other_names.strip(),
        aliases=[alias.strip() for alias in aliases if alias.strip()],
        sex=sex,
        date_of_birth=date_of_birth,
        age_estimate=age_estimate,
        age_basis=age_basis,
        nationality=nationality.upper(),
        languages=list(languages),
        home_ward=home_ward,
        village=village.strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    person.age_band = person.derive_age_band()
    person.full_clean()
    person.save(force_insert=True)
    rows = _identifier_rows(person, phones, identifiers)
    for row in rows:
        row.full_clean(exclude=["person"])
    PersonIdentifier.objects.bulk_create(rows)
    _write_tokens(person)
    filled = [
        name for name in sorted(CHANGEABLE_FIELDS) if getattr(person, name) not in (None, "", [])
    ]
    where = matter_of(matter) if matter is not None else None
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="people.person",
        record_id=person.pk,
        matter_type=where.type if where is not None else "",
        matter_id=where.id if where is not None else None,
        fields=[*filled, *(["identifiers"] if rows else [])],
    )
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    actor: User | None,
    matter: ProtectedRecord | Matter | None = None,
    **changes: Any,
) -> Person:
    """Change the given fields of a person; `phones`/`identifiers` replace those lists.

    Name changes rebuild the search tokens; date of birth or estimate changes re-derive
    the age band. Audit the names of the fields changed (on the trail of `matter`, the
    matter the change was made through, when given).
    """
    phones = changes.pop("phones", None)
    identifiers = changes.pop("identifiers", None)
    unknown = set(changes) - CHANGEABLE_FIELDS
    if unknown:
        raise TypeError(f"person_update cannot change {', '.join(sorted(unknown))}")
    changed: list[str] = []
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "aliases":
            value = [alias.strip() for alias in value if alias.strip()]
        if name == "nationality":
            value = value.upper()
        if name == "languages":
            value = list(value)
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    # Re-derived on every change: a band stored years ago may be stale by now.
    band = person.derive_age_band()
    if band != person.age_band:
        person.age_band = band
        changed.append("age_band")
    identifiers_changed = False
    if phones is not None or identifiers is not None:
        keep_kinds: set[str] = set()
        if phones is None:
            keep_kinds.add(IdentifierKind.PHONE)
        current = PersonIdentifier.objects.filter(person=person)
        if identifiers is None:
            current = current.filter(kind=IdentifierKind.PHONE)
        else:
            current = current.exclude(kind__in=keep_kinds)
        rows = _identifier_rows(person, phones or (), identifiers or ())
        # replaced only when they differ, so a save that changes nothing moves nothing
        identifiers_changed = _identifier_keys(current) != _identifier_keys(rows)
        if identifiers_changed:
            current.delete()
            PersonIdentifier.objects.bulk_create(rows)
    if changed or identifiers_changed:
        person.full_clean()
        # the edit version moves with every change, so a form opened before it is refused
        person.version = F("version") + 1
        person.save(update_fields=[*changed, "updated_at", "version"])
        person.refresh_from_db(fields=["version"])
    if set(NAME_FIELDS) & set(changed):
        _write_tokens(person)
    if identifiers_changed:
        changed.append("identifiers")
    if changed:
        where = matter_of(matter) if matter is not None else None
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            record_type="people.person",
            record_id=person.pk,
            matter_type=where.type if where is not None else "",
            matter_id=where.id if where is not None else None,
            fields=changed,
        )
    return person


@transaction.atomic
def person_link(
    *, person: Person, matter: ProtectedRecord | Matter, role: str, actor: User | None
) -> PersonLink:
    """Record the person's role in a matter (idempotent); audit a new link."""
    target = matter_of(matter)
    link, created = PersonLink.objects.get_or_create(
        person=person, matter_type=target.type, matter_id=target.id, role=role
    )
    if created:
        link.full_clean()
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            record_type="people.personlink",
            record_id=link.pk,
            matter_type=target.type,
            matter_id=target.id,
            fields=["person", "role"],
        )
    return link
