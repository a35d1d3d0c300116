"""The database never holds a person's name, phone or date of birth in clear, nor an audit
reason (which may name them)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import audit_record
from kinga.people.models import Person, PersonKind
from kinga.people.services import person_create, person_update

GIVEN, OTHER, FAMILY = "Mwanaisha", "Zawadi", "Kahindi-Tsuma"
PHONE = "0712 345 678"
BIRTH = datetime.date(2011, 5, 17)

# Every way the identity could appear: names in any case, the phone in any format
# (patterns allow separators between digits), the date of birth as ISO and d/m/Y.
NEEDLES = [
    "mwanaisha",
    "zawadi",
    "kahindi",
    "tsuma",
    "2011-05-17",
    "17/05/2011",
    "17/5/2011",
    "20110517",
]
PHONE_PATTERNS = [
    re.compile(rb"7\D{0,3}1\D{0,3}2\D{0,3}3\D{0,3}4\D{0,3}5\D{0,3}6\D{0,3}7\D{0,3}8"),
]


def _write_person() -> Person:
    person = person_create(
        actor=None,
        kind=PersonKind.CHILD,
        given_name=GIVEN,
        other_names=OTHER,
        family_name=FAMILY,
        aliases=["Mwanaisha Kahindi"],
        date_of_birth=BIRTH,
        village="Kahindi Tsuma village",
        phones=[PHONE],
        identifiers=[("online_handle", "mwanaisha_tsuma", "tiktok")],
    )
    person_update(person=person, actor=None, other_names="Zawadi Mwanaisha")
    # An audit reason is free text (issue 11 holes 5 and 6): encrypted like the record.
    audit_record(
        action=AuditAction.CHANGE,
        actor=None,
        record_type="people.person",
        record_id=person.pk,
        reason=f"{GIVEN} {FAMILY} born {BIRTH:%d/%m/%Y}, phone {PHONE}",
    )
    return person


def _assert_no_trace(blob: bytes, where: str) -> None:
    lowered = blob.lower()
    for needle in NEEDLES:
        assert needle.encode() not in lowered, f"{needle!r} found in {where}"
        # SQLite may store text as UTF-16 in some databases; look for that too.
        assert needle.encode("utf-16-le") not in lowered, f"{needle!r} (utf-16) in {where}"
    for pattern in PHONE_PATTERNS:
        assert not pattern.search(blob), f"the phone number found in {where}"


@pytest.mark.django_db(transaction=True)
def test_identity_leaves_no_trace_in_the_database() -> None:
    person = _write_person()
    # The values did go in, and come back.
    assert Person.objects.get(pk=person.pk).given_name == GIVEN
    reasons = AuditEvent.objects.filter(record_type="people.person", record_id=str(person.pk))
    assert any(event.reason.startswith(GIVEN) for event in reasons)

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        database = Path(settings.DATABASES["default"]["TEST"]["NAME"])
        files = [database, Path(f"{database}-wal"), Path(f"{database}-journal")]
        read = [path for path in files if path.exists()]
        assert database in read
        for path in read:
            _assert_no_trace(path.read_bytes(), str(path))
    else:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            assert "people_person" in tables
            for table in tables:
                cursor.execute(
                    f"SELECT row_to_json(t)::text FROM {connection.ops.quote_name(table)} t"  # noqa: S608 - fixed test names
                )
                text = "\n".join(row[0] for row in cursor.fetchall())
                _assert_no_trace(text.encode(), table)
