from django.db import migrations, models


class Migration(migrations.Migration):
    """A notification keeps its message key and values, rendered in the reader's language."""

    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        # The text stored so far was the English message already filled in: as a key with
        # no values it still reads the same.
        migrations.RenameField(model_name="notification", old_name="text", new_name="message"),
        migrations.AlterField(
            model_name="notification",
            name="message",
            field=models.CharField(
                help_text="The message key: its English text, translated when read.",
                max_length=300,
                verbose_name="message",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="values",
            field=models.JSONField(blank=True, default=dict, verbose_name="values"),
        ),
    ]
