"""The chain of custody is append-only in the database too: a trigger refuses to change an
entry (both databases) or to remove one (PostgreSQL; SQLite's test flush deletes rows, and
the model and its queryset refuse deletes there)."""

from __future__ import annotations

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER justice_custody_no_update BEFORE UPDATE ON justice_custodyentry "
            "BEGIN SELECT RAISE(ABORT, 'the chain of custody is append-only'); END;"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION justice_custody_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the chain of custody is append-only'; END; "
            "$$ LANGUAGE plpgsql"
        )
        schema_editor.execute(
            "CREATE TRIGGER justice_custody_no_change BEFORE UPDATE OR DELETE "
            "ON justice_custodyentry FOR EACH ROW EXECUTE FUNCTION justice_custody_append_only()"
        )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS justice_custody_no_update")
    elif vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS justice_custody_no_change ON justice_custodyentry"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS justice_custody_append_only()")


class Migration(migrations.Migration):
    dependencies = [("justice", "0001_incidents_investigations_prosecutions")]

    operations = [migrations.RunPython(forwards, backwards)]
