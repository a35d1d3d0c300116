"""Charts drawn on the server as SVG: no script, no CDN, nothing fetched.

Each chart is read at a glance and is never the only form of a figure: the page puts the
same numbers in a table beside it (for screen readers and for copying), so the SVG is
`aria-hidden`. A hidden (suppressed) count is drawn as a short hatched stub marked "•",
never as a zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kinga.insights.selectors import Cell, Label, Spot

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 170
WIDTH = 560


def _svg(height: int, body: str, title: str) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-hidden="true"'
        ' focusable="false" xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><rect width="3" height="6" fill="#9aa5b1"/></pattern>'
        "</defs>{}</svg>",
        WIDTH,
        height,
        title,
        mark_safe(body),  # noqa: S308  # built below from escaped labels and numbers only
    )


def bars(series: Sequence[tuple[Label, Cell]], *, title: Label) -> SafeString:
    """Return horizontal bars, one per (label, count), longest at full width."""
    top = max([cell.value or 0 for _label, cell in series] + [1])
    hidden_word = escape(_("hidden"))
    span = WIDTH - LABEL_WIDTH - 60
    parts: list[str] = []
    for index, (label, cell) in enumerate(series):
        y = index * (BAR_HEIGHT + GAP)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end"'
            f' class="chart-label">{escape(str(label)[:40])}</text>'
        )
        if cell.value is None:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="24" height="{BAR_HEIGHT}"'
                ' fill="url(#hatch)"/>'
                f'<text x="{LABEL_WIDTH + 30}" y="{y + BAR_HEIGHT * 0.7:.1f}"'
                f' class="chart-value">• {hidden_word}</text>'
            )
            continue
        width = max(span * cell.value / top, 1 if cell.value else 0)
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}"'
            ' class="chart-bar" fill="#1f6f8b"/>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}"'
            f' class="chart-value">{cell.value:,}</text>'
        )
    height = max(len(series) * (BAR_HEIGHT + GAP), BAR_HEIGHT)
    return _svg(height, "".join(parts), str(title))


def columns(series: Sequence[tuple[Label, Cell]], *, title: Label) -> SafeString:
    """Return vertical columns over time (months), with every other label shown."""
    height = 220
    base = height - 40
    top = max([cell.value or 0 for _label, cell in series] + [1])
    count = max(len(series), 1)
    slot = (WIDTH - 20) / count
    parts: list[str] = [
        f'<line x1="10" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="#52606d"/>'
    ]
    for index, (label, cell) in enumerate(series):
        x = 10 + index * slot
        width = max(slot - 6, 2)
        if cell.value is None:
            parts.append(
                f'<rect x="{x + 3:.1f}" y="{base - 14}" width="{width:.1f}" height="14"'
                ' fill="url(#hatch)"/>'
            )
        else:
            bar = (base - 20) * cell.value / top
            parts.append(
                f'<rect x="{x + 3:.1f}" y="{base - bar:.1f}" width="{width:.1f}"'
                f' height="{bar:.1f}" fill="#1f6f8b"/>'
                f'<text x="{x + slot / 2:.1f}" y="{base - bar - 4:.1f}" text-anchor="middle"'
                f' class="chart-value">{cell.value:,}</text>'
            )
        if index % 2 == 0 or count <= 8:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{base + 16}" text-anchor="middle"'
                f' class="chart-label">{escape(str(label)[:10])}</text>'
            )
    return _svg(height, "".join(parts), str(title))


def hotspot_map(
    spots: Sequence[Spot],
    *,
    background: Sequence[tuple[float, float]],
    counties: Sequence[tuple[str, float, float]],
    title: Label,
) -> SafeString:
    """Return proportional circles on the places' centroids over a faint dot for every ward
    (the coast drawn from the gazetteer itself: no tiles, no boundary file, no request)."""
    points = list(background) or [(spot.latitude, spot.longitude) for spot in spots]
    if not points:
        return _svg(40, "", str(title))
    south = min(lat for lat, _lon in points) - 0.1
    north = max(lat for lat, _lon in points) + 0.1
    west = min(lon for _lat, lon in points) - 0.1
    east = max(lon for _lat, lon in points) + 0.1
    squash = math.cos(math.radians((north + south) / 2))
    scale = (WIDTH - 20) / max((east - west) * squash, 0.01)
    height = int((north - south) * scale) + 20

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return 10 + (lon - west) * squash * scale, 10 + (north - lat) * scale

    parts: list[str] = []
    for lat, lon in points:
        x, y = xy(lat, lon)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#cbd2d9"/>')
    for name, lat, lon in counties:
        x, y = xy(lat, lon)
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" class="chart-county">'
            f"{escape(name[:30])}</text>"
        )
    top = max([spot.cell.value or 0 for spot in spots] + [1])
    for spot in sorted(spots, key=lambda spot: -(spot.cell.value or 0)):
        x, y = xy(spot.latitude, spot.longitude)
        if spot.cell.value is None:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="url(#hatch)" stroke="#52606d"/>'
            )
        elif spot.cell.value > 0:
            radius = 4 + 22 * math.sqrt(spot.cell.value / top)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#c0392b"'
                ' fill-opacity="0.55" stroke="#7b241c"/>'
            )
    for spot in [spot for spot in spots if spot.cell.value][:6]:
        x, y = xy(spot.latitude, spot.longitude)
        parts.append(
            f'<text x="{x + 8:.1f}" y="{y - 8:.1f}" class="chart-label">'
            f"{escape(spot.name[:24])} {spot.cell.value:,}</text>"
        )
    return _svg(height, "".join(parts), str(title))
