"""What a report's words suggest (`kinga.assist`), and a triager's decision on each signal.

A suggestion may only put a report in front of a person sooner: the signals raise the
priority to high, never lower it, never close, decide or route a report (the triage area
is the report's place, whatever the words say). A triager confirms or rejects each signal,
or adds one the assist missed; a confirmed "danger now" makes the report urgent. Those
decisions (`SignalReview`, codes only) are the labels the assist is measured on.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.policy import can, can_do
from kinga.accounts.models import User
from kinga.assist.language import language_of
from kinga.assist.lexicon import SIGNALS, lexicon
from kinga.assist.signals import signals_of
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intake.models import HelplineCall, Priority, Report, SignalReview, SignalVerdict

SIGNAL_REVIEW = "intake.signalreview"

# The priority a suggestion may raise a report to, and a person's confirmation may.
SUGGESTED_PRIORITY = Priority.HIGH
CONFIRMED_PRIORITY = {"danger_now": Priority.URGENT}


def report_text(report: Report) -> str:
    """Return every word the report holds: its narrative, each addition, and the notes of
    its helpline calls (what the caller said, in the operator's words), in order."""
    parts = [report.narrative]
    if report.pk is not None:
        parts += [addition.text for addition in report.additions.all()]
        parts += [
            call.support_note
            for call in HelplineCall.objects.filter(report=report).order_by("started_at", "pk")
        ]
    return "\n".join(part for part in parts if part)


def signals_set(report: Report, *, text: str | None = None, notes: str = "") -> None:
    """Set what the words suggest on the report, and raise its priority for them (not saved).

    `notes` (a helpline operator's note of the call) are read for signals with the report's
    words, not for its language: the reporter's words say which language to answer in.
    The priority only goes up: a suggestion puts a report in front of a person sooner.
    """
    words = report.narrative if text is None else text
    codes = [signal.code for signal in signals_of("\n".join(p for p in (words, notes) if p))]
    report.text_signals = codes
    report.text_language = language_of(words)
    if any(code != "control" for code in codes):
        report.priority = max(report.priority, SUGGESTED_PRIORITY)


def priority_raise(report: Report, priority: int) -> bool:
    """Raise the stored report's priority to `priority` if it is lower; never lower it.

    One conditional UPDATE, so a concurrent raise (a person confirming danger) is never
    undone by a smaller one. Return whether it rose.
    """
    raised = bool(
        Report.objects.filter(pk=report.pk, priority__lt=priority).update(priority=priority)
    )
    if raised:
        report.priority = priority
    return raised


@transaction.atomic
def signals_refresh(report: Report) -> list[str]:
    """Read the report's words again after an addition: new signals, a higher priority.

    Joins the caller's transaction, whose audit event names the fields returned (those that
    changed). A decided report keeps its priority: the words are shown again, the queue is
    left alone.
    """
    before = (list(report.text_signals), report.text_language, report.priority)
    priority = report.priority
    signals_set(report, text=report_text(report))
    report.priority = priority
    changed = [
        name
        for name, old in zip(("text_signals", "text_language"), before, strict=False)
        if getattr(report, name) != old
    ]
    if changed:
        Report.objects.filter(pk=report.pk).update(
            text_signals=report.text_signals, text_language=report.text_language
        )
    raises = report.is_open and bool(set(report.text_signals) - {"control"})
    if raises and priority_raise(report, SUGGESTED_PRIORITY):
        changed.append("priority")
    return changed


@transaction.atomic(durable=True)
def report_signal_review(
    *,
    report: Report,
    actor: User,
    signal: str,
    verdict: str,
    now: datetime | None = None,
) -> SignalReview:
    """Record a triager's decision on one signal of an open report.

    Confirm or reject a suggested signal, or add one the assist missed; a later decision on
    the same signal replaces the earlier (each audited). A confirmed or added signal raises
    the priority (danger now: urgent; any other: high); a rejection never lowers it.
    """
    now = now or timezone.now()
    if not can_do(actor, "report.triage") or not can(actor, "change", report, "summary"):
        raise PermissionDenied
    if signal not in SIGNALS:
        raise ValidationError(_("Choose one of the signals."))
    if verdict not in SignalVerdict.values:
        raise ValidationError(_("Confirm or reject the signal."))
    if not report.is_open:
        raise ValidationError(_("This report has already been decided."))
    suggested = {found.code: found for found in signals_of(report_text(report))}
    if verdict == SignalVerdict.MISSED and signal in suggested:
        verdict = SignalVerdict.CONFIRMED  # it was suggested: adding it confirms it
    if verdict != SignalVerdict.MISSED and signal not in suggested:
        raise ValidationError(
            _("The words of this report do not raise that signal: add it as missed instead.")
        )
    review = SignalReview.objects.filter(report=report, signal=signal).first() or SignalReview(
        report=report, signal=signal
    )
    review.verdict = verdict
    review.rules = suggested[signal].rule_ids if signal in suggested else []
    review.lexicon_version = lexicon().version
    review.reviewed_by = actor
    review.reviewed_at = now
    review.full_clean()
    review.save()
    raised = False
    if verdict in (SignalVerdict.CONFIRMED, SignalVerdict.MISSED):
        raised = priority_raise(report, CONFIRMED_PRIORITY.get(signal, SUGGESTED_PRIORITY))
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type=SIGNAL_REVIEW,
        record_id=review.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=["verdict", "priority"] if raised else ["verdict"],
        detail={"signal": signal, "verdict": verdict, "priority": report.priority},
    )
    return review
