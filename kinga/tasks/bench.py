"""Benchmark `backup`: `kinga backup` and `kinga restore` against the database's own tools.

It needs a scratch database (its name contains "bench", or KINGA_BENCH_SCRATCH=1):

    DATABASE_URL=sqlite:///var/bench.sqlite3 kinga migrate
    DATABASE_URL=sqlite:///var/bench.sqlite3 kinga bench backup

It adds 1,000,000 persons (`--quick`: 20,000), their names encrypted as the application
stores them, and 5,000,000 audit events (`--quick`: 100,000) continuing the database's own
keyed chain, with a signed checkpoint of the head in a checkpoint directory of the benchmark's
(var/bench-backup/<engine>-<database>/). Then, in the same run:

- backup: the reference is the database's own tool, writing a plain copy (SQLite's online
  backup API into a file; `pg_dump --format=custom` into a file); Kinga's is `backup_take`,
  what `kinga backup` runs (the audit event, the checkpoint, the snapshot, the row counts,
  the sealed archive).
- restore: the reference loads that copy into a new empty database (the backup API from the
  file; `pg_restore --single-transaction`); Kinga's is `restore_database`, what `kinga
  restore` runs before the audit check (opening and authenticating the archive, loading,
  comparing every table's row count), into another new empty database. The audit chain's
  walk that `kinga restore` then makes (`kinga audit verify` on the restored database, in its
  own process) is timed apart: the reference checks nothing.

Sizes are the copy's and the archive's bytes. The rows and the benchmark's databases are
removed at the end, also after a failure (KINGA_BENCH_KEEP=1 keeps the rows, and a following
run with KINGA_BENCH_KEEP=1 and the same size reuses them). KINGA_BENCH_VERIFY=0 leaves out
the audit walk (it takes far longer than the rest at full size; see BENCHMARKS.md).
"""

from __future__ import annotations

import datetime
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from kinga.audit.checkpoints import checkpoint_append
from kinga.audit.keys import audit_keyring
from kinga.audit.models import GENESIS_HASH, AuditEvent
from kinga.lib.backup import Archive, pg_tool, restore_database
from kinga.lib.bench import BenchResult, database_label, record
from kinga.lib.crypto import encrypt
from kinga.tasks.backups import backup_take

MARKER_NATIONALITY = "ZY"  # ISO 3166 "user-assigned": no real person has it
STATE_TABLE = "bench_backup_seeded"
RESTORE_ALIAS = "bench_backup_restore"
BATCH = 20_000
GIVEN = ["Kahindi", "Kazungu", "Mwanaisha", "Zawadi", "Fatuma", "Rehema", "Baraka", "Chengo"]
FAMILY = ["Karisa", "Charo", "Baya", "Kahindi", "Mwamburi", "Salim", "Omar", "Juma"]
# The canonical form of a benchmark event (json.dumps, sorted keys, no spaces), as
# AuditEvent.canonical() writes it; checked against it on the first event.
_CANONICAL = (
    '{{"action":"view","actor":null,"actor_label":"kinga bench","address":null,'
    '"agency":null,"at":"{at}","detail":{{}},"fields":[],"key_id":"{key_id}",'
    '"matter_id":null,"matter_type":"","reason":"","record_id":"{record_id}",'
    '"record_type":"people.person","request_id":"","search_hash":"","seq":{seq}}}'
)
_EVENT_COLUMNS = (
    "seq, at, actor_id, actor_label, agency_id_at_time, action, record_type, record_id, "
    "matter_type, matter_id, fields, reason, search_hash, request_id, address, detail, "
    "key_id, prev_hash, hash"
)
_PERSON_COLUMNS = (
    "id, kind, given_name, family_name, other_names, aliases, sex, date_of_birth, "
    "age_estimate, age_basis, age_band, nationality, languages, home_ward_id, village, "
    "created_at, updated_at, created_by_id"
)


def _scratch_database() -> bool:
    name = str(settings.DATABASES["default"].get("NAME", ""))
    return "bench" in name.lower() or os.environ.get("KINGA_BENCH_SCRATCH") == "1"


def _write(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * (columns.count(",") + 1))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _band(age: int) -> str:
    # The bands of kinga.people.models.AgeBand (a layer above this one).
    for upper, band in ((5, "0-5"), (11, "6-11"), (14, "12-14"), (17, "15-17")):
        if age <= upper:
            return band
    return "18+"


