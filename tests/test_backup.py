"""Issue 21 point 5: `kinga backup` and `kinga restore`.

A backup is taken from the test database while it runs (committed rows: transactional
tests), and restored by the real command, in its own process, into a new empty database of
the same engine (a new SQLite file, or a new PostgreSQL database on the test server); then
`kinga audit verify` runs there too. Every table is compared row for row with the source.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.intake.models import Report
from kinga.intake.services import ReportInput, report_submit_web
from kinga.lib import backup
from kinga.lib.backup import Archive, BackupError
from kinga.tasks.backups import BACKUP_JOB, backup_scheduled
from kinga.tasks.registry import PERIODIC
from kinga.tasks.services import run_due, task_enqueue

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
SQLITE = connection.vendor == "sqlite"


# --- the database a restore goes into ------------------------------------------------------


@dataclass
class Target:
    url: str
    path: Path | None = None  # SQLite
    name: str = ""  # PostgreSQL

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.path is not None:
            database = sqlite3.connect(str(self.path))
            try:
                return database.execute(sql).fetchall()
            finally:
                database.close()
        with psycopg.connect(**_pg_params(self.name)) as database, database.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        if self.path is not None:
            return _sqlite_rows(self.path)
        return _pg_rows(self.name)


def _pg_params(name: str) -> dict[str, Any]:
    given = connection.settings_dict
    params = {"dbname": name, "user": given["USER"], "host": given["HOST"]}
    if given.get("PORT"):
        params["port"] = given["PORT"]
    if given.get("PASSWORD"):
        params["password"] = given["PASSWORD"]
    return params


def _sqlite_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    database = sqlite3.connect(str(path))
    try:
        names = [
            row[0]
            for row in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            # table names read from the restored database's own catalogue
            name: sorted(database.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)  # noqa: S608
            for name in names
        }
    finally:
        database.close()


def _pg_rows(name: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(**_pg_params(name)) as database, database.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        names = [row[0] for row in cursor.fetchall()]
        found = {}
        for table in names:
            # table names read from the restored database's own catalogue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            found[table] = sorted(cursor.fetchall(), key=repr)
        return found


def source_rows() -> dict[str, list[tuple[Any, ...]]]:
    if SQLITE:
        return _sqlite_rows(Path(str(connection.settings_dict["NAME"])))
    return _pg_rows(str(connection.settings_dict["NAME"]))


@pytest.fixture
def empty_target(tmp_path: Path) -> Iterator[Target]:
    """Yield a new, empty database of the test database's engine; drop it afterwards."""
    if SQLITE:
        path = tmp_path / "restored.sqlite3"
        yield Target(url=f"sqlite:///{path}", path=path)
        return
    name = f"kinga_restore_{uuid.uuid4().hex[:10]}"
    admin = _pg_params("postgres")
    with psycopg.connect(**admin, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    given = connection.settings_dict
    password = f":{given['PASSWORD']}" if given.get("PASSWORD") else ""
    port = f":{given['PORT']}" if given.get("PORT") else ""
    try:
        yield Target(
            url=f"postgres://{given['USER']}{password}@{given['HOST']}{port}/{name}", name=name
        )
    finally:
        with psycopg.connect(**admin, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def kinga(
    *arguments: str, target: Target, checkpoints: Path, settings: Any
) -> subprocess.CompletedProcess[str]:
    """Run `kinga ...` in its own process against the target, with this run's keys."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KINGA_", "DATABASE_URL", "PG"))
    }
    environment.update(
        DATABASE_URL=target.url,
        KINGA_ENV="development",
        KINGA_SECRET_KEY=settings.SECRET_KEY,
        KINGA_DATA_KEYS=settings.KINGA_DATA_KEYS,
        KINGA_INDEX_KEY=settings.KINGA_INDEX_KEY,
        KINGA_AUDIT_KEYS=settings.KINGA_AUDIT_KEYS,
        KINGA_BACKUP_KEYS=settings.KINGA_BACKUP_KEYS,
        KINGA_AUDIT_CHECKPOINT_DIR=str(checkpoints),
    )
    return subprocess.run(  # noqa: S603  # this repository's own command
        [sys.executable, "-m", "kinga", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def seed(count: int = 3) -> list[Report]:
    data = ReportInput(categories=["trafficking"], narrative="Two girls taken to a lodge at night")
    return [
        report_submit_web(data=data, submission=f"seed-{uuid.uuid4().hex}", payload={})[0]
        for _ in range(count)
    ]


# --- backup, then restore into an empty database -------------------------------------------


def test_backup_then_restore_gives_every_row_back_and_the_audit_chain_verifies(
    personas: Any, tmp_path: Path, empty_target: Target, settings: Any
) -> None:
    seed()
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    before = source_rows()
    checkpoints = tmp_path / "restored-checkpoints"

    restored = kinga(
        "restore", str(archive), target=empty_target, checkpoints=checkpoints, settings=settings
    )
    assert restored.returncode == 0, restored.stderr
    assert "every table's row count matches the archive" in restored.stdout
    assert "Restore done: audit chain intact" in restored.stdout

    after = empty_target.rows()
    assert set(after) == set(before)
    audit_table = AuditEvent._meta.db_table
    for table, rows in before.items():
        if table in (audit_table, "audit_auditchainhead"):
            continue
        assert after[table] == rows, table
    # The audit log holds every event of the source, and then the restore's own.
    assert set(map(repr, before[audit_table])) < set(map(repr, after[audit_table]))
    assert len(after[audit_table]) == len(before[audit_table]) + 1
    assert (checkpoints / "checkpoints.log").exists()

    verified = kinga(
        "audit", "verify", target=empty_target, checkpoints=checkpoints, settings=settings
    )
    assert verified.returncode == 0, verified.stderr
    assert "Audit chain intact" in verified.stdout


def test_the_backup_is_audited_inside_the_archive_and_signs_the_chain_first(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    event = AuditEvent.objects.filter(record_type="backup").latest("seq")
    assert (event.action, event.record_id, event.detail) == (
        "export",
        "kinga.kbk",
        {"kind": "backup"},
    )
    with Archive(archive) as opened:
        lines = opened.checkpoints.decode().splitlines()
        # the last checkpoint names the backup's own event: the chain was signed first
        assert int(lines[-1].split("\t")[0]) == event.seq
        assert opened.manifest.tables[AuditEvent._meta.db_table] == AuditEvent.objects.count()
        assert opened.manifest.facts["audit_key_ids"]
        list(opened.data())


def test_a_backup_taken_during_an_intake_burst_restores_consistently(
    personas: Any, tmp_path: Path, empty_target: Target, settings: Any
) -> None:
    """Reports keep arriving while the backup runs; the archive is one moment of the
    database: every report it holds has its audit event, and the chain verifies."""
    seed(1)
    stop = threading.Event()
    written: list[int] = []
    failures: list[BaseException] = []

    def burst() -> None:
        data = ReportInput(categories=["online"], narrative="Photos asked for on a chat app")
        try:
            after_stop = 0
            while after_stop < 5:
                report, _ = report_submit_web(
                    data=data, submission=f"burst-{uuid.uuid4().hex}", payload={}
                )
                written.append(report.pk)
                if stop.is_set():
                    after_stop += 1
        except BaseException as error:  # surfaced by the test below
            failures.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=burst)
    writer.start()
    deadline = time.monotonic() + 60
    while len(written) < 5 and time.monotonic() < deadline and not failures:
        time.sleep(0.05)
    archive = tmp_path / "burst.kbk"
    try:
        call_command("backup", str(archive))
    finally:
        stop.set()
        writer.join(timeout=120)
    assert not failures
    assert not writer.is_alive()

    checkpoints = tmp_path / "restored-checkpoints"
    restored = kinga(
        "restore", str(archive), target=empty_target, checkpoints=checkpoints, settings=settings
    )
    assert restored.returncode == 0, restored.stderr

    report_ids = {row[0] for row in empty_target.query("SELECT id FROM intake_report")}
    # the burst went on after the snapshot: the archive holds some of it, not all
    assert 5 <= len(report_ids) < Report.objects.count()
    audited = {
        event.record_id
        for event in AuditEvent.objects.filter(record_type="intake.report", action="create")
    }
    assert {str(pk) for pk in report_ids} <= audited
    restored_audited = {
        row[0]
        for row in empty_target.query(
            "SELECT record_id FROM audit_auditevent "
            "WHERE record_type = 'intake.report' AND action = 'create'"
        )
    }
    assert restored_audited == {str(pk) for pk in report_ids}
    verified = kinga(
        "audit", "verify", target=empty_target, checkpoints=checkpoints, settings=settings
    )
    assert verified.returncode == 0, verified.stderr


# --- refusals: nothing restored, nothing overwritten ---------------------------------------


def test_restore_refuses_a_database_that_is_not_empty(personas: Any, tmp_path: Path) -> None:
    seed(1)
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    seed(1)
    before = Report.objects.count()
    with pytest.raises(CommandError, match="restore only into an empty database"):
        call_command("restore", str(archive))
    assert Report.objects.count() == before


def test_a_tampered_archive_is_refused_and_the_database_stays_empty(
    personas: Any, tmp_path: Path, empty_target: Target, settings: Any
) -> None:
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    tampered = tmp_path / "tampered.kbk"
    tampered.write_bytes(bytes(raw))

    restored = kinga(
        "restore", str(tampered), target=empty_target, checkpoints=tmp_path / "c", settings=settings
    )
    assert restored.returncode != 0
    assert "Nothing was restored" in restored.stderr
    assert "fails its authentication" in restored.stderr
    if empty_target.path is not None:
        assert not empty_target.path.exists()
        assert list(empty_target.path.parent.glob(".restored.sqlite3.restoring-*")) == []
    else:
        assert empty_target.rows() == {}


def _records(path: Path) -> tuple[bytes, list[bytes]]:
    """Split an archive into its clear part and its records (kind, length, sealed)."""
    raw = path.read_bytes()
    header_length = int.from_bytes(raw[len(backup.MAGIC) : len(backup.MAGIC) + 4], "big")
    at = len(backup.MAGIC) + 4 + header_length
    head, records = raw[:at], []
    while at < len(raw):
        length = int.from_bytes(raw[at + 1 : at + 5], "big")
        records.append(raw[at : at + 5 + length])
        at += 5 + length
    return head, records


def _read_all(path: Path) -> None:
    with Archive(path) as opened:
        for _chunk in opened.data():
            pass


def test_an_archive_cut_short_reordered_or_from_elsewhere_does_not_open(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    head, records = _records(archive)
    assert len(records) >= 4  # manifest, checkpoints, data..., end
    _read_all(archive)

    cases = {
        "without its end record": head + b"".join(records[:-1]),
        "records moved": head + records[1] + records[0] + b"".join(records[2:]),
        "cut short": (head + b"".join(records))[:-10],
        "a record dropped": head + records[0] + b"".join(records[2:]),
        "bytes after the end": head + b"".join(records) + b"x",
    }
    other = tmp_path / "other.kbk"
    call_command("backup", str(other))
    other_head, other_records = _records(other)
    cases["a record from another archive"] = head + other_records[0] + b"".join(records[1:])
    cases["not an archive"] = b"SQLite format 3\x00" + b"\x00" * 100
    for label, content in cases.items():
        broken = tmp_path / f"broken-{uuid.uuid4().hex}.kbk"
        broken.write_bytes(content)
        with pytest.raises(BackupError):
            _read_all(broken)
        assert label


def test_an_archive_needs_its_backup_key_and_holds_nothing_in_clear(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    content = archive.read_bytes()
    # usernames and the database's own header are stored in clear in the database
    for clear in (personas.caseworker.username.encode(), b"SQLite format 3", b"PGDMP"):
        assert clear not in content
    first_key = settings.KINGA_BACKUP_KEYS.split(",")[0].split(":")[0]
    settings.KINGA_BACKUP_KEYS = backup.new_backup_key_spec("another")
    with pytest.raises(BackupError, match=f"sealed with backup key '{first_key}'"):
        Archive(archive)


def test_the_backup_key_must_be_a_key_of_its_own(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    data_key = settings.KINGA_DATA_KEYS.split(",")[0].split(":", 1)[1]
    settings.KINGA_BACKUP_KEYS = f"reused:{data_key}"
    archive = tmp_path / "kinga.kbk"
    with pytest.raises(CommandError, match="a backup must be sealed with a key of its own"):
        call_command("backup", str(archive))
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_an_archive_whose_data_keys_are_missing(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    settings.KINGA_DATA_KEYS = "fresh:" + backup.new_backup_key_spec("x").split(":", 1)[1]
    with pytest.raises(CommandError, match="KINGA_DATA_KEYS does not hold"):
        call_command("restore", str(archive))


def test_a_backup_never_overwrites_a_file(personas: Any, tmp_path: Path) -> None:
    archive = tmp_path / "kinga.kbk"
    archive.write_bytes(b"yesterday's backup")
    with pytest.raises(CommandError, match="never overwrites"):
        call_command("backup", str(archive))
    assert archive.read_bytes() == b"yesterday's backup"
    assert [path.name for path in tmp_path.iterdir()] == ["kinga.kbk"]


# --- scheduled backups ----------------------------------------------------------------------


def test_scheduled_backups_keep_the_newest_and_touch_nothing_else(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    settings.KINGA_BACKUP_DIR = str(tmp_path / "backups")
    settings.KINGA_BACKUP_KEEP = 2
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "notes.txt").write_text("not a backup")
    start = timezone.now()
    names = []
    for hours in range(3):
        summary = backup_scheduled(now=start + timezone.timedelta(hours=hours))
        assert summary is not None
        names.append(summary.path.name)
    left = sorted(path.name for path in (tmp_path / "backups").iterdir())
    assert left == sorted([*names[1:], "notes.txt"])


def test_the_worker_takes_the_scheduled_backup_once_its_task_has_committed(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    assert BACKUP_JOB in PERIODIC
    settings.KINGA_BACKUP_DIR = str(tmp_path / "backups")
    task_enqueue(name=BACKUP_JOB, payload={})
    run_due(now=timezone.now())
    archives = list((tmp_path / "backups").glob("kinga-*.kbk"))
    assert len(archives) == 1
    with Archive(archives[0]) as opened:
        assert opened.manifest.tables[Report._meta.db_table] == Report.objects.count()


def test_without_a_backup_directory_the_scheduled_job_does_nothing(
    personas: Any, settings: Any
) -> None:
    settings.KINGA_BACKUP_DIR = ""
    assert backup_scheduled(now=timezone.now()) is None


def test_a_restore_checked_against_newer_checkpoints_names_the_events_lost(
    personas: Any, tmp_path: Path, empty_target: Target, settings: Any
) -> None:
    """After a real loss the deployment keeps its own (off-host) checkpoints: events signed
    after the backup cannot come back, and the restore says so instead of "done"."""
    from kinga.audit.services import audit_checkpoint

    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    seed(2)
    audit_checkpoint(actor_label="test")
    deployment_checkpoints = Path(settings.KINGA_AUDIT_CHECKPOINT_DIR)

    restored = kinga(
        "restore",
        str(archive),
        target=empty_target,
        checkpoints=deployment_checkpoints,
        settings=settings,
    )
    assert restored.returncode != 0
    assert "the audit chain does not verify" in restored.stderr
    assert "were cut from the end" in restored.stderr
    assert "Restore done" not in restored.stdout


@pytest.mark.skipif(not SQLITE, reason="SQLite's clear copy")
def test_the_clear_copy_never_outlives_the_backup(personas: Any, tmp_path: Path) -> None:
    database = Path(str(connection.settings_dict["NAME"]))
    call_command("backup", str(tmp_path / "kinga.kbk"))
    assert list(database.parent.glob(f".{database.name}.backup-*")) == []
    assert [path.name for path in tmp_path.iterdir()] == ["kinga.kbk"]


def test_a_backup_that_fails_halfway_leaves_nothing_behind_and_is_audited(
    personas: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_disk(self: Any, source: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup._Sealer, "seal_data_from", broken_disk)
    with pytest.raises(OSError, match="No space left"):
        call_command("backup", str(tmp_path / "kinga.kbk"))
    assert list(tmp_path.iterdir()) == []
    if SQLITE:
        database = Path(str(connection.settings_dict["NAME"]))
        assert list(database.parent.glob(f".{database.name}.backup-*")) == []
    failed = AuditEvent.objects.filter(record_type="backup").latest("seq")
    assert failed.detail == {"kind": "backup_failed", "error": "OSError"}


def test_only_the_owner_may_read_an_archive(personas: Any, tmp_path: Path) -> None:
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    assert archive.stat().st_mode & 0o077 == 0


def test_no_backup_vouches_for_a_broken_audit_chain(personas: Any, tmp_path: Path) -> None:
    """Someone rewrote an audit event behind the application's back: the backup refuses to
    sign that chain and seal it, and says why."""
    first = AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET record_id = 'x' WHERE seq = %s", [first])
    with pytest.raises(CommandError, match="the audit chain cannot be signed"):
        call_command("backup", str(tmp_path / "kinga.kbk"))
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_file_larger_than_a_record_goes_whole_into_the_archive(
    personas: Any, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment signs a checkpoint every few minutes for years: the file outgrows one
    record (8 MiB; 4 KiB here), and still comes back whole."""
    from kinga.audit.checkpoints import checkpoint_path
    from kinga.audit.services import audit_checkpoint

    monkeypatch.setattr(backup, "CHUNK_BYTES", 4096)
    for _ in range(40):
        audit_checkpoint(actor_label="test")
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    signed = checkpoint_path().read_bytes()
    assert len(signed) > 2 * 4096
    _head, records = _records(archive)
    assert sum(1 for record in records if record[:1] == backup.CHECKPOINTS) >= 3
    with Archive(archive) as opened:
        assert opened.checkpoints == signed
        data = b"".join(opened.data())
    assert len(data) > 4096
    assert data.startswith(b"SQLite format 3\x00" if SQLITE else b"PGDMP")


# --- `kinga restore --check`: the archive checked, nothing restored ----------------------------


def test_restore_check_reads_the_whole_archive_and_restores_nothing(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    seed()
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    before = source_rows()
    events = AuditEvent.objects.count()
    out = io.StringIO()
    call_command("restore", "--check", str(archive), stdout=out)
    text = out.getvalue()
    assert "every record authenticated to the end" in text
    with Archive(archive) as opened:
        tables = len(opened.manifest.tables)
    if SQLITE:
        assert f"integrity checked, {tables} tables counted" in text
    else:
        assert "pg_restore read the catalogue" in text
    assert "Check done" in text
    # the deployment's database is as it was: not one row, not one audit event more
    assert source_rows() == before
    assert AuditEvent.objects.count() == events
    # and no clear copy is left anywhere the check wrote
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kinga.kbk"]


def test_restore_check_names_a_damaged_or_cut_archive(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    head, records = _records(archive)
    raw = bytearray(archive.read_bytes())
    # a byte of the last data record: only a check that reads to the end finds it
    raw[len(raw) - len(records[-1]) - 40] ^= 0x01
    cases = {
        "fails its authentication": bytes(raw),
        "without its end record": head + b"".join(records[:-1]),
    }
    for message, content in cases.items():
        broken = tmp_path / f"broken-{uuid.uuid4().hex}.kbk"
        broken.write_bytes(content)
        with pytest.raises(CommandError, match=f"does not check.*{message}"):
            call_command("restore", "--check", str(broken), stdout=io.StringIO())


def test_restore_check_says_when_this_deployment_lacks_the_keys(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    archive = tmp_path / "kinga.kbk"
    call_command("backup", str(archive))
    settings.KINGA_DATA_KEYS = "fresh:" + backup.new_backup_key_spec("x").split(":", 1)[1]
    with pytest.raises(CommandError, match="whole, but this deployment could not restore it"):
        call_command("restore", "--check", str(archive), stdout=io.StringIO())
