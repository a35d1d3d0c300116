"""Signed checkpoints of the audit chain's head, kept where the database user cannot write.

One append-only file, `checkpoints.log` in KINGA_AUDIT_CHECKPOINT_DIR, one line per
checkpoint, tab-separated:

    seq  hash  at  key_id  prev  signature

`seq` and `hash` name the last event of the chain when the checkpoint was taken, `at` is
when (UTC), `key_id` the audit key that signed it, `prev` the signature of the line before
(64 zeros on the first line) and `signature` the HMAC, under that key's checkpoint subkey,
of the five fields before it. Chaining each line to the one before means a line cannot be
removed from the middle, moved or edited without the key; a cut at the end of the file is
not caught by the file itself (see SECURITY.md: keep the directory append-only or shipped
off-host).

The database user must not be able to write this directory: otherwise whoever can rewrite
the database could also cut the file back. The checkpoints then make two attacks visible
that the chain alone cannot: events removed from the end with the head rewritten to match,
and (with the key) a chain rebuilt after a checkpoint was taken.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from kinga.audit.keys import UnknownAuditKeyError, audit_keyring, checkpoint_mac

FILE_NAME = "checkpoints.log"
FIRST_PREV = "0" * 64
_HEX64 = re.compile(r"[0-9a-f]{64}")
# The tail read when appending: far more than one line, so the last line is always whole.
_TAIL_BYTES = 4096


class CheckpointError(Exception):
    """The checkpoint file cannot be extended safely: it is unreadable or its last line is bad."""


@dataclass(frozen=True)
class Checkpoint:
    line: int
    seq: int
    hash: str
    at: dt.datetime
    key_id: str
    prev: str
    signature: str

    def __str__(self) -> str:
        where = f"checkpoint line {self.line}" if self.line else "the last checkpoint"
        return f"{where} (event #{self.seq}, {self.at:%Y-%m-%d %H:%M} UTC)"


def checkpoint_path() -> Path:
    """Return the checkpoint file of this deployment."""
    return Path(settings.KINGA_AUDIT_CHECKPOINT_DIR) / FILE_NAME


def _signed_part(seq: int, event_hash: str, at: str, key_id: str, prev: str) -> str:
    return "\t".join([str(seq), event_hash, at, key_id, prev])


def _signature(key_id: str, signed_part: str) -> str:
    return checkpoint_mac(key_id, b"kinga-audit-checkpoint\t" + signed_part.encode("ascii"))


def _parse(number: int, text: str, prev: str) -> tuple[Checkpoint | None, str]:
    """Return the line's checkpoint when it is whole, signed and chained; else the problem."""
    parts = text.split("\t")
    if len(parts) != 6:
        return None, "is not a checkpoint line (six tab-separated fields): it was edited"
    seq_text, event_hash, at_text, key_id, line_prev, signature = parts
    try:
        seq = int(seq_text)
        at = dt.datetime.fromisoformat(at_text)
    except ValueError:
        return None, "has a malformed sequence number or time: it was edited"
    if not (_HEX64.fullmatch(event_hash) and _HEX64.fullmatch(signature)):
        return None, "has a malformed hash or signature: it was edited"
    try:
        expected = _signature(key_id, _signed_part(seq, event_hash, at_text, key_id, line_prev))
    except UnknownAuditKeyError as error:
        return None, f"cannot be checked: {error}"
    if not _constant_equal(expected, signature):
        return None, "signature does not match: the line was edited or forged without the key"
    if line_prev != prev:
        return None, ("is not chained to the line before it: a line was removed, moved or inserted")
    return Checkpoint(number, seq, event_hash, at, key_id, line_prev, signature), ""


def _constant_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))


