"""The records a court relies on: the chain of custody, charge-sheet versions, the statutes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kinga.justice import services
from kinga.justice.models import ChargeCount, ChargeSheet, CustodyEntry, Evidence, EvidenceKind
from kinga.justice.statutes import BY_CODE, CATALOGUE, CHILDREN_ACT, CTIPA, SOA
from kinga.justice.tests.conftest import World

pytestmark = pytest.mark.django_db


def test_custody_is_appended_to_and_follows_the_last_holder(world: World) -> None:
    p = world.personas
    services.custody_append(
        evidence=world.evidence,
        actor=p.investigator,
        to_holder="Government Chemist",
        purpose="Forensic examination",
    )
    services.custody_append(
        evidence=world.evidence,
        actor=p.investigator,
        to_holder="Court exhibits clerk",
        purpose="Produced in court",
    )
    chain = list(CustodyEntry.objects.filter(evidence=world.evidence).order_by("sequence"))
    assert [entry.sequence for entry in chain] == [1, 2, 3]
    assert chain[1].from_holder == chain[0].to_holder == "Cpl. Omari, exhibits store"
    assert chain[2].from_holder == "Government Chemist"


def test_custody_cannot_be_edited_or_deleted_by_the_model_or_the_queryset(world: World) -> None:
    entry = CustodyEntry.objects.get(evidence=world.evidence)
    entry.to_holder = "Someone else"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        CustodyEntry.objects.filter(pk=entry.pk).update(to_holder="x")
    with pytest.raises(ValidationError):
        CustodyEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.to_holder == "Cpl. Omari, exhibits store"


def test_the_database_refuses_to_rewrite_custody(world: World) -> None:
    entry = CustodyEntry.objects.get(evidence=world.evidence)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE justice_custodyentry SET to_holder = %s WHERE id = %s", ["forged", entry.pk]
        )
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM justice_custodyentry WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.to_holder == "Cpl. Omari, exhibits store"


def test_a_digital_exhibit_is_a_hash_never_a_file(world: World) -> None:
    assert not any(
        field.get_internal_type() in ("FileField", "ImageField")
        for field in Evidence._meta.get_fields()
        if hasattr(field, "get_internal_type")
    )
    with pytest.raises(ValidationError):
        services.evidence_log(
            incident=world.incident,
            actor=world.personas.investigator,
            exhibit_number="PExh. 2",
            kind=EvidenceKind.DIGITAL,
            item="Video",
            how_obtained="seized",
            obtained_on=timezone.localdate(),
            first_holder="Store",
            sha256="",
        )
    with pytest.raises(ValidationError):
        services.evidence_log(
            incident=world.incident,
            actor=world.personas.investigator,
            exhibit_number="PExh. 3",
            kind=EvidenceKind.DIGITAL,
            item="Video",
            how_obtained="seized",
            obtained_on=timezone.localdate(),
            first_holder="Store",
            sha256="not-a-hash",
        )


def test_amending_a_charge_sheet_keeps_every_earlier_version(world: World) -> None:
    p = world.personas
    v1 = ChargeSheet.objects.get(prosecution=world.prosecution, version=1)
    v1_counts = list(ChargeCount.objects.filter(sheet=v1).values_list("number", "offence"))
    counts = [
        services.CountInput(offence=code, accused=world.recruiter)
        for code in ("ctipa-3", "ctipa-4", "soa-13", "soa-15", "soa-17")
    ]
    v2 = services.charge_sheet_amend(
        prosecution=world.prosecution,
        actor=p.prosecutor,
        filed_on=timezone.localdate(),
        note="Three further counts after the phone extraction",
        counts=counts,
    )
    v3 = services.charge_sheet_amend(
        prosecution=world.prosecution,
        actor=p.prosecutor,
        filed_on=timezone.localdate(),
        note="Count on the buyer added",
        counts=[*counts, services.CountInput(offence="soa-8", accused=world.buyer)],
    )
    sheets = list(ChargeSheet.objects.filter(prosecution=world.prosecution).order_by("version"))
    assert [s.version for s in sheets] == [1, 2, 3]
    assert [s.superseded_at is None for s in sheets] == [False, False, True]
    assert list(ChargeCount.objects.filter(sheet=v1).values_list("number", "offence")) == v1_counts
    assert ChargeCount.objects.filter(sheet=v2).count() == 5
    assert ChargeCount.objects.filter(sheet=v3).count() == 6
    # a superseded version's counts take no plea
    old_count = ChargeCount.objects.filter(sheet=v1).first()
    assert old_count is not None
    with pytest.raises(ValidationError):
        services.plea_enter(
            count=old_count, actor=p.prosecutor, plea="not_guilty", entered_on=timezone.localdate()
        )


def test_a_count_cites_the_catalogue_only(world: World) -> None:
    with pytest.raises(ValidationError):
        services.charge_sheet_amend(
            prosecution=world.prosecution,
            actor=world.personas.prosecutor,
            filed_on=timezone.localdate(),
            note="A made-up offence",
            counts=[services.CountInput(offence="penal-999", accused=world.recruiter)],
        )


@pytest.mark.django_db(False)
def test_the_statute_catalogue_holds_the_real_sections() -> None:
    expected = {
        (CTIPA, "3"): "Trafficking in persons",
        (CTIPA, "4"): "Acts that promote child trafficking",
        (CTIPA, "5"): "Promotion of trafficking in persons",
        (CTIPA, "6"): "Acquisition of travel documents by fraud or misrepresentation",
        (CTIPA, "7"): "Facilitating entry into or exit out of the country",
        (CTIPA, "8"): "Interfering with travel documents and personal effects",
        (CTIPA, "9"): "Life threatening circumstances or death",
        (CTIPA, "10"): "Trafficking in persons for organized crime",
        (SOA, "3"): "Rape",
        (SOA, "8"): "Defilement",
        (SOA, "10"): "Gang rape",
        (SOA, "11"): "Indecent act with child or adult",
        (SOA, "12"): "Promotion of sexual offences with a child",
        (SOA, "13"): "Child trafficking",
        (SOA, "14"): "Child sex tourism",
        (SOA, "15"): "Child prostitution",
        (SOA, "16"): "Child pornography",
        (SOA, "17"): "Exploitation of prostitution",
        (CHILDREN_ACT, "22"): "Protection from abuse, etc.",
    }
    held = {(offence.act, offence.section): offence.title for offence in CATALOGUE}
    for key, title in expected.items():
        assert held.get(key) == title, key
    assert {s for act, s in held if act == CTIPA} == {str(n) for n in range(3, 11)}
    assert {str(n) for n in range(11, 18)} | {"8"} <= {s for act, s in held if act == SOA}
    assert len(BY_CODE) == len(CATALOGUE)


def test_the_childs_statement_is_the_cases_interview(world: World, personas: Any) -> None:
    from kinga.cases import services as case_services

    with pytest.raises(ValidationError):
        services.statement_record(
            incident=world.incident,
            actor=personas.investigator,
            kind="child",
            taken_on=timezone.localdate(),
        )
    from kinga.cases.models import RoleOnCase

    # the child is interviewed once, by the investigator on the case's team
    case_services.case_team_add(
        case=world.case,
        user=personas.investigator,
        role_on_case=RoleOnCase.INVESTIGATOR,
        actor=personas.caseworker,
    )
    interview = case_services.interview_record(
        case=world.case,
        actor=personas.investigator,
        held_on=timezone.localdate(),
        purpose="Forensic interview at the child protection unit",
        present="Intermediary",
        place="Child-friendly room",
        recording_reference="CPU/2026/41",
    )
    statement = services.statement_record(
        incident=world.incident,
        actor=personas.investigator,
        kind="child",
        taken_on=timezone.localdate(),
        interview=interview,
    )
    assert statement.interview_id == interview.pk
