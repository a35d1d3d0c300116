"""Reads of awareness, given the viewer: campaigns and events for holders of
`awareness.view`, with the reports that carry a campaign's code and the reports around an
event counted (never shown), every count below K suppressed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kinga.access.policy import can_do, deny
from kinga.awareness.models import Campaign, Event
from kinga.intake.models import Report
from kinga.places.models import SubCounty

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User

    Viewer = User | AnonymousUser | None

# Counts below K are shown as "fewer than K" (DESIGN.md 3.5: k = 5 inside the programme).
K = 5
# The weeks compared before and after an event.
WINDOW_WEEKS = 4


@dataclass(frozen=True)
class Figure:
    """A count as shown: the number, or suppressed when it is 1 to K - 1."""

    value: int

    @property
    def suppressed(self) -> bool:
        return 0 < self.value < K

    def __str__(self) -> str:
        return f"<{K}" if self.suppressed else str(self.value)


def _require(viewer: Viewer, *, record_type: str, record_id: object = "") -> None:
    if not can_do(viewer, "awareness.view"):
        raise deny(viewer, record_type=record_type, record_id=record_id, action="list")


def campaigns_for(*, viewer: Viewer) -> QuerySet[Campaign]:
    """Return every campaign with its number of events and their estimated reach."""
    _require(viewer, record_type="awareness.campaign")
    return Campaign.objects.select_related("agency").annotate(
        event_count=Count("events"), reach=Sum("events__estimated_reach")
    )


def campaign_get(*, viewer: Viewer, campaign_id: int) -> Campaign:
    _require(viewer, record_type="awareness.campaign", record_id=campaign_id)
    campaign = Campaign.objects.select_related("agency").filter(pk=campaign_id).first()
    if campaign is None:
        raise deny(viewer, record_type="awareness.campaign", record_id=campaign_id)
    return campaign


@dataclass
class CampaignPage:
    campaign: Campaign
    events: list[Event]
    reach: int
    reports_with_code: Figure
    reports_by_channel: list[tuple[str, Figure]]
    # a channel below K would be given away by the total less the others: none is shown
    by_channel_withheld: bool = False


def campaign_page(*, viewer: Viewer, campaign_id: int) -> CampaignPage:
    """Return a campaign, its events, and how many reports carried its code (by channel)."""
    campaign = campaign_get(viewer=viewer, campaign_id=campaign_id)
    events = list(
        Event.objects.filter(campaign=campaign).select_related("ward__sub_county__county")
    )
    by_channel: list[tuple[str, Figure]] = []
    total = 0
    if campaign.reporting_code:
        for channel, count in (
            Report.objects.filter(campaign_code=campaign.reporting_code)
            .values("channel")
            .annotate(n=Count("pk"))
            .values_list("channel", "n")
            .order_by("channel")
        ):
            by_channel.append((str(channel), Figure(count)))
            total += count
    withheld = any(figure.suppressed for _channel, figure in by_channel) and len(by_channel) > 1
    return CampaignPage(
        campaign=campaign,
        events=events,
        reach=sum(event.estimated_reach for event in events),
        reports_with_code=Figure(total),
        reports_by_channel=[] if withheld else by_channel,
        by_channel_withheld=withheld,
    )


@dataclass
class Comparison:
    """Reports in the event's sub-county in the weeks before and after it, beside the mean
    of the same weeks in the county's sub-counties that had no event then."""

    event: Event
    before_start: dt.date
    after_end: dt.date
    area_before: Figure
    area_after: Figure
    others: int
    others_before: float | None
    others_after: float | None
    others_before_total: Figure
    others_after_total: Figure


def event_page(*, viewer: Viewer, event_id: int) -> Comparison:
    """Return an event with the comparison of reports around it (four queries)."""
    _require(viewer, record_type="awareness.event", record_id=event_id)
    event = (
        Event.objects.select_related("campaign", "ward__sub_county__county")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        raise deny(viewer, record_type="awareness.event", record_id=event_id)
    window = dt.timedelta(weeks=WINDOW_WEEKS)
    day = event.held_on
    before_start, after_end = day - window, day + window
    sub_county = event.ward.sub_county
    county_id = sub_county.county_id
    with_events = set(
        Event.objects.filter(
            ward__sub_county__county_id=county_id,
            held_on__gte=before_start - window,
            held_on__lt=after_end,
        ).values_list("ward__sub_county_id", flat=True)
    )
    others = [
        pk
        for pk in SubCounty.objects.filter(county_id=county_id).values_list("pk", flat=True)
        if pk not in with_events
    ]
    tz = timezone.get_current_timezone()

    def moment(value: dt.date) -> dt.datetime:
        return dt.datetime.combine(value, dt.time(0, 0), tzinfo=tz)

    counts = {
        sub: (before, after)
        for sub, before, after in Report.objects.filter(
            sub_county_id__in=[sub_county.pk, *others],
            received_at__gte=moment(before_start),
            received_at__lt=moment(after_end),
        )
        .values("sub_county_id")
        .annotate(
            before=Count("pk", filter=Q(received_at__lt=moment(day))),
            after=Count("pk", filter=Q(received_at__gte=moment(day))),
        )
        .values_list("sub_county_id", "before", "after")
    }
    area_before, area_after = counts.get(sub_county.pk, (0, 0))
    others_before = sum(counts.get(pk, (0, 0))[0] for pk in others)
    others_after = sum(counts.get(pk, (0, 0))[1] for pk in others)
    return Comparison(
        event=event,
        before_start=before_start,
        after_end=after_end,
        area_before=Figure(area_before),
        area_after=Figure(area_after),
        others=len(others),
        others_before=others_before / len(others) if others else None,
        others_after=others_after / len(others) if others else None,
        others_before_total=Figure(others_before),
        others_after_total=Figure(others_after),
    )


def campaigns_for_field(*, today: dt.date) -> list[tuple[int, str]]:
    """Return the campaigns a volunteer may record an event of (id, name): those running,
    or ended within the last 90 days (events are sent in late from the field). Names
    only, for the field form's list: nothing here is about a report."""
    since = today - dt.timedelta(days=90)
    return list(
        Campaign.objects.filter(starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=since))
        .order_by("name")
        .values_list("pk", "name")
    )
