"""Medians by group: the middle value, or the mean of the middle two, of each group's values,
values missing left out; the same on both databases."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import F
from django.utils import timezone

from kinga.insights.measures import count_and_median, medians_by
from kinga.insights.models import ReportPath
from kinga.insights.services import paths_refresh
from kinga.intake.models import Channel, Report
from kinga.places.models import County

pytestmark = pytest.mark.django_db


def _reports(county: County, triage_days: list[float | None]) -> None:
    received = timezone.now() - datetime.timedelta(days=40)
    for days in triage_days:
        Report.objects.create(
            channel=Channel.WEB,
            received_at=received,
            county=county,
            narrative="-",
            decided_at=None if days is None else received + datetime.timedelta(days=days),
        )


def test_each_group_has_the_median_of_its_own_values_and_their_count() -> None:
    kwale, mombasa = County.objects.get(name="Kwale"), County.objects.get(name="Mombasa")
    _reports(kwale, [10, 1, 3, 2])  # even: the mean of 2 and 3
    _reports(mombasa, [9, None, 1, 5])  # odd once the untriaged one is left out: 5
    paths_refresh()
    found = medians_by(
        ReportPath.objects.all(), "county_id", {"triaged": "triage_days", "case": "case_days"}
    )
    assert found[kwale.pk]["triaged"] == (pytest.approx(2.5), 4)
    assert found[mombasa.pk]["triaged"] == (pytest.approx(5.0), 3)
    # no case was opened: no median, of nothing
    assert found[kwale.pk]["case"] == (None, 0)
    assert set(found) == {kwale.pk, mombasa.pk}

    kwale_only = ReportPath.objects.filter(county_id=kwale.pk)
    assert count_and_median(kwale_only, F("triage_days")) == (4, pytest.approx(2.5))
    mombasa_only = ReportPath.objects.filter(county_id=mombasa.pk)
    # every row counted; the one without a value left out of the median
    assert count_and_median(mombasa_only, F("triage_days")) == (4, pytest.approx(5.0))
    assert count_and_median(ReportPath.objects.none(), F("triage_days")) == (0, None)
    assert medians_by(ReportPath.objects.none(), "county_id", {"triaged": "triage_days"}) == {}
