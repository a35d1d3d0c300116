"""Reads of reports, always given the viewer and through the access policy.

The public's only way in is a follow-up code, which is the credential itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.assist.batch import Measures, counts_for, holdout_measures, labelled_measures
from kinga.assist.learned import suggestions as learned_suggestions
from kinga.assist.lexicon import MEASURED, SIGNALS, detail_label, lexicon
from kinga.assist.lexicon import signal_label as lexicon_signal_label
from kinga.assist.signals import Piece, highlighted, signals_of
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import Case
from kinga.cases.selectors import case_opened_from_report
from kinga.intake.models import (
    Alert,
    AlertStep,
    Decision,
    HelplineCall,
    Report,
    ReportAddition,
    SignalReview,
    SignalVerdict,
)
from kinga.intake.repeats import repeat_conditions, repeat_q
from kinga.intake.services.codes import follow_up_hash, normalise_code
from kinga.intake.services.signals import report_text

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.home import WorkCount
    from kinga.accounts.models import User

RECENT_CALLS = timedelta(days=30)


def report_by_follow_up_code(*, code: str) -> Report | None:
    """Return the report the follow-up code belongs to, or None."""
    if len(normalise_code(code)) < 8:
        return None
    return Report.objects.filter(follow_up_hash=follow_up_hash(code)).first()


def report_by_channel_reference(*, channel: str, reference: str) -> Report | None:
    """Return the report a gateway session or message made (for the gateway's own retries)."""
    return Report.objects.filter(channel=channel, channel_reference=reference).first()


def calls_of(*, viewer: User) -> QuerySet[HelplineCall]:
    """Return the operator's own calls of the last 30 days whose report they may still see,
    newest first, each with its report and the first call it follows up."""
    mine = HelplineCall.objects.filter(
        operator=viewer, started_at__gte=timezone.now() - RECENT_CALLS
    )
    return (
        policy.visible(viewer, mine)
        .select_related("report", "report__county", "follow_up_of")
        .order_by("-started_at")
    )


def follow_ups_due(calls: QuerySet[HelplineCall], *, today: date) -> QuerySet[HelplineCall]:
    """Return the calls whose follow-up is due by `today` and that no later call of the same
    thread (the first call and its follow-ups) has answered yet."""
    later = HelplineCall.objects.filter(
        follow_up_of_id=Coalesce(OuterRef("follow_up_of_id"), OuterRef("pk")),
        started_at__gt=OuterRef("started_at"),
    )
    return calls.filter(follow_up_due__lte=today).exclude(Exists(later))


@dataclass(frozen=True)
class CallPage:
    """A call, its report, the first call and every follow-up of it, and what may be shown."""

    call: HelplineCall
    first: HelplineCall
    follow_ups: list[HelplineCall]
    shows_identity: bool
    additions: list[ReportAddition]


def call_for_viewer(*, viewer: User | AnonymousUser, call_id: int) -> CallPage:
    """Return a call whose report the viewer may view (audited); else the same 404."""
    call = (
        HelplineCall.objects.select_related(
            "report",
            "report__county",
            "report__sub_county",
            "report__ward",
            "operator",
            "follow_up_of",
            "follow_up_of__operator",
        )
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise policy.deny(viewer, record_type="intake.helplinecall", record_id=call_id)
    report = call.report
    policy.require(
        viewer, "view", report, "summary", record_type="intake.helplinecall", record_id=call_id
    )
    shows_identity = policy.can(viewer, "view", report, "identity")
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer.is_authenticated else None,
        record_type="intake.helplinecall",
        record_id=call.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=["support_note"] + (["narrative", "reporter_phone"] if shows_identity else []),
    )
    first = call.first_call
    follow_ups = list(
        HelplineCall.objects.filter(follow_up_of=first)
        .select_related("operator")
        .order_by("started_at")
    )
    return CallPage(
        call=call,
        first=first,
        follow_ups=follow_ups,
        shows_identity=shows_identity,
        additions=list(ReportAddition.objects.filter(report=report).order_by("received_at"))
        if shows_identity
        else [],
    )


def triage_queue(*, viewer: User | AnonymousUser) -> QuerySet[Report]:
    """Return the undecided reports in the viewer's area: by priority, oldest first."""
    if not policy.can_do(viewer, "report.triage"):
        return Report.objects.none()
    waiting = Report.objects.filter(decision=Decision.NONE, routed_at__isnull=False)
    return (
        policy.visible(viewer, waiting)
        .select_related("county", "sub_county", "ward")
        .order_by("-priority", "received_at")
    )


def triage_queue_page(*, viewer: User, limit: int = 200) -> list[Report]:
    """Return the head of the triage queue for the triage page, and audit the list read."""
    reports = list(triage_queue(viewer=viewer)[:limit])
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="intake.report",
        fields=["reference", "priority", "categories", "channel", "county", "ward"],
        detail={"list": "triage", "rows": len(reports)},
    )
    return reports


