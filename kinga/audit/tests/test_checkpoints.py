"""Signed checkpoints of the chain's head, and the audit and data keys rotating under it.

Each attack is replayed on the database (and the checkpoint file) as someone with write
access but without the keys would do it, and `kinga audit verify` must name it.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from kinga.audit.checkpoints import checkpoint_path, read_checkpoints
from kinga.audit.keys import new_audit_key_spec
from kinga.audit.models import AuditAction, AuditChainHead, AuditEvent
from kinga.audit.services import AuditChainError, audit_checkpoint, audit_record
from kinga.audit.verify import audit_verify
from kinga.lib.crypto import new_key_spec

pytestmark = pytest.mark.django_db


def write(count: int, *, reason: str = "") -> list[AuditEvent]:
    return [
        audit_record(
            action=AuditAction.VIEW,
            actor=None,
            record_type="test.thing",
            record_id=n,
            reason=reason,
        )
        for n in range(count)
    ]


def checkpoint() -> None:
    call_command("audit", "checkpoint", stdout=StringIO())


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=StringIO())
    return out.getvalue()


def broken() -> str:
    with pytest.raises(CommandError) as caught:
        verify()
    return str(caught.value)


def sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.format(table=AuditEvent._meta.db_table), params)


def lines() -> list[str]:
    return checkpoint_path().read_text(encoding="ascii").splitlines()


def rewrite(new_lines: list[str]) -> None:
    checkpoint_path().write_text("".join(line + "\n" for line in new_lines), encoding="ascii")


def test_checkpoints_are_signed_lines_chained_to_the_one_before() -> None:
    events = write(3)
    checkpoint()
    write(2)
    checkpoint()
    first, second = (line.split("\t") for line in lines())
    assert first[:2] == ["3", events[-1].hash] and first[4] == "0" * 64
    assert second[0] == "5" and second[4] == first[5]
    assert first[3] == second[3] == settings.KINGA_AUDIT_KEYS.split(":")[0]
    assert "5 events verified against 2 checkpoints" in verify()


def test_chain_cut_after_a_checkpoint_with_the_head_rewritten_is_caught() -> None:
    """Guards issue 11 hole 7: delete the last events and rewrite the head to match; the
    chain alone is consistent, but a checkpoint recorded a later event."""
    events = write(5)
    checkpoint()
    sql("DELETE FROM {table} WHERE seq > %s", 3)
    AuditChainHead.objects.update(last_seq=3, last_hash=events[2].hash)
    message = broken()
    assert "the chain ends at #3 but checkpoint line 1 (event #5" in message
    assert "cut from the end" in message


def test_events_after_the_last_checkpoint_can_be_cut_without_notice() -> None:
    """What checkpoints do not defend: a cut after the last checkpoint, head rewritten, is
    invisible until a checkpoint was due (SECURITY.md says so)."""
    events = write(3)
    checkpoint()
    write(2)
    sql("DELETE FROM {table} WHERE seq > %s", 3)
    AuditChainHead.objects.update(last_seq=3, last_hash=events[2].hash)
    assert "3 events verified" in verify()


def test_edited_checkpoint_signature_is_caught() -> None:
    """Guards issue 11 hole 7: a checkpoint line edited without the key (here, its event
    moved back to hide a cut) no longer matches its signature."""
    write(5)
    checkpoint()
    seq, event_hash, *rest = lines()[0].split("\t")
    rewrite(["\t".join(["3", event_hash, *rest])])
    assert "checkpoint file" in (message := broken())
    assert "line 1 signature does not match" in message


def test_checkpoint_line_removed_from_the_middle_is_caught() -> None:
    """Guards issue 11 hole 7: each line is chained to the one before, so dropping one shows."""
    for _ in range(3):
        write(1)
        checkpoint()
    first, _, third = lines()
    rewrite([first, third])
    assert "line 2 is not chained to the line before it" in broken()


def test_event_rebuilt_with_the_key_after_a_checkpoint_differs_from_it() -> None:
    """Guards issue 11 hole 7: even an event rewritten with its hash recomputed under the key
    (the whole chain after it re-linked) no longer has the hash a checkpoint recorded."""
    write(4)
    checkpoint()
    previous = AuditEvent.objects.get(seq=1).hash
    for event in AuditEvent.objects.filter(seq__gte=2).order_by("seq"):
        if event.seq == 2:
            event.record_type = "test.rewritten"
        event.prev_hash = previous
        event.hash = event.compute_hash()
        sql(
            "UPDATE {table} SET record_type = %s, prev_hash = %s, hash = %s WHERE id = %s",
            event.record_type,
            event.prev_hash,
            event.hash,
            event.id,
        )
        previous = event.hash
    AuditChainHead.objects.update(last_hash=previous)
    assert "event #4" in (message := broken())
    assert "differs from the one checkpoint line 1 (event #4" in message


def test_missing_checkpoint_file_is_a_problem_once_checkpoints_were_due() -> None:
    """Guards issue 11 hole 7: removing the checkpoint file does not make the cut invisible."""
    write(2)
    later = timezone.now() + dt.timedelta(minutes=2 * settings.KINGA_AUDIT_CHECKPOINT_MINUTES + 1)
    report = audit_verify(now=later)
    assert len(report.problems) == 1
    assert f"there is no checkpoint file at {checkpoint_path()}" in report.problems[0]
    assert audit_verify(now=timezone.now()).problems == []  # not due yet
    checkpoint()
    assert audit_verify(now=later).problems == []
    write(1)
    assert "no checkpoint covers event #3" in audit_verify(now=later).problems[0]


def test_a_checkpoint_is_refused_over_a_broken_chain() -> None:
    write(4)
    sql("DELETE FROM {table} WHERE seq = %s", 2)
    with pytest.raises(AuditChainError, match="event #2 was deleted"):
        audit_checkpoint(actor_label="test")
    assert not checkpoint_path().exists()


def test_the_worker_checkpoints_when_the_head_has_moved() -> None:
    call_command("worker", "--once", stdout=StringIO())
    assert not checkpoint_path().exists()  # nothing to checkpoint yet
    write(2)
    call_command("worker", "--once", stdout=StringIO())
    call_command("worker", "--once", stdout=StringIO())  # the head has not moved since
    assert [line.split("\t")[0] for line in lines()] == ["2"]
    write(1)
    call_command("worker", "--once", stdout=StringIO())
    assert [line.split("\t")[0] for line in lines()] == ["2", "3"]


def test_audit_key_rotation_keeps_old_events_verifiable(settings) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 7: a new audit key keys new events and checkpoints; old events
    verify under the key they name; without that key they cannot be checked."""
    old_spec = settings.KINGA_AUDIT_KEYS
    old_id = old_spec.split(":")[0]
    write(2)
    checkpoint()
    settings.KINGA_AUDIT_KEYS = f"{new_audit_key_spec('rotated')},{old_spec}"
    newer = write(2)
    checkpoint()
    assert {event.key_id for event in newer} == {"rotated"}
    assert [line.split("\t")[3] for line in lines()] == [old_id, "rotated"]
    assert "4 events verified against 2 checkpoints" in verify()
    settings.KINGA_AUDIT_KEYS = settings.KINGA_AUDIT_KEYS.split(",")[0]
    message = broken()
    assert f"no audit key with id '{old_id}' is configured" in message


