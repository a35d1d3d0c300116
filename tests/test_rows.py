"""`insert_row` stores a row exactly as `save(force_insert=True)` would, in one statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kinga.intake.models import Channel, Report
from kinga.lib.rows import insert_row, prepare_insert
from kinga.tasks.models import Task, TaskState

pytestmark = pytest.mark.django_db


def raw(table: str, column: str, pk: int) -> object:
    with connection.cursor() as cursor:
        # table and column names given by the tests themselves
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_a_row_reads_back_as_the_orm_stores_it_with_encryption_and_defaults() -> None:
    now = timezone.now()
    fields = dict(
        channel=Channel.USSD,
        received_at=now,
        channel_reference="ATUid_rows_1",
        narrative="Msichana wa miaka 14 ameonekana na mzee usiku",
        categories=["sexual_exploitation"],
        age_bands=["12-14"],
        reporter_phone="+254712345678",
        raw_payload={"text": "1*1*2", "sessionId": "ATUid_rows_1"},
    )
    fast = Report(**fields)
    with CaptureQueriesContext(connection) as captured:
        assert insert_row(fast) is True
    assert len(captured.captured_queries) == 1
    assert fast.pk is not None and not fast._state.adding

    slow = Report(**{**fields, "channel_reference": "ATUid_rows_2"})
    slow.save(force_insert=True)

    a, b = Report.objects.get(pk=fast.pk), Report.objects.get(pk=slow.pk)
    for name in ("narrative", "categories", "age_bands", "reporter_phone", "received_at"):
        assert getattr(a, name) == getattr(b, name) == fields[name]
    assert a.raw_payload == fields["raw_payload"]
    # defaults the instance filled in are stored (not left to the database)
    assert a.status == b.status and a.language == b.language and a.channel_complete is True
    # encrypted at rest: the plaintext never reaches the column
    stored = str(raw("intake_report", "narrative", fast.pk))
    assert "Msichana" not in stored and stored != fields["narrative"]


def test_a_conflict_is_skipped_when_asked_and_raised_otherwise() -> None:
    first = Report(channel=Channel.WEB, channel_reference="form-token-1")
    assert insert_row(first, ignore_conflict=True) is True
    again = Report(channel=Channel.WEB, channel_reference="form-token-1")
    assert insert_row(again, ignore_conflict=True) is False
    assert again.pk is None and again._state.adding
    assert Report.objects.filter(channel_reference="form-token-1").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_row(Report(channel=Channel.WEB, channel_reference="form-token-1"))


def test_a_key_is_made_by_the_database_not_taken_from_the_instance() -> None:
    task = Task(name="intake.route_report", payload={"report_id": 1})
    insert_row(task)
    stored = Task.objects.get(pk=task.pk)
    assert stored.state == TaskState.QUEUED and stored.payload == {"report_id": 1}
    assert abs(stored.run_after - timezone.now()) < timedelta(minutes=1)
    with pytest.raises(ValueError, match="already has one"):
        insert_row(stored)


def test_a_value_known_late_is_set_on_the_prepared_row_and_the_instance() -> None:
    report = Report(channel=Channel.SMS, channel_reference="ATXid_late", narrative="Usiku")
    prepared = prepare_insert(report)
    prepared.set("reporter_phone", "+254712000111")  # encrypted when set, like the rest
    prepared.set("county_id", None)
    with pytest.raises(KeyError):
        prepared.set("no_such_field", 1)
    assert report.reporter_phone == "+254712000111"
    assert prepared.execute() is True
    stored = Report.objects.get(pk=report.pk)
    assert stored.reporter_phone == "+254712000111" and stored.narrative == "Usiku"
    assert "254712000111" not in str(raw("intake_report", "reporter_phone", report.pk))