def report_for_viewer(*, viewer: User | AnonymousUser, report_id: int) -> Report:
    """Return the report if the viewer may view it; else raise the same 404 as 'not found'.

    A report that opened a case stays readable to those who may view that case (its team,
    the agencies overseeing it): the report is then read *through the case*, and
    `report.through_case` names it (None when the viewer holds the report itself).
    """
    report = (
        Report.objects.select_related("county", "sub_county", "ward", "logged_by")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise policy.deny(viewer, record_type="intake.report", record_id=report_id)
    through: Case | None = None
    if not policy.can(viewer, "view", report, "summary"):
        through = case_opened_from_report(viewer=viewer, report_id=report.pk)
        if through is None:
            policy.require(
                viewer, "view", report, "summary", record_type="intake.report", record_id=report_id
            )
    report.through_case = through  # type: ignore[attr-defined]
    return report


def report_seen_through_case(
    *, viewer: User | AnonymousUser, report: Report, case: Case
) -> ReportThroughCase:
    """Return what a reader of the case may see of its report; audit the read on the case.

    The report's facts come with the case's summary; the reporter's words (narrative, the
    exact place, accounts, contact, what was added later) with the case's identity section.
    """
    identity = policy.can(viewer, "view", case, "identity")
    additions = (
        list(ReportAddition.objects.filter(report=report).order_by("received_at", "pk"))
        if identity
        else []
    )
    notes = _with_notes(HelplineCall.objects.filter(report=report)) if identity else []
    fields = ["channel", "categories", "place", "children_count", "age_bands", "danger_now"]
    if identity:
        fields += ["narrative", "place_detail", "online_handle", "reporter_contact", "additions"]
    if notes:
        fields.append("support_note")
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer.is_authenticated else None,
        record_type="intake.report",
        record_id=report.pk,
        matter_type=MatterType.CASE,
        matter_id=case.pk,
        fields=fields,
        detail={"through": "case"},
    )
    return ReportThroughCase(case=case, identity=identity, additions=additions, notes=notes)


@dataclass(frozen=True)
class ReportThroughCase:
    case: Case
    identity: bool
    additions: list[ReportAddition]
    notes: list[HelplineCall]


def _with_notes(calls: QuerySet[HelplineCall]) -> list[HelplineCall]:
    """Return the calls that keep a note, first call first (the note is encrypted: it is
    read, not filtered on)."""
    return [call for call in calls.order_by("started_at", "pk") if call.support_note]


def call_notes_of(*, viewer: User | AnonymousUser, report: Report) -> list[HelplineCall]:
    """Return the report's helpline calls that keep a note, for a viewer who may see the
    report's identity section (the note is the caller's account in the operator's words);
    the caller audits the read with the report's (`report_review_start(notes=True)`)."""
    if not policy.can(viewer, "view", report, "identity"):
        return []
    return _with_notes(
        policy.visible(viewer, HelplineCall.objects.filter(report=report), action="view")
    )


def possible_duplicates(*, viewer: User | AnonymousUser, report: Report) -> list[Report]:
    """Return other reports the viewer may see that repeat this one (`kinga.intake.repeats`:
    the same phone within 30 days, the same ward within 72 hours)."""
    conditions = repeat_conditions(report)
    if not conditions:
        return []
    condition = Q()
    for repeat in conditions:
        condition |= repeat_q(report, repeat)
    others = Report.objects.filter(condition).exclude(pk=report.pk)
    return list(
        policy.visible(viewer, others, action="view")
        .select_related("county", "sub_county", "ward")
        .order_by("-received_at")[:5]
    )


