"""Declare the address lines, directions and sealed place encrypted (0005 encrypted them),
and hold a confidential location to its sub-county in clear."""

import kinga.lib.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referrals", "0005_location_sealing_data")]

    operations = [
        *[
            migrations.AlterField(
                model_name="location",
                name=name,
                field=kinga.lib.fields.EncryptedTextField(blank=True, verbose_name=label),
            )
            for name, label in (
                ("address_attention", "for the attention of"),
                ("address_1", "street address"),
                ("address_2", "address line 2"),
                ("city", "town"),
                ("postal_code", "postal code"),
                ("transportation", "how to get there"),
            )
        ],
        migrations.AlterField(
            model_name="location",
            name="sealed_place",
            field=kinga.lib.fields.EncryptedJSONField(
                blank=True, editable=False, null=True, verbose_name="sealed ward and point"
            ),
        ),
        migrations.AlterField(
            model_name="location",
            name="confidential",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "A shelter's address is shown only to those handling a referral to it; "
                    "lists, exports and the API show its sub-county only."
                ),
                verbose_name="confidential address",
            ),
        ),
        migrations.AddConstraint(
            model_name="location",
            constraint=models.CheckConstraint(
                condition=models.Q(("confidential", False))
                | models.Q(
                    ("latitude__isnull", True),
                    ("longitude__isnull", True),
                    ("sub_county__isnull", False),
                    ("ward__isnull", True),
                ),
                name="referrals_confidential_location_sealed",
            ),
        ),
    ]
