"""Matching people across agencies: the runs of the matcher, the candidate pairs it found,
and the merges people decided.

A merge joins two person records as one human being without rewriting either: each agency
keeps its own record, with its provenance (who recorded it, for which matter), and sees
the other only where the policy lets it. Undoing a merge marks it undone; nothing else
changed, so every record is exactly as it was.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RunKind(models.TextChoices):
    FULL = "full", _("Whole person table")
    NEW = "new", _("New records")


class MatchRun(models.Model):
    """One run of the matcher: what it compared, what it found, the parameters it used."""

    kind = models.CharField(_("kind"), max_length=8, choices=RunKind.choices)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    persons = models.PositiveIntegerField(_("persons"), default=0)
    compared = models.PositiveBigIntegerField(_("pairs compared"), default=0)
    found = models.PositiveIntegerField(_("candidate pairs"), default=0)
    # The highest person id this run covered: the next incremental run starts after it.
    last_person_id = models.BigIntegerField(_("last person"), default=0)
    # The model's numbers (m, u, lambda per comparison level): no identity in them.
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        indexes = [
            # services: the latest finished run's model and high-water mark.
            models.Index(fields=["-finished_at"], name="matching_run_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"matching run #{self.pk} ({self.kind})"


class CandidateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    MERGED = "merged", _("Same person")
    REJECTED = "rejected", _("Different people")


class MatchCandidate(models.Model):
    """Two person records the matcher thinks may be one person, and why."""

    person_a = models.ForeignKey(
        "people.Person", verbose_name=_("first record"), on_delete=models.PROTECT, related_name="+"
    )
    person_b = models.ForeignKey(
        "people.Person",
        verbose_name=_("second record"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    probability = models.FloatField(_("probability"))
    # The comparison levels as one number (kinga.people.matcher.pattern_code).
    pattern = models.BigIntegerField(_("pattern"))
    # Field -> [level, weight]: the explanation shown to reviewers (codes and numbers).
    explanation = models.JSONField(_("explanation"), default=dict)
    run = models.ForeignKey(
        MatchRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="candidates"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=CandidateStatus.choices, default=CandidateStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("found"), auto_now_add=True)

    class Meta:
        verbose_name = _("candidate pair")
        verbose_name_plural = _("candidate pairs")
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="matching_pair_once"),
            models.CheckConstraint(
                condition=models.Q(person_a__lt=models.F("person_b")),
                name="matching_pair_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(probability__gte=0) & models.Q(probability__lte=1),
                name="matching_probability_range",
            ),
        ]
        indexes = [
            # selectors.review_queue: open pairs, most likely first.
            models.Index(fields=["status", "-probability"], name="matching_candidate_queue_idx"),
            # selectors: the pairs of one person (the index on person_a leads with it).
            models.Index(fields=["person_b"], name="matching_candidate_b_idx"),
        ]

    def __str__(self) -> str:
        return f"candidate #{self.pk}: persons #{self.person_a_id} and #{self.person_b_id}"


class PersonMerge(models.Model):
    """Two person records joined as one human being; undone by setting `undone_at`."""

    candidate = models.ForeignKey(
        MatchCandidate,
        verbose_name=_("candidate pair"),
        on_delete=models.PROTECT,
        related_name="merges",
    )
    person_a = models.ForeignKey(
        "people.Person", verbose_name=_("first record"), on_delete=models.PROTECT, related_name="+"
    )
    person_b = models.ForeignKey(
        "people.Person",
        verbose_name=_("second record"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged"))
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        constraints = [
            # A pair is merged at most once at a time; undone merges stay as history.
            models.UniqueConstraint(
                fields=["person_a", "person_b"],
                condition=models.Q(undone_at__isnull=True),
                name="matching_merge_live_once",
            ),
            models.CheckConstraint(
                condition=models.Q(person_a__lt=models.F("person_b")),
                name="matching_merge_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"merge #{self.pk}: persons #{self.person_a_id} and #{self.person_b_id}"