def additions_of(*, viewer: User | AnonymousUser, report: Report) -> list[ReportAddition]:
    """Return what the reporter added later, if the viewer may see the report's identity.

    The reporter's later words are theirs as the narrative is (a name, a number, the exact
    place): the identity section, as the case's reading of its report treats them.
    """
    return list(
        policy.visible(
            viewer,
            ReportAddition.objects.filter(report=report),
            section="identity",
            action="view",
        )
    )


def _alert_or_404(*, viewer: User, alert_id: int) -> Alert:
    alert = (
        Alert.objects.select_related(
            "report", "report__county", "report__sub_county", "report__ward", "acknowledged_by"
        )
        .filter(pk=alert_id, notified=viewer)
        .first()
    )
    if alert is None:
        # Absent or sent to others, the same 404; a real alert's refusal goes on the trail
        # of the report it is about.
        report_id = Alert.objects.filter(pk=alert_id).values_list("report_id", flat=True).first()
        raise policy.deny(
            viewer,
            record_type="intake.alert",
            record_id=alert_id,
            matter=policy.Matter(type=MatterType.REPORT, id=report_id)
            if report_id is not None
            else None,
        )
    return alert


# What an alert page shows of the report to someone it reached (the policy's
# alert_recipient row): the place, what is happening, how many children, how old, and the
# reporter's contact when the reporter agreed to be called back.
ALERT_FIELDS_SUMMARY = ["categories", "danger_now", "county", "ward", "children_count", "age_bands"]
ALERT_FIELDS_IDENTITY = ["narrative", "place_detail", "online_handle"]
ALERT_FIELDS_CONTACT = ["reporter_contact", "reporter_phone"]


@dataclass(frozen=True)
class AlertPage:
    """An alert and what its reader may see of its report, decided by the policy."""

    alert: Alert
    shows_report: bool
    shows_identity: bool
    shows_contact: bool
    may_triage: bool
    step: AlertStep | None
    reached: int


def alert_for_viewer(*, viewer: User, alert_id: int) -> Alert:
    """Return an alert the viewer was sent; else the same 404 as 'not found'."""
    return _alert_or_404(viewer=viewer, alert_id=alert_id)


def alert_page(*, viewer: User, alert_id: int) -> AlertPage:
    """Return an alert the viewer was sent with what they may read of its report (audited).

    The report shows through the policy (the alert_recipient grant the alert gave them, or
    any other relation they hold); when the grant has ended the page shows the alert alone.
    """
    alert = _alert_or_404(viewer=viewer, alert_id=alert_id)
    report = alert.report
    allowed = policy.allowed_actions(viewer, report)
    shows_report = "view" in allowed["summary"]
    shows_identity = shows_report and "view" in allowed["identity"]
    shows_contact = shows_identity and report.callback_consent
    if shows_report:
        fields = list(ALERT_FIELDS_SUMMARY)
        if shows_identity:
            fields += ALERT_FIELDS_IDENTITY
        if shows_contact:
            fields += ALERT_FIELDS_CONTACT
        audit_record(
            action=AuditAction.VIEW,
            actor=viewer,
            record_type="intake.report",
            record_id=report.pk,
            matter_type="report",
            matter_id=report.pk,
            fields=fields,
            detail={"through": "alert", "alert": alert.pk},
        )
    step = (
        AlertStep.objects.filter(order=alert.step_order).first()
        if alert.step_order is not None
        else None
    )
    return AlertPage(
        alert=alert,
        shows_report=shows_report,
        shows_identity=shows_identity,
        shows_contact=shows_contact,
        may_triage=shows_report
        and "change" in allowed["summary"]
        and policy.can_do(viewer, "report.triage"),
        step=step,
        reached=alert.notified.count(),
    )


def alert_chain() -> list[AlertStep]:
    """Return the fallback chain of danger alerts, in order (no record content)."""
    return list(AlertStep.objects.order_by("order"))


def alerts_open_for(*, viewer: User) -> QuerySet[Alert]:
    """Return the unacknowledged alerts the viewer was sent, newest first."""
    return (
        Alert.objects.filter(notified=viewer, acknowledged_at__isnull=True)
        .select_related("report", "county")
        .order_by("-raised_at")
    )


