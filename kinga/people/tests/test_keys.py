from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from kinga.audit.models import AuditAction, AuditEvent
from kinga.lib.crypto import DecryptionError, key_id_of, new_key_spec
from kinga.people.models import Person, PersonIdentifier, PersonKind
from kinga.people.services import person_create

KEY_A = new_key_spec("A")
KEY_B = new_key_spec("B")


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> '' ORDER BY id")  # noqa: S608 - fixed test names
        return [row[0] for row in cursor.fetchall()]


def _people(count: int) -> list[Person]:
    return [
        person_create(
            actor=None,
            kind=PersonKind.CHILD,
            given_name=f"Kahindi {index}",
            family_name="Tsuma",
            date_of_birth=datetime.date(2012, 1, 1 + index),
            phones=[f"07123456{index:02d}"],
        )
        for index in range(count)
    ]


@pytest.mark.django_db
def test_rotate_then_drop_the_old_key(settings: pytest.FixtureRequest) -> None:
    settings.KINGA_DATA_KEYS = KEY_A  # type: ignore[attr-defined]
    people = _people(7)
    assert {key_id_of(value) for value in _raw("people_person", "given_name")} == {"A"}

    settings.KINGA_DATA_KEYS = f"{KEY_B},{KEY_A}"  # type: ignore[attr-defined]
    late = _people(1)[0]  # written after the new key: already under B
    out = StringIO()
    call_command("keys", "rotate", "--batch-size", "3", stdout=out, stderr=StringIO())
    assert "under key 'B'" in out.getvalue()
    for table, column in [
        ("people_person", "given_name"),
        ("people_person", "family_name"),
        ("people_person", "date_of_birth"),
        ("people_person", "aliases"),
        ("people_personidentifier", "value"),
    ]:
        assert {key_id_of(value) for value in _raw(table, column)} == {"B"}, column
    event = AuditEvent.objects.filter(action=AuditAction.KEY_ROTATION).get()
    assert event.detail["key_id"] == "B"
    assert event.detail["rows"] == 7 + 7  # persons and their phones, not the late one

    settings.KINGA_DATA_KEYS = KEY_B  # type: ignore[attr-defined]
    names = sorted(person.given_name for person in Person.objects.all())
    assert names == sorted([*(person.given_name for person in people), late.given_name])
    assert Person.objects.get(pk=people[3].pk).date_of_birth == datetime.date(2012, 1, 4)
    assert {identifier.value for identifier in PersonIdentifier.objects.all()} >= {"+254712345600"}


@pytest.mark.django_db
def test_rotation_resumes_and_skips_what_is_done(settings: pytest.FixtureRequest) -> None:
    settings.KINGA_DATA_KEYS = KEY_A  # type: ignore[attr-defined]
    _people(3)
    settings.KINGA_DATA_KEYS = f"{KEY_B},{KEY_A}"  # type: ignore[attr-defined]
    call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())
    call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())
    events = AuditEvent.objects.filter(action=AuditAction.KEY_ROTATION).order_by("seq")
    assert [event.detail["rows"] for event in events] == [6, 0]


@pytest.mark.django_db
def test_without_rotation_dropping_the_old_key_fails_loudly(
    settings: pytest.FixtureRequest,
) -> None:
    settings.KINGA_DATA_KEYS = KEY_A  # type: ignore[attr-defined]
    person = _people(1)[0]
    settings.KINGA_DATA_KEYS = KEY_B  # type: ignore[attr-defined]
    with pytest.raises(DecryptionError, match="no data key"):
        Person.objects.get(pk=person.pk)


@pytest.mark.django_db
def test_status_counts_values_per_key(settings: pytest.FixtureRequest) -> None:
    settings.KINGA_DATA_KEYS = KEY_A  # type: ignore[attr-defined]
    _people(2)
    settings.KINGA_DATA_KEYS = f"{KEY_B},{KEY_A}"  # type: ignore[attr-defined]
    out = StringIO()
    call_command("keys", "status", stdout=out)
    assert "primary key: B" in out.getvalue()
    assert "people.person.given_name\tA\t2" in out.getvalue()


def test_new_key_prints_an_id_and_key() -> None:
    out = StringIO()
    call_command("keys", "new-key", "2026-11", stdout=out)
    key_id, _, key = out.getvalue().strip().partition(":")
    assert key_id == "2026-11"
    assert len(key) == 43
