"""Referrals' migrations 0004-0006 encrypt the address lines of every location and seal the
ward and exact point of each confidential one; the directory's 0001-0002 take the tables
over (re-binding the encrypted columns to their new model); the way back restores them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kinga.directory.models import Location

BEFORE = [("referrals", "0003_referral")]
# Through the move into kinga.directory: the models read them where they live now.
AFTER = [("directory", "0002_location_encryption_context")]
STREET = "Plot 12 Njia ya Siri"


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _raw(column: str, pk: Any) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM referrals_location WHERE id = %s",  # noqa: S608 - fixed column names
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return cursor.fetchone()[0]


def _a_ward(apps: Any) -> Any:
    """Return a ward of the gazetteer, or make one (a transactional test may start empty)."""
    found = apps.get_model("places", "Ward").objects.select_related("sub_county").first()
    if found is not None:
        return found
    county = apps.get_model("places", "County").objects.create(
        name="Pwani Test",
        slug="pwani-test",
        code=46,
        prefix="PWX",
        coastal=True,
        latitude="-4.20",
        longitude="39.50",
    )
    sub_county = apps.get_model("places", "SubCounty").objects.create(
        name="Pwani Kusini",
        slug="pwani-kusini",
        county=county,
        latitude="-4.25",
        longitude="39.55",
    )
    return apps.get_model("places", "Ward").objects.create(
        name="Pwani Kati",
        slug="pwani-kati",
        sub_county=sub_county,
        latitude="-4.27",
        longitude="39.59",
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_what_was_in_clear_and_the_way_back_restores_it() -> None:
    """Guards issue 11 hole 6: existing confidential addresses, stored in clear, are moved."""
    old = _migrate(BEFORE)
    try:
        ward = _a_ward(old)
        sub_county = ward.sub_county
        OldLocation = old.get_model("referrals", "Location")
        shelter = OldLocation.objects.create(
            name="House",
            confidential=True,
            ward=ward,
            latitude=-4.2711,
            longitude=39.5922,
            public_latitude=-4.27,
            public_longitude=39.59,
            address_1=STREET,
            transportation="behind the mosque",
        )
        clinic = OldLocation.objects.create(
            name="Clinic",
            ward=ward,
            latitude=-4.26,
            longitude=39.58,
            public_latitude=-4.26,
            public_longitude=39.58,
            address_1="Moi Avenue",
        )

        _migrate(AFTER)
        assert STREET not in _raw("address_1", shelter.pk)
        assert "Moi Avenue" not in _raw("address_1", clinic.pk)
        assert _raw("ward_id", shelter.pk) is None and _raw("latitude", shelter.pk) is None
        sealed = Location.objects.get(pk=shelter.pk)
        assert sealed.address_1 == STREET and sealed.transportation == "behind the mosque"
        assert sealed.sub_county_id == sub_county.pk
        assert sealed.sealed_place == {"ward": ward.pk, "latitude": -4.2711, "longitude": 39.5922}
        centroid = (float(sub_county.latitude), float(sub_county.longitude))
        assert (sealed.public_latitude, sealed.public_longitude) == centroid
        public = Location.objects.get(pk=clinic.pk)
        assert public.ward_id == ward.pk and public.latitude == -4.26
        assert public.address_1 == "Moi Avenue" and public.sub_county_id == sub_county.pk

        _migrate(BEFORE)
        assert _raw("address_1", shelter.pk) == STREET
        assert _raw("ward_id", shelter.pk) == ward.pk
        assert _raw("latitude", shelter.pk) == -4.2711
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_a_sealed_location_rotates_with_the_data_keys(settings: Any) -> None:
    """`kinga keys rotate` re-encrypts a location's address and sealed place (UUID keys)."""
    from io import StringIO

    from django.core.management import call_command

    from kinga.directory.services import location_create
    from kinga.lib.crypto import key_id_of, new_key_spec
    from kinga.places.models import Ward

    key_a, key_b = new_key_spec("A"), new_key_spec("B")
    settings.KINGA_DATA_KEYS = key_a
    ward = Ward.objects.select_related("sub_county").first()
    assert ward is not None
    location = location_create(
        organization=None,
        actor=None,
        fields={
            "name": "House",
            "confidential": True,
            "ward": ward,
            "latitude": -4.2711,
            "longitude": 39.5922,
            "address_1": STREET,
        },
    )
    assert key_id_of(_raw("address_1", location.pk)) == "A"
    settings.KINGA_DATA_KEYS = f"{key_b},{key_a}"
    call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())
    assert key_id_of(_raw("address_1", location.pk)) == "B"
    assert key_id_of(_raw("sealed_place", location.pk)) == "B"
    settings.KINGA_DATA_KEYS = key_b
    again = Location.objects.get(pk=location.pk)
    assert again.address_1 == STREET and again.sealed_place["ward"] == ward.pk
