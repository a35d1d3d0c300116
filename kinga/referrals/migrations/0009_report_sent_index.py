"""The first referral sent on a report, for insights' report paths: a partial index, since
most referrals are a case's and carry no report."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referrals", "0008_referral_child_age")]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=models.Q(("report__isnull", False)),
                fields=["report", "sent_at"],
                name="referrals_report_sent",
            ),
        ),
    ]