def test_data_key_rotation_re_encrypts_reasons_and_keeps_the_chain(settings) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 6 (audit part): reasons are encrypted, `kinga keys rotate`
    re-encrypts them under the new data key, and the chain still verifies."""
    write(2, reason="Seen near the ferry with Bakari Mwinyi")
    checkpoint()
    settings.KINGA_DATA_KEYS = f"{new_key_spec('knew')},{settings.KINGA_DATA_KEYS}"
    call_command("keys", "rotate", stdout=StringIO(), stderr=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            # the model's own table name, no input
            f"SELECT reason FROM {AuditEvent._meta.db_table} WHERE reason <> ''"  # noqa: S608
        )
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 2 and all(value.startswith("knew$") for value in stored)
    assert all("bakari" not in value.lower() for value in stored)
    assert AuditEvent.objects.get(seq=1).reason == "Seen near the ferry with Bakari Mwinyi"
    assert "3 events verified" in verify()  # the rotation's own event is the third


def test_reading_a_missing_or_empty_file_gives_nothing(tmp_path: Path) -> None:
    assert read_checkpoints(tmp_path / "none.log") == ([], [])
    (tmp_path / "empty.log").write_text("", encoding="ascii")
    assert read_checkpoints(tmp_path / "empty.log") == ([], [])
