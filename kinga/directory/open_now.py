"""The "open now" rule, in the three forms the directory needs, side by side.

A schedule row (`Schedule`) makes its service open at a moment (read in Africa/Nairobi
time) when it is in force that day (`valid_from` .. `valid_to`, either open-ended) and

* its weekday bitmask holds today, it has opened (`opens_at <= now`) and has not yet
  closed (`now < closes_at`), or its span runs past midnight (`closes_at <= opens_at`;
  00:00 to 00:00 is open all day); or
* its bitmask holds yesterday, its span runs past midnight, and it has not yet closed
  this morning (`now < closes_at`).

Rows without both times are never open. The rule is written three times because three
callers need it: as an ORM filter (`open_schedules`: the search's Exists), as plain SQL
(`OPEN_NOW_CONDITION`: the search's hot path, where the ORM took ten times the database's
time to build the query) and in Python (`schedules_open_at`: a service's page, over rows
already loaded). Change one, change all three: `tests/test_open_now.py` runs the three on
the same schedules at every half hour of a week and at each edge, and fails on any moment
where they disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, Q, QuerySet

from kinga.directory.models import Schedule

NAIROBI = ZoneInfo("Africa/Nairobi")


def _local(when: dt.datetime) -> tuple[dt.date, dt.time, int, int]:
    """Return the Nairobi day, time of day, and the bits of today and yesterday."""
    local = when.astimezone(NAIROBI)
    today = local.weekday()
    return local.date(), local.time().replace(tzinfo=None), 1 << today, 1 << ((today - 1) % 7)


def open_schedules(when: dt.datetime) -> QuerySet[Schedule]:
    """Return the schedule rows that make their service open at `when` (any timezone)."""
    day, moment, bit_today, bit_yesterday = _local(when)
    overnight = Q(closes_at__lte=F("opens_at"))
    opened_today = (
        Q(day_today__gt=0) & Q(opens_at__lte=moment) & (Q(closes_at__gt=moment) | overnight)
    )
    still_open_from_yesterday = Q(day_yesterday__gt=0) & overnight & Q(closes_at__gt=moment)
    in_force = (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    return (
        Schedule.objects.alias(
            day_today=F("weekdays").bitand(bit_today),
            day_yesterday=F("weekdays").bitand(bit_yesterday),
        )
        .filter(opened_today | still_open_from_yesterday)
        .filter(in_force)
    )


# The same rule on a schedule row aliased `sc`, for raw SQL that SQLite and PostgreSQL both
# run; `open_now_parameters` gives its values, in order.
OPEN_NOW_CONDITION = """(sc.valid_from IS NULL OR sc.valid_from <= %s)
      AND (sc.valid_to IS NULL OR sc.valid_to >= %s)
      AND (((sc.weekdays & %s) > 0 AND sc.opens_at <= %s
            AND (sc.closes_at > %s OR sc.closes_at <= sc.opens_at))
        OR ((sc.weekdays & %s) > 0 AND sc.closes_at <= sc.opens_at AND sc.closes_at > %s))"""


def open_now_parameters(when: dt.datetime) -> list[Any]:
    """Return the values of `OPEN_NOW_CONDITION` at `when`, prepared for the database."""
    day, moment, bit_today, bit_yesterday = _local(when)
    day_value = Schedule._meta.get_field("valid_from").get_db_prep_value(day, connection)
    moment_value = Schedule._meta.get_field("opens_at").get_db_prep_value(moment, connection)
    return [
        *(day_value, day_value),
        *(bit_today, moment_value, moment_value),
        *(bit_yesterday, moment_value),
    ]


def schedules_open_at(schedules: Iterable[Schedule], when: dt.datetime) -> bool:
    """Return whether any of these schedules is open at `when` (the same rule, in Python)."""
    day, moment, bit_today, bit_yesterday = _local(when)
    for schedule in schedules:
        opens_at, closes_at = schedule.opens_at, schedule.closes_at
        if opens_at is None or closes_at is None:
            continue
        if schedule.valid_from is not None and schedule.valid_from > day:
            continue
        if schedule.valid_to is not None and schedule.valid_to < day:
            continue
        overnight = closes_at <= opens_at
        if (
            schedule.weekdays & bit_today
            and opens_at <= moment
            and (overnight or moment < closes_at)
        ):
            return True
        if schedule.weekdays & bit_yesterday and overnight and moment < closes_at:
            return True
    return False
