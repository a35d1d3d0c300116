from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from kinga.access.models import MatterType, Relation
from kinga.access.policy import Matter
from kinga.access.services import access_grant
from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import search_terms_hash
from kinga.lib.crypto import DecryptionError, decrypt, encrypt
from kinga.people.models import (
    AgeBand,
    IdentifierKind,
    Person,
    PersonIdentifier,
    PersonKind,
    PersonLink,
    PersonNameToken,
)
from kinga.people.selectors import person_list, person_search
from kinga.people.services import identifier_index, person_create, person_link, person_update

CASE = Matter(type=MatterType.CASE, id=4101)
OTHER_CASE = Matter(type=MatterType.CASE, id=4102)


@pytest.fixture
def child(personas):  # type: ignore[no-untyped-def]
    person = person_create(
        actor=personas.caseworker,
        kind=PersonKind.CHILD,
        given_name="Mwanaisha",
        other_names="Zawadi",
        family_name="Kahindi-Tsuma",
        aliases=["Mwana"],
        sex="female",
        date_of_birth=datetime.date(2011, 5, 17),
        phones=["0712 345 678"],
        identifiers=[
            ("birth_certificate", "bc-2011 0042"),
            ("online_handle", "@mwana_z", "TikTok"),
        ],
    )
    person_link(person=person, matter=CASE, role="child", actor=personas.caseworker)
    access_grant(matter=CASE, relation=Relation.TEAM_MEMBER, actor=None, user=personas.caseworker)
    access_grant(
        matter=CASE,
        relation=Relation.AGENCY_ON_TEAM,
        actor=None,
        agency=personas.ngo,
        via_role="caseworker",
    )
    return person


def test_age_band_is_derived_from_the_date_of_birth(db: None) -> None:
    person = person_create(
        actor=None, kind=PersonKind.CHILD, date_of_birth=timezone.localdate().replace(year=2000)
    )
    assert person.age_band == AgeBand.ADULT
    assert not person.is_child
    person.refresh_from_db()
    assert person.date_of_birth == timezone.localdate().replace(year=2000)


@pytest.mark.parametrize(
    ("estimate", "band"),
    [
        (3, "0-5"),
        (6, "6-11"),
        (11, "6-11"),
        (12, "12-14"),
        (15, "15-17"),
        (17, "15-17"),
        (18, "18+"),
    ],
)
def test_age_band_is_derived_from_the_estimate(db: None, estimate: int, band: str) -> None:
    person = person_create(
        actor=None, kind=PersonKind.CHILD, age_estimate=estimate, age_basis="apparent"
    )
    assert person.age_band == band


def test_a_person_of_unknown_age_is_presumed_a_child(db: None) -> None:
    person = person_create(actor=None, kind=PersonKind.WITNESS, given_name="Baraka")
    assert person.age_band == AgeBand.UNKNOWN
    assert person.is_child


def test_identity_reads_back_decrypted(child: Person) -> None:
    person = Person.objects.get(pk=child.pk)
    assert person.full_name == "Mwanaisha Zawadi Kahindi-Tsuma"
    assert person.aliases == ["Mwana"]
    assert person.date_of_birth == datetime.date(2011, 5, 17)
    assert str(person) == f"Child #{person.pk}"
    phone = person.identifiers.get(kind=IdentifierKind.PHONE)
    assert phone.value == "+254712345678"


def test_identifiers_are_found_by_their_blind_index_in_any_format(child: Person) -> None:
    for written in ("+254 712 345678", "254712345678", "0712-345-678"):
        index = identifier_index(IdentifierKind.PHONE, written)
        assert PersonIdentifier.objects.get(kind="phone", blind_index=index).person_id == child.pk
    index = identifier_index("birth_certificate", "BC2011 0042")
    assert PersonIdentifier.objects.filter(blind_index=index).exists()
    handle = identifier_index("online_handle", "MWANA_Z", "tiktok")
    assert PersonIdentifier.objects.filter(blind_index=handle).exists()
    other_platform = identifier_index("online_handle", "mwana_z", "instagram")
    assert not PersonIdentifier.objects.filter(blind_index=other_platform).exists()


def test_a_bad_phone_is_refused(db: None) -> None:
    with pytest.raises(ValueError, match="phone number"):
        person_create(actor=None, kind=PersonKind.REPORTER, phones=["07"])
    assert not Person.objects.exists()


