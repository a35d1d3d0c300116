"""The hotspot map: counts by ward on the gazetteer's centroids, suppressed within their lines."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.insights import selectors
from kinga.insights.selectors import Filters
from kinga.insights.services import paths_refresh
from kinga.intake.models import Channel, Report
from kinga.places.models import County, Ward

pytestmark = pytest.mark.django_db


def _reports(ward: Ward, count: int) -> None:
    for _ in range(count):
        Report.objects.create(
            channel=Channel.WEB,
            county=ward.sub_county.county,
            sub_county=ward.sub_county,
            ward=ward,
            received_at=timezone.now() - datetime.timedelta(days=3),
        )


def test_the_map_counts_by_ward_and_hides_small_counts_with_a_complement(
    personas: Any, client_for: Any
) -> None:
    kwale = County.objects.get(name="Kwale")
    wards = list(Ward.objects.filter(sub_county__county=kwale).order_by("sub_county", "name"))
    first = wards[0]
    same_sub = [w for w in wards if w.sub_county_id == first.sub_county_id]
    _reports(same_sub[0], 12)
    _reports(same_sub[1], 2)  # below k
    _reports(same_sub[2], 7)
    paths_refresh()
    today = timezone.localdate()
    result = selectors.hotspot_map(
        viewer=personas.analyst,
        filters=Filters(start=today - datetime.timedelta(days=30), end=today, county_id=kwale.pk),
        measure="reports",
        level="ward",
    )
    spots = {spot.code: spot for spot in result.spots}
    assert spots[f"w{same_sub[0].pk}"].cell.value == 12
    assert spots[f"w{same_sub[1].pk}"].cell.hidden
    # the sub-county shows 21 elsewhere: 7 is hidden too, so 21 - 12 - 7 cannot give the 2
    assert spots[f"w{same_sub[2].pk}"].cell.hidden
    assert result.total.value == 21
    assert len(result.background) == len(wards)
    response = client_for(personas.analyst).get(
        "/insights/map/",
        {
            "start": (today - datetime.timedelta(days=30)).isoformat(),
            "end": today.isoformat(),
            "county": kwale.pk,
            "level": "sub_county",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and same_sub[0].sub_county.name in body
    assert response.context["hotspots"].level == "sub_county"
    assert AuditEvent.objects.filter(record_type="insights.dashboard", record_id="map").exists()
    # nothing on the page is fetched from elsewhere
    assert "http://" not in body.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in body


def test_the_map_is_closed_to_roles_that_count_nothing(personas: Any, client_for: Any) -> None:
    for user in [personas.caseworker, personas.investigator, personas.admin, None]:
        assert client_for(user).get("/insights/map/").status_code in (302, 404)
    assert client_for(personas.supervisor).get("/insights/map/").status_code == 200
