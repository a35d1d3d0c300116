"""What insights keeps of its own: the path each report took, counted values only.

`ReportPath` is the dashboards' summary table: one row per report with where it was
received (county, sub-county, ward), how it came (channel, language), who decided it (the
agency), its age bands and kinds of harm as bits, and each step of the report-to-verdict
funnel it reached with the days that step took. No name, narrative, phone, code or other
identity is in it; it is rebuilt from the records by the worker (`insights.refresh_paths`),
so a report anonymised or removed upstream leaves it at the next refresh. The figures read
it instead of joining every report of a year to its case, incident, file, decision and
verdict, which took seconds at a million cases (BENCHMARKS.md, issue 17).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportPath(models.Model):
    """One report's way from the report to the verdict, in counted values only."""

    # the report's own id; plain integers, not foreign keys: a summary rebuilt from the
    # records never holds a record back from the law's deletion
    report_id = models.BigIntegerField(_("report"), primary_key=True)
    received_at = models.DateTimeField(_("received"))
    channel = models.CharField(_("channel"), max_length=16)
    language = models.CharField(_("language"), max_length=8, blank=True)
    county_id = models.BigIntegerField(_("county"), null=True, blank=True)
    sub_county_id = models.BigIntegerField(_("sub-county"), null=True, blank=True)
    ward_id = models.BigIntegerField(_("ward"), null=True, blank=True)
    agency_id = models.BigIntegerField(_("deciding agency"), null=True, blank=True)
    # one bit per code of intake's AgeBand and Category, in their order (`paths.bit_of`)
    age_bands = models.PositiveIntegerField(_("age bands"), default=0)
    categories = models.PositiveIntegerField(_("kinds of harm"), default=0)
    # the steps reached, and the days each took (None: not reached, or not measurable)
    triaged = models.BooleanField(default=False)
    triage_days = models.FloatField(null=True, blank=True)
    case_opened = models.BooleanField(default=False)
    case_days = models.FloatField(null=True, blank=True)
    service_days = models.FloatField(null=True, blank=True)
    incident_opened = models.BooleanField(default=False)
    incident_days = models.FloatField(null=True, blank=True)
    investigated = models.BooleanField(default=False)
    investigation_days = models.FloatField(null=True, blank=True)
    filed = models.BooleanField(default=False)
    file_days = models.FloatField(null=True, blank=True)
    charged = models.BooleanField(default=False)
    charge_days = models.FloatField(null=True, blank=True)
    judged = models.BooleanField(default=False)
    judgment_days = models.FloatField(null=True, blank=True)
    convicted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("report path")
        verbose_name_plural = _("report paths")
        indexes = [
            # the programme's figures over a period
            models.Index(fields=["received_at"], name="insights_path_received"),
            # a county's figures over a period (a supervisor's, the Kwale filter)
            models.Index(fields=["county_id", "received_at"], name="insights_path_county"),
        ]

    def __str__(self) -> str:
        return f"path of report {self.report_id}"


