"""Encrypt every location's address lines and directions, and seal each confidential
location's ward and exact point; set sub-counties and public points to match.

Runs on its own (between two schema migrations) so PostgreSQL never alters the table
with row changes of the same transaction pending. Reversible: the way back decrypts.
"""

import json

from django.db import migrations

from kinga.lib.crypto import decrypt, encrypt

LINES = ("address_attention", "address_1", "address_2", "city", "postal_code", "transportation")


def _context(name):
    return f"referrals.location.{name}"


def seal(apps, schema_editor):
    Location = apps.get_model("referrals", "Location")
    SearchEntry = apps.get_model("referrals", "SearchEntry")
    for location in Location.objects.select_related("ward__sub_county").iterator():
        changes = {
            name: encrypt(value, context=_context(name))
            for name in LINES
            if (value := getattr(location, name))
        }
        ward = location.ward
        if ward is not None:
            changes["sub_county_id"] = ward.sub_county_id
        if location.confidential:
            place = {"ward": location.ward_id, "latitude": location.latitude,
                     "longitude": location.longitude}
            changes["sealed_place"] = encrypt(
                json.dumps(place, ensure_ascii=False, sort_keys=True),
                context=_context("sealed_place"),
            )
            changes.update(ward_id=None, latitude=None, longitude=None)
            if ward is not None:
                point = (float(ward.sub_county.latitude), float(ward.sub_county.longitude))
                changes.update(public_latitude=point[0], public_longitude=point[1])
                SearchEntry.objects.filter(service_at_location__location_id=location.pk).update(
                    public_latitude=point[0], public_longitude=point[1]
                )
        if changes:
            Location.objects.filter(pk=location.pk).update(**changes)


def unseal(apps, schema_editor):
    Location = apps.get_model("referrals", "Location")
    SearchEntry = apps.get_model("referrals", "SearchEntry")
    Ward = apps.get_model("places", "Ward")
    for location in Location.objects.iterator():
        changes = {
            name: decrypt(value, context=_context(name))
            for name in LINES
            if (value := getattr(location, name))
        }
        if location.sealed_place:
            place = json.loads(decrypt(location.sealed_place, context=_context("sealed_place")))
            changes.update(
                ward_id=place["ward"],
                latitude=place["latitude"],
                longitude=place["longitude"],
                sealed_place=None,
            )
            if place["ward"] is not None:
                ward = Ward.objects.get(pk=place["ward"])
                point = (float(ward.latitude), float(ward.longitude))
                changes.update(public_latitude=point[0], public_longitude=point[1])
                SearchEntry.objects.filter(service_at_location__location_id=location.pk).update(
                    public_latitude=point[0], public_longitude=point[1]
                )
        if changes:
            Location.objects.filter(pk=location.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_location_sealing_columns")]

    operations = [migrations.RunPython(seal, unseal)]
