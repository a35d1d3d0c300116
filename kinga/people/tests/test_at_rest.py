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


# --- a confidential shelter's address (issue 11 hole 6) ----------------------------------

SHELTER_LINES = ("Plot 4417 Kisimani-Mbovu", "Mlango wa Bluu", "Mwakirunge-Juu", "80499")
SHELTER_POINT = (-4.271937, 39.592713)


@pytest.fixture(autouse=True)
def _only_this_tests_pages(transactional_db: None) -> None:
    """Start each test from a compacted SQLite file: the shared test database keeps the free
    pages of every test before (megabytes of hashes, in which a five-digit postal code turns up
    by chance). What this test writes, and every page it frees, is still in the file scanned."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _database_blobs() -> list[tuple[str, bytes]]:
    """Return the raw bytes of the test database (SQLite files, or every PostgreSQL row)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        database = Path(settings.DATABASES["default"]["TEST"]["NAME"])
        files = [database, Path(f"{database}-wal"), Path(f"{database}-journal")]
        return [(str(path), path.read_bytes()) for path in files if path.exists()]
    blobs = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(
                f"SELECT row_to_json(t)::text FROM {connection.ops.quote_name(table)} t"  # noqa: S608 - fixed test names
            )
            blobs.append((table, "\n".join(row[0] for row in cursor.fetchall()).encode()))
    return blobs


@pytest.mark.django_db(transaction=True)
def test_two_factor_secrets_leave_no_trace_in_the_database() -> None:
    """Guards issue 11 hole 6: no TOTP secret (hex or base32) and no backup code in clear."""
    import base64

    from django_otp import match_token

    from conftest import gazetteer_ensure, make_agency
    from kinga.accounts.models import AgencyKind, Authenticator, Role
    from kinga.accounts.services import (
        backup_codes_replace,
        totp_enrolment_confirm,
        totp_enrolment_start,
        user_create,
    )

    gazetteer_ensure()
    agency = make_agency("At Rest NGO", AgencyKind.NGO)
    user = user_create(
        username="atrest", password="x" * 20, agency=agency, roles={Role.CASEWORKER}, actor=None
    )
    device = totp_enrolment_start(user=user)
    secret_hex = str(device.key)
    first_codes = totp_enrolment_confirm(user=user, device=device)
    codes = backup_codes_replace(user=user)  # replaced once more: old and new both checked
    # The secret and the codes still work.
    assert Authenticator.objects.get(pk=device.pk).key == secret_hex
    assert match_token(user, codes[0]) is not None
    assert match_token(user, codes[0]) is None, "a backup code works once"

    secret_b32 = base64.b32encode(bytes.fromhex(secret_hex)).decode()
    needles = [
        secret_hex.lower().encode(),
        secret_hex.upper().encode(),
        secret_b32.encode(),
        secret_b32.rstrip("=").lower().encode(),
        *[code.encode() for code in first_codes + codes],
    ]
    blobs = _database_blobs()
    assert blobs
    for where, blob in blobs:
        for needle in needles:
            assert needle not in blob, f"a two-factor secret or backup code in clear in {where}"
            assert needle.decode().encode("utf-16-le") not in blob, f"(utf-16) in {where}"


@pytest.mark.django_db(transaction=True)
def test_break_glass_reasons_and_review_notes_leave_no_trace_in_the_database(
    personas: object,
) -> None:
    """Guards issue 11 hole 6: a break-glass reason and its review note were stored in clear."""
    from kinga.access.models import BreakGlassGrant
    from kinga.access.services import break_glass_open, break_glass_review
    from kinga.cases.tests.conftest import open_case

    p = personas
    reason = "Zebrafinch emergency: guardian number needed for the Quokkaville placement."
    note = "Flagged: the Wombatcrest family was already with the caseworker."
    case = open_case(p, given_name="Mwanaisha")
    grant = break_glass_open(
        user=p.investigator,  # type: ignore[attr-defined]
        matter=case.access_matter(),
        reason=reason,
    )
    break_glass_review(
        grant=grant,
        reviewer=p.supervisor,  # type: ignore[attr-defined]
        decision="flagged",
        note=note,
    )
    stored = BreakGlassGrant.objects.get(pk=grant.pk)
    assert stored.reason == reason and stored.review_note == note
    for where, blob in _database_blobs():
        lowered = blob.lower()
        for needle in ("zebrafinch", "quokkaville", "wombatcrest"):
            assert needle.encode() not in lowered, f"{needle!r} found in {where}"
            assert needle.encode("utf-16-le") not in lowered, f"{needle!r} (utf-16) in {where}"


@pytest.mark.django_db(transaction=True)
def test_a_confidential_address_leaves_no_trace_in_the_database() -> None:
    """Guards issue 11 hole 6: a confidential shelter's street address, town, directions,
    postal code and exact point were stored in clear (a copy of the database file found
    the shelter)."""
    import struct

    from kinga.directory.models import Location
    from kinga.directory.services import location_create, location_update
    from kinga.places.models import County, SubCounty, Ward

    # A transactional test starts without the gazetteer: make the few places it needs.
    county = County.objects.create(
        name="Pwani Test",
        slug="pwani-test",
        code=47,
        prefix="PWT",
        coastal=True,
        latitude="-4.20",
        longitude="39.50",
    )
    sub_county = SubCounty.objects.create(
        name="Pwani Kusini",
        slug="pwani-kusini",
        county=county,
        latitude="-4.25",
        longitude="39.55",
    )
    ward = Ward.objects.create(
        name="Pwani Kati",
        slug="pwani-kati",
        sub_county=sub_county,
        latitude="-4.27",
        longitude="39.59",
    )
    street, directions, town, postal_code = SHELTER_LINES
    location = location_create(
        organization=None,
        actor=None,
        fields={
            "name": "House 7",
            "confidential": True,
            "ward": ward,
            "latitude": SHELTER_POINT[0],
            "longitude": SHELTER_POINT[1],
            "address_1": street,
            "address_attention": "Mama Mkuu",
            "transportation": directions,
            "city": town,
            "postal_code": postal_code,
        },
    )
    location_update(location=location, actor=None, changes={"address_2": "Nyumba ya Nyuma"})
    # The values did go in, and come back to code that asks for them.
    stored = Location.objects.get(pk=location.pk)
    assert stored.address_1 == street and stored.city == town
    assert stored.ward is None and stored.latitude is None  # nothing finer than the sub-county
    assert stored.sub_county == ward.sub_county
    assert stored.sealed_place == {
        "ward": ward.pk,
        "latitude": SHELTER_POINT[0],
        "longitude": SHELTER_POINT[1],
    }

    needles = [line.lower().encode() for line in (*SHELTER_LINES, "Mama Mkuu", "Nyumba ya Nyuma")]
    needles += [f"{value:.6f}".encode() for value in SHELTER_POINT]
    # SQLite keeps a REAL as eight big-endian bytes; PostgreSQL's JSON of a row as text.
    packed = [struct.pack(">d", value) for value in SHELTER_POINT]
    for where, blob in _database_blobs():
        lowered = blob.lower()
        for needle in needles:
            at = lowered.find(needle)
            around = lowered[max(0, at - 40) : at + len(needle) + 40] if at >= 0 else b""
            assert at < 0, f"{needle!r} found in {where}: ...{around!r}..."
            assert needle.decode().encode("utf-16-le") not in lowered, f"{needle!r} in {where}"
        for raw in packed:
            assert raw not in blob, f"the exact point found in {where}"
