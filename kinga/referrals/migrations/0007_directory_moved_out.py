"""The service directory's models now belong to `kinga.directory` (its 0001 took them over,
tables and rows unchanged); a referral points at `directory.ServiceAtLocation`."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0001_initial'),
        ('referrals', '0006_location_sealed'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are: only Django's idea of which app owns them moves.
            state_operations=[
                migrations.RemoveField(
                    model_name='phone',
                    name='contact',
                ),
                migrations.RemoveField(
                    model_name='costoption',
                    name='service',
                ),
                migrations.RemoveField(
                    model_name='language',
                    name='location',
                ),
                migrations.RemoveField(
                    model_name='language',
                    name='phone',
                ),
                migrations.RemoveField(
                    model_name='language',
                    name='service',
                ),
                migrations.RemoveField(
                    model_name='location',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='location',
                    name='sub_county',
                ),
                migrations.RemoveField(
                    model_name='location',
                    name='ward',
                ),
                migrations.RemoveField(
                    model_name='schedule',
                    name='location',
                ),
                migrations.RemoveField(
                    model_name='phone',
                    name='location',
                ),
                migrations.RemoveField(
                    model_name='serviceatlocation',
                    name='location',
                ),
                migrations.RemoveField(
                    model_name='organization',
                    name='agency',
                ),
                migrations.RemoveField(
                    model_name='organization',
                    name='parent_organization',
                ),
                migrations.RemoveField(
                    model_name='service',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='phone',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='phone',
                    name='service',
                ),
                migrations.RemoveField(
                    model_name='phone',
                    name='service_at_location',
                ),
                migrations.RemoveField(
                    model_name='schedule',
                    name='service',
                ),
                migrations.RemoveField(
                    model_name='schedule',
                    name='service_at_location',
                ),
                migrations.RemoveField(
                    model_name='searchentry',
                    name='service',
                ),
                migrations.RemoveField(
                    model_name='searchentry',
                    name='service_at_location',
                ),
                migrations.RemoveField(
                    model_name='searchentry',
                    name='service_type',
                ),
                migrations.RemoveField(
                    model_name='service',
                    name='service_types',
                ),
                migrations.RemoveField(
                    model_name='serviceatlocation',
                    name='service',
                ),
                migrations.AlterField(
                    model_name='referral',
                    name='service_at_location',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='referrals', to='directory.serviceatlocation', verbose_name='service'),
                ),
                migrations.RemoveField(
                    model_name='taxonomyterm',
                    name='parent',
                ),
                migrations.DeleteModel(
                    name='Contact',
                ),
                migrations.DeleteModel(
                    name='CostOption',
                ),
                migrations.DeleteModel(
                    name='Language',
                ),
                migrations.DeleteModel(
                    name='Location',
                ),
                migrations.DeleteModel(
                    name='Organization',
                ),
                migrations.DeleteModel(
                    name='Phone',
                ),
                migrations.DeleteModel(
                    name='Schedule',
                ),
                migrations.DeleteModel(
                    name='SearchEntry',
                ),
                migrations.DeleteModel(
                    name='Service',
                ),
                migrations.DeleteModel(
                    name='ServiceAtLocation',
                ),
                migrations.DeleteModel(
                    name='TaxonomyTerm',
                ),
            ],
            database_operations=[],
        ),
    ]
