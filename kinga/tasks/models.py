"""Work kept in the database for every process to share: queued tasks, the schedule of
periodic jobs, and rate counters.

A task is stored in the same transaction as the change that needs it, so a crash between
the two cannot lose it, and `kinga worker` runs it once it is due. Payloads hold ids only,
never personal data: the task loads what it needs.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TaskState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Task(models.Model):
    name = models.CharField(_("name"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.QUEUED
    )
    run_after = models.DateTimeField(_("run after"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("most attempts"), default=8)
    last_error = models.TextField(_("last error"), blank=True)
    locked_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    locked_by = models.CharField(_("claimed by"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            # the worker's claim: due queued tasks, oldest first
            models.Index(fields=["state", "run_after"], name="tasks_due"),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} ({self.state})"


class ScheduledJob(models.Model):
    """A periodic job: how often it runs and when it is next due.

    The worker turns a due job into a task (its name is the task's name) and moves
    `next_due` on, in one conditional UPDATE, so with several workers each due run is queued
    once; the task machinery then runs it once, retries it and recovers it from a dead worker.
    Rows are made by `kinga.tasks.schedule.schedule_sync` from the jobs registered with
    `@periodic`; the interval follows the code (or a setting), `next_due` is the database's.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"))
    next_due = models.DateTimeField(_("next due"), default=timezone.now)
    enabled = models.BooleanField(_("enabled"), default=True)
    last_queued_at = models.DateTimeField(_("last queued"), null=True, blank=True)
    last_queued_by = models.CharField(_("last queued by"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} every {self.interval_seconds}s (next {self.next_due:%Y-%m-%d %H:%M})"


class RateCounter(models.Model):
    """Hits of one key in its current window (see kinga.lib.ratelimit, which writes it)."""

    bucket = models.CharField(max_length=96, primary_key=True)
    period = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "kinga_ratelimit"

    def __str__(self) -> str:
        return f"{self.bucket}: {self.hits}"
