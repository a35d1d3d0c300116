"""Make room to seal confidential locations: a sub-county in clear, a sealed ward and
point, and text columns wide enough for the encrypted address lines (0005 fills them,
0006 declares them encrypted)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0002_load_gazetteer"),
        ("referrals", "0003_referral"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="location",
            name="referrals_confidential_location_has_ward",
        ),
        migrations.AddField(
            model_name="location",
            name="sub_county",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="directory_locations",
                to="places.subcounty",
                verbose_name="sub-county",
            ),
        ),
        migrations.AddField(
            model_name="location",
            name="sealed_place",
            field=models.TextField(blank=True, null=True, editable=False),
        ),
        *[
            migrations.AlterField(
                model_name="location",
                name=name,
                field=models.TextField(blank=True),
            )
            for name in ("address_attention", "address_1", "address_2", "city", "postal_code")
        ],
    ]
