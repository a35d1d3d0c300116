"""Pages of insights: the dashboards. Parse the filters, ask the selectors, render.

Every figure comes suppressed from `selectors`; these views never count anything and never
touch a protected model.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kinga.access import policy
from kinga.accounts.models import User
from kinga.insights import charts, selectors
from kinga.insights.forms import filter_form

TITLES = {
    "funnel": _("From report to verdict"),
    "reporting": _("Reporting"),
    "referrals": _("Referrals"),
    "response": _("Response"),
    "survivors": _("Survivors"),
    "justice": _("Justice"),
    "map": _("Hotspot map"),
    "export": _("Exports"),
}


def _viewer(request: HttpRequest) -> User:
    return cast(User, request.user)


def _tabs(viewer: User) -> list[tuple[str, str, Any]]:
    """Return (name, url, title) of the dashboards the viewer may count that exist here."""
    tabs = []
    for name in policy.dashboards_of(viewer):
        if name not in TITLES:
            continue
        try:
            tabs.append((name, reverse(f"insights:{name}"), TITLES[name]))
        except NoReverseMatch:
            continue
    return tabs


def _page(request: HttpRequest, dashboard: str, template: str, build: Any) -> HttpResponse:
    viewer = _viewer(request)
    scope = selectors.scope_require(viewer, dashboard)
    county_id = viewer.agency.county_id if scope == "county" and viewer.agency else None
    form, filters, defaulted = filter_form(request.GET, county_id=county_id)
    context = build(viewer, filters)
    return render(
        request,
        template,
        {
            **context,
            "dashboard": dashboard,
            "title": TITLES[dashboard],
            "tabs": _tabs(viewer),
            "form": form,
            "filters": filters,
            "defaulted": defaulted and form.is_bound,
            "scope": scope,
            "k": selectors.k_threshold(),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Open the first dashboard the viewer may count (an audited 404 for anyone else)."""
    tabs = _tabs(_viewer(request))
    if not tabs:
        raise policy.deny(
            _viewer(request), record_type="insights.dashboard", record_id="index", action="list"
        )
    return redirect(tabs[0][1])


@login_required
def funnel(request: HttpRequest) -> HttpResponse:
    """The report-to-verdict funnel, with those lost at each step and the median days."""

    def build(viewer: User, filters: selectors.Filters) -> dict[str, Any]:
        result = selectors.funnel(viewer=viewer, filters=filters)
        chart = charts.bars(
            [(step.label, step.reached) for step in result.steps], title=TITLES["funnel"]
        )
        return {"funnel": result, "chart": chart}

    return _page(request, "funnel", "insights/funnel.html", build)


@login_required
def reporting(request: HttpRequest) -> HttpResponse:
    """Reports by channel, month by month."""

    def build(viewer: User, filters: selectors.Filters) -> dict[str, Any]:
        table = selectors.reports_by_channel(viewer=viewer, filters=filters)
        chart = charts.columns(
            [(label, table.cell(code, "")) for code, label in table.rows],
            title=str(table.title),
        )
        return {"tables": [(table, chart)]}

    return _page(request, "reporting", "insights/tables.html", build)


@login_required
def referrals(request: HttpRequest) -> HttpResponse:
    """Referrals by provider and where they stand."""

    def build(viewer: User, filters: selectors.Filters) -> dict[str, Any]:
        table = selectors.referrals_by_provider(viewer=viewer, filters=filters)
        chart = charts.bars(
            [(label, table.cell(code, "")) for code, label in table.rows], title=str(table.title)
        )
        return {"tables": [(table, chart)]}

    return _page(request, "referrals", "insights/tables.html", build)
