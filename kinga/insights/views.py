"""Pages of insights: the dashboards. Parse the filters, ask the selectors, render.

Every figure comes suppressed from `selectors`; these views never count anything and never
touch a protected model.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.accounts.models import User
from kinga.insights import charts, exports, report, selectors, services
from kinga.insights.forms import filter_form
from kinga.insights.models import ExportKind, ExportState

TITLES = {
    "funnel": _("From report to verdict"),
    "reporting": _("Reporting"),
    "referrals": _("Referrals"),
    "response": _("Response"),
    "survivors": _("Survivors"),
    "justice": _("Justice"),
    "map": _("Hotspot map"),
    "export": _("Exports"),
    "report": _("Monthly report"),
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
            "as_of": selectors.paths_as_of(),
            "refresh_minutes": settings.KINGA_INSIGHTS_REFRESH_MINUTES,
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
        compared = selectors.comparisons(viewer=viewer, filters=filters)
        month = compared[0]
        month_chart = charts.columns(
            [(label, month.cell(code, "")) for code, label in month.rows], title=str(month.title)
        )
        tables = [(month, month_chart), *((table, None) for table in compared[1:])]
        return {"funnel": result, "chart": chart, "tables": tables}

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


@login_required
def hotspots(request: HttpRequest) -> HttpResponse:
    """Reports or incidents by ward or sub-county, on the coast drawn from the gazetteer."""

    def build(viewer: User, filters: selectors.Filters) -> dict[str, Any]:
        result = selectors.hotspot_map(
            viewer=viewer,
            filters=filters,
            measure=request.GET.get("measure", "reports"),
            level=request.GET.get("level", "ward"),
        )
        chart = charts.hotspot_map(
            result.spots,
            background=result.background,
            counties=result.counties,
            title=TITLES["map"],
        )
        listed = [spot for spot in result.spots if spot.cell.value != 0]
        return {
            "hotspots": result,
            "chart": chart,
            "listed": listed,
            "measures": selectors.MAP_MEASURES,
            "levels": selectors.MAP_LEVELS,
        }

    return _page(request, "map", "insights/map.html", build)


@login_required
def response(request: HttpRequest) -> HttpResponse:
    """How fast reports are answered, and children in danger reached, county by county."""

    def build(viewer: User, filters: selectors.Filters) -> dict[str, Any]:
        result = selectors.response(viewer=viewer, filters=filters)
        chart = charts.bars(
            [(label, result.alerts.cell(code, "")) for code, label in result.alerts.rows],
            title=str(result.alerts.title),
        )
        return {
            "tables": [(result.alerts, chart), (result.chain, None)],
            "median_tables": [result.times],
        }

    return _page(request, "response", "insights/tables.html", build)


@login_required
def justice(request: HttpRequest) -> HttpResponse:
    """Court dates, adjournments by reason, time to verdict and outcomes by charge."""

    def build(viewer: User, filters: selectors.Filters) -> dict[str, Any]:
        result = selectors.justice(viewer=viewer, filters=filters)
        chart = charts.bars(
            [
                (label, result.adjournments.cell(code, ""))
                for code, label in result.adjournments.rows
            ],
            title=str(result.adjournments.title),
        )
        return {
            "tables": [
                (result.sittings, None),
                (result.adjournments, chart),
                (result.outcomes, None),
            ],
            "verdicts": result.verdicts,
            "verdict_days": result.verdict_days,
        }

    return _page(request, "justice", "insights/tables.html", build)


@login_required
def survivors(request: HttpRequest) -> HttpResponse:
    """Cases opened in the period by risk and by where they stand now."""

    def build(viewer: User, filters: selectors.Filters) -> dict[str, Any]:
        table = selectors.cases_by_risk_and_status(viewer=viewer, filters=filters)
        chart = charts.bars(
            [(label, table.cell(code, "")) for code, label in table.rows], title=str(table.title)
        )
        return {"tables": [(table, chart)]}

    return _page(request, "survivors", "insights/tables.html", build)


# --- exports ---------------------------------------------------------------------------------

EXPORT_NOTES: dict[str, Any] = {
    ExportKind.CTDC: _(
        "One row per child's case in the Counter Trafficking Data Collaborative's public "
        "columns, -99 where nothing is known; every combination of year, gender, age band, "
        "minor or adult, citizenship and country is shared by at least %(k)s records (smaller "
        "groups are generalised, and what still stands out is dropped). For publication."
    ),
    ExportKind.HTCDS: _(
        "One row per child's case with the Human Trafficking Case Data Standard's field "
        "names, for partner agencies: status, gender, age band, nationality, year and county, "
        "recruitment, control and type of exploitation; every combination of year, county, "
        "gender, age band and nationality is shared by at least %(k)s records."
    ),
}

# figure -> (the dashboard it belongs to, its rows given the viewer and filters)
FIGURES: dict[str, tuple[str, Any]] = {
    "funnel": (
        "funnel",
        lambda viewer, filters: exports.funnel_rows(
            selectors.funnel(viewer=viewer, filters=filters, audit=False)
        ),
    ),
    "reports_by_channel": (
        "reporting",
        lambda viewer, filters: exports.table_rows(
            selectors.reports_by_channel(viewer=viewer, filters=filters, audit=False)
        ),
    ),
    "cases_by_risk_and_status": (
        "survivors",
        lambda viewer, filters: exports.table_rows(
            selectors.cases_by_risk_and_status(viewer=viewer, filters=filters, audit=False)
        ),
    ),
    "referrals_by_provider": (
        "referrals",
        lambda viewer, filters: exports.table_rows(
            selectors.referrals_by_provider(viewer=viewer, filters=filters, audit=False)
        ),
    ),
    "stages_by_month": (
        "funnel",
        lambda viewer, filters: exports.table_rows(
            selectors.comparisons(viewer=viewer, filters=filters)[0]
        ),
    ),
    "stages_by_county": (
        "funnel",
        lambda viewer, filters: exports.table_rows(
            selectors.comparisons(viewer=viewer, filters=filters)[1]
        ),
    ),
    "alerts_reached": (
        "response",
        lambda viewer, filters: exports.table_rows(
            selectors.response(viewer=viewer, filters=filters, audit=False).alerts
        ),
    ),
    "adjournments": (
        "justice",
        lambda viewer, filters: exports.table_rows(
            selectors.justice(viewer=viewer, filters=filters, audit=False).adjournments
        ),
    ),
    "outcomes_by_charge": (
        "justice",
        lambda viewer, filters: exports.table_rows(
            selectors.justice(viewer=viewer, filters=filters, audit=False).outcomes
        ),
    ),
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _attachment(content: bytes, *, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def export_figure(request: HttpRequest, figure: str, fmt: str) -> HttpResponse:
    """One figure, suppressed as on its page, as CSV or XLSX; audited as an export."""
    viewer = _viewer(request)
    if figure not in FIGURES or fmt not in CONTENT_TYPES:
        raise Http404
    dashboard, rows_of = FIGURES[figure]
    selectors.export_scope_require(viewer)
    scope = selectors.scope_require(viewer, dashboard)
    county_id = viewer.agency.county_id if scope == "county" and viewer.agency else None
    form, filters, defaulted = filter_form(request.GET, county_id=county_id)
    if defaulted and form.is_bound:
        # never a file of other figures than those asked for: back to the page to correct
        return redirect(f"{reverse(f'insights:{dashboard}')}?{request.GET.urlencode()}")
    filters = selectors.scoped_filters(viewer, dashboard, filters)
    rows = rows_of(viewer, filters)
    selectors.export_audit(viewer=viewer, figure=figure, filters=filters, fmt=fmt, rows=len(rows))
    name = f"kinga-{figure}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.{fmt}"
    content = exports.csv_bytes(rows) if fmt == "csv" else exports.xlsx_bytes(rows, title=figure)
    return _attachment(content, name=name, content_type=CONTENT_TYPES[fmt])


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    """The files the viewer may take: each figure as CSV and XLSX, and the publication."""
    viewer = _viewer(request)
    scope = selectors.export_scope_require(viewer)
    county_id = viewer.agency.county_id if scope == "county" and viewer.agency else None
    form, filters, defaulted = filter_form(request.GET, county_id=county_id)
    figures = [
        (figure, TITLES[dashboard])
        for figure, (dashboard, _rows) in FIGURES.items()
        if policy.counting_scope(viewer, dashboard)
    ]
    jobs = selectors.exports_of(viewer=viewer)
    return render(
        request,
        "insights/exports.html",
        {
            "dashboard": "export",
            "title": TITLES["export"],
            "tabs": _tabs(viewer),
            "form": form,
            "filters": filters,
            "defaulted": defaulted and form.is_bound,
            "scope": scope,
            "k": selectors.k_threshold(),
            "query": request.GET.urlencode(),
            "figures": figures,
            "kinds": [
                (kind, label, EXPORT_NOTES[kind] % {"k": services.export_k(kind)})
                for kind, label in ExportKind.choices
                if policy.counting_scope(viewer, kind) is not None
            ],
            "jobs": jobs,
            "building": any(job.in_progress for job in jobs),
            "export_hours": settings.KINGA_INSIGHTS_EXPORT_HOURS,
        },
    )


@login_required
@require_POST
def export_prepare(request: HttpRequest, kind: str) -> HttpResponse:
    """Ask the worker for a large export (CTDC, HTCDS); it is offered on the page when ready."""
    services.export_request(actor=_viewer(request), kind=kind)
    return redirect(f"{reverse('insights:export')}#prepared")


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file of a ready export, to the one who asked for it alone; audited."""
    viewer = _viewer(request)
    job = selectors.export_job_get(viewer=viewer, pk=pk)
    path = services.export_path(job)
    if job.state != ExportState.READY or not path.exists():
        return redirect(f"{reverse('insights:export')}#prepared")
    selectors.export_audit(
        viewer=viewer, figure=job.kind, filters=None, fmt="csv", rows=job.rows or 0
    )
    stamp = f"{job.ready_at:%Y%m%d}" if job.ready_at else "file"
    return _attachment(
        path.read_bytes(), name=f"kinga-{job.kind}-{stamp}.csv", content_type=CONTENT_TYPES["csv"]
    )


