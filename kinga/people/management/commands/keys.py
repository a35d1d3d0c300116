"""`kinga keys`: data keys for encrypted fields.

- `kinga keys new-key ID` prints a fresh `ID:key` pair. Put it first in KINGA_DATA_KEYS
  (`KINGA_DATA_KEYS="ID:new,OLD:old"`) and restart: new values are encrypted under it and
  old ones still decrypt.
- `kinga keys rotate` re-encrypts every encrypted value of every model under the first key,
  in batches of `--batch-size` rows, each batch in its own transaction. Rows already under
  the first key are skipped, so an interrupted run resumes where it stopped. Once it
  reports nothing left, the old key can be dropped from KINGA_DATA_KEYS.
- `kinga keys status` counts the stored values per key id, per field.
"""

from __future__ import annotations

import sys
import uuid
from argparse import ArgumentParser
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Model

from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.lib.crypto import DecryptionError, decrypt, encrypt, keyring
from kinga.lib.fields import EncryptedTextField
from kinga.lib.progress import ProgressBar


@dataclass(frozen=True)
class EncryptedTable:
    """A model with encrypted columns: its table, primary key column and those columns."""

    model: type[Model]
    table: str
    pk_column: str
    columns: tuple[tuple[str, str], ...]  # (column, encryption context)

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


def encrypted_tables() -> list[EncryptedTable]:
    """Return every installed model that has encrypted fields, in a stable order.

    Models whose table is not in the database yet (an app not migrated) hold nothing.
    """
    existing = set(connection.introspection.table_names())
    found: list[EncryptedTable] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed or model._meta.db_table not in existing:
            continue
        columns = tuple(
            (str(field.column), field.encryption_context)
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField)
        )
        if columns:
            found.append(
                EncryptedTable(
                    model=model,
                    table=model._meta.db_table,
                    pk_column=str(model._meta.pk.column),
                    columns=columns,
                )
            )
    return sorted(found, key=lambda table: table.label)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _stale_condition(table: EncryptedTable, prefix: str) -> str:
    """SQL true when any encrypted column of the row is not under the key `prefix` names."""
    length = len(prefix)
    return " OR ".join(
        f"({_q(column)} IS NOT NULL AND {_q(column)} <> '' "
        f"AND SUBSTR({_q(column)}, 1, {length}) <> %s)"
        for column, _ in table.columns
    )


def count_stale(table: EncryptedTable, prefix: str) -> int:
    """Return how many rows of the table still hold a value under another key."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {_q(table.table)} WHERE {_stale_condition(table, prefix)}",  # noqa: S608 - names from model metadata, quoted; values bound
            [prefix] * len(table.columns),
        )
        return int(cursor.fetchone()[0])


def rotate_table(
    table: EncryptedTable, *, batch_size: int, on_batch: Any = None
) -> tuple[int, int]:
    """Re-encrypt the table's stale values under the primary key; return (rows, values)."""
    primary = keyring().primary_id
    prefix = primary + "$"
    column_list = ", ".join(_q(column) for column, _ in table.columns)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = (
        f"SELECT {_q(table.pk_column)}, {column_list} FROM {_q(table.table)} "  # noqa: S608 - names from model metadata, quoted; values bound
        f"WHERE {_q(table.pk_column)} > %s AND ({_stale_condition(table, prefix)}) "
        f"ORDER BY {_q(table.pk_column)} LIMIT %s{lock}"
    )
    rows_done = values_done = 0
    last_pk: Any = None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                select,
                [last_pk if last_pk is not None else _lowest_pk(table)]
                + [prefix] * len(table.columns)
                + [batch_size],
            )
            batch = cursor.fetchall()
            if not batch:
                break
            for row in batch:
                pk, values = row[0], row[1:]
                assignments: list[str] = []
                params: list[Any] = []
                for (column, context), value in zip(table.columns, values, strict=True):
                    if not value or value.startswith(prefix):
                        continue
                    try:
                        plain = decrypt(value, context=context)
                    except DecryptionError as error:
                        raise CommandError(
                            f"{table.label} {column} of row {pk} cannot be decrypted: {error}"
                        ) from None
                    assignments.append(f"{_q(column)} = %s")
                    params.append(encrypt(plain, context=context))
                if assignments:
                    cursor.execute(
                        f"UPDATE {_q(table.table)} SET {', '.join(assignments)} "  # noqa: S608 - names from model metadata, quoted; values bound
                        f"WHERE {_q(table.pk_column)} = %s",
                        [*params, pk],
                    )
                    rows_done += 1
                    values_done += len(assignments)
            last_pk = batch[-1][0]
        if on_batch is not None:
            on_batch(len(batch))
    return rows_done, values_done


