"""Small filters of the training pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kinga.training.models import Audience

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """Show a fraction as a whole percentage; a dash when there is none."""
    if value is None:
        return "–"
    return f"{round(value * 100)}%"


@register.filter
def one_decimal(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}"


@register.filter
def signed(value: int | None) -> str:
    if value is None:
        return "–"
    return f"{value:+d}"


@register.simple_tag(takes_context=True)
def participant_rows(context: template.Context, page: Any) -> SafeString:
    """Render the session page's participant rows in Python: a long list through the
    template engine cost more than everything else on the page (see BENCHMARKS.md).
    Every value is escaped here (`escape`); the labels are the catalogue's."""
    labels = {
        key: escape(label)
        for key, label in {
            "name": _("Name"),
            "agency": _("Agency"),
            "days": _("Days present"),
            "pre": _("Pre"),
            "post": _("Post"),
            "gain": _("Gain"),
            "certificate": _("Certificate"),
        }.items()
    }
    pdf, revoke, issue = escape(_("PDF")), escape(_("revoke")), escape(_("Issue certificate"))
    audience = {value: escape(label) for value, label in Audience.choices}
    token = escape(context.get("csrf_token", ""))
    day_count = len(page.days)
    rows = []
    for row in page.rows:
        participant = row.participant
        if row.certificate_id:
            certificate = (
                f'<a href="{escape(row.pdf_url)}">{pdf}</a> · '
                f'<a href="{escape(row.revoke_url)}">{revoke}</a>'
            )
        elif row.certificate_blocked:
            certificate = f'<span class="quiet">{escape(row.certificate_blocked)}</span>'
        else:
            certificate = (
                f'<form method="post" action="{escape(row.issue_url)}"><input type="hidden" '
                f'name="csrfmiddlewaretoken" value="{token}"><button type="submit" '
                f'class="button small">{issue}</button></form>'
            )
        kind = audience.get(participant.audience, escape(participant.audience))
        cells = (
            ("name", f'<a href="{escape(row.record_url)}">{escape(row.name)}</a> '
             f'<span class="quiet">{kind}</span>'),
            ("agency", escape(row.agency or "–")),
            ("days", f"{row.days_present} / {day_count}"),
            ("pre", _score(participant.pre_score)),
            ("post", _score(participant.post_score)),
            ("gain", f"{signed(row.gain.raw)} · {percent(row.gain.normalised)}"),
            ("certificate", certificate),
        )  # fmt: skip
        rows.append(
            "<tr>"
            + "".join(f'<td data-label="{labels[key]}">{value}</td>' for key, value in cells)
            + "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308  # every value above is escaped


def _score(value: int | None) -> str:
    return "–" if value is None else str(value)
