"""Read audit rows as the database holds them, for tests that look for words in them."""

from __future__ import annotations

import re

from django.db import connection

from kinga.audit.models import AuditEvent


def audit_rows_text(*, since_seq: int = 0) -> str:
    """Return every column of the audit rows after `since_seq`, as stored, lowercased."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE seq > %s", [since_seq])  # noqa: S608 - fixed name
        return "\n".join(repr(row) for row in cursor.fetchall()).lower()


def typed_words(text: str) -> list[str]:
    """Return the words of five letters or more a user typed: what must not leak."""
    return [word.lower() for word in re.findall(r"[A-Za-z]{5,}", text)]


def last_seq() -> int:
    """Return the sequence number of the newest event (0 for an empty log)."""
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def assert_no_typed_words(typed: str, *, since_seq: int) -> None:
    """Fail when a word of `typed` is in an audit row written after `since_seq`."""
    stored = audit_rows_text(since_seq=since_seq)
    assert stored, "no audit event was written"
    for word in typed_words(typed):
        assert word not in stored, f"{word!r} typed by the user is in the audit log"
