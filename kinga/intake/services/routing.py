"""Routing: a stored report enters its area's triage queue with a priority, and a report
of a child in danger raises an alert.

A report made by staff or saying a child is in danger now is routed in the request that
stores it. Any other public report stores a routing task in the transaction that stores
it, and the worker routes it within a second or so (this keeps the grants and their audit
event off the channel's reply; see BENCHMARKS.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kinga.access.models import Relation
from kinga.access.services import access_grant_agencies
from kinga.accounts.models import Agency, AgencyKind, User
from kinga.intake import statements
from kinga.intake.models import Channel, Priority, Report
from kinga.intake.repeats import repeat_conditions
from kinga.intake.services.alerts import alert_raise
from kinga.intake.services.reports import REPORT, audit_ussd_finished
from kinga.intake.services.signals import signals_set
from kinga.places.models import SubCounty, Ward
from kinga.tasks.registry import task
from kinga.tasks.services import task_enqueue

TRIAGE_KINDS = (AgencyKind.CHILDRENS_SERVICES, AgencyKind.NGO)


# The triage agencies of each county, kept a short while in each process: agencies rarely
# change, and every report needs them. Saving or deleting an agency empties it at once in
# the process that did it; other processes see the change within TRIAGE_CACHE_SECONDS.
TRIAGE_CACHE_SECONDS = 60.0
_triage_cache: dict[int | None, tuple[float, tuple[Agency, ...]]] = {}


def triage_agencies(*, county_id: int | None) -> list[Agency]:
    """Return the agencies whose triage queue a report of that county enters.

    The county's active children's services and NGOs; without a county, the children's
    services of the six coastal counties.
    """
    moment = time.monotonic()
    cached = _triage_cache.get(county_id)
    if cached is not None and moment - cached[0] < TRIAGE_CACHE_SECONDS:
        return list(cached[1])
    agencies = Agency.objects.filter(is_active=True)
    if county_id is not None:
        found = list(agencies.filter(county_id=county_id, kind__in=TRIAGE_KINDS))
    else:
        found = list(
            agencies.filter(county__coastal=True, kind=AgencyKind.CHILDRENS_SERVICES).order_by("pk")
        )
    _triage_cache[county_id] = (moment, tuple(found))
    return found


def triage_agencies_forget(**_signal: Any) -> None:
    """Empty the cache of triage agencies (on saving or deleting an agency)."""
    _triage_cache.clear()


def repeat_signals_of(report: Report) -> list[str]:
    """Return which repeat signals the report shows: the same phone, the same ward
    (the rule is `kinga.intake.repeats`; one prepared statement per signal)."""
    return [
        condition.signal
        for condition in repeat_conditions(report)
        if statements.others_exist(
            column=condition.field,
            value=condition.value,
            around=report.received_at,
            within=condition.window,
            pk=report.pk,
        )
    ]


def priority_of(report: Report, signals: Iterable[str]) -> int:
    """Return the triage priority: danger first, then young age, online element, repeats."""
    if report.child_in_danger:
        return Priority.URGENT
    score = 0
    bands = set(report.age_bands)
    if bands & {"0-5", "6-11"}:
        score += 2
    elif "12-14" in bands:
        score += 1
    if report.online_platform or "online" in report.categories:
        score += 1
    score += len(list(signals))
    if score >= 2:
        return Priority.HIGH
    if not report.categories and not report.narrative:
        return Priority.LOW  # nothing said about what is happening
    return Priority.NORMAL


ROUTE_FIELDS = ("repeat_signals", "priority", "routed_at", "text_signals", "text_language")


def set_route(report: Report, *, now: datetime) -> None:
    """Set the report's repeat signals, what its words suggest, priority and time of
    entering triage (not saved)."""
    signals = repeat_signals_of(report)
    report.repeat_signals = signals
    report.priority = priority_of(report, signals)
    report.routed_at = now
    signals_set(report)  # what the words suggest may raise the priority, never lower it


def grant_and_alert(report: Report, *, now: datetime, actor: User | None = None) -> None:
    """Give the area's triage agencies the stored report (one insert, one audit event).

    A report is routed once (its `routed_at` guards it), so there are no grants to repeat.
    A report of a child in danger also alerts the county's on-call staff.
    """
    agencies = triage_agencies(county_id=report.county_id)
    for county_id in other_counties(report):
        agencies += [a for a in triage_agencies(county_id=county_id) if a not in agencies]
    access_grant_agencies(
        matter=report.access_matter(),
        relation=Relation.TRIAGE_AREA,
        agencies=agencies,
        actor=actor,
        source_type=REPORT,
        source_id=report.pk,
    )
    if report.child_in_danger:
        alert_raise(report=report, now=now)


def other_counties(report: Report) -> list[int]:
    """Return the county of the ward (or sub-county) given, when it is not the county given.

    A place that does not add up goes to the triage queues of both counties: whichever
    part of it is wrong, the report reaches the people of the place it is about.
    """
    if not report.place_mismatch:
        return []
    county_id: int | None = None
    if report.ward_id is not None:
        county_id = (
            Ward.objects.filter(pk=report.ward_id)
            .values_list("sub_county__county_id", flat=True)
            .first()
        )
    elif report.sub_county_id is not None:
        county_id = (
            SubCounty.objects.filter(pk=report.sub_county_id)
            .values_list("county_id", flat=True)
            .first()
        )
    return [county_id] if county_id is not None and county_id != report.county_id else []


def urgent(report: Report) -> bool:
    """Return whether a public report is routed in its own request: a child in danger now."""
    return report.child_in_danger


def enter_triage(report: Report, *, now: datetime) -> None:
    """Route a public report just stored: now if `set_route` already ran, else very soon.

    A report of a child in danger is routed (and its alert sent) in the request that
    stored it. Any other is routed by the worker, within a second or so, through a task
    stored in the same transaction as the report, so it cannot be lost: this keeps the
    grants and their audit event off the channel's reply (see BENCHMARKS.md).
    """
    if report.routed_at is not None:
        grant_and_alert(report, now=now)
    else:
        task_enqueue(name="intake.route_report", payload={"report_id": report.pk}, run_after=now)


def route(report: Report, *, now: datetime, actor: User | None = None) -> None:
    """Put a stored report in its area's triage queue, set its priority, alert if in danger."""
    set_route(report, now=now)
    report.save(update_fields=list(ROUTE_FIELDS))
    grant_and_alert(report, now=now, actor=actor)


@task("intake.route_report")
def report_route_task(payload: dict[str, Any], now: datetime) -> None:
    """Put a public report in triage: one just stored, or a USSD report whose session
    ended without a word from the gateway. A report already routed is left alone."""
    report = Report.objects.select_for_update().filter(pk=payload["report_id"]).first()
    if report is not None and report.routed_at is None:
        if report.channel == Channel.USSD and report.channel_complete:
            audit_ussd_finished(report)
        route(report, now=now)