def test_search_by_a_variant_spelling_finds_the_person(child: Person, personas) -> None:  # type: ignore[no-untyped-def]
    assert person_search(viewer=personas.caseworker, text="Mwanaaisha Kahindi") == [child]
    assert person_search(viewer=personas.caseworker, text="zawadi") == [child]
    assert person_search(viewer=personas.caseworker, text="Kahi") == [child]
    assert person_search(viewer=personas.caseworker, text="Rehema") == []


def test_search_ranks_exact_spellings_before_sound_alikes(child: Person, personas) -> None:  # type: ignore[no-untyped-def]
    sound_alike = person_create(actor=None, kind=PersonKind.CHILD, given_name="Kahinde")
    person_link(person=sound_alike, matter=CASE, role="witness", actor=None)
    assert person_search(viewer=personas.caseworker, text="Kahindi") == [child, sound_alike]
    assert person_search(viewer=personas.caseworker, text="Kahinde") == [sound_alike, child]


def test_search_puts_persons_with_every_name_first(child: Person, personas) -> None:  # type: ignore[no-untyped-def]
    one_name = person_create(actor=None, kind=PersonKind.WITNESS, given_name="Mwanaisha")
    person_link(person=one_name, matter=CASE, role="witness", actor=None)
    both_by_sound = person_create(
        actor=None, kind=PersonKind.WITNESS, given_name="Mwanaisha", family_name="Tsouma"
    )
    person_link(person=both_by_sound, matter=CASE, role="witness", actor=None)
    found = person_search(viewer=personas.caseworker, text="mwanaisha tsuma")
    assert found == [child, both_by_sound, one_name]


def test_two_names_never_seen_together_rank_each_spelling_before_each_sound(  # type: ignore[no-untyped-def]
    child: Person, personas
) -> None:
    """Nobody is called "Rehema Kazungu": those holding one of the names follow, the exact
    spelling of either before a sound-alike of either, newest first within each."""

    def witness(given: str, family: str) -> Person:
        person = person_create(
            actor=None, kind=PersonKind.WITNESS, given_name=given, family_name=family
        )
        person_link(person=person, matter=CASE, role="witness", actor=None)
        return person

    rehema = witness("Rehema", "Juma")
    sounds_like_kazungu = witness("Baraka", "Kazongu")
    kazungu = witness("Baraka", "Kazungu")
    sounds_like_rehema = witness("Rehima", "Ali")
    found = person_search(viewer=personas.caseworker, text="Rehema Kazungu")
    assert found[:2] == [kazungu, rehema]
    assert set(found[2:]) == {sounds_like_kazungu, sounds_like_rehema}
    assert found[2:] == sorted(found[2:], key=lambda person: -person.pk)
    assert child not in found


def test_search_by_phone_in_any_format(child: Person, personas) -> None:  # type: ignore[no-untyped-def]
    assert person_search(viewer=personas.caseworker, phone="+254 712 345 678") == [child]
    assert person_search(viewer=personas.caseworker, phone="0712345678", text="Mwanaisha") == [
        child
    ]
    assert person_search(viewer=personas.caseworker, phone="0799000000") == []
    assert person_search(viewer=personas.caseworker, phone="0799000000", text="Mwanaisha") == []


def test_search_sees_only_persons_of_matters_the_viewer_may_see(child: Person, personas) -> None:  # type: ignore[no-untyped-def]
    unlinked = person_create(actor=None, kind=PersonKind.CHILD, given_name="Mwanaisha")
    elsewhere = person_create(actor=None, kind=PersonKind.CHILD, given_name="Mwanaisha")
    person_link(person=elsewhere, matter=OTHER_CASE, role="child", actor=None)
    access_grant(
        matter=OTHER_CASE, relation=Relation.TEAM_MEMBER, actor=None, user=personas.caseworker_other
    )

    assert person_search(viewer=personas.caseworker, text="Mwanaisha") == [child]
    assert person_search(viewer=personas.supervisor, text="Mwanaisha") == [child]  # agency on team
    assert person_search(viewer=personas.caseworker_other, text="Mwanaisha") == [elsewhere]
    for outsider in (
        None,
        personas.counsellor,  # same agency, not on the team
        personas.investigator,
        personas.prosecutor,
        personas.service_provider,
        personas.helpline,
        personas.analyst,
        personas.trainer,
        personas.admin,
        personas.children_officer,
    ):
        assert person_search(viewer=outsider, text="Mwanaisha") == []
        assert person_search(viewer=outsider, phone="0712345678") == []
    assert unlinked not in person_list(viewer=personas.caseworker)
    assert list(person_list(viewer=personas.caseworker)) == [child]


