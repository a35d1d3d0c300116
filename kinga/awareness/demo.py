"""A year of awareness campaigns and events on the coast (synthetic).

Three campaigns, one of them for the beach and hotel sector, each with its reporting code,
and events across the coastal counties. Some of the demo's web reports are marked as
brought by a campaign's code, as if their reporters had come through a poster's address.
Idempotent: a second run finds the first campaign and does nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.utils import timezone

from kinga.accounts.models import Role, User
from kinga.awareness import services
from kinga.awareness.models import Campaign
from kinga.intake.models import Channel, Report
from kinga.places.models import Ward

CAMPAIGNS = [
    (
        "Linda Mtoto Pwani",
        "Mtoto si bidhaa. Ukiona mtoto anauzwa au kutumiwa vibaya, piga 116 bila malipo, "
        "au ripoti kwenye simu bila kutaja jina lako.",
        ["sw", "en", "nyf"],
        ["radio", "baraza", "worship"],
        "LINDAMTOTO",
        "116; *384*116#",
        360,
    ),
    (
        "Hoteli Salama kwa Watoto",
        "Hotel and beach staff: a child with a tourist is a child at risk. Tell us, "
        "anonymously, on 116 or the web form.",
        ["en", "sw"],
        ["beach_hotel", "social_media"],
        "HOTELI116",
        "116",
        240,
    ),
    (
        "Shule Salama",
        "Wanafunzi na walimu: mtu akikuahidi kazi au pesa mjini, mwambie mwalimu au piga 116.",
        ["sw"],
        ["schools"],
        "SHULE24",
        "116",
        150,
    ),
]

# (campaign index, days ago, event type, county, audiences, reach)
EVENTS = [
    (0, 330, "radio", "Mombasa", ["public"], 40000),
    (0, 300, "baraza", "Kilifi", ["parents", "public"], 350),
    (0, 270, "worship", "Kwale", ["faith", "parents"], 600),
    (0, 200, "baraza", "Lamu", ["parents", "public"], 220),
    (0, 160, "baraza", "Tana River", ["public"], 180),
    (0, 100, "radio", "Kilifi", ["public"], 25000),
    (1, 230, "beach_hotel", "Kwale", ["tourism"], 120),
    (1, 190, "beach_hotel", "Kilifi", ["tourism", "transport"], 90),
    (1, 130, "social_media", "Mombasa", ["public"], 15000),
    (1, 70, "beach_hotel", "Mombasa", ["tourism"], 140),
    (2, 140, "school", "Mombasa", ["children", "teachers"], 800),
    (2, 110, "school", "Kwale", ["children", "teachers"], 650),
    (2, 80, "school", "Taita-Taveta", ["children", "teachers"], 500),
    (2, 45, "school", "Kilifi", ["children", "teachers"], 720),
]


def load(*, out: Callable[[str], None]) -> None:
    """Load the campaigns and their events once."""
    trainer = User.objects.filter(username="trainer").first()
    if trainer is None or not trainer.has_role(Role.TRAINER):
        out("    no demo trainer: skipped")
        return
    if Campaign.objects.filter(name=CAMPAIGNS[0][0]).exists():
        out("    campaigns already loaded")
        return
    rng = random.Random(18)  # noqa: S311  # demo data, not secrets
    today = timezone.localdate()
    campaigns = [
        services.campaign_create(
            actor=trainer,
            name=name,
            message=message,
            languages=languages,
            channels=channels,
            starts_on=today - dt.timedelta(days=days_ago),
            ends_on=None,
            reporting_code=code,
            promoted_numbers=numbers,
            # the first campaign has its own USSD channel, printed on its posters
            ussd_code="*384*2024#" if code == "LINDAMTOTO" else "",
        )
        for name, message, languages, channels, code, numbers, days_ago in CAMPAIGNS
    ]
    for index, days_ago, event_type, county, audiences, reach in EVENTS:
        wards = list(Ward.objects.filter(sub_county__county__name=county).order_by("pk")[:40])
        services.event_record(
            actor=trainer,
            campaign=campaigns[index],
            held_on=today - dt.timedelta(days=days_ago),
            event_type=event_type,
            ward=rng.choice(wards),
            audiences=audiences,
            estimated_reach=reach,
            materials="Posters and leaflets in Kiswahili and English with the campaign's code",
            facilitators="Pwani Judicial Training Centre outreach team",
        )
    # Demo only: as if some web reporters had come through a poster's ?c= address.
    web = list(
        Report.objects.filter(channel=Channel.WEB, campaign_code="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    tagged = 0
    for pk in web:
        if rng.random() < 0.35:
            Report.objects.filter(pk=pk).update(campaign_code=rng.choice(campaigns).reporting_code)
            tagged += 1
    out(f"    {len(campaigns)} campaigns, {len(EVENTS)} events, {tagged} reports with a code")
