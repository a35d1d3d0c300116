"""The few statements of the public channels' hot path, built once per process.

A USSD session sends eight requests and each one writes; building the same UPDATE
through the ORM costs several times what SQLite takes to run it (see `kinga bench
intake_load` and BENCHMARKS.md). These statements are made from the model's own fields:
the column names come from `Report._meta` and every value goes through the field's
`get_db_prep_save`, so encrypted fields are encrypted and JSON, dates and booleans are
stored exactly as the ORM stores them. Everything else in intake uses the ORM.

Lookups by channel reference repeat the condition of the partial unique index
(`channel_reference <> ''`), without which SQLite scans the whole table.

On SQLite, one writer at a time holds the database. A writer that finds it taken sleeps
in SQLite's busy handler (1, 2, 5, 10 ... 100 ms) and may find it taken again when it
wakes, so under load some requests wait for seconds. `write_turn` makes the intake
writers of all worker processes queue on a file lock instead: the kernel wakes the next
one as soon as the holder is done.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field

from kinga.intake.models import Report

_turn: tuple[int, int, str] | None = None  # (process id, file descriptor, database path)


def _turn_file() -> int | None:
    """Return this process's descriptor of the database's write-turn lock file, if any."""
    global _turn
    if connection.vendor != "sqlite":
        return None
    database = str(connection.settings_dict["NAME"])
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    pid = os.getpid()
    if _turn is not None and _turn[0] == pid and _turn[2] == database:
        return _turn[1]
    # a new process (a forked worker must not share its parent's lock) or a new database
    descriptor = os.open(f"{database}.write-turn", os.O_RDWR | os.O_CREAT, 0o600)
    _turn = (pid, descriptor, database)
    return descriptor


@contextmanager
def write_turn() -> Iterator[None]:
    """Wait for this process's turn to write to SQLite; elsewhere, and inside a transaction
    (which already holds the database), do nothing."""
    descriptor = None if connection.in_atomic_block else _turn_file()
    if descriptor is None:
        yield
        return
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _field(name: str) -> Field[Any, Any]:
    """Return the report's concrete field called `name` (or with that attribute name)."""
    field = Report._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{name} is not a column of intake_report")
    return field


def _column(name: str) -> str:
    return _qn(str(_field(name).column))


def _prepared(values: dict[str, Any]) -> list[Any]:
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: see kinga.lib.rows
    return [_field(name).get_db_prep_save(v, db) for name, v in values.items()]


@cache
def _update_sql(names: tuple[str, ...], where: str) -> str:
    assignments = ", ".join(f"{_column(name)} = %s" for name in names)
    # names and columns come from the model, never from a request; values are parameters
    return f"UPDATE {_qn(Report._meta.db_table)} SET {assignments} WHERE {where}"  # noqa: S608


@cache
def _by_session() -> str:
    return (
        f"{_qn('channel')} = %s AND {_qn('channel_reference')} = %s"
        f" AND NOT ({_qn('channel_reference')} = '')"
    )


@cache
def _session_update_sql(names: tuple[str, ...], kept: tuple[str, ...]) -> str:
    """Return the UPDATE of a session's report setting `names`, if `kept` are unchanged."""
    where = f"{_by_session()} AND NOT ({_qn('answers_digest')} = %s)"
    if kept:
        where += " AND " + " AND ".join(f"{_column(name)} IS %s" for name in kept)
    return _update_sql(names, where)


@cache
def _indexed() -> frozenset[str]:
    """Return the names of the report's fields that some index of its table contains."""
    meta = Report._meta
    names = {f.name for f in meta.concrete_fields if getattr(f, "db_index", False) or f.unique}
    for index in meta.indexes:
        names.update(index.fields)
    for constraint in meta.constraints:
        names.update(getattr(constraint, "fields", ()))
    return frozenset(names | {_field(name).attname for name in names})


@dataclass(frozen=True)
class Statement:
    """One statement with its values already prepared (encrypted, serialised)."""

    sql: str
    params: tuple[Any, ...]

    def run(self, *more: Any) -> int:
        """Run it with `more` parameters after the prepared ones; return the rows changed."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [*self.params, *more])
            return int(cursor.rowcount)


@dataclass(frozen=True)
class SessionUpdate:
    """The UPDATE of a channel session's report, prepared before the write turn is taken."""

    statements: tuple[Statement, ...]

    def run(self) -> int:
        """Return how many reports it changed (0 or 1): the first statement that changes one."""
        for statement in self.statements:
            changed = statement.run()
            if changed:
                return changed
        return 0


