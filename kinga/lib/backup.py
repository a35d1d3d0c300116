"""Consistent, encrypted archives of the whole database, and their checked restore.

`kinga backup` and `kinga restore` (kinga/accounts/management/commands/) and the worker's
scheduled backup drive these functions. lib imports no app: the audit checkpoint file is
handed in as bytes, and the commands verify the audit chain after a restore.

The snapshot is taken while the service runs:
- SQLite: the online backup API copies the database, within one read transaction (WAL
  mode: writers go on), into a private file beside the database (never beside the archive);
  the table counts are read from that copy, which is removed once sealed.
- PostgreSQL: one REPEATABLE READ, READ ONLY transaction exports its snapshot; the table
  counts are read in it and `pg_dump --snapshot` dumps exactly what it sees (custom format,
  streamed through the encryption: no clear dump on disk).

The archive is one file, written as FILE.partial and renamed when whole, never overwritten:

    MAGIC | header length (4 bytes) | header (JSON, in clear) | records...
    record: kind (1 byte) | length (4 bytes) | AES-256-GCM ciphertext and tag

The clear header says only what is needed to open the rest: the format, the database
engine, the backup key's id, a random salt and nonce prefix. Records are sealed under a key
derived for this archive alone (HKDF-SHA256 of the backup key, the salt and the key id),
with the nonce `prefix(7) | counter(4) | last(1)` and, as associated data, the SHA-256 of
the header and the record's kind: a record cannot be edited, dropped, reordered, moved into
another archive or cut from the end (the last record is sealed as last) without opening
failing. In order: `M` the manifest (JSON: engine, when, every table's row count in the
snapshot, the data and audit key ids the data needs), `C` the audit checkpoint file as it
stood before the snapshot (in as many records as it needs), `D` the database in 8 MiB
chunks, `E` the end (data bytes and record count), sealed as last.

The backup key (KINGA_BACKUP_KEYS, `id:base64key,...`: the first seals, all open) must
differ from every data, index and audit key: whoever holds an archive and its key still
cannot read an identity without the data keys, which are kept apart (README, "Backups").
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from kinga.lib.crypto import keyring
from kinga.lib.env import ConfigurationError

MAGIC = b"KINGA-BACKUP\n"
FORMAT = 1
CHUNK_BYTES = 8 * 1024 * 1024
_LENGTH = struct.Struct(">I")
_RECORD_HEAD = struct.Struct(">cI")
_NONCE_PREFIX_BYTES = 7
_MAX_HEADER_BYTES = 4096
# A record is at most one chunk and its tag; anything longer is not ours.
_TAG_BYTES = 16
SUFFIX = ".kbk"
_SCHEDULED_NAME = re.compile(r"kinga-\d{8}T\d{6}Z" + re.escape(SUFFIX))

MANIFEST, CHECKPOINTS, DATA, END = b"M", b"C", b"D", b"E"


class BackupError(Exception):
    """A backup or restore cannot go on; the message says what to fix."""


# Keys ------------------------------------------------------------------------------------


def _key_pairs(spec: str, *, setting: str) -> list[tuple[str, bytes]]:
    """Return the `id:base64key` pairs of a key setting, in order."""
    pairs: list[tuple[str, bytes]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        key_id, colon, encoded = part.partition(":")
        if not colon or not key_id:
            raise ConfigurationError(f"{setting} must look like 'id:base64key,id2:base64key'")
        padded = encoded.strip() + "=" * (-len(encoded.strip()) % 4)
        try:
            raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            raise ConfigurationError(f"{setting} holds a key that is not base64") from None
        pairs.append((key_id, raw))
    return pairs


def backup_keys() -> list[tuple[str, bytes]]:
    """Return the backup keys (first seals), refusing one that is also another kind of key."""
    pairs = _key_pairs(settings.KINGA_BACKUP_KEYS, setting="KINGA_BACKUP_KEYS")
    if not pairs:
        raise ConfigurationError(
            "KINGA_BACKUP_KEYS is empty: set it (`kinga backup --new-key ID` makes one)"
        )
    ids = [key_id for key_id, _ in pairs]
    if len(set(ids)) != len(ids) or any(len(key_id) > 32 for key_id in ids):
        raise ConfigurationError("KINGA_BACKUP_KEYS: each key id once, at most 32 characters")
    if any(len(raw) != 32 for _, raw in pairs):
        raise ConfigurationError("KINGA_BACKUP_KEYS keys must be 32 random bytes")
    others = {raw for _, raw in _key_pairs(settings.KINGA_DATA_KEYS, setting="KINGA_DATA_KEYS")}
    others |= {raw for _, raw in _key_pairs(settings.KINGA_AUDIT_KEYS, setting="KINGA_AUDIT_KEYS")}
    others.add(settings.KINGA_INDEX_KEY.encode())
    if any(raw in others for _, raw in pairs):
        raise ConfigurationError(
            "KINGA_BACKUP_KEYS holds a key that is also a data, index or audit key: "
            "a backup must be sealed with a key of its own"
        )
    return pairs


def new_backup_key_spec(key_id: str) -> str:
    """Return a fresh `id:base64key` pair for KINGA_BACKUP_KEYS."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", key_id):
        raise ValueError("a backup key id is 1 to 32 letters, digits, '.', '_' or '-'")
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"


