"""Reads of the data protection registers, given the viewer; each read of a record audited.

The registers are the data protection officer's (capability `dataprotection.manage`): nobody
else lists or opens them, and a refusal is the same audited 404 as a record that is not there.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kinga.access.policy import can_do, deny
from kinga.accounts.home import WorkCount
from kinga.accounts.models import Agency, User
from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import audit_record
from kinga.dataprotection.models import Breach, BreachMatter, BreachStatus, LegalHold
from kinga.dataprotection.services import (
    Planned,
    ScheduleRow,
    kept_past_period,
    retention_plan,
    schedule,
)

MANAGE = "dataprotection.manage"

# The actions that show a record to someone: what a breach's scope asks about.
SEEING_ACTIONS = (AuditAction.VIEW, AuditAction.LIST, AuditAction.EXPORT, AuditAction.SEARCH)


def can_manage(viewer: User) -> bool:
    """Return whether the viewer keeps the registers (a data protection officer)."""
    return can_do(viewer, MANAGE)


def refuse(
    viewer: User, *, record_type: str, record_id: object = "", action: str = "view"
) -> Http404:
    """Audit a refusal and return the 404 that says nothing about the record."""
    return deny(viewer, record_type=record_type, record_id=record_id, action=action)


def _officer_or_404(viewer: User, *, record_type: str, record_id: object = "") -> None:
    if not can_do(viewer, MANAGE):
        raise deny(viewer, record_type=record_type, record_id=record_id, action="list")


def breach_list(*, viewer: User) -> list[Breach]:
    """Return every breach, open first and the nearest deadline first; audit the list read."""
    _officer_or_404(viewer, record_type="dataprotection.breach")
    breaches: list[Breach] = list(
        Breach.objects.select_related("agency")
        .defer("description", "assessment", "delay_reason")
        .annotate(matter_count=Count("matters"))
        .order_by("status", "discovered_at")
    )
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="dataprotection.breach",
        detail={"count": len(breaches)},
    )
    return breaches


def breach_get(*, viewer: User, breach_id: int, audit: bool = True) -> Breach:
    """Return the breach for an officer (audited as a view); an audited 404 for anyone else."""
    _officer_or_404(viewer, record_type="dataprotection.breach", record_id=breach_id)
    breach = Breach.objects.select_related("agency", "recorded_by").filter(pk=breach_id).first()
    if breach is None:
        raise deny(viewer, record_type="dataprotection.breach", record_id=breach_id)
    if audit:
        audit_record(
            action=AuditAction.VIEW,
            actor=viewer,
            record_type="dataprotection.breach",
            record_id=breach.pk,
            fields=["description", "assessment"],
        )
    return breach


def breach_matters(*, breach: Breach) -> QuerySet[BreachMatter]:
    """Return the matters named on a breach the caller already holds (through breach_get)."""
    return breach.matters.all()


@dataclass(frozen=True)
class ScopeRow:
    """Who saw the breach's records in the period: one actor, one action, how often."""

    actor_label: str
    agency: str
    action: str
    matters: int
    times: int
    first: datetime.datetime
    last: datetime.datetime


def breach_scope(
    *,
    viewer: User,
    breach: Breach,
    since: datetime.datetime,
    until: datetime.datetime,
) -> list[ScopeRow]:
    """Return who saw, listed, searched or exported the breach's matters between two times.

    From the audit log's metadata only (who, when, what, how often), never a record's
    content; the read is itself audited on the breach.
    """
    _officer_or_404(viewer, record_type="dataprotection.breach", record_id=breach.pk)
    pairs = list(breach.matters.values_list("matter_type", "matter_id"))
    if not pairs:
        return []
    where = Q()
    for matter_type, matter_id in pairs:
        where |= Q(matter_type=matter_type, matter_id=matter_id)
    rows = (
        AuditEvent.objects.filter(where, at__gte=since, at__lte=until, action__in=SEEING_ACTIONS)
        .values("actor_id", "actor_label", "agency_id_at_time", "action")
        .annotate(
            times=Count("pk"),
            matters=Count("matter_id", distinct=True),
            first=Min("at"),
            last=Max("at"),
        )
        .order_by("-times", "actor_label")
    )
    agencies = dict(Agency.objects.values_list("pk", "name"))
    labels = dict(AuditAction.choices)
    audit_record(
        action=AuditAction.SEARCH,
        actor=viewer,
        record_type="dataprotection.breach",
        record_id=breach.pk,
        fields=["audit"],
        detail={"scope": "seen_by", "matters": len(pairs)},
    )
    return [
        ScopeRow(
            actor_label=row["actor_label"] or str(_("(no user)")),
            agency=agencies.get(row["agency_id_at_time"] or 0, ""),
            action=str(labels.get(row["action"], row["action"])),
            matters=row["matters"],
            times=row["times"],
            first=row["first"],
            last=row["last"],
        )
        for row in rows
    ]