def _seed_persons(count: int, out: Callable[[str], None]) -> None:
    rng = random.Random(21)  # noqa: S311 - synthetic data
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    empty_list = encrypt("[]", context="people.person.aliases")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM people_person")
        first = int(cursor.fetchone()[0]) + 1
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        rows = []
        for pk in range(first + start, first + min(count, start + BATCH)):
            age = rng.randrange(2, 45)
            rows.append(
                (
                    pk,
                    rng.choice(("child", "guardian", "suspect", "witness")),
                    encrypt(rng.choice(GIVEN), context="people.person.given_name"),
                    encrypt(rng.choice(FAMILY), context="people.person.family_name"),
                    "",
                    empty_list,
                    rng.choice(("female", "male")),
                    None,
                    age,
                    "apparent",
                    _band(age),
                    MARKER_NATIONALITY,
                    '["sw"]',
                    None,
                    "",
                    now,
                    now,
                    None,
                )
            )
        _write("people_person", _PERSON_COLUMNS, rows)
        done = min(count, start + BATCH)
        if done % 200_000 == 0 or done == count:
            out(f"  wrote {done:,} persons ({time.perf_counter() - started:.0f}s)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('people_person', 'id'), "
                "(SELECT MAX(id) FROM people_person))"
            )


def _head() -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_seq, last_hash FROM audit_auditchainhead WHERE id = 1")
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


def _seed_events(count: int, out: Callable[[str], None]) -> tuple[int, str]:
    """Append `count` keyed, chained events after the head; return the new head."""
    ring = audit_keyring()
    key_id = ring.primary_id
    chain = ring.chain[key_id]
    seq, prev = _head()
    base = timezone.now() - datetime.timedelta(microseconds=count)
    adapt = connection.ops.adapt_datetimefield_value
    started = time.perf_counter()
    checked = False
    for start in range(0, count, BATCH):
        rows = []
        for offset in range(start, min(count, start + BATCH)):
            seq += 1
            at = base + datetime.timedelta(microseconds=offset)
            record_id = str(1 + offset % 1_000_000)
            canonical = _CANONICAL.format(
                at=at.isoformat(timespec="microseconds"),
                key_id=key_id,
                record_id=record_id,
                seq=seq,
            ).encode()
            mac = chain.copy()
            mac.update(prev.encode("ascii") + canonical)
            digest = mac.hexdigest()
            if not checked:
                _check_canonical(seq, at, record_id, key_id, prev, digest)
                checked = True
            rows.append(
                (
                    seq,
                    adapt(at),
                    None,
                    "kinga bench",
                    None,
                    "view",
                    "people.person",
                    record_id,
                    "",
                    None,
                    "[]",
                    "",
                    "",
                    "",
                    None,
                    "{}",
                    key_id,
                    prev,
                    digest,
                )
            )
            prev = digest
        _write("audit_auditevent", _EVENT_COLUMNS, rows)
        done = min(count, start + BATCH)
        if done % 500_000 == 0 or done == count:
            out(f"  wrote {done:,} audit events ({time.perf_counter() - started:.0f}s)")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
            [seq, prev],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                "INSERT INTO audit_auditchainhead (id, last_seq, last_hash) VALUES (1, %s, %s)",
                [seq, prev],
            )
    return seq, prev


def _check_canonical(
    seq: int, at: datetime.datetime, record_id: str, key_id: str, prev: str, digest: str
) -> None:
    event = AuditEvent(
        seq=seq,
        at=at,
        actor_label="kinga bench",
        action="view",
        record_type="people.person",
        record_id=record_id,
        fields=[],
        reason="",
        detail={},
        key_id=key_id,
        prev_hash=prev,
    )
    if event.compute_hash() != digest:
        raise RuntimeError("the benchmark's events do not hash as AuditEvent does")


def _state() -> tuple[int, int, int, bool] | None:
    """Return the kept seeding's first event, sizes and whether it was finished."""
    if STATE_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        # the bench's fixed table name; values are parameters
        cursor.execute(f"SELECT first_seq, persons, events, done FROM {STATE_TABLE}")  # noqa: S608
        row = cursor.fetchone()
    return (int(row[0]), int(row[1]), int(row[2]), bool(row[3])) if row else None


