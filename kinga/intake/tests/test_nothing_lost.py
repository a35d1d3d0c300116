"""Nothing is lost: a process that dies between storing a report and answering still has it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections

pytestmark = pytest.mark.django_db(transaction=True)


class ProcessKilled(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def committed_reports(channel: str) -> int:
    """Count reports through a fresh connection, which sees only committed rows."""
    fresh = connections["default"].copy()
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM intake_report WHERE channel = %s", [channel])
            row = cursor.fetchone()
    finally:
        fresh.close()
    return int(row[0])


def test_ussd_answers_survive_a_crash_before_the_reply(
    gateway: Any, monkeypatch: Any, personas: Any
) -> None:
    def die(text: str) -> Any:
        raise ProcessKilled

    monkeypatch.setattr("kinga.intake.views.ussd_reply", die)
    with pytest.raises(ProcessKilled):
        gateway("ussd/", {"sessionId": "crash-1", "phoneNumber": "+254712345678", "text": "2*1"})
    assert committed_reports("ussd") == 1


def test_sms_survives_a_crash_before_the_reply(
    gateway: Any, monkeypatch: Any, personas: Any
) -> None:
    def die(text: str) -> Any:
        raise ProcessKilled

    monkeypatch.setattr("kinga.intake.views._plain", die)
    with pytest.raises(ProcessKilled):
        gateway("sms/incoming/", {"id": "ATXid_9", "from": "0712345678", "text": "msaada"})
    assert committed_reports("sms") == 1
    # the acknowledgement's task was stored with it
    fresh = connections["default"].copy()
    with fresh.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM tasks_task WHERE name = 'messaging.send'")
        assert cursor.fetchone()[0] == 1
    fresh.close()
