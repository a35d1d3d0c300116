"""The wellbeing check: its scoring, bands, setbacks and chart layout."""

from __future__ import annotations

import pytest

from kinga.cases import wellbeing


def test_six_items_in_both_languages() -> None:
    assert len(wellbeing.ITEMS) == wellbeing.ITEM_COUNT == 6
    for item in wellbeing.ITEMS:
        assert item.english and item.kiswahili and item.english != item.kiswahili


def test_score_is_the_sum_of_six_items_from_0_to_3() -> None:
    assert wellbeing.score([0, 1, 2, 3, 3, 3]) == 12
    for bad in ([1, 2], [0, 0, 0, 0, 0, 4], [0, 0, 0, 0, 0, -1], [True, 0, 0, 0, 0, 0]):
        with pytest.raises(ValueError):
            wellbeing.score(bad)  # type: ignore[arg-type]


def test_bands_and_setbacks() -> None:
    assert wellbeing.band(6)[0] == "low"
    assert wellbeing.band(7)[0] == "middle"
    assert wellbeing.band(13)[0] == "good"
    assert wellbeing.is_setback(14, 10)
    assert not wellbeing.is_setback(14, 11)
    assert not wellbeing.is_setback(None, 0)


def test_chart_places_points_left_to_right_and_higher_is_up() -> None:
    chart = wellbeing.chart([("Jan", 4), ("Feb", 10), ("Mar", 16), ("Apr", 9)])
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs)
    assert chart.points[2].y < chart.points[1].y < chart.points[0].y
    assert [p.setback for p in chart.points] == [False, False, False, True]
    assert chart.polyline.count(",") == 4
    single = wellbeing.chart([("Jan", 9)])
    assert len(single.points) == 1
