"""Work kept in the database for every process to share: queued tasks and rate counters.

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


class RateCounter(models.Model):
    """Hits of one key in its current window (see kinga.lib.ratelimit, which writes it)."""

    bucket = models.CharField(max_length=96, primary_key=True)
    period = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "kinga_ratelimit"

    def __str__(self) -> str:
        return f"{self.bucket}: {self.hits}"