# --- the monthly report ----------------------------------------------------------------------


def _month(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(f"{value}-01")
    except ValueError:
        return None


@login_required
def monthly_report_page(request: HttpRequest) -> HttpResponse:
    """Choose a month and a language; the worker's programme reports are listed too."""
    viewer = _viewer(request)
    scope = selectors.scope_require(viewer, "report")
    today = timezone.localdate()
    last = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    months = []
    day = last
    for _step in range(12):
        months.append(day)
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    stored = []
    if scope == "programme":
        stored = [
            (month, language)
            for month in months
            for language in report.LANGUAGES
            if report.report_path(month, language).exists()
        ]
    return render(
        request,
        "insights/report.html",
        {
            "dashboard": "report",
            "title": TITLES["report"],
            "tabs": _tabs(viewer),
            "scope": scope,
            "months": months,
            "stored": stored,
            "error": request.GET.get("error") == "month",
        },
    )


@login_required
def monthly_report(request: HttpRequest) -> HttpResponse:
    """The month's report for the viewer's scope, as a PDF in the language asked; audited."""
    viewer = _viewer(request)
    scope = selectors.scope_require(viewer, "report")
    month = _month(request.GET.get("month", ""))
    language = request.GET.get("language", "en")
    if month is None or month > timezone.localdate() or language not in report.LANGUAGES:
        return redirect(f"{reverse('insights:report')}?error=month")
    county_id = viewer.agency.county_id if scope == "county" and viewer.agency else None
    filters = selectors.scoped_filters(viewer, "report", report.month_filters(month))
    if county_id is not None and viewer.agency is not None:
        label = str(viewer.agency.county)
    else:
        with translation.override(language):
            label = str(_("Whole programme"))
    content = report.monthly_report_pdf(filters=filters, scope_label=label, language=language)
    selectors.export_audit(
        viewer=viewer, figure="monthly_report", filters=filters, fmt="pdf", rows=1
    )
    return _attachment(
        content,
        name=f"kinga-report-{month:%Y-%m}-{language}.pdf",
        content_type="application/pdf",
    )


@login_required
def monthly_report_stored(request: HttpRequest, month: str, language: str) -> HttpResponse:
    """A programme report the worker made: for those who count the whole programme."""
    viewer = _viewer(request)
    if selectors.scope_require(viewer, "report") != "programme":
        raise policy.deny(viewer, record_type="insights.report", record_id=month, action="export")
    first = _month(month)
    path = report.report_path(first, language) if first and language in report.LANGUAGES else None
    if path is None or not path.exists():
        raise Http404
    selectors.export_audit(
        viewer=viewer,
        figure="monthly_report",
        filters=report.month_filters(first) if first else None,
        fmt="pdf",
        rows=1,
    )
    return _attachment(path.read_bytes(), name=path.name, content_type="application/pdf")