def _lowest_pk(table: EncryptedTable) -> Any:
    """Return a value below every primary key of the table (integer, UUID or text keys)."""
    pk = table.model._meta.pk
    internal = pk.get_internal_type()
    if internal == "UUIDField":
        # PostgreSQL refuses '' as a uuid. The nil UUID sorts first, and uuid4 never makes it.
        return pk.get_db_prep_value(uuid.UUID(int=0), connection)
    return -(2**62) if "Integer" in internal or "Auto" in internal else ""


def key_counts() -> list[tuple[str, str, str, int]]:
    """Return (model, column, key id, values) for every encrypted column and configured key."""
    ring = keyring()
    rows: list[tuple[str, str, str, int]] = []
    with connection.cursor() as cursor:
        for table in encrypted_tables():
            for column, _ in table.columns:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {_q(table.table)} "  # noqa: S608 - names from model metadata, quoted; values bound
                    f"WHERE {_q(column)} IS NOT NULL AND {_q(column)} <> ''"
                )
                total = int(cursor.fetchone()[0])
                known = 0
                for key_id in ring.keys:
                    prefix = key_id + "$"
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {_q(table.table)} "  # noqa: S608 - names from model metadata, quoted; values bound
                        f"WHERE SUBSTR({_q(column)}, 1, {len(prefix)}) = %s",
                        [prefix],
                    )
                    count = int(cursor.fetchone()[0])
                    known += count
                    if count:
                        rows.append((table.label, column, key_id, count))
                if total - known:
                    rows.append((table.label, column, "(unknown key)", total - known))
    return rows


class Command(BaseCommand):
    help = "Data keys: `new-key ID`, `rotate` (re-encrypt under the first key), `status`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        new_key = verbs.add_parser("new-key", help="print a fresh ID:key pair")
        new_key.add_argument("key_id")
        rotate = verbs.add_parser("rotate", help="re-encrypt everything under the first key")
        rotate.add_argument("--batch-size", type=int, default=500)
        verbs.add_parser("status", help="count stored values per key id")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "new-key":
            from kinga.lib.crypto import new_key_spec

            key_id = options["key_id"]
            if not key_id or "$" in key_id or ":" in key_id or "," in key_id:
                raise CommandError("A key id may not be empty or hold '$', ':' or ','.")
            self.stdout.write(new_key_spec(key_id))
        elif verb == "status":
            ring = keyring()
            self.stdout.write(f"primary key: {ring.primary_id}; configured: {', '.join(ring.keys)}")
            for label, column, key_id, count in key_counts():
                self.stdout.write(f"{label}.{column}\t{key_id}\t{count}")
        else:
            self._rotate(batch_size=max(1, options["batch_size"]))

    def _rotate(self, *, batch_size: int) -> None:
        primary = keyring().primary_id
        tables = encrypted_tables()
        stale = {table.label: count_stale(table, primary + "$") for table in tables}
        total = sum(stale.values())
        bar = ProgressBar(total=total, label=f"re-encrypting under {primary}", stream=sys.stderr)
        done = [0]

        def advance(rows: int) -> None:
            done[0] += rows
            bar.update(min(done[0], total))

        rows = values = 0
        for table in tables:
            if not stale[table.label]:
                continue
            table_rows, table_values = rotate_table(table, batch_size=batch_size, on_batch=advance)
            rows += table_rows
            values += table_values
        bar.finish()
        with transaction.atomic():
            audit_record(
                action=AuditAction.KEY_ROTATION,
                actor=None,
                actor_label="kinga keys rotate",
                detail={"key_id": primary, "rows": rows, "values": values},
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {values} values in {rows} rows under key {primary!r}; "
                f"nothing is left under older keys."
            )
        )
