"""Re-bind a location's encrypted columns to their new home, and move the content types.

An encrypted column is bound to `app.model.field` (the AES-GCM associated data), so the
address lines, directions and sealed place written as `referrals.location.*` would not
decrypt as `directory.location.*`. This decrypts each under the old name and encrypts it
under the new one, row by row, with the same keys; the way back does the reverse.

The content types (and so the permissions that hang off them) of the moved models are
renamed from `referrals` to `directory` rather than created afresh.
"""

from django.db import migrations

from kinga.lib.crypto import decrypt, encrypt

TABLE = "referrals_location"
COLUMNS = (
    "transportation",
    "address_attention",
    "address_1",
    "address_2",
    "city",
    "postal_code",
    "sealed_place",
)
MODELS = (
    "taxonomyterm",
    "organization",
    "service",
    "location",
    "serviceatlocation",
    "contact",
    "phone",
    "language",
    "costoption",
    "schedule",
    "searchentry",
)


def _rebind(schema_editor, old_app, new_app):
    connection = schema_editor.connection
    quote = schema_editor.quote_name
    columns = ", ".join(quote(column) for column in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM {quote(TABLE)}")  # noqa: S608 - fixed names
        rows = cursor.fetchall()
        for pk, *values in rows:
            changes = {
                column: encrypt(
                    decrypt(value, context=f"{old_app}.location.{column}"),
                    context=f"{new_app}.location.{column}",
                )
                for column, value in zip(COLUMNS, values, strict=True)
                if value
            }
            if not changes:
                continue
            assignments = ", ".join(f"{quote(column)} = %s" for column in changes)
            cursor.execute(
                # fixed table and column names, quoted; values are parameters
                f"UPDATE {quote(TABLE)} SET {assignments} WHERE id = %s",  # noqa: S608
                [*changes.values(), pk],
            )


def _content_types(apps, old_app, new_app):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if ContentType.objects.filter(app_label=new_app, model=model).exists():
            continue
        ContentType.objects.filter(app_label=old_app, model=model).update(app_label=new_app)


def forwards(apps, schema_editor):
    _rebind(schema_editor, "referrals", "directory")
    _content_types(apps, "referrals", "directory")


def backwards(apps, schema_editor):
    _rebind(schema_editor, "directory", "referrals")
    _content_types(apps, "directory", "referrals")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("directory", "0001_initial"),
        ("referrals", "0007_directory_moved_out"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
