"""A fixed-window rate limit shared by every worker process, one upsert per hit.

Counters live in the `kinga_ratelimit` table (the model `kinga.tasks.models.RateCounter`),
so all gunicorn workers (and hosts) count together. A hit is one statement that inserts
the counter or bumps it, restarting it when its window has passed, and returns the count.
"""

from __future__ import annotations

import time

from django.db import connection

from kinga.lib.crypto import keyed_hash

_UPSERT = (
    "INSERT INTO kinga_ratelimit (bucket, period, hits) VALUES (%s, %s, 1) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "hits = CASE WHEN kinga_ratelimit.period = excluded.period "
    "THEN kinga_ratelimit.hits + 1 ELSE 1 END, period = excluded.period "
    "RETURNING hits"
)


def parse_rate(text: str) -> tuple[int, int]:
    """Read '10/3600' (10 hits per 3600 seconds) into (limit, window seconds)."""
    limit, _, seconds = text.partition("/")
    return int(limit), int(seconds or 60)


def hit(*, scope: str, key: str, limit: int, window_seconds: int, now: float | None = None) -> bool:
    """Count one hit of `key` in `scope`; return whether it is within the limit.

    The key (often an address) is stored only as a keyed hash.
    """
    return count(scope=scope, key=key, window_seconds=window_seconds, now=now) <= limit


def count(*, scope: str, key: str, window_seconds: int, now: float | None = None) -> int:
    """Count one hit of `key` in `scope`; return the hits in the current window, this one
    included (for the RateLimit headers of the open API)."""
    moment = time.time() if now is None else now
    period = int(moment // window_seconds)
    bucket = f"{scope}:{keyed_hash(key, purpose='ratelimit')}"
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [bucket, period])
        row = cursor.fetchone()
    return int(row[0]) if row is not None else 1