def breach_notice(*, viewer: User, breach: Breach, to: str, language: str) -> str:
    """Draft the notice to the Data Commissioner ("commissioner") or the people ("subjects").

    Drafted from the record: what happened, when, how many, the risk, what was done, who to
    ask. The people's notice names no other person and no record. Audited as an export.
    """
    _officer_or_404(viewer, record_type="dataprotection.breach", record_id=breach.pk)
    if to not in ("commissioner", "subjects"):
        raise Http404
    steps = list(breach.actions.filter(step__in=["contained", "decision"]).order_by("at"))
    with translation.override(language):
        text = render_to_string(
            f"dataprotection/notice_{to}.txt",
            {
                "breach": breach,
                "steps": steps,
                "officer": viewer,
                "deadline": breach.commissioner_deadline,
                "matter_count": breach.matters.count(),
            },
        )
    audit_record(
        action=AuditAction.EXPORT,
        actor=viewer,
        record_type="dataprotection.breach",
        record_id=breach.pk,
        fields=["description", "assessment"],
        detail={"notice": to, "language": language},
    )
    return text


def home_work(*, viewer: User, today: datetime.date) -> list[WorkCount]:
    """Count, for a data protection officer, the breaches whose 72-hour clock runs."""
    if not can_do(viewer, MANAGE):
        return []
    running = Breach.objects.filter(
        status=BreachStatus.OPEN, commissioner_notified_at__isnull=True
    ).exclude(commissioner_notice_required=False)
    return [
        WorkCount(
            _("Breaches: the Data Commissioner's clock is running"),
            running.count(),
            reverse("dataprotection:breaches"),
            urgent=True,
        )
    ]


# --- Retention ---------------------------------------------------------------------------

FORECAST_DAYS = 30


@dataclass(frozen=True)
class ScheduleLine:
    """One kind of record on the schedule page, with what falls due now and next month."""

    row: ScheduleRow
    due_now: int
    next_month: int
    held: int
    past_period: int | None  # for the kinds the schedule only reviews


def retention_overview(
    *, viewer: User, now: datetime.datetime
) -> tuple[list[ScheduleLine], list[Planned]]:
    """Return the schedule with its counts, and the records that go within the next month.

    References only (case codes, report and message numbers); the read is audited.
    """
    _officer_or_404(viewer, record_type="dataprotection.retentionrule")
    horizon = now + datetime.timedelta(days=FORECAST_DAYS)
    due_now = retention_plan(now=now)
    by_horizon = retention_plan(now=horizon)
    already = {(item.kind.key, item.record_id) for item in due_now}
    coming = [item for item in by_horizon if (item.kind.key, item.record_id) not in already]
    kept = kept_past_period(now=now)
    lines = [
        ScheduleLine(
            row=row,
            due_now=sum(1 for i in due_now if i.kind.key == row.kind.key and not i.held),
            next_month=sum(1 for i in coming if i.kind.key == row.kind.key and not i.held),
            held=sum(1 for i in by_horizon if i.kind.key == row.kind.key and i.held),
            past_period=kept.get(row.kind.key),
        )
        for row in schedule()
    ]
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="dataprotection.retentionrule",
        detail={"forecast_days": FORECAST_DAYS, "records": len(by_horizon)},
    )
    return lines, by_horizon


def legal_holds(*, viewer: User) -> list[LegalHold]:
    """Return the live holds and the last lifted ones, with their reasons; audit the read."""
    _officer_or_404(viewer, record_type="dataprotection.legalhold")
    holds = list(
        LegalHold.objects.select_related("placed_by", "lifted_by").order_by(
            "lifted_at", "-placed_at"
        )[:200]
    )
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="dataprotection.legalhold",
        fields=["reason", "lift_reason"],
        detail={"count": len(holds)},
    )
    return holds


def legal_hold_get(*, viewer: User, hold_id: int) -> LegalHold:
    """Return a hold for an officer; an audited 404 for anyone else or none."""
    _officer_or_404(viewer, record_type="dataprotection.legalhold", record_id=hold_id)
    hold = LegalHold.objects.filter(pk=hold_id).first()
    if hold is None:
        raise deny(viewer, record_type="dataprotection.legalhold", record_id=hold_id)
    return hold
