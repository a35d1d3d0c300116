"""Load the counties, sub-counties and wards of data/kenya.json.

Idempotent: each place is matched by its slug within its parent and updated in place, so
running the load again, or after a centroid is corrected in the JSON, changes nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

GAZETTEER = Path(__file__).resolve().parent.parent / "data" / "kenya.json"


def load_gazetteer(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Create or update every place in the gazetteer file."""
    County = apps.get_model("places", "County")
    SubCounty = apps.get_model("places", "SubCounty")
    Ward = apps.get_model("places", "Ward")
    using = schema_editor.connection.alias

    data: dict[str, Any] = json.loads(GAZETTEER.read_text(encoding="utf-8"))
    for county_data in data["counties"]:
        county, _ = County.objects.using(using).update_or_create(
            slug=county_data["slug"],
            defaults={
                "code": county_data["code"],
                "name": county_data["name"],
                "prefix": county_data["prefix"],
                "coastal": county_data["coastal"],
                "latitude": county_data["latitude"],
                "longitude": county_data["longitude"],
            },
        )
        for sub_county_data in county_data["sub_counties"]:
            sub_county, _ = SubCounty.objects.using(using).update_or_create(
                county=county,
                slug=sub_county_data["slug"],
                defaults={
                    "name": sub_county_data["name"],
                    "latitude": sub_county_data["latitude"],
                    "longitude": sub_county_data["longitude"],
                },
            )
            for ward_data in sub_county_data["wards"]:
                Ward.objects.using(using).update_or_create(
                    sub_county=sub_county,
                    slug=ward_data["slug"],
                    defaults={
                        "name": ward_data["name"],
                        "latitude": ward_data["latitude"],
                        "longitude": ward_data["longitude"],
                    },
                )


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0001_initial"),
    ]

    operations = [
        # Reversing keeps the places: other apps' records point at them with PROTECT.
        migrations.RunPython(load_gazetteer, migrations.RunPython.noop, elidable=False),
    ]