def home_work(*, viewer: User, today: date) -> list[WorkCount]:
    """Return the counts of the viewer's intake work for their home: danger alerts sent to
    them and not yet acknowledged, reports waiting for a triage decision in their area, and
    for an operator the calls logged today."""
    from django.utils.translation import gettext_lazy as _

    from kinga.accounts.home import WorkCount

    work: list[WorkCount] = []
    alerts = list(alerts_open_for(viewer=viewer).values_list("pk", flat=True)[:2])
    if alerts:
        # One alert opens at its page; more open at the triage queue, which lists them.
        where = (
            reverse("intake:alert", kwargs={"alert_id": alerts[0]})
            if len(alerts) == 1 or not policy.can_do(viewer, "report.triage")
            else reverse("intake:triage")
        )
        count = alerts_open_for(viewer=viewer).count() if len(alerts) > 1 else 1
        work.append(WorkCount(_("Danger alerts to acknowledge"), count, where, urgent=True))
    if policy.can_do(viewer, "report.triage"):
        waiting = triage_queue(viewer=viewer).count()
        work.append(
            WorkCount(_("Reports waiting for a triage decision"), waiting, reverse("intake:triage"))
        )
    if policy.can_do(viewer, "report.log_call"):
        today_start = timezone.make_aware(datetime.combine(today, time.min))
        mine = calls_of(viewer=viewer)
        due = follow_ups_due(mine, today=today).count()
        work.append(
            WorkCount(_("Follow-up calls due"), due, reverse("intake:helpline_mine"), urgent=True)
        )
        calls = mine.filter(started_at__gte=today_start).count()
        work.append(WorkCount(_("Calls you logged today"), calls, reverse("intake:helpline_mine")))
    return work


# --- what the words suggest ---------------------------------------------------------------


@dataclass(frozen=True)
class SignalShown:
    """One signal as the triage page shows it: why, which words, and the decision on it."""

    code: str
    label: str
    reasons: list[str]
    details: list[str]
    phrases: list[str]
    suggested: bool
    verdict: str
    verdict_label: str
    misspelt: list[str] = field(default_factory=list)  # phrases read as a misspelling


@dataclass(frozen=True)
class LearnedShown:
    """What the learned model suggests (only for signals where it beat the rules)."""

    code: str
    label: str
    confidence: int  # percent
    words: list[str]
    raised_by_rules: bool


@dataclass(frozen=True)
class SignalsPanel:
    signals: list[SignalShown]
    narrative: list[Piece]
    additions: list[tuple[ReportAddition, list[Piece]]]
    notes: list[tuple[HelplineCall, list[Piece]]]  # helpline calls' notes, highlighted
    unsuggested: list[tuple[str, str]]  # (code, label) a triager may add as missed
    language: str
    lexicon_version: str
    learned: list[LearnedShown] = field(default_factory=list)


def _in_swahili() -> bool:
    return (translation.get_language() or "").startswith("sw")


def signal_label(code: str) -> str:
    """Return a signal's name in the reader's language (from the lexicon)."""
    return lexicon_signal_label(code, translation.get_language() or "en")