def _archive_key(master: bytes, salt: bytes, key_id: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=b"kinga-backup-v1:" + key_id.encode()
    ).derive(master)
    return AESGCM(derived)


# The sealed stream -----------------------------------------------------------------------


class _Sealer:
    """Write records to an archive, each sealed with the next nonce of the stream."""

    def __init__(self, stream: IO[bytes], header: bytes, aead: AESGCM, prefix: bytes) -> None:
        self._stream = stream
        self._aead = aead
        self._prefix = prefix
        self._bound = hashlib.sha256(header).digest()
        self.counter = 0
        self.data_bytes = 0

    def seal(self, kind: bytes, plaintext: bytes | memoryview, *, last: bool = False) -> None:
        if self.counter >= 2**32 - 1:
            raise BackupError("the archive is too large for one stream")
        nonce = self._prefix + self.counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
        sealed = self._aead.encrypt(nonce, plaintext, self._bound + kind)
        self._stream.write(_RECORD_HEAD.pack(kind, len(sealed)))
        self._stream.write(sealed)
        self.counter += 1
        if kind == DATA:
            self.data_bytes += len(plaintext)
        elif len(plaintext) > CHUNK_BYTES:
            raise BackupError("a record is larger than a chunk")

    def seal_checkpoints(self, content: bytes) -> None:
        """Seal the checkpoint file in as many records as it needs (at least one)."""
        view = memoryview(content)
        for start in range(0, max(len(content), 1), CHUNK_BYTES):
            self.seal(CHECKPOINTS, view[start : start + CHUNK_BYTES])

    def seal_data_from(self, source: IO[bytes]) -> None:
        """Seal everything `source` gives, in chunks of CHUNK_BYTES."""
        buffer = bytearray(CHUNK_BYTES)
        view = memoryview(buffer)
        while True:
            filled = _read_full(source, view)
            if not filled:
                return
            self.seal(DATA, view[:filled])


def _read_full(source: IO[bytes], view: memoryview) -> int:
    """Fill `view` from `source` (a pipe gives less per read); return how much was read."""
    filled = 0
    while filled < len(view):
        count = source.readinto(view[filled:])  # type: ignore[attr-defined]
        if not count:
            break
        filled += count
    return filled


@dataclass
class Manifest:
    engine: str
    created_at: str
    tables: dict[str, int]
    facts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "engine": self.engine,
                "created_at": self.created_at,
                "tables": self.tables,
                "facts": self.facts,
            },
            sort_keys=True,
        ).encode()

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def created(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at)


