"""The monthly rollup equals the report paths it is counted from, and the incremental
refresh equals the full rebuild."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.cases.models import Case
from kinga.insights import selectors
from kinga.insights.jobs import refresh_paths
from kinga.insights.models import MonthlyRollup, PathsRefresh, ReportPath, StepDays
from kinga.insights.selectors import Filters
from kinga.insights.services import changed_reports, paths_refresh
from kinga.insights.tests.conftest import Known
from kinga.intake.models import Channel, Report
from kinga.places.models import County
from kinga.tasks.services import run_due_names, task_enqueue

pytestmark = pytest.mark.django_db


def _year(**changes: Any) -> Filters:
    today = timezone.localdate()
    return Filters(start=today - datetime.timedelta(days=365), end=today, **changes)


def _spread(personas: Any) -> list[Report]:
    """Reports on many days of the last fourteen months, across months' edges, in three
    counties, each channel, some triaged (1 to 9 days after), some opening a case."""
    counties = list(County.objects.filter(name__in=["Kwale", "Mombasa", "Kilifi"]))
    chooser = random.Random(17)
    channels = list(Channel.values)
    reports = []
    now = timezone.now()
    for n in range(160):
        received = now - datetime.timedelta(days=chooser.randint(0, 420), hours=n % 24)
        triage = chooser.randint(1, 9) if n % 4 else None
        report = Report.objects.create(
            channel=channels[n % len(channels)],
            received_at=received,
            county=counties[n % len(counties)],
            age_bands=["12-14"] if n % 3 else ["15-17"],
            categories=["sexual_exploitation"] if n % 2 else ["trafficking"],
            decided_at=None if triage is None else received + datetime.timedelta(days=triage),
        )
        if triage is not None and n % 3 == 0:
            Case.objects.create(
                code=f"TST-2026-{n:04d}",
                year=2026,
                number=n + 1,
                county=report.county,
                child=_child(),
                owning_agency=personas.caseworker.agency,
                caseworker=personas.caseworker,
                opened_by=personas.caseworker,
                source_report_id=report.pk,
                opened_at=received + datetime.timedelta(days=triage + n % 5, hours=3),
            )
        reports.append(report)
    return reports


def _child() -> Any:
    from kinga.people.models import Person

    return Person.objects.create(kind="child", age_band="12-14")


def _snapshot() -> dict[str, Any]:
    def rows(model: Any, order: list[str]) -> list[tuple[Any, ...]]:
        fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        if model is ReportPath:
            fields = ["report_id", *fields]
        return list(model.objects.order_by(*order).values_list(*fields))

    return {
        "paths": rows(ReportPath, ["report_id"]),
        "rollup": sorted(rows(MonthlyRollup, ["month"]), key=repr),
        "days": sorted(rows(StepDays, ["month"]), key=repr),
    }


def test_the_rollup_equals_the_report_paths_over_any_period(personas: Any) -> None:
    """Whole months from the rollup and the days around them from the summary give the
    counts, the channels and the map of the summary alone, for periods that start and
    end on any day, and for each filter the rollup answers."""
    _spread(personas)
    paths_refresh()
    assert MonthlyRollup.objects.exists() and StepDays.objects.exists()
    kwale = County.objects.get(name="Kwale").pk
    today = timezone.localdate()
    chooser = random.Random(3)
    periods = [(today - datetime.timedelta(days=365), today)]
    for _ in range(12):
        start = today - datetime.timedelta(days=chooser.randint(30, 430))
        periods.append((start, start + datetime.timedelta(days=chooser.randint(0, 200))))
    periods.append((datetime.date(today.year, today.month, 1), today))
    for start, end in periods:
        for changes in [
            {},
            {"county_id": kwale},
            {"age_band": "15-17"},
            {"exploitation": "trafficking"},
        ]:
            filters = Filters(start=start, end=end, **changes)
            paths = selectors.paths_in(filters)
            assert selectors.step_counts(filters) == selectors.path_counts(paths), filters
            assert selectors._grouped_places(filters, "reports") == {
                (c, s, w): n
                for c, s, w, n in paths.values_list("county_id", "sub_county_id", "ward_id")
                .order_by()
                .annotate(n=selectors.Count("pk"))
            }, filters
            medians = selectors.step_medians(filters)
            for step, column in selectors.PATH_DAYS.items():
                values = sorted(
                    int(value + 1e-6)
                    for value in paths.exclude(**{f"{column}__isnull": True}).values_list(
                        column, flat=True
                    )
                )
                middle = (
                    None
                    if not values
                    else (values[(len(values) - 1) // 2] + values[len(values) // 2]) / 2
                )
                assert medians[step] == middle, (filters, step)


def test_reports_by_channel_from_the_rollup_equal_the_summary(personas: Any) -> None:
    _spread(personas)
    paths_refresh()
    filters = _year()
    table = selectors.reports_by_channel(viewer=personas.analyst, filters=filters, audit=False)
    paths = selectors.paths_in(filters)
    for code, _label in table.rows:
        first = datetime.date.fromisoformat(f"{code}-01")
        month = paths.filter(
            received_at__gte=selectors._since(first), received_at__lt=selectors._month_end(code)
        )
        for channel, _name in table.columns:
            cell = table.cell(code, channel)
            if not cell.hidden:
                assert cell.value == month.filter(channel=channel).count(), (code, channel)
    assert table.cell("", "").value == paths.count()


def test_the_programme_figures_read_the_rollup_for_whole_months(
    personas: Any, known: Known
) -> None:
    """Known's reports are all in one whole month of the year: with the summary's rows
    gone the funnel still counts them, from the rollup."""
    filters = _year(county_id=known.kwale.pk)
    before = selectors.funnel_of(filters)
    assert selectors.edges_in(filters).count() == 0
    ReportPath.objects.all().delete()
    after = selectors.funnel_of(filters)
    assert [(s.key, s.reached, s.lost, s.median_days) for s in after.steps] == [
        (s.key, s.reached, s.lost, s.median_days) for s in before.steps
    ]
    steps = {step.key: step for step in after.steps}
    assert steps["reports"].reached.value == 20
    assert steps["triaged"].reached.hidden  # 4 lost is below k, and 20 - 16 would give it
    assert steps["cases"].reached.value == 12
    assert steps["cases"].median_days == 4.0
    assert steps["files"].reached.hidden
    assert selectors.step_counts(filters)["incidents"] == 8
    assert selectors.step_medians(filters)["incidents"] == 10.0
    assert selectors.step_medians(filters)["investigations"] == 1.0


def test_small_counts_from_the_rollup_are_hidden_with_their_complements(
    personas: Any, known: Known
) -> None:
    """Mombasa: 7 reports, 7 triaged, one case. Read from the rollup, the case step (1) is
    hidden, and so is the number lost at it (6), which would give it away."""
    filters = _year(county_id=known.mombasa.pk)
    assert selectors.edges_in(filters).count() == 0
    assert MonthlyRollup.objects.filter(county_id=known.mombasa.pk).exists()
    funnel = selectors.funnel_of(filters)
    steps = {step.key: step for step in funnel.steps}
    assert steps["reports"].reached.value == 7
    assert steps["triaged"].reached.value == 7
    assert steps["cases"].reached.hidden
    assert steps["cases"].lost is not None and steps["cases"].lost.hidden
    assert steps["cases"].median_days is None


def test_a_median_from_a_histogram() -> None:
    assert selectors.median_of({}) is None
    assert selectors.median_of({4: 1}) == 4
    assert selectors.median_of({1: 1, 2: 1, 3: 1}) == 2
    assert selectors.median_of({1: 1, 3: 1}) == 2
    assert selectors.median_of({1: 5, 2: 1, 30: 4}) == 1.5
    assert selectors.median_of({0: 2, 7: 2}) == 3.5


def test_a_change_to_one_case_moves_only_its_reports_row(personas: Any) -> None:
    reports = _spread(personas)
    paths_refresh()
    before = _snapshot()
    # a case opened today on an old, triaged report without one
    report = next(
        r
        for r in reports
        if r.decided_at is not None and not Case.objects.filter(source_report_id=r.pk)
    )
    assert not ReportPath.objects.get(report_id=report.pk).case_opened
    Case.objects.create(
        code="TST-2026-0999",
        year=2026,
        number=999,
        county=report.county,
        child=_child(),
        owning_agency=personas.caseworker.agency,
        caseworker=personas.caseworker,
        opened_by=personas.caseworker,
        source_report_id=report.pk,
    )
    since = PathsRefresh.objects.latest("started_at").started_at
    assert changed_reports(since) == {report.pk}
    refresh = paths_refresh(full=False)
    assert refresh.full is False
    assert refresh.reports == 1
    after = _snapshot()
    moved = [
        (old, new) for old, new in zip(before["paths"], after["paths"], strict=True) if old != new
    ]
    assert [new[0] for _old, new in moved] == [report.pk]
    assert ReportPath.objects.get(report_id=report.pk).case_opened
    # the incremental result equals a full rebuild's, rollup and histograms included
    paths_refresh(full=True)
    assert _snapshot() == after


def test_the_incremental_refresh_follows_new_changed_and_removed_reports(
    personas: Any, known: Known
) -> None:
    kwale = known.kwale
    Report.objects.filter(pk=known.reports[0].pk).update(decided_at=None, updated_at=timezone.now())
    extra = Report.objects.create(channel=Channel.WEB, county=kwale)
    gone = known.reports[-1].pk
    Report.objects.filter(pk=gone).delete()
    refresh = paths_refresh(full=False)
    assert refresh.full is False
    assert ReportPath.objects.filter(report_id=extra.pk).exists()
    assert not ReportPath.objects.filter(report_id=gone).exists()
    assert not ReportPath.objects.get(report_id=known.reports[0].pk).triaged
    incremental = _snapshot()
    paths_refresh(full=True)
    assert _snapshot() == incremental
    # nothing changed since: the next incremental refresh writes nothing
    assert paths_refresh(full=False).reports == 0
    assert _snapshot() == incremental


def test_the_worker_refreshes_incrementally_and_in_full_once_a_day(personas: Any) -> None:
    Report.objects.create(channel=Channel.SMS)

    def run(at: datetime.datetime) -> PathsRefresh:
        refresh_paths({}, at)
        return PathsRefresh.objects.latest("started_at")

    with transaction.atomic():
        task_enqueue(name="insights.refresh_paths", payload={})
    assert run_due_names(now=timezone.now()) == ["insights.refresh_paths"]
    now = PathsRefresh.objects.get().started_at
    assert PathsRefresh.objects.get().full is True

    Report.objects.create(channel=Channel.WEB)
    second = run(now + datetime.timedelta(minutes=15))
    assert second.full is False and second.reports == 1
    assert ReportPath.objects.count() == 2
    assert run(now + datetime.timedelta(hours=25)).full is True
    event = AuditEvent.objects.filter(record_type="insights.report_paths").latest("seq")
    assert event.detail == {"reports": 2, "full": True}


def test_the_gazetteer_is_read_once_per_process(
    personas: Any, known: Known, django_assert_max_num_queries: Any
) -> None:
    filters = _year()
    selectors.gazetteer_forget()
    first = selectors.hotspots_of(filters, measure="reports", level="ward")
    # the figure's own statements only: the rollup, the days around, no place look-up
    with django_assert_max_num_queries(2):
        second = selectors.hotspots_of(filters, measure="reports", level="ward")
    assert [(s.code, s.cell) for s in second.spots] == [(s.code, s.cell) for s in first.spots]


def test_the_command_refreshes_incrementally_or_in_full(personas: Any, known: Known) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("insights", "refresh", stdout=out)
    assert "incremental refresh: 0 report paths counted" in out.getvalue()
    Report.objects.create(channel=Channel.WEB, county=known.kwale)
    call_command("insights", "refresh", stdout=out)
    assert "incremental refresh: 1 report paths counted" in out.getvalue()
    call_command("insights", "refresh", "--full", stdout=out)
    assert f"full rebuild: {Report.objects.count()} report paths counted" in out.getvalue()
    assert PathsRefresh.objects.latest("started_at").full is True


def test_a_kept_statement_reads_the_rows_as_they_are_now_and_only_for_its_filters(
    personas: Any, django_assert_num_queries: Any
) -> None:
    """The compiled statement of a figure is kept per filter; what it reads is not: a
    report added after the first ask is counted on the next, another county's filter gets
    its own statement, and a flush or migration forgets them all."""
    reports = _spread(personas)
    paths_refresh()
    kwale = County.objects.get(name="Kwale")
    filters = _year(county_id=kwale.pk)
    selectors.statements_forget()
    first = selectors.step_counts(filters)
    key = next(k for k in selectors._kept if k[3] == "step_counts")
    assert key[4] == filters
    # asked again: the kept statement, one query, the same counts
    with django_assert_num_queries(1):
        assert selectors.step_counts(filters) == first
    # a new Kwale report of yesterday (the days around the whole months: the summary)
    Report.objects.create(
        channel=Channel.WEB,
        received_at=timezone.now() - datetime.timedelta(days=1),
        county=kwale,
        categories=["trafficking"],
    )
    paths_refresh()
    again = selectors.step_counts(filters)
    assert again["reports"] == first["reports"] + 1
    assert again == selectors.path_counts(selectors.paths_in(filters))
    # another county: its own statement and its own rows
    mombasa = County.objects.get(name="Mombasa").pk
    theirs = _year(county_id=mombasa)
    assert selectors.step_counts(theirs) == selectors.path_counts(selectors.paths_in(theirs))
    assert selectors.step_counts(theirs) != again
    by_channel = selectors.reports_by_channel(viewer=personas.analyst, filters=theirs, audit=False)
    assert by_channel.cell("", "").value == selectors.paths_in(theirs).count() > 0
    assert sum(1 for k in selectors._kept if k[3] == "step_counts") == 2
    assert reports and len(selectors._kept) >= 4
    # a migration or a flush (post_migrate) forgets every statement
    from django.apps import apps
    from django.db.models.signals import post_migrate

    config = apps.get_app_config("insights")
    post_migrate.send(
        sender=config,
        app_config=config,
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )
    assert not selectors._kept


def test_kept_statements_are_bounded(personas: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "KEPT_STATEMENTS", 3)
    selectors.statements_forget()
    today = timezone.localdate()
    asked = [Filters(start=today - datetime.timedelta(days=n), end=today) for n in range(5)]
    for filters in asked:
        selectors.step_counts(filters)
    assert [k[4] for k in selectors._kept] == asked[2:]
