"""Small filters of the training pages."""

from __future__ import annotations

from django import template

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