def report_signals(
    *,
    viewer: User,
    report: Report,
    additions: list[ReportAddition],
    show_identity: bool,
    notes: list[HelplineCall] | None = None,
) -> SignalsPanel:
    """Return what the report's words suggest, with the decisions taken on each signal.

    The words are the narrative, what was added later and the helpline calls' notes; they
    are the report's own, so they are shown (highlighted) only to a viewer who may see its
    identity section (who alone is given `additions` and `notes`); the others see the
    signals and why, from all the words (`report_text`). The caller has read the report
    through `report_for_viewer` (and audited that read).
    """
    swahili = _in_swahili()
    notes = notes or []
    texts = [report.narrative, *[addition.text for addition in additions]]
    texts += [call.support_note for call in notes]
    found = signals_of(
        "\n".join(text for text in texts if text) if show_identity else report_text(report)
    )
    reviews = {
        review.signal: review
        for review in policy.visible(
            viewer, SignalReview.objects.filter(report=report), action="view"
        )
    }
    verdicts = dict(SignalVerdict.choices)
    shown = [
        SignalShown(
            code=signal.code,
            label=signal_label(signal.code),
            reasons=[rule.explain_sw if swahili else rule.explain_en for rule in signal.rules],
            details=[
                detail_label(code, translation.get_language() or "en") for code in signal.details
            ],
            phrases=signal.phrases if show_identity else [],
            misspelt=signal.misspelt if show_identity else [],
            suggested=True,
            verdict=reviews[signal.code].verdict if signal.code in reviews else "",
            verdict_label=str(verdicts[reviews[signal.code].verdict])
            if signal.code in reviews
            else "",
        )
        for signal in found
    ]
    suggested = {signal.code for signal in found}
    shown += [
        SignalShown(
            code=code,
            label=signal_label(code),
            reasons=[],
            details=[],
            phrases=[],
            suggested=False,
            verdict=review.verdict,
            verdict_label=str(verdicts[review.verdict]),
        )
        for code, review in reviews.items()
        if code not in suggested
    ]
    per_text = [signals_of(text) for text in texts] if show_identity else []
    return SignalsPanel(
        signals=shown,
        narrative=highlighted(report.narrative, per_text[0]) if show_identity else [],
        additions=[
            (addition, highlighted(addition.text, per_text[index + 1]))
            for index, addition in enumerate(additions)
        ]
        if show_identity
        else [],
        notes=[
            (call, highlighted(call.support_note, per_text[1 + len(additions) + index]))
            for index, call in enumerate(notes)
        ]
        if show_identity
        else [],
        unsuggested=[
            (code, signal_label(code))
            for code in SIGNALS
            if code not in suggested and code not in reviews
        ],
        language=report.get_text_language_display() if report.text_language else "",
        lexicon_version=lexicon().version,
        learned=[
            LearnedShown(
                code=suggestion.code,
                label=signal_label(suggestion.code),
                confidence=round(suggestion.confidence * 100),
                words=list(suggestion.words) if show_identity else [],
                raised_by_rules=suggestion.code in suggested,
            )
            for suggestion in learned_suggestions("\n".join(t for t in texts if t))
        ]
        if show_identity
        else [],
    )


def signal_measures_from_decisions() -> Measures:
    """Count the triagers' decisions on signals: confirmed (the assist was right), rejected
    (it raised a signal the words do not carry), added as missed (it said nothing).

    Codes and counts over the whole programme, never a report: the caller checks who may
    see them (`signal_measures_page`) or is an operator's command.
    """
    counts = counts_for(MEASURED)
    rows = SignalReview.objects.values_list("signal", "verdict").annotate(n=Count("id"))
    for signal, verdict, number in rows:
        if signal not in counts:
            continue
        if verdict == SignalVerdict.CONFIRMED:
            counts[signal].true_positive += number
        elif verdict == SignalVerdict.REJECTED:
            counts[signal].false_positive += number
        elif verdict == SignalVerdict.MISSED:
            counts[signal].false_negative += number
    return Measures(rows=sum(c.support + c.false_positive for c in counts.values()), signals=counts)


@dataclass(frozen=True)
class SignalMeasuresPage:
    labelled: Measures
    labelled_rows: int
    decisions: Measures
    lexicon_version: str
    held_out: tuple[tuple[Measures, int], ...] = ()  # each held-out set and its size


def signal_measures_page(*, viewer: User) -> SignalMeasuresPage:
    """Return how each signal measures up, on the labelled set and on the decisions so far,
    for a triager, a supervisor or an analyst (aggregates only); audit the read."""
    if not (policy.can_do(viewer, "report.triage") or policy.can_do(viewer, "aggregate.view")):
        raise policy.deny(viewer, record_type="intake.signalreview", record_id="")
    labelled, size = labelled_measures()
    page = SignalMeasuresPage(
        labelled=labelled,
        labelled_rows=size,
        decisions=signal_measures_from_decisions(),
        lexicon_version=lexicon().version,
        held_out=holdout_measures(),
    )
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="intake.signalreview",
        fields=["signal", "verdict"],
        detail={"list": "signal_measures", "rows": page.decisions.rows},
    )
    return page