class Archive:
    """An archive opened for reading: its header checked and its key found.

    `manifest` and `checkpoints` are read at once; `data()` then yields the database in
    chunks, each authenticated before it is given, and raises BackupError on the first
    that is not (or when the end record is missing or wrong).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._stream: IO[bytes] = path.open("rb")
        except OSError as error:
            raise BackupError(f"cannot open {path}: {error.strerror}") from None
        try:
            self._open()
        except BaseException:
            self._stream.close()
            raise

    def _open(self) -> None:
        if self._stream.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{self.path} is not a Kinga backup archive")
        (length,) = _LENGTH.unpack(self._exactly(_LENGTH.size, "header"))
        if length > _MAX_HEADER_BYTES:
            raise BackupError(f"{self.path}: the header is damaged")
        header = self._exactly(length, "header")
        try:
            info = json.loads(header)
            self.engine = str(info["engine"])
            key_id = str(info["key_id"])
            salt = bytes.fromhex(info["salt"])
            self._prefix = bytes.fromhex(info["nonce_prefix"])
            version = int(info["format"])
        except (ValueError, KeyError, TypeError):
            raise BackupError(f"{self.path}: the header is damaged") from None
        if version != FORMAT or len(self._prefix) != _NONCE_PREFIX_BYTES:
            raise BackupError(f"{self.path}: archive format {version} is not one this Kinga reads")
        master = dict(backup_keys()).get(key_id)
        if master is None:
            raise BackupError(
                f"{self.path} was sealed with backup key {key_id!r}, which KINGA_BACKUP_KEYS "
                "does not hold: add it (after the current key) and try again"
            )
        self._aead = _archive_key(master, salt, key_id)
        self._bound = hashlib.sha256(header).digest()
        self._counter = 0
        self._data_bytes = 0
        self._ended = False
        kind, body = self._next()
        if kind != MANIFEST:
            raise BackupError(f"{self.path}: the manifest is missing")
        facts = json.loads(body)
        self.manifest = Manifest(
            engine=facts["engine"],
            created_at=facts["created_at"],
            tables={str(name): int(count) for name, count in facts["tables"].items()},
            facts=dict(facts.get("facts", {})),
        )
        if self.manifest.engine != self.engine:
            raise BackupError(f"{self.path}: the header and the manifest disagree")
        # The checkpoint file grows with the deployment: it spans as many records as it needs.
        parts = []
        kind, body = self._next()
        while kind == CHECKPOINTS:
            parts.append(body)
            kind, body = self._next()
        if not parts:
            raise BackupError(f"{self.path}: the audit checkpoints are missing")
        self.checkpoints = b"".join(parts)
        self._pending: tuple[bytes, bytes] | None = (kind, body)

    def _exactly(self, count: int, what: str) -> bytes:
        data = self._stream.read(count)
        if len(data) != count:
            raise BackupError(f"{self.path} ends inside its {what}: the file was cut short")
        return data

    def _next(self) -> tuple[bytes, bytes]:
        if self._ended:
            raise BackupError(f"{self.path}: records follow the end record")
        head = self._stream.read(_RECORD_HEAD.size)
        if len(head) != _RECORD_HEAD.size:
            raise BackupError(
                f"{self.path} ends after {self._counter} records without its end record: "
                "the file was cut short"
            )
        kind, length = _RECORD_HEAD.unpack(head)
        if length > CHUNK_BYTES + _TAG_BYTES:
            raise BackupError(f"{self.path}: record {self._counter} is damaged")
        sealed = self._exactly(length, f"record {self._counter}")
        body = None
        for last in (b"\x00", b"\x01"):
            nonce = self._prefix + self._counter.to_bytes(4, "big") + last
            try:
                body = self._aead.decrypt(nonce, sealed, self._bound + kind)
            except InvalidTag:
                continue
            self._ended = last == b"\x01"
            break
        if body is None:
            raise BackupError(
                f"{self.path}: record {self._counter} fails its authentication: the archive "
                "was altered, damaged, or its records moved"
            )
        if self._ended != (kind == END):
            raise BackupError(f"{self.path}: record {self._counter} is out of place")
        self._counter += 1
        return kind, body

    def data(self) -> Iterator[bytes]:
        """Yield the database's bytes, chunk by chunk, each authenticated.

        The last chunk is held back until the end record has been checked, so a consumer
        that commits when its input ends (pg_restore) never sees an archive cut short.
        """
        held: bytes | None = None
        while True:
            if self._pending is not None:
                (kind, body), self._pending = self._pending, None
            else:
                kind, body = self._next()
            if kind == DATA:
                self._data_bytes += len(body)
                if held is not None:
                    yield held
                held = body
                continue
            if kind != END:
                raise BackupError(f"{self.path}: record {self._counter - 1} is out of place")
            end = json.loads(body)
            if end.get("data_bytes") != self._data_bytes or end.get("records") != self._counter:
                raise BackupError(f"{self.path}: the end record does not match the data")
            if self._stream.read(1):
                raise BackupError(f"{self.path}: bytes follow the end record")
            if held is not None:
                yield held
            return

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Databases -------------------------------------------------------------------------------


def _engine(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups know SQLite and PostgreSQL, not {connection.vendor}")
    return connection.vendor


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(database: sqlite3.Connection) -> list[str]:
    rows = database.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _sqlite_counts(database: sqlite3.Connection) -> dict[str, int]:
    return {
        # table names read from the database's own catalogue, quoted
        name: int(database.execute(f"SELECT COUNT(*) FROM {_quote(name)}").fetchone()[0])  # noqa: S608
        for name in _sqlite_tables(database)
    }


def _pg_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for name in names:
            # table names read from the database's own catalogue, quoted
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            counts[name] = int(cursor.fetchone()[0])
    return counts


def database_tables(alias: str = "default") -> list[str]:
    """Return the tables the database holds now (none: it is empty)."""
    connection = connections[alias]
    if _engine(connection) == "sqlite":
        path = Path(str(connection.settings_dict["NAME"]))
        if not path.exists() or path.stat().st_size == 0:
            return []
        with _sqlite_open(path) as database:
            return _sqlite_tables(database)
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


class _sqlite_open:
    """A plain sqlite3 connection, closed on leaving (sqlite3's own context only commits)."""

    def __init__(self, path: Path) -> None:
        self.database = sqlite3.connect(str(path), timeout=60, isolation_level=None)

    def __enter__(self) -> sqlite3.Connection:
        return self.database

    def __exit__(self, *exc: object) -> None:
        self.database.close()


def pg_tool(name: str) -> str:
    """Return the path of a PostgreSQL client tool (`pg_dump`, `pg_restore`).

    KINGA_PG_BIN_DIR wins; then the newest Debian server package's tools (which dump any
    older server); then the one on PATH.
    """
    if settings.KINGA_PG_BIN_DIR:
        candidate = Path(settings.KINGA_PG_BIN_DIR) / name
        if not candidate.exists():
            raise BackupError(f"KINGA_PG_BIN_DIR has no {name}: {candidate}")
        return str(candidate)
    debian = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return str(debian[-1])
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools of the server's "
            "version (Debian: postgresql-client) or set KINGA_PG_BIN_DIR"
        )
    return found


