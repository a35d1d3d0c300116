"""Helpers every case service shares: policy checks, timeline events, audit, notices."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import (
    Case,
    CaseEvent,
    InCase,
)

if TYPE_CHECKING:
    from kinga.accounts.models import User

# An assessed or apparent age carries this much doubt: below 18 + margin, presume a child.
AGE_MARGIN_YEARS = 2


# --- helpers ---------------------------------------------------------------------------------


def _require(actor: User, action: str, case: Case, section: str) -> None:
    policy.require(actor, action, case, section, record_type="cases.case", record_id=case.pk)


def _require_role(actor: User, *roles: str) -> None:
    if not actor.has_role(*roles):
        raise PermissionDenied(_("Your role cannot do this on a case."))


def _label(record: models.Model, field: str) -> Any:
    """Return the translatable (lazy) label of a choice field's value."""
    value = getattr(record, field)
    choices = getattr(record._meta.get_field(field), "flatchoices", ())
    return dict(choices).get(value, value)


def _event(
    case: Case,
    actor: User,
    kind: str,
    summary: str,
    *,
    params: dict[str, Any] | None = None,
    section: str = "summary",
    record: InCase | None = None,
    happened_on: datetime.date | None = None,
) -> CaseEvent:
    """Add a timeline event. `summary` is an English message id (marked with
    gettext_noop) and `params` its values: both are stored in English and translated when
    the timeline is read, so each reader sees the timeline in their own language.
    `happened_on` is the day the record says it happened (a session held last week); the
    timeline is ordered by it, with the moment it was entered beside. Without it, the
    event happened as it was entered."""
    with translation.override("en"):
        stored = {
            name: value if isinstance(value, int) else str(value)
            for name, value in (params or {}).items()
        }
    event = CaseEvent(
        case=case,
        created_by=actor,
        kind=kind,
        event_section=section,
        summary=summary[:200],
        params=stored,
        record_type=record._meta.label_lower if record is not None else "",
        record_id=record.pk if record is not None else None,
    )
    if happened_on is not None:
        event.occurred_on = happened_on
    event.save(force_insert=True)
    return event


def _audit(
    actor: User,
    record: InCase | Case,
    *,
    action: str = AuditAction.CREATE,
    fields: Iterable[str] = (),
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    case_id = record.pk if isinstance(record, Case) else record.case_id
    audit_record(
        action=action,
        actor=actor,
        record_type=record._meta.label_lower,
        record_id=record.pk,
        matter_type=MatterType.CASE,
        matter_id=case_id,
        fields=fields,
        reason=reason,
        detail=detail,
    )


def _touch(case: Case, **changes: Any) -> None:
    for name, value in changes.items():
        setattr(case, name, value)
    case.updated_at = timezone.now()
    case.full_clean()
    case.save(update_fields=[*changes, "updated_at"])


def _notify(users: Iterable[User], message: str, case: Case, actor: User | None) -> None:
    """Tell these people (never the actor) about the case, by its code: `message` is marked
    with `gettext_noop` and may use %(code)s; it is rendered in each reader's language."""
    recipients = [user for user in users if actor is None or user.pk != actor.pk]
    if not recipients:
        return
    from kinga.notifications.services import notify

    link = reverse("cases:detail", kwargs={"case_id": case.pk})
    # In the change's transaction (CONTRIBUTING, "Side effects"): they commit together.
    notify(
        recipients=recipients,
        message=message,
        values={"code": case.code},
        link=link,
        kind="case",
        actor=actor,
    )
