"""The breach register's writes (Data Protection Act 2019 s.43) and the clock's reminders."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access.models import MatterType
from kinga.access.policy import Matter, can_do
from kinga.accounts.models import Agency, Role, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import Case
from kinga.dataprotection.models import (
    Breach,
    BreachAction,
    BreachMatter,
    BreachRisk,
    BreachStatus,
    BreachStep,
)
from kinga.intake.models import Report
from kinga.justice.models import Incident
from kinga.lib.reasons import reason_clean
from kinga.notifications.services import notify
from kinga.tasks.registry import periodic

# The clock's reminders, by hours left before the 72 hours run out; the last is "overdue".
REMINDER_HOURS_LEFT = (48, 24, 6, 0)

REMINDERS_JOB = "dataprotection.breach_clock"


def officer_require(actor: User) -> None:
    """Refuse anyone but a data protection officer (audited, as every refusal is)."""
    if can_do(actor, "dataprotection.manage"):
        return
    audit_record(
        action=AuditAction.DENIED,
        actor=actor,
        record_type="dataprotection.breach",
        detail={"wanted": "dataprotection.manage"},
    )
    raise PermissionDenied(_("Only a data protection officer may do this."))


def officers() -> QuerySet[User]:
    """Return the active data protection officers."""
    return User.objects.filter(is_active=True, roles__role=Role.DATA_PROTECTION_OFFICER).distinct()


def _next_code(year: int) -> str:
    prefix = f"BR-{year}-"
    last = (
        Breach.objects.select_for_update()
        .filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _step(breach: Breach, step: str, actor: User, note: str = "") -> BreachAction:
    action = BreachAction(breach=breach, step=step, note=note, actor=actor)
    action.full_clean()
    action.save()
    return action


@transaction.atomic(durable=True)
def breach_record(
    *,
    actor: User,
    kind: str,
    description: str,
    discovered_at: datetime.datetime,
    occurred_from: datetime.datetime | None = None,
    occurred_until: datetime.datetime | None = None,
    agency: Agency | None = None,
    children_affected: int = 0,
    people_affected: int = 0,
    records_affected: int = 0,
) -> Breach:
    """Record a suspected breach; its 72-hour clock runs from `discovered_at`."""
    officer_require(actor)
    breach = Breach(
        code=_next_code(timezone.localdate().year),
        kind=kind,
        description=reason_clean(description, field="description"),
        discovered_at=discovered_at,
        occurred_from=occurred_from,
        occurred_until=occurred_until,
        agency=agency,
        children_affected=children_affected,
        people_affected=people_affected,
        records_affected=records_affected,
        recorded_by=actor,
    )
    breach.full_clean()
    breach.save()
    _step(breach, BreachStep.RECORDED, actor)
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="dataprotection.breach",
        record_id=breach.pk,
        fields=[
            "kind",
            "description",
            "discovered_at",
            "occurred_from",
            "occurred_until",
            "agency",
            "children_affected",
            "people_affected",
            "records_affected",
        ],
        detail={"code": breach.code, "kind": kind},
    )
    # Every officer sees the new clock at once, the one who recorded it included.
    notify(
        recipients=officers(),
        message=gettext_noop(
            "Breach %(code)s was recorded: the Data Commissioner must be notified within "
            "72 hours unless it is assessed as unlikely to harm anyone."
        ),
        values={"code": breach.code},
        link=reverse("dataprotection:breach", kwargs={"breach_id": breach.pk}),
        kind="breach",
        actor=actor,
    )
    return breach


_REPORT_REFERENCE = re.compile(r"^(?:report|ripoti|r)[\s#:-]*(\d{1,12})$", re.IGNORECASE)


def matter_by_reference(reference: str) -> tuple[Matter, str] | None:
    """Return the matter a reference names (a case code, an incident code, "report 12")."""
    reference = reference.strip()
    if not reference:
        return None
    case = Case.objects.filter(code__iexact=reference).values_list("pk", "code").first()
    if case is not None:
        return Matter(type=MatterType.CASE, id=case[0]), case[1]
    incident = Incident.objects.filter(code__iexact=reference).values_list("pk", "code").first()
    if incident is not None:
        return Matter(type=MatterType.INCIDENT, id=incident[0]), incident[1]
    match = _REPORT_REFERENCE.match(reference)
    if match and Report.objects.filter(pk=int(match.group(1))).exists():
        return Matter(type=MatterType.REPORT, id=int(match.group(1))), f"R-{match.group(1)}"
    return None


@transaction.atomic(durable=True)
def breach_matter_add(*, actor: User, breach: Breach, reference: str) -> BreachMatter:
    """Name a case, incident or report the breach touched, by its reference."""
    officer_require(actor)
    found = matter_by_reference(reference)
    if found is None:
        raise ValidationError(
            {
                "reference": _(
                    "No case, incident or report has this reference. Enter a case code, an "
                    "incident code, or a report as “report 123”."
                )
            }
        )
    matter, label = found
    if BreachMatter.objects.filter(
        breach=breach, matter_type=matter.type, matter_id=matter.id
    ).exists():
        raise ValidationError({"reference": _("This record is already on the breach.")})
    row = BreachMatter(breach=breach, matter_type=matter.type, matter_id=matter.id, reference=label)
    row.full_clean()
    row.save()
    _step(breach, BreachStep.MATTER_ADDED, actor)
    # On the matter's own trail too: its supervisors see that the officer named it.
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="dataprotection.breachmatter",
        record_id=row.pk,
        matter_type=matter.type,
        matter_id=matter.id,
        fields=["matter_type", "matter_id"],
        detail={"breach": breach.pk},
    )
    return row


@transaction.atomic(durable=True)
def breach_assess(
    *,
    actor: User,
    breach: Breach,
    risk: str,
    assessment: str,
    commissioner_notice_required: bool,
    subjects_notice_required: bool,
) -> Breach:
    """Record the assessment of risk, and whether the Commissioner and the people are told.

    Ruling out the notice to the Commissioner stops the clock, so it needs the risk assessed
    as unlikely to harm anyone; a real risk always keeps it running.
    """
    officer_require(actor)
    if breach.status != BreachStatus.OPEN:
        raise ValidationError(_("This breach is closed."))
    errors: dict[str, str] = {}
    if risk == BreachRisk.UNASSESSED:
        errors["risk"] = _("Choose how likely it is to harm the people affected.")
    elif risk != BreachRisk.NO_RISK and not commissioner_notice_required:
        errors["commissioner_notice_required"] = _(
            "A breach that may harm someone is notified to the Data Commissioner (s.43)."
        )
    if errors:
        raise ValidationError(errors)
    breach.risk = risk
    breach.assessment = reason_clean(assessment, field="assessment")
    breach.commissioner_notice_required = commissioner_notice_required
    breach.subjects_notice_required = subjects_notice_required
    breach.assessed_at = timezone.now()
    breach.full_clean()
    fields = [
        "risk",
        "assessment",
        "commissioner_notice_required",
        "subjects_notice_required",
        "assessed_at",
    ]
    breach.save(update_fields=fields)
    _step(breach, BreachStep.ASSESSED, actor)
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="dataprotection.breach",
        record_id=breach.pk,
        fields=fields,
        detail={
            "risk": risk,
            "commissioner": commissioner_notice_required,
            "subjects": subjects_notice_required,
        },
    )
    return breach


@transaction.atomic(durable=True)
def breach_note(*, actor: User, breach: Breach, step: str, note: str) -> BreachAction:
    """Record a step taken (contained, a decision) with what was done and why."""
    officer_require(actor)
    if step not in (BreachStep.CONTAINED, BreachStep.DECISION):
        raise ValidationError({"step": _("Choose contained or a decision.")})
    if breach.status != BreachStatus.OPEN:
        raise ValidationError(_("This breach is closed."))
    action = _step(breach, step, actor, reason_clean(note, field="note"))
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="dataprotection.breachaction",
        record_id=action.pk,
        fields=["note"],
        detail={"breach": breach.pk, "step": step},
    )
    return action


@transaction.atomic(durable=True)
def breach_commissioner_notified(
    *,
    actor: User,
    breach: Breach,
    notified_at: datetime.datetime,
    reference: str = "",
    delay_reason: str = "",
) -> Breach:
    """Record that the Data Commissioner was notified; after 72 hours, say why so late."""
    officer_require(actor)
    if breach.commissioner_notified_at is not None:
        raise ValidationError(_("The Data Commissioner's notice is already recorded."))
    if notified_at < breach.discovered_at:
        raise ValidationError(
            {"notified_at": _("The notice cannot come before you became aware of the breach.")}
        )
    breach.commissioner_notified_at = notified_at
    breach.commissioner_reference = reference.strip()
    if breach.notified_late():
        breach.delay_reason = reason_clean(delay_reason, field="delay_reason")
    breach.full_clean()
    fields = ["commissioner_notified_at", "commissioner_reference", "delay_reason"]
    breach.save(update_fields=fields)
    _step(breach, BreachStep.COMMISSIONER_NOTIFIED, actor)
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="dataprotection.breach",
        record_id=breach.pk,
        fields=fields,
        detail={"late": breach.notified_late()},
    )
    return breach


@transaction.atomic(durable=True)
def breach_subjects_notified(
    *, actor: User, breach: Breach, notified_at: datetime.datetime, note: str
) -> Breach:
    """Record that the people affected were told, and how (through whom, for a child)."""
    officer_require(actor)
    if breach.subjects_notified_at is not None:
        raise ValidationError(_("Telling the people affected is already recorded."))
    breach.subjects_notified_at = notified_at
    breach.full_clean()
    breach.save(update_fields=["subjects_notified_at"])
    _step(breach, BreachStep.SUBJECTS_NOTIFIED, actor, reason_clean(note, field="note"))
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="dataprotection.breach",
        record_id=breach.pk,
        fields=["subjects_notified_at"],
    )
    return breach


@transaction.atomic(durable=True)
def breach_close(*, actor: User, breach: Breach, note: str) -> Breach:
    """Close the breach once what the law asks is done: assessed, and every notice owed given."""
    officer_require(actor)
    if breach.status != BreachStatus.OPEN:
        raise ValidationError(_("This breach is already closed."))
    missing: list[str] = []
    if breach.risk == BreachRisk.UNASSESSED:
        missing.append(_("assess it"))
    if breach.commissioner_notice_required and breach.commissioner_notified_at is None:
        missing.append(_("record the notice to the Data Commissioner"))
    if breach.subjects_notice_required and breach.subjects_notified_at is None:
        missing.append(_("record that the people affected were told"))
    if missing:
        raise ValidationError(
            _("Before closing: %(steps)s.") % {"steps": "; ".join(str(m) for m in missing)}
        )
    breach.status = BreachStatus.CLOSED
    breach.closed_at = timezone.now()
    breach.full_clean()
    breach.save(update_fields=["status", "closed_at"])
    _step(breach, BreachStep.CLOSED, actor, reason_clean(note, field="note"))
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="dataprotection.breach",
        record_id=breach.pk,
        fields=["status", "closed_at"],
        detail={"status": BreachStatus.CLOSED},
    )
    return breach


def reminders_due(breach: Breach, now: datetime.datetime) -> int:
    """Return how many of the clock's reminders are due by now (whether sent or not)."""
    if not breach.clock_running:
        return 0
    left = breach.hours_left(now)
    return sum(1 for hours in REMINDER_HOURS_LEFT if left <= hours)


