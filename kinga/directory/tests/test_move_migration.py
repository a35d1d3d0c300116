"""Moving the directory out of `referrals` keeps every row, and the way back restores it.

Issue 12 point 3: directory 0001 and referrals 0007 move the models' state only (the
tables keep their names), and directory 0002 re-binds the encrypted location columns to
their new model; a database made before the move migrates without losing or garbling a
row, and a referral still points at its service at a location.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kinga.directory.models import Location, Organization, SearchEntry, Service, ServiceAtLocation

BEFORE = [("referrals", "0006_location_sealed")]
AFTER = [("directory", "0002_location_encryption_context")]
STREET = "Plot 7 Barabara ya Bandari"


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_every_row_and_the_way_back_restores_it() -> None:
    """Issue 12 point 3: the directory's rows, links and encrypted address survive the move."""
    old = _migrate(BEFORE)
    try:
        OldTerm = old.get_model("referrals", "TaxonomyTerm")
        OldOrganization = old.get_model("referrals", "Organization")
        OldService = old.get_model("referrals", "Service")
        OldLocation = old.get_model("referrals", "Location")
        OldPlace = old.get_model("referrals", "ServiceAtLocation")
        OldEntry = old.get_model("referrals", "SearchEntry")
        term = OldTerm.objects.create(code="move_test", name="Move test", taxonomy="move-test")
        organization = OldOrganization.objects.create(name="Bandari Clinic", description="-")
        service = OldService.objects.create(organization=organization, name="Clinic")
        service.service_types.add(term)
        location = OldLocation.objects.create(
            organization=organization,
            name="Clinic",
            address_1=STREET,
            public_latitude=-4.06,
            public_longitude=39.67,
        )
        place = OldPlace.objects.create(service=service, location=location)
        OldEntry.objects.create(
            service_at_location=place,
            service=service,
            service_type=term,
            eligible_sex="any",
            public_latitude=-4.06,
            public_longitude=39.67,
        )

        new = _migrate(AFTER)
        assert Organization.objects.get(pk=organization.pk).name == "Bandari Clinic"
        moved = Service.objects.get(pk=service.pk)
        assert list(moved.service_types.values_list("code", flat=True)) == ["move_test"]
        assert Location.objects.get(pk=location.pk).address_1 == STREET
        assert ServiceAtLocation.objects.get(pk=place.pk).location_id == location.pk
        assert SearchEntry.objects.filter(service_at_location_id=place.pk).count() == 1
        referral_link = new.get_model("referrals", "Referral")._meta.get_field(
            "service_at_location"
        )
        assert referral_link.related_model._meta.label == "directory.ServiceAtLocation"
        content_types = new.get_model("contenttypes", "ContentType").objects
        assert content_types.filter(app_label="directory", model="location").exists()
        assert not content_types.filter(app_label="referrals", model="location").exists()

        back = _migrate(BEFORE)
        assert back.get_model("referrals", "Location").objects.get(pk=location.pk).address_1 == (
            STREET
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
