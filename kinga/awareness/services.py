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
from kinga.awareness.for_intake import codes_forget
from kinga.awareness.models import Campaign, Event
from kinga.intake.models import Report, campaign_code_normalise

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
    ussd_code: str = "",
) -> Campaign:
    if not may_manage(actor) or actor.agency is None:
        raise deny(actor, record_type="awareness.campaign", record_id="", action="create")
    campaign = Campaign(
        name=name.strip(),
        message=message.strip(),
        languages=sorted(set(languages)),
        channels=sorted(set(channels)),
        starts_on=starts_on,
        ends_on=ends_on,
        reporting_code=_code(reporting_code),
        promoted_numbers=promoted_numbers.strip(),
        ussd_code="".join(ussd_code.split()),
        agency=actor.agency,
        created_by=actor,
    )
    campaign.full_clean()
    campaign.save()
    codes_forget()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="awareness.campaign",
        record_id=campaign.pk,
        fields=["name", "message", "languages", "channels", "dates", "reporting_code", "ussd_code"],
    )
    return campaign


def _code(reporting_code: str) -> str:
    """Return the reporting code as stored; refuse one that cannot be a code."""
    code = campaign_code_normalise(reporting_code) if reporting_code.strip() else ""
    if reporting_code.strip() and not code:
        raise ValidationError(
            {
                "reporting_code": _(
                    "Use 2 to 16 capital letters and digits, with no spaces, e.g. PWANI24."
                )
            }
        )
    return code


# What a campaign's edit may change, as the audit names it.
CAMPAIGN_FIELDS = (
    "name",
    "message",
    "languages",
    "channels",
    "starts_on",
    "ends_on",
    "reporting_code",
    "promoted_numbers",
    "ussd_code",
)


@transaction.atomic(durable=True)
def campaign_update(
    *,
    actor: User,
    campaign: Campaign,
    name: str,
    message: str,
    languages: list[str],
    channels: list[str],
    starts_on: dt.date,
    ends_on: dt.date | None,
    reporting_code: str = "",
    promoted_numbers: str = "",
    ussd_code: str = "",
) -> Campaign:
    """Change a campaign. Its reporting code cannot change once reports carry it (they
    would stop counting for it); the audit names the fields changed, never their values."""
    if not may_manage(actor, campaign):
        raise deny(actor, record_type="awareness.campaign", record_id=campaign.pk, action="change")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = {name_: getattr(campaign, name_) for name_ in CAMPAIGN_FIELDS}
    code = _code(reporting_code)
    if (
        before["reporting_code"]
        and code != before["reporting_code"]
        and Report.objects.filter(campaign_code=before["reporting_code"]).exists()
    ):
        raise ValidationError(
            {
                "reporting_code": _(
                    "Reports already carry this code: it cannot change. Start a new "
                    "campaign for a new code."
                )
            }
        )
    campaign.name = name.strip()
    campaign.message = message.strip()
    campaign.languages = sorted(set(languages))
    campaign.channels = sorted(set(channels))
    campaign.starts_on = starts_on
    campaign.ends_on = ends_on
    campaign.reporting_code = code
    campaign.promoted_numbers = promoted_numbers.strip()
    campaign.ussd_code = "".join(ussd_code.split())
    campaign.full_clean()
    changed = [name_ for name_ in CAMPAIGN_FIELDS if getattr(campaign, name_) != before[name_]]
    if not changed:
        return campaign
    campaign.save(update_fields=changed)
    codes_forget()
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="awareness.campaign",
        record_id=campaign.pk,
        fields=changed,
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


@transaction.atomic
def event_record_from_field(
    *,
    campaign: Campaign,
    held_on: dt.date,
    event_type: str,
    ward: Ward,
    audiences: list[str],
    adults: int,
    young_people: int,
    topics: str,
    collected_by: str,
    actor_label: str,
) -> Event:
    """Record an event a volunteer counted in the field (ODK Collect); its reach is the
    people counted. Joins the caller's transaction: the submission that carries it is
    stored with it (`kinga.collect`), which keeps it from being filed twice.

    `collected_by` names the volunteer by code and agency, `actor_label` in the audit log
    (a code, never a name)."""
    event = Event(
        campaign=campaign,
        held_on=held_on,
        event_type=event_type,
        ward=ward,
        audiences=sorted(set(audiences)),
        estimated_reach=adults + young_people,
        adults=adults,
        young_people=young_people,
        topics=topics.strip(),
        collected_by=collected_by[:200],
    )
    event.full_clean()
    event.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=None,
        actor_label=actor_label,
        record_type="awareness.event",
        record_id=event.pk,
        fields=["held_on", "event_type", "ward", "audiences", "adults", "young_people", "topics"],
        detail={"campaign": campaign.pk},
    )
    return event