class PathsRefresh(models.Model):
    """One rebuild of the report paths: when it ran and how many it wrote."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    reports = models.PositiveIntegerField(_("reports"), default=0)
    # a full rebuild (every report) or an incremental one (the reports whose records
    # changed since the start of the last refresh: `started_at` is the next watermark)
    full = models.BooleanField(_("full rebuild"), default=True)

    class Meta:
        verbose_name = _("report paths refresh")
        verbose_name_plural = _("report paths refreshes")
        indexes = [models.Index(fields=["finished_at"], name="insights_refresh_finished")]

    def __str__(self) -> str:
        return f"paths refreshed {self.finished_at or 'unfinished'}"


class RollupFields(models.Model):
    """What a monthly rollup row is counted by: the month the reports were received (local
    time) and every dimension a figure may filter or group by. Ids and codes only."""

    month = models.DateField(_("month"))
    county_id = models.BigIntegerField(_("county"), null=True, blank=True)
    sub_county_id = models.BigIntegerField(_("sub-county"), null=True, blank=True)
    ward_id = models.BigIntegerField(_("ward"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=16)
    language = models.CharField(_("language"), max_length=8, blank=True)
    agency_id = models.BigIntegerField(_("deciding agency"), null=True, blank=True)
    age_bands = models.PositiveIntegerField(_("age bands"), default=0)
    categories = models.PositiveIntegerField(_("kinds of harm"), default=0)

    class Meta:
        abstract = True


class MonthlyRollup(RollupFields):
    """The report paths of a month counted by place, channel, language, deciding agency,
    harm bits and the furthest step reached: how many reports, and how many reached each
    step. Rebuilt from `ReportPath` by the same refresh; the programme-wide figures read it
    for the whole months of their period (`selectors`), the summary for the days around."""

    stage = models.CharField(_("furthest step"), max_length=16)
    reports = models.PositiveIntegerField(_("reports"), default=0)
    triaged = models.PositiveIntegerField(default=0)
    case_opened = models.PositiveIntegerField(default=0)
    incident_opened = models.PositiveIntegerField(default=0)
    investigated = models.PositiveIntegerField(default=0)
    filed = models.PositiveIntegerField(default=0)
    charged = models.PositiveIntegerField(default=0)
    judged = models.PositiveIntegerField(default=0)
    convicted = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly rollup")
        verbose_name_plural = _("monthly rollups")
        indexes = [
            models.Index(fields=["month"], name="insights_rollup_month"),
            models.Index(fields=["county_id", "month"], name="insights_rollup_county"),
        ]

    def __str__(self) -> str:
        return f"rollup {self.month:%Y-%m}: {self.reports} reports"


class StepDays(RollupFields):
    """A day-histogram of one funnel step for a month and its dimensions: how many of the
    reports took `days` whole days (rounded down) at the step. A median read from it is
    exact for whole days: the median of the durations each rounded down to its day."""

    step = models.CharField(_("step"), max_length=16)
    days = models.IntegerField(_("whole days"))
    reports = models.PositiveIntegerField(_("reports"), default=0)

    class Meta:
        verbose_name = _("step days")
        verbose_name_plural = _("step days")
        indexes = [
            models.Index(fields=["month", "step"], name="insights_days_month"),
            models.Index(fields=["county_id", "month"], name="insights_days_county"),
        ]

    def __str__(self) -> str:
        return f"{self.step} {self.month:%Y-%m}: {self.reports} took {self.days} days"


class ExportKind(models.TextChoices):
    CTDC = "ctdc", _("Anonymised publication (CTDC shape)")
    HTCDS = "htcds", _("Case data for partner agencies (HTCDS fields)")


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    BUILDING = "building", _("Being prepared")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Could not be prepared")
    EXPIRED = "expired", _("Expired")


class ExportJob(models.Model):
    """A large export asked for on the page, built by the worker, downloaded until it
    expires, by the person who asked for it alone. The file holds anonymised rows only."""

    kind = models.CharField(_("export"), max_length=16, choices=ExportKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scope = models.CharField(_("scope"), max_length=16)
    county_id = models.BigIntegerField(_("county"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ExportState.choices, default=ExportState.QUEUED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    dropped = models.PositiveIntegerField(_("rows dropped"), null=True, blank=True)
    # the file's name under KINGA_VAR_DIR/insights/exports/: random, never guessable
    token = models.CharField(_("file token"), max_length=32, unique=True)
    requested_at = models.DateTimeField(_("asked for"), default=timezone.now)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            # the asker's own exports, newest first
            models.Index(fields=["requested_by", "requested_at"], name="insights_export_mine"),
            # the expiry sweep: ready files past their time
            models.Index(fields=["state", "expires_at"], name="insights_export_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} export #{self.pk} ({self.state})"

    @property
    def in_progress(self) -> bool:
        return self.state in (ExportState.QUEUED, ExportState.BUILDING)