def _cleanup(first_seq: int, out: Callable[[str], None]) -> None:
    """Remove the benchmark's persons and every event from `first_seq` on; reset the head."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM audit_auditevent WHERE seq = %s", [first_seq - 1])
        row = cursor.fetchone()
        head = (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)
        cursor.execute("DELETE FROM audit_auditevent WHERE seq >= %s", [first_seq])
        cursor.execute("DELETE FROM people_person WHERE nationality = %s", [MARKER_NATIONALITY])
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
            list(head),
        )
        cursor.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")
    out(f"  removed the benchmark rows in {time.perf_counter() - started:.0f}s")


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _database_url(settings_dict: dict[str, Any]) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return (
        f"postgres://{settings_dict['USER']}{password}@{settings_dict['HOST']}{port}/"
        f"{settings_dict['NAME']}"
    )


class _EmptyDatabases:
    """New empty databases beside the benchmark's, dropped on close."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.made: list[str] = []

    def new(self, suffix: str) -> dict[str, Any]:
        given = dict(connection.settings_dict)
        if connection.vendor == "sqlite":
            path = self.work / f"{suffix}.sqlite3"
            path.unlink(missing_ok=True)
            given["NAME"] = str(path)
        else:
            name = f"{given['NAME']}_{suffix}"
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{name}"')
            self.made.append(name)
            given["NAME"] = name
        return given

    def close(self) -> None:
        if RESTORE_ALIAS in connections.settings:
            connections[RESTORE_ALIAS].close()
            del connections[RESTORE_ALIAS]
            del connections.settings[RESTORE_ALIAS]
        for name in self.made:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_environment(given: dict[str, Any]) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if given.get(key):
            environment[variable] = str(given[key])
    return environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    # this interpreter with the bench's fixed arguments
    subprocess.run(command, env=environment, check=True, capture_output=True)  # noqa: S603


def _reference_backup(work: Path) -> Path:
    copy = work / ("reference.sqlite3" if connection.vendor == "sqlite" else "reference.dump")
    copy.unlink(missing_ok=True)
    if connection.vendor == "sqlite":
        source = sqlite3.connect(str(connection.settings_dict["NAME"]))
        target = sqlite3.connect(str(copy))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        environment = _pg_environment(connection.settings_dict)
        _run(
            [
                pg_tool("pg_dump"),
                "--format=custom",
                f"--file={copy}",
                f"--dbname={connection.settings_dict['NAME']}",
            ],
            environment,
        )
    return copy


def _reference_restore(copy: Path, given: dict[str, Any]) -> None:
    if connection.vendor == "sqlite":
        source = sqlite3.connect(str(copy))
        target = sqlite3.connect(str(given["NAME"]))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run(
            [
                pg_tool("pg_restore"),
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--dbname={given['NAME']}",
                str(copy),
            ],
            _pg_environment(given),
        )