def session_update(
    *, channel: str, reference: str, values: dict[str, Any], unless_digest: str
) -> SessionUpdate:
    """Prepare setting `values` on the report of a channel session unless its answers are
    the same (its `answers_digest` is `unless_digest`).

    One statement, as a rule: SQLite rewrites the index entries of every column an UPDATE
    sets, even to the value it already holds, so a USSD screen that sets the county again
    writes three pages instead of one. There, indexed values (county, sub-county) are
    first required to be the stored ones instead of being set; only the screen that
    changes one of them runs the second statement, which sets them.
    """
    key = (channel, reference, unless_digest)
    every = Statement(_session_update_sql(tuple(values), ()), (*_prepared(values), *key))
    indexed = {name: value for name, value in values.items() if name in _indexed()}
    if not indexed or connection.vendor != "sqlite":
        return SessionUpdate((every,))
    plain = {name: value for name, value in values.items() if name not in indexed}
    narrow = Statement(
        _session_update_sql(tuple(plain), tuple(indexed)),
        (*_prepared(plain), *key, *_prepared(indexed)),
    )
    return SessionUpdate((narrow, every))


def report_update(values: dict[str, Any]) -> Statement:
    """Prepare setting `values` on one report; run it with the report's key."""
    return Statement(_update_sql(tuple(values), f"{_column('id')} = %s"), tuple(_prepared(values)))


def update_report(*, pk: int, values: dict[str, Any]) -> None:
    """Set `values` on one report."""
    report_update(values).run(pk)


@dataclass(frozen=True)
class SessionRow:
    """What the last screen of a session needs of its stored report."""

    pk: int
    answers_digest: str
    routed_at: datetime | None
    received_at: datetime
    reporter_phone_index: str


_SESSION_FIELDS = ("id", "answers_digest", "routed_at", "received_at", "reporter_phone_index")


@cache
def _session_sql(lock: bool) -> str:
    columns = ", ".join(_column(name) for name in _SESSION_FIELDS)
    # table and column names from the model, quoted; values are parameters
    sql = f"SELECT {columns} FROM {_qn(Report._meta.db_table)} WHERE {_by_session()}"  # noqa: S608
    return sql + " FOR UPDATE" if lock else sql


def session_row(*, channel: str, reference: str) -> SessionRow | None:
    """Return the session's report (locked until the transaction ends where rows lock)."""
    lock = connection.features.has_select_for_update
    with connection.cursor() as cursor:
        cursor.execute(_session_sql(lock), [channel, reference])
        row = cursor.fetchone()
    if row is None:
        return None
    converted = []
    for name, value in zip(_SESSION_FIELDS, row, strict=True):
        column = _field(name).get_col(Report._meta.db_table)
        for converter in connection.ops.get_db_converters(column):
            value = converter(value, column, connection)
        converted.append(value)
    pk, digest, routed_at, received_at, phone_index = converted
    return SessionRow(
        pk=int(pk),
        answers_digest=str(digest),
        routed_at=routed_at,
        received_at=received_at,
        reporter_phone_index=str(phone_index),
    )


@cache
def _exists_sql(column: str) -> str:
    return (
        # table and column names from the model, quoted; values are parameters
        f"SELECT 1 FROM {_qn(Report._meta.db_table)} WHERE {_column(column)} = %s"  # noqa: S608
        f" AND {_column('received_at')} >= %s AND {_column('received_at')} <= %s"
        f" AND NOT ({_column('id')} = %s) LIMIT 1"
    )


def others_exist(
    *, column: str, value: Any, around: datetime, within: timedelta, pk: int | None
) -> bool:
    """Return whether another report has `column` = value, received within `within` of `around`."""
    received = Report._meta.get_field("received_at")
    params = [
        value,
        received.get_db_prep_value(around - within, connection),
        received.get_db_prep_value(around + within, connection),
        pk if pk is not None else 0,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_exists_sql(column), params)
        return cursor.fetchone() is not None
