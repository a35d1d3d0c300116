"""Take over the service directory's models from `referrals`, whose migrations made their
tables (0001-0006): the state moves here, the tables (named by `db_table`) and their rows
stay. `referrals` 0007 lets go of them."""

import django.db.models.deletion
import kinga.lib.fields
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('referrals', '0006_location_sealed'),
        ('accounts', '0004_two_factor_devices'),
        ('places', '0002_load_gazetteer'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are: only Django's idea of which app owns them moves.
            state_operations=[
                migrations.CreateModel(
                    name='Organization',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('alternate_name', models.CharField(blank=True, max_length=200, verbose_name='other name')),
                        ('description', models.TextField(verbose_name='description')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
                        ('website', models.URLField(blank=True, verbose_name='website')),
                        ('tax_status', models.CharField(blank=True, max_length=100, verbose_name='tax status')),
                        ('tax_id', models.CharField(blank=True, max_length=100, verbose_name='tax identifier')),
                        ('year_incorporated', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='year incorporated')),
                        ('legal_status', models.CharField(blank=True, max_length=100, verbose_name='legal status')),
                        ('uri', models.URLField(blank=True, verbose_name='URI')),
                        ('last_modified', models.DateTimeField(auto_now=True, verbose_name='last changed')),
                        ('agency', models.ForeignKey(blank=True, help_text="Staff of this agency keep the organisation's entries current.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='directory_organizations', to='accounts.agency', verbose_name='Kinga agency')),
                        ('parent_organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='children', to='directory.organization', verbose_name='parent organisation')),
                    ],
                    options={
                        'verbose_name': 'organisation',
                        'verbose_name_plural': 'organisations',
                        'db_table': 'referrals_organization',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Location',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('location_type', models.CharField(choices=[('physical', 'Physical'), ('postal', 'Postal'), ('virtual', 'Virtual (phone or online)')], default='physical', max_length=16, verbose_name='kind of location')),
                        ('name', models.CharField(blank=True, max_length=200, verbose_name='name')),
                        ('alternate_name', models.CharField(blank=True, max_length=200, verbose_name='other name')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('transportation', kinga.lib.fields.EncryptedTextField(blank=True, verbose_name='how to get there')),
                        ('url', models.URLField(blank=True, verbose_name='web address')),
                        ('confidential', models.BooleanField(default=False, help_text="A shelter's address is shown only to those handling a referral to it; lists, exports and the API show its sub-county only.", verbose_name='confidential address')),
                        ('latitude', models.FloatField(blank=True, null=True, verbose_name='latitude')),
                        ('longitude', models.FloatField(blank=True, null=True, verbose_name='longitude')),
                        ('sealed_place', kinga.lib.fields.EncryptedJSONField(blank=True, editable=False, null=True, verbose_name='sealed ward and point')),
                        ('public_latitude', models.FloatField(blank=True, null=True, verbose_name='public latitude')),
                        ('public_longitude', models.FloatField(blank=True, null=True, verbose_name='public longitude')),
                        ('address_id', models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='address id')),
                        ('address_attention', kinga.lib.fields.EncryptedTextField(blank=True, verbose_name='for the attention of')),
                        ('address_1', kinga.lib.fields.EncryptedTextField(blank=True, verbose_name='street address')),
                        ('address_2', kinga.lib.fields.EncryptedTextField(blank=True, verbose_name='address line 2')),
                        ('city', kinga.lib.fields.EncryptedTextField(blank=True, verbose_name='town')),
                        ('region', models.CharField(blank=True, max_length=100, verbose_name='region')),
                        ('state_province', models.CharField(blank=True, max_length=100, verbose_name='county')),
                        ('postal_code', kinga.lib.fields.EncryptedTextField(blank=True, verbose_name='postal code')),
                        ('country', models.CharField(default='KE', max_length=2, verbose_name='country code')),
                        ('external_identifier', models.CharField(blank=True, max_length=100, verbose_name='external identifier')),
                        ('external_identifier_type', models.CharField(blank=True, max_length=100, verbose_name='external identifier type')),
                        ('last_modified', models.DateTimeField(auto_now=True, verbose_name='last changed')),
                        ('sub_county', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='directory_locations', to='places.subcounty', verbose_name='sub-county')),
                        ('ward', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='directory_locations', to='places.ward', verbose_name='ward')),
                        ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='locations', to='directory.organization', verbose_name='organisation')),
                    ],
                    options={
                        'verbose_name': 'location',
                        'verbose_name_plural': 'locations',
                        'db_table': 'referrals_location',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Contact',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('name', models.CharField(blank=True, max_length=200, verbose_name='name')),
                        ('title', models.CharField(blank=True, max_length=200, verbose_name='title')),
                        ('department', models.CharField(blank=True, max_length=200, verbose_name='department')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
                        ('location', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='directory.location')),
                        ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='directory.organization')),
                    ],
                    options={
                        'verbose_name': 'contact',
                        'verbose_name_plural': 'contacts',
                        'db_table': 'referrals_contact',
                        'ordering': ['name', 'title'],
                    },
                ),
                migrations.CreateModel(
                    name='Service',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('alternate_name', models.CharField(blank=True, max_length=200, verbose_name='other name')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('url', models.URLField(blank=True, verbose_name='web page')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
                        ('status', models.CharField(choices=[('active', 'Active'), ('inactive', 'Inactive'), ('defunct', 'Defunct'), ('temporarily closed', 'Temporarily closed')], default='active', max_length=32, verbose_name='status')),
                        ('interpretation_services', models.TextField(blank=True, verbose_name='interpretation')),
                        ('application_process', models.TextField(blank=True, verbose_name='how to refer')),
                        ('fees_description', models.TextField(blank=True, help_text='What the service costs, or that it is free.', verbose_name='fees')),
                        ('wait_time', models.CharField(blank=True, max_length=200, verbose_name='waiting time')),
                        ('accreditations', models.TextField(blank=True, verbose_name='accreditations')),
                        ('licenses', models.TextField(blank=True, verbose_name='licences')),
                        ('eligibility_description', models.TextField(blank=True, verbose_name='who is eligible')),
                        ('minimum_age', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='minimum age')),
                        ('maximum_age', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='maximum age')),
                        ('eligible_sex', models.CharField(choices=[('any', 'Any'), ('female', 'Girls and women'), ('male', 'Boys and men')], default='any', max_length=8, verbose_name='sex served')),
                        ('alert', models.TextField(blank=True, verbose_name='alert')),
                        ('last_modified', models.DateTimeField(auto_now=True, verbose_name='last changed')),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='services', to='directory.organization', verbose_name='organisation')),
                    ],
                    options={
                        'verbose_name': 'service',
                        'verbose_name_plural': 'services',
                        'db_table': 'referrals_service',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Phone',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('number', models.CharField(max_length=40, verbose_name='number')),
                        ('extension', models.PositiveIntegerField(blank=True, null=True, verbose_name='extension')),
                        ('type', models.CharField(choices=[('voice', 'Voice'), ('text', 'SMS'), ('fax', 'Fax'), ('cell', 'Mobile'), ('video', 'Video'), ('pager', 'Pager'), ('textphone', 'Textphone')], default='voice', max_length=16, verbose_name='type')),
                        ('description', models.CharField(blank=True, max_length=300, verbose_name='description')),
                        ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='phones', to='directory.contact')),
                        ('location', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='phones', to='directory.location')),
                        ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='phones', to='directory.organization')),
                        ('service', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='phones', to='directory.service')),
                    ],
                    options={
                        'verbose_name': 'phone',
                        'verbose_name_plural': 'phones',
                        'db_table': 'referrals_phone',
                        'ordering': ['number'],
                    },
                ),
                migrations.CreateModel(
                    name='Language',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('name', models.CharField(blank=True, max_length=100, verbose_name='name')),
                        ('code', models.CharField(blank=True, max_length=16, verbose_name='code')),
                        ('note', models.CharField(blank=True, max_length=300, verbose_name='note')),
                        ('location', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='languages', to='directory.location')),
                        ('phone', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='languages', to='directory.phone')),
                        ('service', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='languages', to='directory.service')),
                    ],
                    options={
                        'verbose_name': 'language',
                        'verbose_name_plural': 'languages',
                        'db_table': 'referrals_language',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='CostOption',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('valid_from', models.DateField(blank=True, null=True, verbose_name='valid from')),
                        ('valid_to', models.DateField(blank=True, null=True, verbose_name='valid to')),
                        ('option', models.CharField(blank=True, max_length=200, verbose_name='option')),
                        ('currency', models.CharField(blank=True, max_length=3, verbose_name='currency')),
                        ('amount', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name='amount')),
                        ('amount_description', models.CharField(blank=True, max_length=300, verbose_name='amount description')),
                        ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='cost_options', to='directory.service')),
                    ],
                    options={
                        'verbose_name': 'cost option',
                        'verbose_name_plural': 'cost options',
                        'db_table': 'referrals_costoption',
                    },
                ),
                migrations.AddField(
                    model_name='contact',
                    name='service',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='directory.service'),
                ),
                migrations.CreateModel(
                    name='ServiceAtLocation',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('location', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='service_at_locations', to='directory.location', verbose_name='location')),
                        ('service', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='service_at_locations', to='directory.service', verbose_name='service')),
                    ],
                    options={
                        'verbose_name': 'service at a location',
                        'verbose_name_plural': 'services at locations',
                        'db_table': 'referrals_serviceatlocation',
                    },
                ),
                migrations.CreateModel(
                    name='Schedule',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('valid_from', models.DateField(blank=True, null=True, verbose_name='valid from')),
                        ('valid_to', models.DateField(blank=True, null=True, verbose_name='valid to')),
                        ('dtstart', models.DateField(blank=True, null=True, verbose_name='first day')),
                        ('until', models.DateField(blank=True, null=True, verbose_name='until')),
                        ('count', models.PositiveIntegerField(blank=True, null=True, verbose_name='count')),
                        ('wkst', models.CharField(blank=True, max_length=2, verbose_name='week starts')),
                        ('freq', models.CharField(blank=True, choices=[('WEEKLY', 'Weekly'), ('MONTHLY', 'Monthly')], default='WEEKLY', max_length=8, verbose_name='frequency')),
                        ('interval', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='interval')),
                        ('byday', models.CharField(blank=True, max_length=40, verbose_name='days')),
                        ('byweekno', models.CharField(blank=True, max_length=100, verbose_name='weeks of the year')),
                        ('bymonthday', models.CharField(blank=True, max_length=100, verbose_name='days of the month')),
                        ('byyearday', models.CharField(blank=True, max_length=100, verbose_name='days of the year')),
                        ('weekdays', models.PositiveSmallIntegerField(default=0, verbose_name='weekdays')),
                        ('opens_at', models.TimeField(blank=True, null=True, verbose_name='opens at')),
                        ('closes_at', models.TimeField(blank=True, null=True, verbose_name='closes at')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('schedule_link', models.URLField(blank=True, verbose_name='link')),
                        ('attending_type', models.CharField(blank=True, max_length=200, verbose_name='attending')),
                        ('notes', models.TextField(blank=True, verbose_name='notes')),
                        ('location', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='schedules', to='directory.location')),
                        ('service', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='schedules', to='directory.service')),
                        ('service_at_location', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='schedules', to='directory.serviceatlocation')),
                    ],
                    options={
                        'verbose_name': 'schedule',
                        'verbose_name_plural': 'schedules',
                        'db_table': 'referrals_schedule',
                    },
                ),
                migrations.AddField(
                    model_name='phone',
                    name='service_at_location',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='phones', to='directory.serviceatlocation'),
                ),
                migrations.AddField(
                    model_name='contact',
                    name='service_at_location',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='directory.serviceatlocation'),
                ),
                migrations.CreateModel(
                    name='TaxonomyTerm',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('code', models.CharField(max_length=64, verbose_name='code')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('name_sw', models.CharField(blank=True, max_length=200, verbose_name='name in Kiswahili')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('taxonomy', models.CharField(default='kinga-service-types', max_length=100, verbose_name='taxonomy')),
                        ('term_uri', models.URLField(blank=True, verbose_name='term URI')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='directory.taxonomyterm', verbose_name='parent')),
                    ],
                    options={
                        'verbose_name': 'taxonomy term',
                        'verbose_name_plural': 'taxonomy terms',
                        'db_table': 'referrals_taxonomyterm',
                        'ordering': ['name'],
                    },
                ),
                migrations.AddField(
                    model_name='service',
                    name='service_types',
                    field=models.ManyToManyField(blank=True, related_name='services', to='directory.taxonomyterm', verbose_name='service types'),
                ),
                migrations.CreateModel(
                    name='SearchEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('active', models.BooleanField(default=True)),
                        ('minimum_age', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('maximum_age', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('eligible_sex', models.CharField(choices=[('any', 'Any'), ('female', 'Girls and women'), ('male', 'Boys and men')], max_length=8)),
                        ('public_latitude', models.FloatField(blank=True, null=True)),
                        ('public_longitude', models.FloatField(blank=True, null=True)),
                        ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='directory.service')),
                        ('service_at_location', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='search_entries', to='directory.serviceatlocation')),
                        ('service_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='directory.taxonomyterm')),
                    ],
                    options={
                        'verbose_name': 'search entry',
                        'verbose_name_plural': 'search entries',
                        'db_table': 'referrals_searchentry',
                    },
                ),
                migrations.AddIndex(
                    model_name='location',
                    index=models.Index(fields=['public_latitude', 'public_longitude'], name='referrals_location_public_box'),
                ),
                migrations.AddConstraint(
                    model_name='location',
                    constraint=models.CheckConstraint(condition=models.Q(('confidential', False), models.Q(('latitude__isnull', True), ('longitude__isnull', True), ('sub_county__isnull', False), ('ward__isnull', True)), _connector='OR'), name='referrals_confidential_location_sealed'),
                ),
                migrations.AddConstraint(
                    model_name='location',
                    constraint=models.CheckConstraint(condition=models.Q(('latitude__isnull', True), models.Q(('latitude__gte', -90), ('latitude__lte', 90)), _connector='OR'), name='referrals_location_latitude_range'),
                ),
                migrations.AddConstraint(
                    model_name='location',
                    constraint=models.CheckConstraint(condition=models.Q(('longitude__isnull', True), models.Q(('longitude__gte', -180), ('longitude__lte', 180)), _connector='OR'), name='referrals_location_longitude_range'),
                ),
                migrations.AddConstraint(
                    model_name='location',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('latitude__isnull', True), ('longitude__isnull', True)), models.Q(('latitude__isnull', False), ('longitude__isnull', False)), _connector='OR'), name='referrals_location_coordinates_paired'),
                ),
                migrations.AddConstraint(
                    model_name='serviceatlocation',
                    constraint=models.UniqueConstraint(fields=('service', 'location'), name='referrals_service_at_location_once'),
                ),
                migrations.AddIndex(
                    model_name='schedule',
                    index=models.Index(fields=['service', 'service_at_location'], name='referrals_schedule_open_probe'),
                ),
                migrations.AddConstraint(
                    model_name='schedule',
                    constraint=models.CheckConstraint(condition=models.Q(('weekdays__lte', 127)), name='referrals_schedule_weekdays_bits'),
                ),
                migrations.AddConstraint(
                    model_name='taxonomyterm',
                    constraint=models.UniqueConstraint(fields=('taxonomy', 'code'), name='referrals_taxonomy_term_code_unique'),
                ),
                migrations.AddConstraint(
                    model_name='service',
                    constraint=models.CheckConstraint(condition=models.Q(('minimum_age__isnull', True), ('maximum_age__isnull', True), ('minimum_age__lte', models.F('maximum_age')), _connector='OR'), name='referrals_service_age_range_ordered'),
                ),
                migrations.AddIndex(
                    model_name='searchentry',
                    index=models.Index(fields=['service_type', 'public_latitude', 'public_longitude'], name='referrals_search_type_box'),
                ),
                migrations.AddConstraint(
                    model_name='searchentry',
                    constraint=models.UniqueConstraint(fields=('service_at_location', 'service_type'), name='referrals_search_entry_once'),
                ),
            ],
            database_operations=[],
        ),
    ]
