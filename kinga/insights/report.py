"""The monthly programme report: the funnel, the map and the key figures, as a PDF.

Made on demand for the viewer's scope (`views.monthly_report`, audited), and by the worker
for the whole programme once a month is over (`insights.monthly_reports`), in English and
Kiswahili, kept under KINGA_VAR_DIR/insights/ for the analysts to download. Every count in
it is the suppressed one of the dashboards: nothing here counts on its own.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kinga.insights import selectors
from kinga.insights.pdf import Document, Page
from kinga.insights.selectors import Cell, Filters
from kinga.tasks.registry import periodic

LANGUAGES = ("en", "sw")


def month_filters(month: datetime.date, *, county_id: int | None = None) -> Filters:
    """Return the filters of one calendar month (its first day given)."""
    first = month.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    return Filters(start=first, end=last, county_id=county_id)


def _shown(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    return "*" if cell.value is None else f"{cell.value:,}"


def monthly_report_pdf(*, filters: Filters, scope_label: str, language: str) -> bytes:
    """Return the report of filters already narrowed to a scope, in the language."""
    with translation.override(language):
        funnel = selectors.funnel_of(filters)
        hotspots = selectors.hotspots_of(filters, measure="reports", level="ward")
        return _draw(filters, scope_label, funnel, hotspots)


def _draw(filters: Filters, scope_label: str, funnel: Any, hotspots: Any) -> bytes:
    k = selectors.k_threshold()
    doc = Document(title=f"Kinga {filters.start:%Y-%m}")
    page = doc.page()
    page.rect(0, 0, 595.28, 70)
    page.text(40, 32, _("Kinga - monthly programme report"), size=18, bold=True, grey=1.0)
    page.text(40, 54, f"{filters.start:%Y-%m} - {scope_label}", size=11, grey=1.0)
    steps = {step.key: step for step in funnel.steps}
    y = 100.0
    page.text(40, y, _("Key figures"), size=13, bold=True)
    y += 8
    key_figures = [
        (_("Reports received"), steps["reports"].reached),
        (_("Case opened"), steps["cases"].reached),
        (_("Incident opened"), steps["incidents"].reached),
        (_("Conviction"), steps["conviction"].reached),
    ]
    for index, (label, cell) in enumerate(key_figures):
        x = 40 + index * 130
        page.rect(x, y, 120, 52, rgb=(0.93, 0.95, 0.97))
        page.text(x + 8, y + 28, _shown(cell), size=18, bold=True)
        page.text(x + 8, y + 44, str(label)[:26], size=8, grey=0.3)
    y += 80
    page.text(40, y, _("From report to verdict"), size=13, bold=True)
    y += 16
    page.text(40, y, str(_("Step")), size=8, bold=True)
    page.text(240, y, str(_("Reached")), size=8, bold=True)
    page.text(400, y, str(_("Lost at this step")), size=8, bold=True)
    page.text(490, y, str(_("Median days")), size=8, bold=True)
    top = max([step.reached.value or 0 for step in funnel.steps] + [1])
    for step in funnel.steps:
        y += 20
        page.text(40, y, str(step.label)[:36], size=9)
        width = 0.0 if step.reached.value is None else 150 * step.reached.value / top
        if step.reached.value is None:
            page.rect(240, y - 9, 10, 11, rgb=(0.6, 0.65, 0.7))
        else:
            page.rect(240, y - 9, max(width, 1), 11)
        page.text(245 + max(width, 10), y, _shown(step.reached), size=9)
        page.text(400, y, _shown(step.lost), size=9)
        page.text(490, y, "-" if step.median_days is None else f"{step.median_days}", size=9)
    if funnel.justice_thin:
        y += 18
        page.text(40, y, _("not recorded") + ": " + str(_("Justice")), size=8, grey=0.3)
    y += 34
    page.text(40, y, _("Hotspot map"), size=13, bold=True)
    y += 10
    _map(page, hotspots, top=y, left=40, width=280, height=300)
    listed = [spot for spot in hotspots.spots if spot.cell.value != 0][:18]
    ty = y + 10
    page.text(340, ty, str(_("Place")), size=8, bold=True)
    page.text(520, ty, str(_("Count")), size=8, bold=True)
    for spot in listed:
        ty += 15
        page.text(340, ty, f"{spot.name[:22]} ({spot.within[:14]})", size=8)
        page.text(520, ty, _shown(spot.cell), size=8)
    ty += 15
    page.text(340, ty, str(_("Total")), size=8, bold=True)
    page.text(520, ty, _shown(hotspots.total), size=8, bold=True)
    page.text(
        40,
        812,
        _("Counts below %(k)s are hidden (*), with one more where a total would give one away.")
        % {"k": k},
        size=8,
        grey=0.3,
    )
    page.text(40, 824, _("No figure names or describes a child."), size=8, grey=0.3)
    return doc.render()


def _map(
    page: Page, hotspots: Any, *, top: float, left: float, width: float, height: float
) -> None:
    points = hotspots.background or [(s.latitude, s.longitude) for s in hotspots.spots]
    if not points:
        return
    south = min(lat for lat, _lon in points) - 0.1
    north = max(lat for lat, _lon in points) + 0.1
    west = min(lon for _lat, lon in points) - 0.1
    east = max(lon for _lat, lon in points) + 0.1
    scale = min(width / max(east - west, 0.01), height / max(north - south, 0.01))

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return left + (lon - west) * scale, top + (north - lat) * scale

    for lat, lon in points:
        x, y = xy(lat, lon)
        page.circle(x, y, 1.2, rgb=(0.8, 0.82, 0.85))
    biggest = max([spot.cell.value or 0 for spot in hotspots.spots] + [1])
    for spot in hotspots.spots:
        x, y = xy(spot.latitude, spot.longitude)
        if spot.cell.value is None:
            page.circle(x, y, 3, rgb=(0.6, 0.65, 0.7))
        elif spot.cell.value:
            page.circle(x, y, 2.5 + 14 * (spot.cell.value / biggest) ** 0.5)
    for name, lat, lon in hotspots.counties:
        x, y = xy(lat, lon)
        page.text(x - 12, y, name[:20], size=7, grey=0.35)


def report_path(month: datetime.date, language: str) -> Path:
    """Return where the worker keeps the programme's report of a month in a language."""
    return Path(settings.VAR_DIR) / "insights" / f"kinga-report-{month:%Y-%m}-{language}.pdf"


@periodic("insights.monthly_reports", every=datetime.timedelta(hours=6))
def monthly_reports(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Write last month's programme report in each language once the month is over; a
    second run finds the files and does nothing."""
    first_of_this = timezone.localdate(now).replace(day=1)
    month = (first_of_this - datetime.timedelta(days=1)).replace(day=1)
    for language in LANGUAGES:
        path = report_path(month, language)
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with translation.override(language):
            label = _("Whole programme")
        content = monthly_report_pdf(
            filters=month_filters(month), scope_label=str(label), language=language
        )
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)
