"""Tasks, promises made to the survivor, and the daily reminders."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access.services import supervisors_of
from kinga.audit.models import AuditAction
from kinga.cases.models import (
    Case,
    CaseEvent,
    Promise,
    PromiseState,
    Task,
)
from kinga.cases.services.base import (
    _audit,
    _event,
    _label,
    _notify,
    _require,
)
from kinga.tasks.registry import periodic

if TYPE_CHECKING:
    from kinga.accounts.models import User


# --- tasks and promises -------------------------------------------------------------------------


def _current_member(case: Case, user: User) -> bool:
    return (
        case.team.filter(user=user)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
        .exists()
    )


@transaction.atomic(durable=True)
def task_create(
    *, case: Case, actor: User, title: str, assigned_to: User, due_on: datetime.date
) -> Task:
    """Give a team member a task with a due date; they are reminded when it falls due."""
    _require(actor, "create", case, "summary")
    if not _current_member(case, assigned_to):
        raise ValidationError({"assigned_to": _("Tasks go to members of the team.")})
    task = Task(
        case=case, created_by=actor, title=title.strip(), assigned_to=assigned_to, due_on=due_on
    )
    task.full_clean()
    task.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.TASK,
        gettext_noop("Task set, due %(date)s"),
        params={"date": due_on.isoformat()},
        record=task,
    )
    _audit(actor, task, fields=["title", "assigned_to", "due_on"])
    _notify([assigned_to], gettext_noop("You have a new task on case %(code)s."), case, actor)
    return task


@transaction.atomic(durable=True)
def task_complete(*, task: Task, actor: User) -> Task:
    case = task.case
    if actor.pk != task.assigned_to_id:
        _require(actor, "change", case, "summary")
    else:
        _require(actor, "view", case, "summary")
    if task.done_at is not None:
        raise ValidationError(_("This task is already done."))
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    _event(case, actor, CaseEvent.Kind.TASK, gettext_noop("Task done"), record=task)
    _audit(actor, task, action=AuditAction.CHANGE, fields=["done_at"])
    return task


# Not durable: referral_send records the referral's promise inside its transaction.
@transaction.atomic
def promise_make(
    *,
    case: Case,
    actor: User,
    kind: str,
    description: str,
    due_on: datetime.date,
    owner: User | None = None,
    source_type: str = "",
    source_id: object = "",
) -> Promise:
    """Record a commitment made to the survivor; it stays open until kept or explained."""
    _require(actor, "create", case, "summary")
    owner = owner or actor
    if not _current_member(case, owner):
        raise ValidationError({"owner": _("The person keeping it must be on the team.")})
    promise = Promise(
        case=case,
        created_by=actor,
        kind=kind,
        description=description.strip(),
        owner=owner,
        due_on=due_on,
        source_type=source_type,
        source_id=str(source_id) if source_id not in (None, "") else "",
    )
    promise.full_clean()
    promise.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.PROMISE,
        gettext_noop("Promise made: %(kind)s, by %(date)s"),
        params={"kind": _label(promise, "kind"), "date": due_on.isoformat()},
        record=promise,
    )
    _audit(actor, promise, fields=["kind", "description", "owner", "due_on"])
    return promise


def _promise_resolve(promise: Promise, actor: User, state: str, explanation: str) -> Promise:
    case = promise.case
    if actor.pk != promise.owner_id:
        _require(actor, "change", case, "summary")
    else:
        _require(actor, "view", case, "summary")
    if promise.state != PromiseState.OPEN:
        raise ValidationError(_("This promise is already resolved."))
    promise.state = state
    promise.resolved_at = timezone.now()
    promise.resolved_by = actor
    promise.explanation = explanation.strip()
    promise.save(update_fields=["state", "resolved_at", "resolved_by", "explanation"])
    _event(
        case,
        actor,
        CaseEvent.Kind.PROMISE,
        gettext_noop("Promise %(state)s: %(kind)s"),
        params={"state": _label(promise, "state"), "kind": _label(promise, "kind")},
        record=promise,
    )
    _audit(actor, promise, action=AuditAction.CHANGE, fields=["state", "explanation"])
    return promise


# Not durable: a referral's ending keeps its promise inside the referral's transaction.
@transaction.atomic
def promise_keep(*, promise: Promise, actor: User, note: str = "") -> Promise:
    """Mark a promise kept."""
    return _promise_resolve(promise, actor, PromiseState.KEPT, note)


# Not durable: a referral's ending explains its promise inside the referral's transaction.
@transaction.atomic
def promise_explain(*, promise: Promise, actor: User, explanation: str) -> Promise:
    """Close a promise that could not be kept, with what was explained to the child."""
    if not explanation.strip():
        raise ValidationError({"explanation": _("Say what happened and what the child was told.")})
    return _promise_resolve(promise, actor, PromiseState.EXPLAINED, explanation)


def case_reminders_send(*, today: datetime.date | None = None) -> int:
    """Notify owners and the supervisors of each case of overdue promises (once a day) and
    owners of tasks due today or overdue. Return how many promises were flagged."""
    from kinga.notifications.services import notify

    today = today or timezone.localdate()
    flagged = 0
    overdue = (
        Promise.objects.filter(state=PromiseState.OPEN, due_on__lt=today)
        .filter(Q(overdue_notified_on__isnull=True) | Q(overdue_notified_on__lt=today))
        .select_related("case", "owner")
    )
    for promise in overdue:
        with transaction.atomic():
            case = promise.case
            recipients = [promise.owner, *supervisors_of(matter=case.access_matter())]
            notify(
                recipients=recipients,
                message=gettext_noop("A promise made to the child on case %(code)s is overdue."),
                values={"code": case.code},
                link=reverse("cases:detail", kwargs={"case_id": case.pk}),
                kind="promise_overdue",
            )
            Promise.objects.filter(pk=promise.pk).update(overdue_notified_on=today)
            flagged += 1
    tasks = Task.objects.filter(done_at__isnull=True, due_on=today).select_related(
        "case", "assigned_to"
    )
    for task in tasks:
        notify(
            recipients=[task.assigned_to],
            message=gettext_noop("A task on case %(code)s is due today."),
            values={"code": task.case.code},
            link=reverse("cases:detail", kwargs={"case_id": task.case_id}),
            kind="task_due",
        )
    return flagged


REMINDERS_JOB = "cases.reminders"


@periodic(REMINDERS_JOB, every=datetime.timedelta(days=1))
def case_reminders_job(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Send the day's reminders; `kinga worker` runs this once a day from its schedule.

    It runs in the task's one transaction, so a failed or interrupted run leaves nothing
    behind and its retry sends each reminder once.
    """
    case_reminders_send(today=timezone.localdate(now))
