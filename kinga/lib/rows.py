"""One prepared INSERT per model, for the few writes on every public-channel request.

`Model.save()` compiles its INSERT anew on each call; on the USSD and web hot paths that
work cost more than the database took to store the row (see `kinga bench intake_load`).
`insert_row` stores an instance exactly as `save(force_insert=True)` would — each field's
`pre_save` (defaults, `auto_now_add`) and `get_db_prep_save` (encryption, JSON, dates) —
with a statement built once per model. It sends no model signals (Kinga connects none to
the models that use it). Everything else uses the ORM.

`prepare_insert` does the preparing (the costly part: encryption, JSON) and returns the
statement ready to run, so a caller can prepare before it takes a write lock and hold the
lock only while the database works.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import AutoField, BigAutoField, Field, Model, SmallAutoField

_AUTO = (AutoField, BigAutoField, SmallAutoField)


@lru_cache(maxsize=32)
def _insert_sql(
    model: type[Model], vendor: str, ignore_conflict: bool
) -> tuple[str, tuple[Field[Any, Any], ...], Field[Any, Any] | None, dict[str, int]]:
    """Return the INSERT for `model`, its fields in column order, the generated key, and
    where each field (by name and by attribute name) stands among the values."""
    meta = model._meta
    pk = meta.pk
    generated = pk if isinstance(pk, _AUTO) else None
    fields = tuple(f for f in meta.concrete_fields if f is not generated)
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # table and column names come from the model, never from a request; values are parameters
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    if ignore_conflict:
        sql += " ON CONFLICT DO NOTHING"
    if generated is not None:
        sql += f" RETURNING {quote(str(generated.column))}"
    positions = {field.name: index for index, field in enumerate(fields)}
    positions.update({field.attname: index for index, field in enumerate(fields)})
    return sql, fields, generated, positions


@dataclass
class PreparedInsert:
    """An instance's INSERT with its values prepared as the database stores them."""

    instance: Model
    sql: str
    fields: tuple[Field[Any, Any], ...]
    params: list[Any]
    generated: Field[Any, Any] | None
    positions: dict[str, int]

    def set(self, name: str, value: Any) -> None:
        """Set field `name` on the instance and in the prepared values (a value known late)."""
        position = self.positions.get(name)
        if position is None:
            raise KeyError(f"{name} is not a column this statement sets")
        field = self.fields[position]
        setattr(self.instance, field.attname, value)
        self.params[position] = field.get_db_prep_save(value, connections[DEFAULT_DB_ALIAS])

    def execute(self) -> bool:
        """Store the row; set the instance's generated key. Return whether it was stored.

        With `ignore_conflict`, a row that would break a unique constraint is not stored
        and False is returned (the instance keeps no key); otherwise a conflict raises
        IntegrityError as `save()` does.
        """
        db = connections[DEFAULT_DB_ALIAS]
        key = None
        with db.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            if self.generated is None:
                stored = bool(cursor.rowcount == 1)
            else:
                row = cursor.fetchone()
                stored = row is not None
                key = row[0] if row is not None else None
        if stored:
            self.stored(key)
        return stored

    def stored(self, key: Any) -> None:
        """Mark the instance stored, with the key the database made (when it makes one).

        For a caller that ran `sql` inside a statement of its own (a WITH on PostgreSQL).
        """
        if self.generated is not None:
            setattr(self.instance, self.generated.attname, key)
        self.instance._state.adding = False
        self.instance._state.db = DEFAULT_DB_ALIAS


def prepare_insert(instance: Model, *, ignore_conflict: bool = False) -> PreparedInsert:
    """Return the INSERT that stores `instance` as a new row, its values prepared now."""
    # The connection itself, not django.db.connection: each attribute read through that
    # proxy costs a context-local look-up, and preparing a row reads dozens.
    db = connections[DEFAULT_DB_ALIAS]
    sql, fields, generated, positions = _insert_sql(type(instance), db.vendor, ignore_conflict)
    if generated is not None and getattr(instance, generated.attname) is not None:
        raise ValueError("insert_row makes the key; this instance already has one")
    params = [f.get_db_prep_save(f.pre_save(instance, True), db) for f in fields]
    return PreparedInsert(instance, sql, fields, params, generated, positions)


def insert_row(instance: Model, *, ignore_conflict: bool = False) -> bool:
    """Store `instance` as a new row with one statement; set its generated key.

    Return True when the row was stored; see `PreparedInsert.execute` for conflicts.
    """
    return prepare_insert(instance, ignore_conflict=ignore_conflict).execute()