@transaction.atomic
def breach_reminders_send(*, now: datetime.datetime) -> int:
    """Remind every officer of each open breach whose clock crossed a mark; return how many.

    Each mark is sent once (`reminders_sent`), so a second run at the same time sends nothing.
    """
    sent = 0
    people = list(officers())
    running = Breach.objects.select_for_update().filter(
        status=BreachStatus.OPEN, commissioner_notified_at__isnull=True
    )
    for breach in running:
        due = reminders_due(breach, now)
        if due <= breach.reminders_sent:
            continue
        link = reverse("dataprotection:breach", kwargs={"breach_id": breach.pk})
        if breach.hours_left(now) <= 0:
            message = gettext_noop(
                "Breach %(code)s: the 72 hours to notify the Data Commissioner have run out. "
                "Notify now and record why it is late."
            )
            values: dict[str, str | int] = {"code": breach.code}
        else:
            message = gettext_noop(
                "Breach %(code)s: %(hours)s hours left to notify the Data Commissioner."
            )
            values = {"code": breach.code, "hours": max(1, int(breach.hours_left(now)))}
        notify(
            recipients=people,
            message=message,
            values=values,
            link=link,
            kind="breach_clock",
            deliver_by=("sms", "email"),
        )
        breach.reminders_sent = due
        breach.save(update_fields=["reminders_sent"])
        sent += 1
    if sent:
        audit_record(
            action=AuditAction.SYSTEM,
            actor=None,
            record_type="dataprotection.breach",
            fields=["reminders_sent"],
            detail={"job": REMINDERS_JOB, "reminded": sent},
        )
    return sent


@periodic(REMINDERS_JOB, every=datetime.timedelta(minutes=30))
def breach_clock_job(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Remind the officers of the breaches whose 72 hours are running out."""
    breach_reminders_send(now=now)
