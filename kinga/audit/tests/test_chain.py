"""The audit chain: tampering is caught and named; concurrent writers never fork it.

The chain is keyed (an HMAC under KINGA_AUDIT_KEYS), so a forger who can write the database
but lacks the key can only compute plain SHA-256 or HMACs under a key of their own: `forge`
does what they can.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import RequestFactory

from kinga.audit.models import AuditAction, AuditChainHead, AuditEvent
from kinga.audit.services import (
    AuditChainError,
    audit_append,
    audit_append_many,
    audit_prepare,
    audit_record,
)
from kinga.audit.verify import verify_chain
from kinga.lib.crypto import encrypt


def write(count: int) -> list[AuditEvent]:
    return [
        audit_record(action=AuditAction.VIEW, actor=None, record_type="test.thing", record_id=n)
        for n in range(count)
    ]


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=StringIO())
    return out.getvalue()


def broken() -> str:
    with pytest.raises(CommandError) as caught:
        verify()
    return str(caught.value)


def forge(event: AuditEvent, *, key: bytes | None = None) -> str:
    """Return the hash a forger without the audit key gives an event: SHA-256, or an HMAC
    under a key of their own."""
    message = event.prev_hash.encode("ascii") + event.canonical()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sql(statement: str, *params: object) -> None:
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(statement.format(table=table), params)


@pytest.mark.django_db
def test_chain_links_each_event_to_the_one_before() -> None:
    events = write(3)
    assert events[0].prev_hash == "0" * 64
    assert events[1].prev_hash == events[0].hash
    assert [event.seq for event in events] == [1, 2, 3]
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (3, events[2].hash)
    assert "3 events verified" in verify()


@pytest.mark.django_db
def test_an_event_prepared_early_takes_its_place_and_time_when_appended() -> None:
    early = audit_prepare(
        action=AuditAction.CREATE, actor=None, record_type="test.thing", fields=["b", "a"]
    )
    assert early.instance.pk is None and early.instance.seq == 0
    between = audit_record(action=AuditAction.VIEW, actor=None, record_type="test.other")
    appended = audit_append(early)
    assert (between.seq, appended.seq) == (1, 2)
    assert appended.prev_hash == between.hash and appended.at >= between.at
    stored = AuditEvent.objects.get(seq=2)
    assert stored.hash == appended.hash == stored.compute_hash()
    assert stored.fields == ["a", "b"] and stored.record_type == "test.thing"
    assert "2 events verified" in verify()
    with pytest.raises(ValueError, match="once"):
        audit_append(early)


def prepared_views(count: int) -> list:  # type: ignore[type-arg]
    return [
        audit_prepare(
            action=AuditAction.VIEW,
            actor=None,
            record_type="intel.network",
            record_id=7,
            matter_type="incident",
            matter_id=n,
            fields=["links", "label"],
        )
        for n in range(count)
    ]


@pytest.mark.django_db
def test_many_events_appended_at_once_are_chained_as_one_by_one() -> None:
    before = write(1)[0]
    many = audit_append_many(prepared_views(4))
    after = write(1)[0]
    assert [event.seq for event in many] == [2, 3, 4, 5]
    assert after.seq == 6
    links = [before, *many, after]
    for earlier, later in zip(links, links[1:], strict=False):
        assert later.prev_hash == earlier.hash
    stored = list(AuditEvent.objects.filter(seq__in=[2, 3, 4, 5]).order_by("seq"))
    assert [event.matter_id for event in stored] == [0, 1, 2, 3]
    assert [event.hash for event in stored] == [event.hash for event in many]
    assert all(event.hash == event.compute_hash() for event in stored)
    assert all(event.pk is not None for event in many)
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (6, after.hash)
    assert "6 events verified" in verify()


@pytest.mark.django_db
def test_many_events_start_the_chain_roll_back_together_and_are_taken_once() -> None:
    first = audit_append_many(prepared_views(3))
    assert first[0].prev_hash == "0" * 64 and [e.seq for e in first] == [1, 2, 3]
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_append_many(prepared_views(5))
        raise RuntimeError
    assert AuditEvent.objects.count() == 3
    assert AuditChainHead.objects.get().last_seq == 3
    assert "3 events verified" in verify()
    with pytest.raises(ValueError, match="once"):
        audit_append_many(prepared_views(1) * 2)  # the same event twice in one call
    appended = prepared_views(2)
    audit_append_many(appended)
    with pytest.raises(ValueError, match="once"):
        audit_append_many(appended)  # events already in the chain
    assert audit_append_many([]) == []
    assert AuditEvent.objects.count() == 5
    assert "5 events verified" in verify()


@pytest.mark.django_db
def test_verify_on_an_empty_log() -> None:
    assert "0 events verified" in verify()


@pytest.mark.django_db
def test_edited_row_is_named() -> None:
    write(5)
    sql("UPDATE {table} SET record_id = %s WHERE seq = %s", "tampered", 3)
    assert "event #3" in broken()


@pytest.mark.django_db
def test_edited_row_with_recomputed_hash_breaks_the_next_link() -> None:
    write(5)
    event = AuditEvent.objects.get(seq=2)
    event.reason = "rewritten"
    sql(
        "UPDATE {table} SET reason = %s, hash = %s WHERE seq = 2",
        encrypt("rewritten", context="audit.auditevent.reason"),
        event.compute_hash(),
    )
    assert "event #3" in broken()


@pytest.mark.django_db
def test_deleted_middle_row_is_named() -> None:
    write(5)
    sql("DELETE FROM {table} WHERE seq = %s", 3)
    assert "event #3 was deleted" in broken()


@pytest.mark.django_db
def test_deleted_tail_row_is_named() -> None:
    write(5)
    sql("DELETE FROM {table} WHERE seq = %s", 5)
    assert "event #5" in broken()


@pytest.mark.django_db
def test_reordered_rows_are_caught() -> None:
    write(5)
    sql("UPDATE {table} SET seq = 1000 WHERE seq = 2")
    sql("UPDATE {table} SET seq = 2 WHERE seq = 3")
    sql("UPDATE {table} SET seq = 3 WHERE seq = 1000")
    assert "event #2" in broken()


@pytest.mark.django_db
def test_inserted_row_is_caught() -> None:
    events = write(3)
    forged = AuditEvent(
        seq=4,
        at=events[-1].at,
        action=AuditAction.VIEW,
        actor_label="intruder",
        key_id=events[-1].key_id,
        prev_hash=events[-1].hash,
    )
    forged.hash = forge(forged)
    forged.save(force_insert=True)
    assert "event #4" in broken()


@pytest.mark.django_db
def test_inserted_row_in_the_middle_is_caught() -> None:
    write(3)
    sql("UPDATE {table} SET seq = seq + 10 WHERE seq >= 2")
    first = AuditEvent.objects.get(seq=1)
    forged = AuditEvent(
        seq=2, at=first.at, action="view", key_id=first.key_id, prev_hash=first.hash
    )
    forged.hash = forge(forged)
    forged.save(force_insert=True)
    assert "event #2" in broken()


@pytest.mark.django_db
def test_missing_head_stops_writers() -> None:
    write(2)
    AuditChainHead.objects.all().delete()
    assert "the head names event #0 but the chain goes on to #2" in broken()
    with pytest.raises(AuditChainError):
        write(1)


def rechain_without_the_key(*, key: bytes | None) -> None:
    """Recompute every hash and link, and the head, as a forger without the audit key can."""
    previous = "0" * 64
    for event in AuditEvent.objects.order_by("seq"):
        event.prev_hash = previous
        event.hash = forge(event, key=key)
        sql(
            "UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s",
            previous,
            event.hash,
            event.id,
        )
        previous = event.hash
    AuditChainHead.objects.update(last_seq=AuditEvent.objects.count(), last_hash=previous)


@pytest.mark.django_db
@pytest.mark.parametrize("forger_key", [None, b"a key of the forger's own, not Kinga's"])
def test_event_deleted_and_chain_recomputed_without_the_key_is_caught(
    forger_key: bytes | None,
) -> None:
    """Guards issue 11 hole 7: delete an event, renumber, recompute the chain and the head
    with plain SHA-256 (or an HMAC under a guessed key); verify names the first event."""
    write(5)
    sql("DELETE FROM {table} WHERE seq = %s", 3)
    sql("UPDATE {table} SET seq = seq - 1 WHERE seq > %s", 3)
    rechain_without_the_key(key=forger_key)
    message = broken()
    assert "event #1" in message
    assert "does not match its keyed hash" in message


@pytest.mark.django_db
def test_each_event_names_the_audit_key_it_is_hashed_under(settings) -> None:  # type: ignore[no-untyped-def]
    event = write(1)[0]
    assert event.key_id == settings.KINGA_AUDIT_KEYS.split(":")[0]
    stored = AuditEvent.objects.get()
    assert stored.key_id == event.key_id and stored.compute_hash() == stored.hash
    # the key id is hashed content: naming another key breaks the event
    sql("UPDATE {table} SET key_id = %s WHERE seq = 1", "other")
    assert "event #1" in broken() and "'other'" in broken()


@pytest.mark.django_db
def test_field_names_and_hashed_search_terms_only() -> None:
    event = audit_record(
        action=AuditAction.SEARCH, actor=None, fields=["name", "dob"], search_terms="Fatuma Said"
    )
    assert event.fields == ["dob", "name"]
    assert "Fatuma" not in event.search_hash and len(event.search_hash) == 64


@pytest.mark.django_db
def test_event_rolls_back_with_the_change() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        write(1)
        raise RuntimeError
    assert not AuditEvent.objects.exists()
    write(1)
    assert "1 events verified" in verify()


# No serialized_rollback: restoring the serialized database after another transactional
# test's flush adds content types a second time (an IntegrityError in setup, seen when this
# file runs after intake's tests). Fixtures that need the gazetteer reload it after a flush
# (conftest.gazetteer_ensure).
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain() -> None:
    threads_count, per_thread = 6, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def worker(number: int) -> None:
        try:
            start.wait()
            for item in range(per_thread):
                with transaction.atomic():
                    audit_record(
                        action=AuditAction.VIEW,
                        actor=None,
                        record_type="test.thread",
                        record_id=f"{number}-{item}",
                    )
        except BaseException as error:  # noqa: BLE001  # reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = threads_count * per_thread
    assert AuditEvent.objects.count() == total
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    checked, problem = verify_chain()
    assert problem is None and checked == total


@pytest.mark.django_db
def test_audit_admin_is_read_only(django_user_model) -> None:  # type: ignore[no-untyped-def]
    write(1)
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = django_user_model.objects.create_superuser("root", password="x" * 20)
    event = AuditEvent.objects.get()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.get_actions(request) == {}
