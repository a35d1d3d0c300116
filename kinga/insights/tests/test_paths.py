"""The report paths (the dashboards' summary) equal the live count of the records."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.insights import selectors
from kinga.insights.models import PathsRefresh, ReportPath
from kinga.insights.selectors import Filters
from kinga.insights.services import paths_refresh
from kinga.insights.tests.conftest import Known, court_path
from kinga.intake.models import Channel, Report
from kinga.justice.models import Incident
from kinga.tasks.registry import PERIODIC
from kinga.tasks.services import run_due_names, task_enqueue

pytestmark = pytest.mark.django_db


def _year(**changes: Any) -> Filters:
    today = timezone.localdate()
    return Filters(start=today - datetime.timedelta(days=365), end=today, **changes)


def _both(filters: Filters) -> tuple[dict[str, Any], dict[str, Any]]:
    live_cohort = selectors.reports_in(filters)
    paths = selectors.paths_in(filters)
    live = {
        **selectors.funnel_counts(live_cohort),
        **_prefixed(selectors.funnel_medians(live_cohort)),
    }
    summary = {**selectors.path_counts(paths), **_prefixed(selectors.path_medians(paths))}
    return live, summary


def _prefixed(medians: dict[str, float | None]) -> dict[str, float | None]:
    return {
        f"median:{key}": None if value is None else round(value, 6)
        for key, value in medians.items()
    }


def test_the_summary_equals_the_live_count_on_the_known_data_set(
    personas: Any, known: Known
) -> None:
    for filters in [
        _year(),
        _year(county_id=known.kwale.pk),
        _year(county_id=known.mombasa.pk),
        _year(exploitation="trafficking"),
        _year(age_band="12-14"),
        _year(age_band="0-5"),
    ]:
        live, summary = _both(filters)
        assert summary == live, filters
    assert ReportPath.objects.count() == Report.objects.count() == 27


def test_the_summary_follows_the_records_at_the_next_refresh(personas: Any, known: Known) -> None:
    incidents = list(Incident.objects.filter(county=known.kwale).order_by("pk")[:5])
    for index, incident in enumerate(incidents):
        court_path(personas, incident, convicted=index % 2 == 0)
    before = selectors.path_counts(selectors.paths_in(_year(county_id=known.kwale.pk)))
    assert before["charged"] == 0  # not yet counted: the summary is as of its refresh
    paths_refresh()
    live, summary = _both(_year(county_id=known.kwale.pk))
    assert summary == live
    assert summary["charged"] == 5
    assert summary["judgment"] == 5
    assert summary["conviction"] == 3
    assert summary["median:charged"] == pytest.approx(6.0)
    assert summary["median:judgment"] == pytest.approx(15.0)
    # a report gone from the records leaves the summary at the next refresh
    extra = Report.objects.create(channel=Channel.WEB, county=known.kwale)
    paths_refresh()
    assert ReportPath.objects.filter(report_id=extra.pk).exists()
    Report.objects.filter(pk=extra.pk).delete()
    paths_refresh()
    assert not ReportPath.objects.filter(report_id=extra.pk).exists()


def test_the_worker_refreshes_the_paths_and_the_pages_say_as_of_when(
    personas: Any, client_for: Any
) -> None:
    Report.objects.create(channel=Channel.SMS)
    response = client_for(personas.analyst).get("/insights/funnel/")
    assert "have not been counted yet" in response.content.decode()
    assert "insights.refresh_paths" in PERIODIC
    with transaction.atomic():
        task_enqueue(name="insights.refresh_paths", payload={})
    assert run_due_names(now=timezone.now()) == ["insights.refresh_paths"]
    assert PathsRefresh.objects.filter(finished_at__isnull=False).count() == 1
    assert ReportPath.objects.count() == 1
    event = AuditEvent.objects.filter(record_type="insights.report_paths").latest("seq")
    assert event.detail == {"reports": 1, "full": True}
    response = client_for(personas.analyst).get("/insights/funnel/")
    assert "Reports counted as they stood at" in response.content.decode()


def test_the_summary_holds_no_identity() -> None:
    """Counted values only: no text a person wrote, no name, phone, code or reference."""
    names = {field.name for field in ReportPath._meta.get_fields()}
    for forbidden in ("narrative", "reporter_phone_index", "case_code", "follow_up_hash", "code"):
        assert forbidden not in names
    text = [
        field.name
        for field in ReportPath._meta.get_fields()
        if field.get_internal_type() in ("CharField", "TextField")
    ]
    assert sorted(text) == ["channel", "language"]


def test_with_nothing_to_count_the_worker_neither_rebuilds_nor_audits() -> None:
    """An empty deployment's audit trail is not one refresh event every quarter of an hour
    (the worker's checkpoint would otherwise always find the head moved)."""
    before = AuditEvent.objects.count()
    with transaction.atomic():
        task_enqueue(name="insights.refresh_paths", payload={})
    assert run_due_names(now=timezone.now()) == ["insights.refresh_paths"]
    assert PathsRefresh.objects.count() == 0
    assert AuditEvent.objects.count() == before
