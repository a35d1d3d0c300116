"""Alerts of a child in danger now: up the fallback chain until someone acknowledges.

The chain is data (`AlertStep`, the admin's "Alert chain"; the default is in migration
0005): the county's on-call responders, then the county's children's services, the
helpline desk, every supervisor of the programme. A step that reaches nobody new is passed
at once; one that reached someone waits its minutes, and if nobody acknowledged, the worker
(task `intake.escalate_alert`) takes the alert to the next step. After the last step,
everyone alerted is reminded after each wait until someone acknowledges.

Everyone an alert reaches gets an alert_recipient grant on the report
(`kinga.access.policy`): the place, what is happening, how many children and, when the
reporter agreed, how to reach them. The texts sent hold the report's reference and a
link, never what was reported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.models import Relation
from kinga.access.services import access_grant_users
from kinga.accounts.models import User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intake.models import Alert, AlertScope, AlertStep, Report
from kinga.tasks.registry import task
from kinga.tasks.services import task_enqueue

log = logging.getLogger(__name__)

ESCALATE_TASK = "intake.escalate_alert"
ALERT = "intake.alert"
# How long the people an alert reached may read the report through it (the alert page).
ALERT_ACCESS = timedelta(days=7)
# When the whole chain reaches nobody (no active person holds any of its roles), try again.
RETRY_UNREACHED = timedelta(minutes=5)


def _alert_counties(report: Report) -> list[int]:
    if report.county_id is not None:
        return [report.county_id]
    from kinga.places.selectors import coastal_counties

    return list(coastal_counties().values_list("pk", flat=True))


def step_people(step: AlertStep, report: Report) -> QuerySet[User]:
    """Return the active people a step of the chain reaches for this report."""
    users = User.objects.filter(is_active=True, agency__is_active=True, roles__role__in=step.roles)
    if step.agency_kind:
        users = users.filter(agency__kind=step.agency_kind)
    if step.scope == AlertScope.COUNTY:
        users = users.filter(agency__county_id__in=_alert_counties(report))
    if step.on_call_only:
        users = users.filter(on_call=True)
    return users.distinct().order_by("pk")


@dataclass(frozen=True)
class Reach:
    """The step an alert reached, the people it reached there, and the steps passed."""

    step: AlertStep | None
    people: list[User]
    passed: list[int]


def _next_reach(alert: Alert, report: Report) -> Reach:
    """Walk the chain after the step reached last, to the first that reaches someone new."""
    already = set(alert.notified.values_list("pk", flat=True))
    steps = AlertStep.objects.order_by("order")
    if alert.step_order is not None:
        steps = steps.filter(order__gt=alert.step_order)
    passed: list[int] = []
    for step in steps:
        people = [user for user in step_people(step, report) if user.pk not in already]
        if people:
            return Reach(step=step, people=people, passed=passed)
        passed.append(step.order)
    return Reach(step=None, people=[], passed=passed)


def alert_link(alert: Alert) -> str:
    """Return the alert page's path (notifications keep the path, SMS the whole address)."""
    return reverse("intake:alert", args=[alert.pk])


def _address(alert: Alert) -> str:
    return f"{settings.KINGA_BASE_URL.rstrip('/')}{alert_link(alert)}"


def _reach_people(alert: Alert, report: Report, people: list[User], now: datetime) -> None:
    """Record that the alert reached these people and open the report to them through it."""
    alert.notified.add(*people)
    access_grant_users(
        matter=report.access_matter(),
        relation=Relation.ALERT_RECIPIENT,
        users=people,
        actor=None,
        source_type=ALERT,
        source_id=alert.pk,
        ends_at=now + ALERT_ACCESS,
    )


def _schedule(alert: Alert, *, wait: timedelta, now: datetime) -> None:
    task_enqueue(
        name=ESCALATE_TASK,
        payload={"alert_id": alert.pk, "escalations": alert.escalations},
        run_after=now + wait,
    )


def _wait_of(step_order: int | None) -> timedelta:
    step = AlertStep.objects.filter(order=step_order).first() if step_order is not None else None
    return timedelta(minutes=step.wait_minutes) if step is not None else RETRY_UNREACHED


def _audit(alert: Alert, event: str, reach: Reach, reminded: Iterable[User] = ()) -> None:
    audit_record(
        action=AuditAction.SYSTEM,
        actor=None,
        actor_label="system:alert",
        record_type=ALERT,
        record_id=alert.pk,
        matter_type="report",
        matter_id=alert.report_id,
        detail={
            "event": event,
            "step": reach.step.order if reach.step is not None else None,
            "passed": reach.passed,
            "notified": [user.pk for user in reach.people],
            "reminded": [user.pk for user in reminded],
        },
    )