def _verify_in_process_of_its_own(given: dict[str, Any], checkpoints: Path) -> float:
    """Time `kinga audit verify` on the restored database, as `kinga restore` would walk it."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KINGA_", "DATABASE_URL"))
    }
    environment.update(
        DATABASE_URL=_database_url(given),
        KINGA_ENV="development",
        KINGA_SECRET_KEY=settings.SECRET_KEY,
        KINGA_DATA_KEYS=settings.KINGA_DATA_KEYS,
        KINGA_INDEX_KEY=settings.KINGA_INDEX_KEY,
        KINGA_AUDIT_KEYS=settings.KINGA_AUDIT_KEYS,
        KINGA_BACKUP_KEYS=settings.KINGA_BACKUP_KEYS,
        KINGA_AUDIT_CHECKPOINT_DIR=str(checkpoints),
    )
    started = time.perf_counter()
    _run([sys.executable, "-m", "kinga", "audit", "verify"], environment)
    return time.perf_counter() - started


def backup(*, out: Callable[[str], None], quick: bool) -> None:
    if not _scratch_database():
        out("  skipped: needs a scratch database (a name with 'bench', or KINGA_BENCH_SCRATCH=1)")
        return
    persons, events = (20_000, 100_000) if quick else (1_000_000, 5_000_000)
    keep = os.environ.get("KINGA_BENCH_KEEP") == "1"
    # One directory per database: two runs on two databases never share files.
    work = (
        Path(settings.VAR_DIR)
        / "bench-backup"
        / (f"{database_label()}-{Path(str(connection.settings_dict['NAME'])).stem}")
    )
    work.mkdir(parents=True, exist_ok=True)
    for stale in work.glob("*"):
        if stale.is_file():
            stale.unlink()
    # The benchmark's own checkpoint file, so the scratch database's is never touched.
    original_checkpoints = settings.KINGA_AUDIT_CHECKPOINT_DIR
    settings.KINGA_AUDIT_CHECKPOINT_DIR = str(work / "checkpoints")
    state = _state()
    first_seq = _head()[0] + 1
    databases = _EmptyDatabases(work)
    try:
        if keep and state is not None and state[1:] == (persons, events, True):
            first_seq = state[0]
            out(f"  reusing the kept {persons:,} persons and {events:,} audit events")
        else:
            if state is not None:
                _cleanup(state[0], out)
                first_seq = _head()[0] + 1
            shutil.rmtree(settings.KINGA_AUDIT_CHECKPOINT_DIR, ignore_errors=True)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE TABLE {STATE_TABLE} "
                    "(first_seq BIGINT, persons BIGINT, events BIGINT, done INTEGER)"
                )
                cursor.execute(
                    # the bench's fixed table name; values are parameters
                    f"INSERT INTO {STATE_TABLE} VALUES (%s, %s, %s, 0)",  # noqa: S608
                    [first_seq, persons, events],
                )
            if connection.vendor == "sqlite":
                # Seeding only: a cache that holds the indexes' pages (random hashes).
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA cache_size = -1000000")
            _seed_persons(persons, out)
            seq, head_hash = _seed_events(events, out)
            checkpoint_append(seq=seq, event_hash=head_hash, at=timezone.now())
            with connection.cursor() as cursor:
                # the bench's fixed table name; values are parameters
                cursor.execute(f"UPDATE {STATE_TABLE} SET done = 1")  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            # Start both from the same place: the log folded into the database file.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            source_bytes = _size(Path(str(connection.settings_dict["NAME"])))
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_database_size(current_database())")
                source_bytes = int(cursor.fetchone()[0])
        connection.close()

        out("  reference backup ...")
        reference_backup_s, copy = _timed(lambda: _reference_backup(work))
        reference_bytes = _size(copy)
        out("  kinga backup ...")
        archive = work / "kinga.kbk"
        backup_s, summary = _timed(lambda: backup_take(path=archive, actor_label="kinga bench"))

        out("  reference restore ...")
        reference_target = databases.new("reference_restored")
        reference_restore_s, _ = _timed(lambda: _reference_restore(copy, reference_target))
        copy.unlink(missing_ok=True)
        if connection.vendor == "sqlite":
            Path(str(reference_target["NAME"])).unlink(missing_ok=True)

        out("  kinga restore ...")
        target = databases.new("kinga_restored")
        connections.settings[RESTORE_ALIAS] = target

        def restore() -> Any:
            with Archive(archive) as opened:
                restored = restore_database(archive=opened, alias=RESTORE_ALIAS)
                checkpoints = work / "restored-checkpoints"
                shutil.rmtree(checkpoints, ignore_errors=True)
                checkpoints.mkdir()
                (checkpoints / "checkpoints.log").write_bytes(opened.checkpoints)
            return restored, checkpoints

        restore_s, (restored, checkpoints) = _timed(restore)
        connections[RESTORE_ALIAS].close()
        verify_s = math.nan
        if os.environ.get("KINGA_BENCH_VERIFY", "1") != "0":
            out("  kinga audit verify on the restored database ...")
            verify_s = _verify_in_process_of_its_own(target, checkpoints)
    finally:
        databases.close()
        settings.KINGA_AUDIT_CHECKPOINT_DIR = original_checkpoints
        if not keep:
            _cleanup(first_seq, out)
            shutil.rmtree(work, ignore_errors=True)
        else:
            for leftover in work.glob("*"):
                if leftover.is_file():
                    leftover.unlink()

    label = database_label()
    common: dict[str, float | int | str] = {
        "persons": persons,
        "audit_events": events,
        "rows": restored.manifest.rows,
        "database_mb": round(source_bytes / 1e6, 1),
    }
    record(
        BenchResult(
            name="backup",
            database=label,
            figures={
                **common,
                "reference_s": reference_backup_s,
                "kinga_s": backup_s,
                "reference_mb": round(reference_bytes / 1e6, 1),
                "archive_mb": round(summary.archive_bytes / 1e6, 1),
            },
            ratio=backup_s / reference_backup_s,
            ratio_label="kinga/reference",
        ),
        out,
    )
    record(
        BenchResult(
            name="restore",
            database=label,
            figures={
                **common,
                "reference_s": reference_restore_s,
                "kinga_s": restore_s,
                "audit_verify_s": verify_s,
                "kinga_with_verify_s": restore_s + verify_s,
            },
            ratio=restore_s / reference_restore_s,
            ratio_label="kinga/reference (before the audit walk)",
        ),
        out,
    )


BENCHMARKS = {"backup": backup}