def test_search_is_audited_with_the_terms_hashed(child: Person, personas) -> None:  # type: ignore[no-untyped-def]
    person_search(viewer=personas.caseworker, text="Mwanaisha Kahindi")
    event = AuditEvent.objects.filter(action=AuditAction.SEARCH).latest("seq")
    assert event.actor == personas.caseworker
    assert event.search_hash == search_terms_hash("Mwanaisha Kahindi")
    assert event.detail == {"results": 1}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditevent")
        dump = repr(cursor.fetchall()).lower()
    assert "mwanaisha" not in dump
    assert "kahindi" not in dump


def test_denied_searches_are_audited_too(child: Person, personas) -> None:  # type: ignore[no-untyped-def]
    before = AuditEvent.objects.filter(action=AuditAction.SEARCH).count()
    assert person_search(viewer=personas.analyst, text="Mwanaisha") == []
    assert AuditEvent.objects.filter(action=AuditAction.SEARCH).count() == before + 1


def test_update_rebuilds_tokens_and_audits_field_names_only(child: Person, personas) -> None:  # type: ignore[no-untyped-def]
    person_update(
        person=child, actor=personas.caseworker, given_name="Halima", phones=["0733 111 222"]
    )
    assert person_search(viewer=personas.caseworker, text="Halima") == [child]
    assert person_search(viewer=personas.caseworker, text="Mwanaisha Zawadi") == [
        child
    ]  # other names remain
    assert person_search(viewer=personas.caseworker, phone="0712345678") == []
    assert person_search(viewer=personas.caseworker, phone="0733111222") == [child]
    assert child.identifiers.filter(kind="birth_certificate").exists()  # untouched
    event = AuditEvent.objects.filter(
        action=AuditAction.CHANGE, record_type="people.person"
    ).latest("seq")
    assert event.fields == ["given_name", "identifiers"]
    assert "halima" not in repr(event.detail).lower()


def test_update_re_derives_the_age_band(child: Person) -> None:
    person_update(
        person=child, actor=None, date_of_birth=None, age_estimate=19, age_basis="assessed"
    )
    child.refresh_from_db()
    assert child.age_band == AgeBand.ADULT


def test_update_refuses_unknown_fields(child: Person) -> None:
    with pytest.raises(TypeError):
        person_update(person=child, actor=None, age_band="18+")


def test_linking_twice_is_one_link(child: Person) -> None:
    person_link(person=child, matter=CASE, role="child", actor=None)
    assert PersonLink.objects.filter(person=child).count() == 1


def test_encrypted_fields_cannot_be_filtered(child: Person) -> None:
    with pytest.raises(TypeError, match="encrypted"):
        Person.objects.filter(given_name="Mwanaisha").exists()
    with pytest.raises(TypeError, match="encrypted"):
        PersonIdentifier.objects.filter(value__icontains="712").exists()
    assert Person.objects.filter(village__isnull=False).exists()


def test_ciphertext_does_not_decrypt_in_another_column(child: Person) -> None:
    token = encrypt("Mwanaisha", context="people.person.given_name")
    assert decrypt(token, context="people.person.given_name") == "Mwanaisha"
    with pytest.raises(DecryptionError):
        decrypt(token, context="people.person.family_name")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_person SET family_name = given_name WHERE id = %s", [child.pk]
        )
    with pytest.raises(DecryptionError):
        Person.objects.get(pk=child.pk)


def test_tampered_ciphertext_fails(child: Person) -> None:
    token = encrypt("Kahindi", context="people.person.family_name")
    key_id, _, body = token.partition("$")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    with pytest.raises(DecryptionError, match="authentication"):
        decrypt(f"{key_id}${flipped}", context="people.person.family_name")
    with pytest.raises(DecryptionError):
        decrypt(f"nosuchkey${body}", context="people.person.family_name")
    with pytest.raises(DecryptionError):
        decrypt("plain text", context="people.person.family_name")


def test_name_tokens_hold_no_name(child: Person) -> None:
    tokens = list(PersonNameToken.objects.filter(person=child).values_list("token", flat=True))
    # 5 parts (with the alias) x exact, phonetic, prefix ("Mwana" shares the prefix
    # "mwan"), and a pair token for each two of the five parts
    assert len(tokens) == 14 + 10
    assert not any("mwan" in token or "kahi" in token for token in tokens)
