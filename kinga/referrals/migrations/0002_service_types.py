"""Seed Kinga's taxonomy of service types, with Kiswahili names and fixed UUIDs."""

from __future__ import annotations

import uuid

from django.db import migrations

NAMESPACE = uuid.UUID("6f1f6a52-2a7e-4a43-9a55-3f7f0b1c6e10")

TERMS = [
    ("rescue_shelter", "Rescue and shelter", "Uokoaji na makazi salama",
     "Rescue from exploitation and safe temporary accommodation."),
    ("counselling", "Counselling", "Ushauri nasaha",
     "Psychosocial support and trauma counselling."),
    ("medical", "Medical care", "Huduma za matibabu",
     "Medical examination and treatment."),
    ("post_rape_care", "Post-rape care", "Huduma baada ya ubakaji",
     "Post-exposure prophylaxis, emergency contraception, forensic examination and the P3 "
     "and PRC forms, within 72 hours."),
    ("legal_aid", "Legal aid", "Msaada wa kisheria",
     "Legal advice and representation, and support through court."),
    ("family_tracing", "Family tracing and reunification", "Kutafuta na kuunganisha familia",
     "Tracing a child's family and preparing a safe return."),
    ("education", "Education support", "Msaada wa elimu",
     "School re-entry, bursaries and catch-up learning."),
    ("livelihood", "Livelihood and skills training", "Mafunzo ya ujuzi na riziki",
     "Vocational training, start-up kits and savings groups."),
    ("repatriation", "Repatriation", "Kurejeshwa nyumbani",
     "Safe return of a child to their home county or country."),
    ("helpline", "Helpline", "Simu ya msaada",
     "A free line for advice and reporting, such as 116."),
]


def seed(apps, schema_editor):
    TaxonomyTerm = apps.get_model("referrals", "TaxonomyTerm")
    for code, name, name_sw, description in TERMS:
        TaxonomyTerm.objects.update_or_create(
            id=uuid.uuid5(NAMESPACE, code),
            defaults={
                "code": code,
                "name": name,
                "name_sw": name_sw,
                "description": description,
                "taxonomy": "kinga-service-types",
            },
        )
    medical = TaxonomyTerm.objects.get(code="medical")
    TaxonomyTerm.objects.filter(code="post_rape_care").update(parent=medical)


def unseed(apps, schema_editor):
    TaxonomyTerm = apps.get_model("referrals", "TaxonomyTerm")
    TaxonomyTerm.objects.filter(taxonomy="kinga-service-types").update(parent=None)
    TaxonomyTerm.objects.filter(taxonomy="kinga-service-types").delete()


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