def alert_raise(*, report: Report, now: datetime) -> Alert:
    """Alert the first step of the chain that reaches someone (in the app and by SMS).

    Joins the caller's transaction (the report's routing). The escalation is queued in it.
    """
    from kinga.notifications.services import notify

    alert, created = Alert.objects.get_or_create(
        report=report, defaults={"raised_at": now, "county_id": report.county_id}
    )
    if not created:
        return alert
    reach = _next_reach(alert, report)
    if reach.step is None:
        log.error("Danger alert %s reaches nobody: the alert chain finds no one", alert.pk)
        _schedule(alert, wait=RETRY_UNREACHED, now=now)
        _audit(alert, "alert_unreached", reach)
        return alert
    _reach_people(alert, report, reach.people, now)
    alert.step_order = reach.step.order
    alert.save(update_fields=["step_order"])
    notify(
        recipients=reach.people,
        text=_("Urgent: report %(reference)s says a child is in danger now. Open: %(link)s")
        % {"reference": report.reference, "link": _address(alert)},
        link=alert_link(alert),
        kind="danger_alert",
        deliver_by=("sms",),
    )
    _schedule(alert, wait=timedelta(minutes=reach.step.wait_minutes), now=now)
    _audit(alert, "alert_raised", reach)
    return alert


@task(ESCALATE_TASK)
def alert_escalate(payload: dict[str, Any], now: datetime) -> None:
    """Take an alert nobody acknowledged in time up the chain, or remind everyone reached.

    Safe to run twice: the task names the escalation count it expects, and a second run
    finds the alert already past it.
    """
    from kinga.notifications.services import notify

    alert = (
        Alert.objects.select_for_update()
        .select_related("report")
        .filter(pk=payload["alert_id"])
        .first()
    )
    if (
        alert is None
        or alert.acknowledged_at is not None
        or alert.escalations != payload.get("escalations", 0)
    ):
        return
    report = alert.report
    reach = _next_reach(alert, report)
    alert.escalations += 1
    alert.escalated_at = now
    reminded: list[User] = []
    if reach.step is not None:
        _reach_people(alert, report, reach.people, now)
        alert.step_order = reach.step.order
        notify(
            recipients=reach.people,
            text=_("Not yet acknowledged: report %(reference)s, a child in danger. Open: %(link)s")
            % {"reference": report.reference, "link": _address(alert)},
            link=alert_link(alert),
            kind="danger_alert_escalated",
            deliver_by=("sms",),
        )
        wait = timedelta(minutes=reach.step.wait_minutes)
    else:
        # the end of the chain: everyone reached is told again, until someone acts
        reminded = list(alert.notified.filter(is_active=True).order_by("pk"))
        notify(
            recipients=reminded,
            text=_("Still nobody acting: report %(reference)s, a child in danger. Open: %(link)s")
            % {"reference": report.reference, "link": _address(alert)},
            link=alert_link(alert),
            kind="danger_alert_reminder",
            deliver_by=("sms",),
        )
        wait = _wait_of(alert.step_order)
    alert.save(update_fields=["escalations", "escalated_at", "step_order"])
    _schedule(alert, wait=wait, now=now)
    _audit(
        alert, "alert_escalated" if reach.step is not None else "alert_reminded", reach, reminded
    )


@transaction.atomic(durable=True)
def alert_acknowledge(*, alert: Alert, actor: User, now: datetime | None = None) -> Alert:
    """Record that someone the alert reached is acting on it; escalation stops, and the
    others it reached are told who acts."""
    from kinga.notifications.services import notify

    now = now or timezone.now()
    alert = Alert.objects.select_for_update().select_related("report").get(pk=alert.pk)
    if not alert.notified.filter(pk=actor.pk).exists():
        raise PermissionDenied
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_at = now
    alert.acknowledged_by = actor
    alert.full_clean()
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    notify(
        recipients=alert.notified.exclude(pk=actor.pk),
        text=_("%(name)s is acting on the alert of report %(reference)s.")
        % {"name": str(actor), "reference": alert.report.reference},
        link=alert_link(alert),
        kind="danger_alert_acknowledged",
        actor=actor,
    )
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type=ALERT,
        record_id=alert.pk,
        matter_type="report",
        matter_id=alert.report_id,
        fields=["acknowledged_at", "acknowledged_by"],
    )
    return alert


# The admin runs its change views in a transaction of its own: these join it.
@transaction.atomic
def alert_step_save(*, step: AlertStep, actor: User, fields: list[str], created: bool) -> None:
    """Store a step of the alert chain an administrator added or changed (audited)."""
    step.full_clean()
    step.save()
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        actor=actor,
        record_type="intake.alertstep",
        record_id=step.pk,
        fields=fields,
        detail={"order": step.order},
    )


@transaction.atomic
def alert_step_delete(*, step: AlertStep, actor: User) -> None:
    """Remove a step of the alert chain (audited); alerts past it go on from the next."""
    audit_record(
        action=AuditAction.DELETE,
        actor=actor,
        record_type="intake.alertstep",
        record_id=step.pk,
        detail={"order": step.order},
    )
    step.delete()