def _pg_environment(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """Return the environment that points libpq tools at the database (no password in argv)."""
    given = connection.settings_dict
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for variable, value in (
        ("PGHOST", given.get("HOST")),
        ("PGPORT", given.get("PORT")),
        ("PGUSER", given.get("USER")),
        ("PGPASSWORD", given.get("PASSWORD")),
        ("PGDATABASE", given.get("NAME")),
        ("PGSSLMODE", (given.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            environment[variable] = str(value)
    return environment


# Backup ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    manifest: Manifest
    archive_bytes: int
    data_bytes: int
    key_id: str


def backup_create(
    *,
    path: Path,
    checkpoints: Callable[[], bytes],
    facts: dict[str, Any] | None = None,
    alias: str = "default",
) -> BackupSummary:
    """Write a consistent, encrypted archive of the database to `path` (which must not exist).

    `checkpoints` is called just before the snapshot and returns the audit checkpoint file
    (the caller signs the chain's head first): every line it holds then names an event the
    snapshot has. `facts` go into the manifest (the audit key ids, say). Nothing is left
    behind on failure: the partial archive and any clear copy are removed.
    """
    connection = connections[alias]
    engine = _engine(connection)
    key_id, master = backup_keys()[0]
    path = path.resolve()
    if path.exists():
        raise BackupError(f"{path} exists: a backup never overwrites a file")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory")
    salt = secrets.token_bytes(32)
    prefix = secrets.token_bytes(_NONCE_PREFIX_BYTES)
    header = json.dumps(
        {
            "format": FORMAT,
            "engine": engine,
            "key_id": key_id,
            "salt": salt.hex(),
            "nonce_prefix": prefix.hex(),
        },
        sort_keys=True,
    ).encode()
    partial = path.with_name(path.name + ".partial")
    all_facts = {"data_key_ids": sorted(keyring().keys), **(facts or {})}
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{partial} exists: another backup to {path} is running") from None
    try:
        with os.fdopen(fd, "wb", buffering=1024 * 1024) as stream:
            stream.write(MAGIC + _LENGTH.pack(len(header)) + header)
            sealer = _Sealer(stream, header, _archive_key(master, salt, key_id), prefix)
            if engine == "sqlite":
                manifest = _sqlite_backup(connection, sealer, checkpoints, all_facts)
            else:
                manifest = _pg_backup(connection, sealer, checkpoints, all_facts)
            end = {"data_bytes": sealer.data_bytes, "records": sealer.counter + 1}
            sealer.seal(END, json.dumps(end, sort_keys=True).encode(), last=True)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            raise BackupError(f"{path} appeared during the backup: it is kept, this one is not")
        os.replace(partial, path)
        _fsync_directory(path.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupSummary(path, manifest, path.stat().st_size, sealer.data_bytes, key_id)


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _sqlite_backup(
    connection: BaseDatabaseWrapper,
    sealer: _Sealer,
    checkpoints: Callable[[], bytes],
    facts: dict[str, Any],
) -> Manifest:
    source_path = Path(str(connection.settings_dict["NAME"]))
    # The clear copy lives beside the database it copies, with the same protection, never
    # beside the archive (a backup directory is often shipped off-host).
    copy = source_path.parent / f".{source_path.name}.backup-{secrets.token_hex(4)}"
    try:
        checkpoint_bytes = checkpoints()
        created_at = _now_text()
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        with _sqlite_open(source_path) as source, _sqlite_open(copy) as target:
            # The copy lives only until it is sealed: nothing to make durable (the archive is).
            target.execute("PRAGMA synchronous = OFF")
            # One step: the copy is the database as one read transaction saw it.
            source.backup(target)
            tables = _sqlite_counts(target)
            # A standalone file: no write-ahead log beside it when restored.
            target.execute("PRAGMA journal_mode=DELETE")
        manifest = Manifest(engine="sqlite", created_at=created_at, tables=tables, facts=facts)
        sealer.seal(MANIFEST, manifest.as_json())
        sealer.seal_checkpoints(checkpoint_bytes)
        with copy.open("rb", buffering=0) as data:
            sealer.seal_data_from(data)
    finally:
        for leftover in (copy, copy.with_name(copy.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return manifest


def _pg_backup(
    connection: BaseDatabaseWrapper,
    sealer: _Sealer,
    checkpoints: Callable[[], bytes],
    facts: dict[str, Any],
) -> Manifest:
    pg_dump = pg_tool("pg_dump")
    checkpoint_bytes = checkpoints()
    with transaction.atomic(using=connection.alias, durable=True):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version_num')")
            snapshot, server_version = cursor.fetchone()
        created_at = _now_text()
        tables = _pg_counts(connection)
        facts = {**facts, "server_version_num": int(server_version)}
        manifest = Manifest(engine="postgresql", created_at=created_at, tables=tables, facts=facts)
        sealer.seal(MANIFEST, manifest.as_json())
        sealer.seal_checkpoints(checkpoint_bytes)
        command = [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password"]
        _run_streaming_out(command, _pg_environment(connection), sealer)
    return manifest


def _run_streaming_out(command: list[str], environment: dict[str, str], sealer: _Sealer) -> None:
    """Run a tool and seal its standard output; raise with its error text when it fails."""
    with subprocess.Popen(  # noqa: S603  # a fixed tool; values come from settings
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            sealer.seal_data_from(process.stdout)
        except BaseException:
            process.kill()
            raise
        errors = process.stderr.read()
        status = process.wait()
    if status != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed ({status}): {errors.decode(errors='replace').strip()}"
        )


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Restore ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreSummary:
    manifest: Manifest
    tables: dict[str, int]
    data_bytes: int


def restore_refusal(archive: Archive, alias: str = "default") -> str:
    """Return why this archive cannot be restored into the database; '' when it can."""
    connection = connections[alias]
    engine = _engine(connection)
    if archive.engine != engine:
        return (
            f"{archive.path} holds a {archive.engine} database and this deployment uses "
            f"{engine}: restore it into a {archive.engine} database"
        )
    missing = sorted(set(archive.manifest.facts.get("data_key_ids", [])) - set(keyring().keys))
    if missing:
        return (
            f"the archive's data is encrypted under data key(s) {', '.join(missing)}, which "
            "KINGA_DATA_KEYS does not hold: add them before restoring"
        )
    held = database_tables(alias)
    if held:
        return (
            f"the database already holds {len(held)} tables ({', '.join(held[:3])}, ...): "
            "restore only into an empty database (a new one from createdb, or no SQLite file)"
        )
    return ""


def restore_database(*, archive: Archive, alias: str = "default") -> RestoreSummary:
    """Restore the archive into the empty database, then compare every table's row count.

    Refuses (BackupError) a database that is not empty or of another engine. Nothing is
    half-written: SQLite is rebuilt in a private file and moved into place only once its
    counts match; PostgreSQL restores in one transaction.
    """
    refusal = restore_refusal(archive, alias)
    if refusal:
        raise BackupError(refusal)
    connection = connections[alias]
    if archive.engine == "sqlite":
        tables, data_bytes = _sqlite_restore(connection, archive)
    else:
        data_bytes = _pg_restore(connection, archive)
        tables = _pg_counts(connection)
    _compare(archive.manifest.tables, tables)
    return RestoreSummary(archive.manifest, tables, data_bytes)


def _compare(expected: dict[str, int], found: dict[str, int]) -> None:
    problems = []
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            problems.append(f"table {name} is missing")
        elif name not in expected:
            problems.append(f"table {name} is not in the manifest")
        elif expected[name] != found[name]:
            problems.append(f"table {name} has {found[name]} rows, not {expected[name]}")
    if problems:
        raise BackupError("the restored database differs from the archive: " + "; ".join(problems))


def _sqlite_restore(
    connection: BaseDatabaseWrapper, archive: Archive
) -> tuple[dict[str, int], int]:
    target = Path(str(connection.settings_dict["NAME"])).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.restoring-{secrets.token_hex(4)}")
    data_bytes = 0
    try:
        fd = os.open(building, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb", buffering=0) as stream:
            for chunk in archive.data():
                stream.write(chunk)
                data_bytes += len(chunk)
            os.fsync(stream.fileno())
        with _sqlite_open(building) as database:
            tables = _sqlite_counts(database)
        _compare(archive.manifest.tables, tables)
        connection.close()
        if database_tables(connection.alias):
            raise BackupError("the database was written to during the restore; nothing replaced")
        for stale in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + stale).unlink(missing_ok=True)
        os.replace(building, target)
        _fsync_directory(target.parent)
    finally:
        building.unlink(missing_ok=True)
    return tables, data_bytes


def _pg_restore(connection: BaseDatabaseWrapper, archive: Archive) -> int:
    command = [
        pg_tool("pg_restore"),
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--no-password",
        f"--dbname={connection.settings_dict['NAME']}",
    ]
    connection.close()
    data_bytes = 0
    with subprocess.Popen(  # noqa: S603  # a fixed tool; values come from settings
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_pg_environment(connection),
    ) as process:
        assert process.stdin is not None and process.stderr is not None
        try:
            for chunk in archive.data():
                process.stdin.write(chunk)
                data_bytes += len(chunk)
            process.stdin.close()
        except BrokenPipeError:
            pass  # pg_restore stopped early; its status and message say why
        except BaseException:
            # A bad chunk: stop before pg_restore can commit what it has.
            process.kill()
            raise
        errors = process.stderr.read()
        status = process.wait()
    if status != 0:
        raise BackupError(
            f"pg_restore failed ({status}), nothing was restored: "
            f"{errors.decode(errors='replace').strip()}"
        )
    return data_bytes


# Checking an archive without restoring it -----------------------------------------------


@dataclass(frozen=True)
class CheckSummary:
    """What `kinga restore --check` found: the archive whole, and what it holds."""

    manifest: Manifest
    data_bytes: int
    # SQLite: rebuilt in a private scratch file, its integrity checked and every table
    # counted against the manifest; PostgreSQL: pg_restore read the whole dump's catalogue.
    contents_checked: str
    # Why this deployment could not restore it as it stands ('' when it could): a data key
    # missing. The engine and the emptiness of the database are the restore's business.
    keys_missing: list[str]


def archive_check(path: Path) -> CheckSummary:
    """Open the archive and authenticate every record to its end, and check what it holds,
    without touching the deployment's database; raise BackupError naming the first fault.

    SQLite's copy is rebuilt in a private temporary directory (removed after), checked with
    `PRAGMA integrity_check` and every table counted against the manifest; PostgreSQL's
    dump is read to its end by `pg_restore --list`, which fails on a dump it cannot load.
    """
    with Archive(path) as archive:
        manifest = archive.manifest
        if archive.engine == "sqlite":
            data_bytes, checked = _sqlite_check(archive)
        else:
            data_bytes, checked = _pg_check(archive)
    missing = sorted(set(manifest.facts.get("data_key_ids", [])) - set(keyring().keys))
    return CheckSummary(
        manifest=manifest, data_bytes=data_bytes, contents_checked=checked, keys_missing=missing
    )


def _sqlite_check(archive: Archive) -> tuple[int, str]:
    data_bytes = 0
    with tempfile.TemporaryDirectory(prefix="kinga-check-") as scratch:
        building = Path(scratch) / "check.sqlite3"
        fd = os.open(building, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb", buffering=0) as stream:
            for chunk in archive.data():
                stream.write(chunk)
                data_bytes += len(chunk)
        with _sqlite_open(building) as database:
            # the schema's CHECK constraints call REGEXP, which Django gives its connections
            database.create_function("REGEXP", 2, _regexp, deterministic=True)
            try:
                verdict = [str(row[0]) for row in database.execute("PRAGMA integrity_check")]
                tables = _sqlite_counts(database)
            except sqlite3.DatabaseError as error:
                raise BackupError(
                    f"{archive.path}: the database inside is damaged: {error}"
                ) from None
    if verdict != ["ok"]:
        raise BackupError(
            f"{archive.path}: the database inside fails its integrity check: {verdict[0]}"
        )
    _compare(archive.manifest.tables, tables)
    return data_bytes, f"integrity checked, {len(tables)} tables counted"


def _regexp(pattern: str | None, value: object) -> bool | None:
    """SQLite's REGEXP as Django's SQLite connections define it."""
    if pattern is None or value is None:
        return None
    return re.search(pattern, str(value)) is not None


def _pg_check(archive: Archive) -> tuple[int, str]:
    data_bytes = 0
    # what pg_restore prints goes to files: a pipe it filled while Kinga writes would stall both
    with (
        tempfile.TemporaryFile() as output,
        tempfile.TemporaryFile() as complaints,
        subprocess.Popen(  # noqa: S603  # a fixed tool; no value from the archive in argv
            [pg_tool("pg_restore"), "--list"],
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=complaints,
            bufsize=0,
        ) as process,
    ):
        assert process.stdin is not None
        listening = True
        try:
            # every record is authenticated to the end, even after pg_restore has read the
            # catalogue it lists and stopped reading
            for chunk in archive.data():
                data_bytes += len(chunk)
                if listening:
                    try:
                        process.stdin.write(chunk)
                    except BrokenPipeError:
                        listening = False
            if listening:
                process.stdin.close()
        except BaseException:
            process.kill()
            raise
        status = process.wait()
        output.seek(0)
        listing = output.read().decode(errors="replace")
        complaints.seek(0)
        errors = complaints.read().decode(errors="replace").strip()
    if status != 0:
        raise BackupError(
            f"{archive.path}: pg_restore cannot read the dump inside ({status}): {errors}"
        )
    entries = sum(1 for line in listing.splitlines() if " TABLE DATA " in line)
    return data_bytes, f"pg_restore read the catalogue ({entries} tables' data)"


# Scheduled backups -----------------------------------------------------------------------


def scheduled_path(directory: Path, now: dt.datetime) -> Path:
    """Return the name of a scheduled backup taken at `now` in `directory`."""
    return directory / f"kinga-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}{SUFFIX}"


def scheduled_prune(directory: Path, *, keep: int) -> list[Path]:
    """Remove all but the newest `keep` scheduled backups in `directory`; return those removed.

    Only files named as scheduled backups are touched; anything else there is left alone.
    """
    if keep < 1:
        raise BackupError("keep at least one backup")
    found = sorted(path for path in directory.iterdir() if _SCHEDULED_NAME.fullmatch(path.name))
    removed = found[:-keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