def read_checkpoints(path: Path | None = None) -> tuple[list[Checkpoint], list[str]]:
    """Return the checkpoints that verify, in file order, and the file's problems.

    Reading stops at the first bad line: nothing after it can be trusted. A file that does
    not exist gives no checkpoints and no problem (the caller decides whether one was due).
    """
    path = path or checkpoint_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], []
    except OSError as error:
        return [], [f"checkpoint file {path} cannot be read: {error}"]
    if not data:
        return [], []
    if not data.endswith(b"\n"):
        problems = [f"checkpoint file {path} ends in a partial line: it was cut or edited"]
        data = data[: data.rfind(b"\n") + 1]
    else:
        problems = []
    found: list[Checkpoint] = []
    by_seq: dict[int, Checkpoint] = {}
    prev = FIRST_PREV
    for number, raw in enumerate(data.decode("ascii", errors="replace").splitlines(), start=1):
        checkpoint, problem = _parse(number, raw, prev)
        if checkpoint is None:
            problems.insert(0, f"checkpoint file {path} line {number} {problem}")
            return found, problems
        if found and checkpoint.seq < found[-1].seq:
            problems.insert(
                0,
                f"{checkpoint} goes back from event #{found[-1].seq}: "
                "the chain was cut and rebuilt by someone holding the key",
            )
            return found, problems
        earlier = by_seq.get(checkpoint.seq)
        if earlier is not None and earlier.hash != checkpoint.hash:
            problems.insert(
                0,
                f"{checkpoint} and {earlier} record different hashes for event #"
                f"{checkpoint.seq}: the chain was rebuilt by someone holding the key",
            )
            return found, problems
        by_seq.setdefault(checkpoint.seq, checkpoint)
        found.append(checkpoint)
        prev = checkpoint.signature
    return found, problems


def _last_line(handle_fd: int) -> str:
    size = os.lseek(handle_fd, 0, os.SEEK_END)
    start = max(0, size - _TAIL_BYTES)
    os.lseek(handle_fd, start, os.SEEK_SET)
    tail = os.read(handle_fd, size - start)
    if not tail:
        return ""
    if not tail.endswith(b"\n"):
        raise CheckpointError(
            "the checkpoint file ends in a partial line; run `kinga audit verify`"
        )
    lines = tail.rstrip(b"\n").split(b"\n")
    if len(lines) < 2 and start > 0:
        raise CheckpointError("the checkpoint file's last line is too long; it was edited")
    return lines[-1].decode("ascii", errors="replace")


def last_checkpoint(path: Path | None = None) -> Checkpoint | None:
    """Return the file's last checkpoint after checking its signature; None for no file."""
    path = path or checkpoint_path()
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        text = _last_line(fd)
    finally:
        os.close(fd)
    return _checked_tail(text)


def _checked_tail(text: str) -> Checkpoint | None:
    if not text:
        return None
    parts = text.split("\t")
    if len(parts) != 6:
        raise CheckpointError("the checkpoint file's last line is not a checkpoint")
    checkpoint, problem = _parse(0, text, parts[4])
    if checkpoint is None:
        raise CheckpointError(f"the checkpoint file's last line {problem}")
    return checkpoint


def checkpoint_append(
    *, seq: int, event_hash: str, at: dt.datetime, path: Path | None = None
) -> Checkpoint:
    """Append a signed line naming event `seq` and its hash, chained to the last line.

    The file is locked while its last line is read and the new one written, so two writers
    (the worker and `kinga audit checkpoint`) never chain onto the same line. The line is
    flushed to disk before this returns.
    """
    path = path or checkpoint_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_id = audit_keyring().primary_id
    at_text = at.astimezone(dt.UTC).isoformat(timespec="seconds")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        last = _checked_tail(_last_line(fd))
        prev = last.signature if last is not None else FIRST_PREV
        if last is not None and seq < last.seq:
            raise CheckpointError(
                f"the chain's head (#{seq}) is behind the last checkpoint (#{last.seq}): "
                "events were cut from the end; run `kinga audit verify`"
            )
        signed = _signed_part(seq, event_hash, at_text, key_id, prev)
        signature = _signature(key_id, signed)
        os.write(fd, f"{signed}\t{signature}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    return Checkpoint(0, seq, event_hash, at, key_id, prev, signature)
