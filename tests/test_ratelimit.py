"""Rate limiting counts in its own table, with the key kept only as a keyed hash."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kinga.lib.ratelimit import hit, parse_rate
from kinga.tasks.models import RateCounter

pytestmark = pytest.mark.django_db


def test_a_hit_writes_only_the_rate_limit_table() -> None:
    """Issue 12 point 4: rate limiting owns its own table: a hit is one statement on
    `kinga_ratelimit` and touches no other table."""
    with CaptureQueriesContext(connection) as captured:
        hit(scope="report", key="197.232.1.1", limit=5, window_seconds=60, now=0)
    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) == 1
    assert "kinga_ratelimit" in statements[0]
    assert RateCounter._meta.db_table == "kinga_ratelimit"
    assert [field.name for field in RateCounter._meta.get_fields()] == ["bucket", "period", "hits"]


def test_the_address_is_never_stored_in_clear() -> None:
    """Issue 12 point 4: the counter's key is a keyed hash, not the caller's address."""
    hit(scope="report", key="197.232.1.1", limit=5, window_seconds=60, now=0)
    (bucket,) = RateCounter.objects.values_list("bucket", flat=True)
    assert bucket.startswith("report:")
    assert "197.232" not in bucket


def test_scopes_count_apart_and_a_new_window_starts_again() -> None:
    """Issue 12 point 4: one address's reports and follow-ups have separate limits, and a
    window that has passed starts from one."""
    for _ in range(2):
        assert hit(scope="report", key="k", limit=2, window_seconds=60, now=0)
    assert not hit(scope="report", key="k", limit=2, window_seconds=60, now=59)
    assert hit(scope="follow_up", key="k", limit=2, window_seconds=60, now=59)
    assert hit(scope="report", key="k", limit=2, window_seconds=60, now=60)
    assert RateCounter.objects.get(bucket__startswith="report:").hits == 1


def test_rates_are_read_as_hits_per_seconds() -> None:
    """Issue 12 point 4: '10/3600' is ten hits an hour; a bare number is per minute."""
    assert parse_rate("10/3600") == (10, 3600)
    assert parse_rate("5") == (5, 60)
