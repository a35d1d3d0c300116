"""The three encodings of "open now" (ORM, SQL, Python) agree on the same schedules.

Issue 12 point 2: a rule encoded more than once is held together by a test that runs its
encodings side by side on the same data. `kinga.directory.open_now` keeps the three
together; this test runs them at every half hour of a week and a minute either side of
every opening and closing, and also pins a few moments to the answer a person would give.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection

from kinga.directory.models import Organization, Schedule, Service
from kinga.directory.open_now import (
    NAIROBI,
    OPEN_NOW_CONDITION,
    open_now_parameters,
    open_schedules,
    schedules_open_at,
)
from kinga.directory.services import weekdays_from_byday

T = dt.time
MONDAY = dt.date(2026, 3, 2)


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Return a Nairobi moment: day 0 is Monday 2 March 2026."""
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), T(hour, minute), tzinfo=NAIROBI)


@pytest.fixture
def schedules(db: None) -> dict[str, Schedule]:
    organization = Organization.objects.create(name="Hours test", description="-")
    service = Service.objects.create(organization=organization, name="Hours test")
    shapes: dict[str, dict[str, object]] = {
        "office": {"byday": "MO,TU,WE,TH,FR", "opens_at": T(8), "closes_at": T(17)},
        "weekend_nights": {"byday": "FR,SA", "opens_at": T(20), "closes_at": T(2)},
        "sunday_all_day": {"byday": "SU", "opens_at": T(0), "closes_at": T(0)},
        "until_midnight": {"byday": "TU", "opens_at": T(18), "closes_at": T(0)},
        "saturday_round_the_clock": {"byday": "SA", "opens_at": T(10), "closes_at": T(10)},
        "midweek_only": {
            "byday": "MO,TU,WE,TH,FR,SA,SU",
            "opens_at": T(9),
            "closes_at": T(12),
            "valid_from": MONDAY + dt.timedelta(days=2),
            "valid_to": MONDAY + dt.timedelta(days=3),
        },
        "no_times": {"byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": None, "closes_at": None},
        "no_days": {"byday": "", "opens_at": T(0), "closes_at": T(0)},
    }
    made = {}
    for name, fields in shapes.items():
        made[name] = Schedule.objects.create(
            service=service, weekdays=weekdays_from_byday(str(fields["byday"])), **fields
        )
    return made


def _moments(schedules: dict[str, Schedule]) -> list[dt.datetime]:
    """Every half hour from Monday 00:00 to the next Tuesday 00:00, and a minute either
    side of (and at) each opening and closing time on every day."""
    moments = [_at(0, 0) + dt.timedelta(minutes=30 * step) for step in range(8 * 48)]
    edges = {s.opens_at for s in schedules.values()} | {s.closes_at for s in schedules.values()}
    for day in range(8):
        for edge in edges - {None}:
            assert edge is not None
            base = _at(day, edge.hour, edge.minute)
            moments += [base - dt.timedelta(minutes=1), base, base + dt.timedelta(minutes=1)]
    return sorted(set(moments))


def _open_by_orm(ids: list[uuid.UUID], when: dt.datetime) -> set[uuid.UUID]:
    return set(open_schedules(when).filter(pk__in=ids).values_list("pk", flat=True))


def _open_by_sql(service_id: uuid.UUID, when: dt.datetime) -> set[uuid.UUID]:
    pk = Schedule._meta.pk
    assert pk is not None
    service_value = Schedule._meta.get_field("service").get_db_prep_value(service_id, connection)
    sql = (
        f"SELECT sc.id FROM {Schedule._meta.db_table} sc "  # noqa: S608 - fixed names
        f"WHERE sc.service_id = %s AND {OPEN_NOW_CONDITION}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [service_value, *open_now_parameters(when)])
        return {pk.to_python(row[0]) for row in cursor.fetchall()}


def _open_by_python(schedules: dict[str, Schedule], when: dt.datetime) -> set[uuid.UUID]:
    return {s.pk for s in schedules.values() if schedules_open_at([s], when)}


def test_orm_sql_and_python_say_the_same_at_every_moment_of_a_week(
    schedules: dict[str, Schedule],
) -> None:
    """Issue 12 point 2: the three encodings of "open now" never disagree."""
    ids = [s.pk for s in schedules.values()]
    service_id = next(iter(schedules.values())).service_id
    assert service_id is not None
    names = {s.pk: name for name, s in schedules.items()}
    checked = 0
    for when in _moments(schedules):
        for moment in (when, when.astimezone(dt.UTC)):  # the rule reads Nairobi time
            by_orm = _open_by_orm(ids, moment)
            by_sql = _open_by_sql(service_id, moment)
            by_python = _open_by_python(schedules, moment)
            assert by_orm == by_sql == by_python, (
                moment.isoformat(),
                sorted(names[pk] for pk in by_orm),
                sorted(names[pk] for pk in by_sql),
                sorted(names[pk] for pk in by_python),
            )
            checked += 1
    assert checked > 700


@pytest.mark.parametrize(
    ("when", "open_ones"),
    [
        (_at(0, 8), {"office"}),  # Monday at opening time
        (_at(0, 17), set()),  # Monday at closing time: closed
        (_at(1, 23, 59), {"until_midnight"}),
        (_at(2, 0), set()),  # Tuesday's "until midnight" has ended
        (_at(2, 9, 30), {"office", "midweek_only"}),
        (_at(4, 12), {"office"}),  # Friday: midweek_only's validity has ended
        (_at(5, 1, 59), {"weekend_nights"}),  # Friday night, past midnight
        (_at(5, 2), set()),
        (_at(5, 9, 59), set()),
        (_at(5, 20), {"weekend_nights", "saturday_round_the_clock"}),
        (_at(6, 1), {"weekend_nights", "saturday_round_the_clock", "sunday_all_day"}),
        (_at(6, 10), {"sunday_all_day"}),  # round the clock ends at 10:00 on Sunday
        (_at(6, 23, 59), {"sunday_all_day"}),
        (_at(7, 0), set()),  # Monday again: all day Sunday has ended
    ],
)
def test_open_now_answers_as_a_person_would(
    schedules: dict[str, Schedule], when: dt.datetime, open_ones: set[str]
) -> None:
    """Issue 12 point 2: the shared rule is also the right one, not only consistent."""
    names = {s.pk: name for name, s in schedules.items()}
    ids = list(names)
    assert {names[pk] for pk in _open_by_orm(ids, when)} == open_ones
    assert {names[pk] for pk in _open_by_python(schedules, when)} == open_ones
