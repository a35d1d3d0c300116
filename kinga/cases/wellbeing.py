"""The Kinga wellbeing check (KWC-6): six questions, asked again over time.

What it is
    A short check-in that a counsellor or caseworker reads to the child (or the child fills
    in) in English or Kiswahili, about the last two weeks. Six items, each scored
    0 = never, 1 = sometimes, 2 = often, 3 = most of the time. All items are worded so that
    a higher score is better, so the total runs from 0 to 18 and a rising line is healing.

What it is not
    It is not a diagnostic or a validated clinical instrument, and it never replaces the
    counsellor's judgement. It is a monitoring aid, written for Kinga from the domains that
    child-protection aftercare commonly follows (safety, sleep, hope, support, daily life,
    self-worth), so that a team sees the direction of travel and notices a setback early.

Reading the total
    0–6    low: talk with the counsellor this week; check safety.
    7–12   middle: keep going; look at the lowest items.
    13–18  good.
    A fall of 4 or more points since the last check is flagged as a setback, whatever the
    band, because a sudden drop often follows renewed contact with an exploiter.

How to ask
    Ask every item, in the child's language, in private. If the child does not want to
    answer an item, stop and record nothing: a partial score is not comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ITEM_COUNT = 6
MAX_ITEM_SCORE = 3
MAX_TOTAL = ITEM_COUNT * MAX_ITEM_SCORE
SETBACK_DROP = 4


@dataclass(frozen=True)
class Item:
    key: str
    english: str
    kiswahili: str


# The wording in both languages is fixed here (not through gettext): a score is only
# comparable over time when the child hears the same question.
ITEMS: tuple[Item, ...] = (
    Item("safe", "I have felt safe where I sleep.", "Nimejihisi salama mahali ninapolala."),
    Item("sleep", "I have slept well.", "Nimelala vizuri."),
    Item(
        "hope",
        "I have felt hopeful about what comes next for me.",
        "Nimekuwa na matumaini kuhusu maisha yangu ya baadaye.",
    ),
    Item(
        "support",
        "I have had someone I trust to talk to.",
        "Nimekuwa na mtu ninayemwamini wa kuongea naye.",
    ),
    Item(
        "daily_life",
        "I have been able to do my daily activities (school, chores, play).",
        "Nimeweza kufanya shughuli zangu za kila siku (shule, kazi za nyumbani, kucheza).",
    ),
    Item(
        "self_worth",
        "I have felt good about myself.",
        "Nimejihisi vizuri kuhusu nafsi yangu.",
    ),
)

ANSWERS: tuple[tuple[int, str, str], ...] = (
    (0, "Never", "Kamwe"),
    (1, "Sometimes", "Wakati mwingine"),
    (2, "Often", "Mara nyingi"),
    (3, "Most of the time", "Karibu kila wakati"),
)


def score(scores: list[int]) -> int:
    """Return the total of six item scores; raise ValueError unless each is 0 to 3."""
    if len(scores) != ITEM_COUNT:
        raise ValueError(f"the check has {ITEM_COUNT} items, not {len(scores)}")
    for value in scores:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3:
            raise ValueError("each item is scored 0, 1, 2 or 3")
    return sum(scores)


def band(total: int) -> tuple[str, str | Promise]:
    """Return the band of a total as (slug, label)."""
    if total <= 6:
        return "low", _("Low – talk with the counsellor this week")
    if total <= 12:
        return "middle", _("Middle – keep going")
    return "good", _("Good")


def is_setback(previous: int | None, total: int) -> bool:
    """Return whether the total fell by SETBACK_DROP points or more since the last check."""
    return previous is not None and previous - total >= SETBACK_DROP


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    total: int
    label: str
    setback: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: list[ChartPoint]
    polyline: str
    gridlines: list[tuple[float, int]]
    band_low_y: float
    band_good_y: float
    band_height: float
    plot_left: float
    plot_right: float
    plot_width: float
    label_y: float


def chart(measures: list[tuple[str, int]], *, width: int = 320, height: int = 160) -> Chart:
    """Lay out (date label, total) pairs, oldest first, as an SVG line chart's coordinates.

    The template draws it as inline SVG markup (no script, no inline style: the CSP
    forbids both), so the chart prints and works without JavaScript.
    """
    left, right, top, bottom = 28.0, 8.0, 8.0, 22.0
    plot_w = width - left - right
    plot_h = height - top - bottom

    def y_of(total: int) -> float:
        return round(top + plot_h * (1 - total / MAX_TOTAL), 1)

    points: list[ChartPoint] = []
    previous: int | None = None
    count = len(measures)
    for index, (label, total) in enumerate(measures):
        x = left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)
        points.append(
            ChartPoint(round(x, 1), y_of(total), total, label, is_setback(previous, total))
        )
        previous = total
    return Chart(
        width=width,
        height=height,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        gridlines=[(y_of(value), value) for value in (0, 6, 12, 18)],
        band_low_y=y_of(6),
        band_good_y=y_of(12),
        band_height=round(y_of(6) - y_of(12), 1),
        plot_left=left,
        plot_right=width - right,
        plot_width=plot_w,
        label_y=height - 6,
    )
