"""Writes of awareness: campaigns and their events. One transaction and one audit event
each; only holders of `awareness.manage` write, a supervisor only for their own agency."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kinga.access.policy import can_do, deny
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.awareness.models import Campaign, Event
from kinga.intake.models import campaign_code_normalise

if TYPE_CHECKING:
    from kinga.accounts.models import User
    from kinga.places.models import Ward


def may_manage(actor: User, campaign: Campaign | None = None) -> bool:
    """Return whether the actor may run campaigns (this one, when given): trainers any,
    others with `awareness.manage` those of their own agency."""
    if not can_do(actor, "awareness.manage"):
        return False
    if campaign is None or actor.has_role(Role.TRAINER):
        return True
    return actor.agency_id is not None and campaign.agency_id == actor.agency_id


@transaction.atomic(durable=True)
def campaign_create(
    *,
    actor: User,
    name: str,
    message: str,
    languages: list[str],
    channels: list[str],
    starts_on: dt.date,
    ends_on: dt.date | None,
    reporting_code: str = "",
    promoted_numbers: str = "",
) -> Campaign:
    if not may_manage(actor) or actor.agency is None:
        raise deny(actor, record_type="awareness.campaign", record_id="", action="create")
    code = campaign_code_normalise(reporting_code) if reporting_code.strip() else ""
    if reporting_code.strip() and not code:
        raise ValidationError(
            {
                "reporting_code": _(
                    "Use 2 to 16 capital letters and digits, with no spaces, e.g. PWANI24."
                )
            }
        )
    campaign = Campaign(
        name=name.strip(),
        message=message.strip(),
        languages=sorted(set(languages)),
        channels=sorted(set(channels)),
        starts_on=starts_on,
        ends_on=ends_on,
        reporting_code=code,
        promoted_numbers=promoted_numbers.strip(),
        agency=actor.agency,
        created_by=actor,
    )
    campaign.full_clean()
    campaign.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="awareness.campaign",
        record_id=campaign.pk,
        fields=["name", "message", "languages", "channels", "dates", "reporting_code"],
    )
    return campaign


@transaction.atomic(durable=True)
def event_record(
    *,
    actor: User,
    campaign: Campaign,
    held_on: dt.date,
    event_type: str,
    ward: Ward,
    audiences: list[str],
    estimated_reach: int,
    materials: str = "",
    facilitators: str = "",
) -> Event:
    """Record an event of the campaign that has been held."""
    if not may_manage(actor, campaign):
        raise deny(actor, record_type="awareness.campaign", record_id=campaign.pk, action="change")
    event = Event(
        campaign=campaign,
        held_on=held_on,
        event_type=event_type,
        ward=ward,
        audiences=sorted(set(audiences)),
        estimated_reach=estimated_reach,
        materials=materials.strip(),
        facilitators=facilitators.strip(),
        created_by=actor,
    )
    event.full_clean()
    event.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="awareness.event",
        record_id=event.pk,
        fields=["held_on", "event_type", "ward", "audiences", "estimated_reach"],
        detail={"campaign": campaign.pk},
    )
    return event
