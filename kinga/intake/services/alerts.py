"""Alerts of a child in danger now: to the area's on-call staff, escalated when nobody acts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.accounts.models import Role, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intake.models import Alert, Report
from kinga.tasks.registry import task
from kinga.tasks.services import task_enqueue

ALERT_ROLES = (Role.INVESTIGATOR, Role.CASEWORKER, Role.SUPERVISOR)


def _staff_of(county_ids: Iterable[int], roles: Iterable[str], *, on_call: bool) -> list[User]:
    users = User.objects.filter(
        is_active=True,
        agency__is_active=True,
        agency__county_id__in=list(county_ids),
        roles__role__in=list(roles),
    )
    if on_call:
        users = users.filter(on_call=True)
    return list(users.distinct().order_by("pk"))


def _alert_counties(report: Report) -> list[int]:
    if report.county_id is not None:
        return [report.county_id]
    from kinga.places.selectors import coastal_counties

    return list(coastal_counties().values_list("pk", flat=True))


def _alert_link(alert: Alert) -> str:
    return f"{settings.KINGA_BASE_URL.rstrip('/')}/intake/alerts/{alert.pk}/"


def alert_raise(*, report: Report, now: datetime) -> Alert:
    """Alert the on-call staff of the report's county (in the app and by SMS).

    The text holds the report's reference and a link, never what was reported. An
    escalation to the county's supervisors is queued for when nobody acknowledges.
    """
    from kinga.notifications.services import notify

    alert, created = Alert.objects.get_or_create(
        report=report, defaults={"raised_at": now, "county_id": report.county_id}
    )
    if not created:
        return alert
    recipients = _staff_of(_alert_counties(report), ALERT_ROLES, on_call=True)
    alert.notified.add(*recipients)
    text = _("Urgent: report %(reference)s says a child is in danger now. Open: %(link)s") % {
        "reference": report.reference,
        "link": _alert_link(alert),
    }
    notify(
        recipients=recipients,
        text=text,
        link=f"/intake/alerts/{alert.pk}/",
        kind="danger_alert",
        deliver_by=("sms",),
    )
    task_enqueue(
        name="intake.escalate_alert",
        payload={"alert_id": alert.pk},
        run_after=now + timedelta(minutes=settings.KINGA_ALERT_ESCALATION_MINUTES),
    )
    audit_record(
        action=AuditAction.SYSTEM,
        actor=None,
        actor_label="system:alert",
        record_type="intake.alert",
        record_id=alert.pk,
        matter_type="report",
        matter_id=report.pk,
        detail={"event": "alert_raised", "notified": [u.pk for u in recipients]},
    )
    return alert


@task("intake.escalate_alert")
def alert_escalate(payload: dict[str, Any], now: datetime) -> None:
    """Tell the county's supervisors when nobody acknowledged the alert in time."""
    from kinga.notifications.services import notify

    alert = (
        Alert.objects.select_for_update()
        .select_related("report")
        .filter(pk=payload["alert_id"])
        .first()
    )
    if alert is None or alert.acknowledged_at is not None or alert.escalated_at is not None:
        return
    supervisors = _staff_of(_alert_counties(alert.report), [Role.SUPERVISOR], on_call=False)
    alert.escalated_at = now
    alert.save(update_fields=["escalated_at"])
    alert.notified.add(*supervisors)
    text = _("Not yet acknowledged: report %(reference)s, a child in danger. Open: %(link)s") % {
        "reference": alert.report.reference,
        "link": _alert_link(alert),
    }
    notify(
        recipients=supervisors,
        text=text,
        link=f"/intake/alerts/{alert.pk}/",
        kind="danger_alert_escalated",
        deliver_by=("sms",),
    )
    audit_record(
        action=AuditAction.SYSTEM,
        actor=None,
        actor_label="system:alert",
        record_type="intake.alert",
        record_id=alert.pk,
        matter_type="report",
        matter_id=alert.report_id,
        detail={"event": "alert_escalated", "notified": [u.pk for u in supervisors]},
    )


@transaction.atomic(durable=True)
def alert_acknowledge(*, alert: Alert, actor: User, now: datetime | None = None) -> Alert:
    """Record that someone who was alerted is acting on it; escalation stops."""
    now = now or timezone.now()
    if not alert.notified.filter(pk=actor.pk).exists():
        raise PermissionDenied
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            record_type="intake.alert",
            record_id=alert.pk,
            matter_type="report",
            matter_id=alert.report_id,
            fields=["acknowledged_at"],
        )
    return alert
