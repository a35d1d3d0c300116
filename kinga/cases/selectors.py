"""Reads of survivor cases, always for a viewer and through the access policy."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from kinga.access import policy
from kinga.access.models import BreakGlassGrant, MatterType
from kinga.access.selectors import break_glass_live_on
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases import wellbeing
from kinga.cases.models import (
    SECTION_OF_SENSITIVITY,
    ApprovalState,
    Case,
    CaseEvent,
    CasePlan,
    CaseStatus,
    CaseTeamMember,
    CaseTransfer,
    ClosureRequest,
    Consent,
    CounsellingSession,
    InCase,
    Interview,
    InterviewState,
    Note,
    PlanItem,
    PlanItemKind,
    PlanItemStatus,
    PlanState,
    Promise,
    PromiseState,
    Task,
    TransferState,
    WellbeingMeasure,
)
from kinga.cases.seams import (
    REFERRALS_READ,
    ReferralRow,
    SourceReport,
    case_field_visits,
    case_justice,
    case_referrals,
    case_source_reports,
)
from kinga.lib.names import query_tokens
from kinga.people.models import IdentifierKind, LinkRole, Person, PersonIdentifier, PersonLink
from kinga.people.selectors import (
    LikelyMatch,
    person_likely_matches,
    person_search,
    rank_by_name,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.home import WorkCount
    from kinga.accounts.models import User
    from kinga.cases.seams import CourtPath

    Viewer = User | AnonymousUser | None

R = TypeVar("R", bound=InCase)

# The case page lists this many open tasks and promises, soonest first; "my work" has all.
PANEL_ROWS = 20


def _count(model: type[InCase], **filters: Any) -> Coalesce:
    rows = (
        model._default_manager.filter(case=OuterRef("pk"), **filters)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def case_get(
    *, viewer: Viewer, case_id: int, action: str = "view", section: str = "summary"
) -> Case:
    """Return the case if the viewer may take the action on that section; else 404 (audited).

    The case carries what the viewer may do (`allowed`, decided once) and a few counts
    the case page needs, so the page does not ask again.
    """
    now = timezone.now()
    case = (
        Case.objects.select_related("county", "owning_agency", "caseworker", "child")
        .annotate(
            pending_closures=_count(ClosureRequest, state=ApprovalState.REQUESTED),
            pending_transfers=_count(CaseTransfer, state=TransferState.REQUESTED),
            held_interviews=_count(Interview, state=InterviewState.HELD),
            planned_interviews=_count(Interview, state=InterviewState.PLANNED),
            break_glass_live=Exists(
                BreakGlassGrant.objects.filter(
                    matter_type=MatterType.CASE,
                    matter_id=OuterRef("pk"),
                    starts_at__lte=now,
                    ends_at__gt=now,
                    access_grant__revoked_at__isnull=True,
                )
            ),
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise policy.deny(viewer, record_type="cases.case", record_id=case_id, action=action)
    allowed = policy.allowed_actions(viewer, case)
    if action not in allowed[section]:
        policy.require(viewer, action, case, section, record_type="cases.case", record_id=case_id)
    case.allowed = allowed  # type: ignore[attr-defined]
    return case


def record_get(
    *, viewer: Viewer, model: type[R], record_id: int, case: Case, action: str = "change"
) -> R:
    """Return a record of the case if the viewer may take the action on its section; else 404."""
    record = model._default_manager.filter(pk=record_id, case=case).first()
    label = model._meta.label_lower
    if record is None:
        # the viewer may see the case, so naming it on the refusal tells them nothing new
        raise policy.deny(
            viewer, record_type=label, record_id=record_id, action=action, matter=case
        )
    section = record.policy_section if isinstance(record, Note) else model.section
    policy.require(viewer, action, record, section, record_type=label, record_id=record_id)
    record.case = case
    return record


def case_list(
    *,
    viewer: Viewer,
    status: str = "",
    risk_level: str = "",
    county_id: int | None = None,
    mine: bool = False,
) -> QuerySet[Case]:
    """Return the cases the viewer may list, newest first, with the filters applied.

    Lists show the case code, never a name.
    """
    cases = policy.visible(viewer, Case.objects.all(), section="summary", action="list")
    if status:
        cases = cases.filter(status=status)
    if risk_level:
        cases = cases.filter(risk_level=risk_level)
    if county_id:
        cases = cases.filter(county_id=county_id)
    if mine and viewer is not None and viewer.is_authenticated:
        cases = cases.filter(caseworker_id=viewer.pk)
    return cases.select_related("county", "owning_agency", "caseworker").order_by(
        "-opened_at", "-pk"
    )


@dataclass(frozen=True)
class CodeLookup:
    case: Case | None
    # A case with that code exists but the viewer may not open it, and their role may ask
    # for emergency access to it: the only viewer told that an unreachable code exists.
    break_glass_case_id: int | None


def case_find_by_code(*, viewer: Viewer, code: str) -> CodeLookup:
    """Find a case by its exact code; audit the search, and audit a refusal as a denial.

    Codes are sequential, so the answer for a case out of reach must be the answer for a
    code that does not exist: both are refused alike (an empty lookup), the refusal of a
    real case lands on that case's trail. Only a role that may break glass learns that the
    code exists, to ask for emergency access.
    """
    code = code.strip().upper()
    audit_record(
        action=AuditAction.SEARCH,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="cases.case",
        search_terms=code,
    )
    return _lookup_code(viewer, code)


def _lookup_code(viewer: Viewer, code: str) -> CodeLookup:
    """Look up an exact code (the search already audited); audit a refusal as a denial."""
    case = Case.objects.filter(code=code).first()
    if case is None:
        policy.deny(viewer, record_type="cases.case", record_id="")
        return CodeLookup(None, None)
    if policy.can(viewer, "view", case, "summary"):
        return CodeLookup(case, None)
    policy.deny(viewer, record_type="cases.case", record_id=case.pk, matter=case)
    if policy.can_do(viewer, "break_glass.request"):
        return CodeLookup(None, case.pk)
    return CodeLookup(None, None)


# A case code is three capitals, the year and a number: MSA-2026-00042. A search whose
# text could begin one is matched against codes by prefix; one that is a whole code is
# looked up exactly (and may offer break-glass).
CODE_START = re.compile(r"[A-Z]{1,3}(-[0-9]{0,4}(-[0-9]{0,5})?)?")
WHOLE_CODE = re.compile(r"[A-Z]{3}-[0-9]{4}-[0-9]{5}")
# At most this many children whose names match are looked for among the viewer's cases.
NAME_MATCHES = 50


@dataclass(frozen=True)
class CaseSearch:
    """What a search of the case list found: the cases the viewer may list that match,
    the case of an exact code the viewer may open, or (for a role that may break glass)
    the case of an exact code out of reach."""

    text: str
    cases: QuerySet[Case]
    exact: Case | None
    break_glass_case_id: int | None
    # The text was a whole code (or could only be one), looked up exactly: when it finds no
    # case the viewer may open, the answer is the same for a real code and an unused one.
    code_lookup: bool = False


def case_search(
    *,
    viewer: Viewer,
    text: str,
    status: str = "",
    risk_level: str = "",
    mine: bool = False,
) -> CaseSearch:
    """Return the cases the viewer may list whose code starts with the text, or whose
    child's name matches it, tolerant of spelling (`kinga.people` name tokens).

    A name only finds the cases whose identity section the viewer may list, so searching
    by name tells nobody which child a case they may not see is about. The search is
    audited once, its terms hashed. A whole code (or text with digits that cannot begin
    one) is looked up exactly and refused as `case_find_by_code` refuses it: a case out
    of reach and a code nobody has are audited denials alike.
    """
    text = " ".join(text.split())
    listed = case_list(viewer=viewer, status=status, risk_level=risk_level, mine=mine)
    audit_record(
        action=AuditAction.SEARCH,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="cases.case",
        search_terms=text,
    )
    code = text.upper()
    lookup = CodeLookup(None, None)
    matches = Q(pk__in=[])
    has_digit = any(ch.isdigit() for ch in text)
    code_lookup = bool(WHOLE_CODE.fullmatch(code)) or (has_digit and not CODE_START.fullmatch(code))
    if code_lookup:
        lookup = _lookup_code(viewer, code)
    elif CODE_START.fullmatch(code):
        matches |= Q(code__startswith=code)
    parts = [] if has_digit else query_tokens(text)
    if parts:
        named = policy.visible(viewer, Case.objects.all(), section="identity", action="list")
        children = rank_by_name(parts, among=named.values("child_id"), limit=NAME_MATCHES)
        if children:
            matches |= Q(child_id__in=children, pk__in=named.values("pk"))
    return CaseSearch(
        text=text,
        cases=listed.filter(matches),
        exact=lookup.case,
        break_glass_case_id=lookup.break_glass_case_id,
        code_lookup=code_lookup,
    )


def child_first_name_for_referral(*, viewer: Viewer, case: Case) -> str:
    """Return the child's first name to pre-fill a referral form, audited as an identity read.

    The name is identity: a viewer who may not view that section gets an empty field.
    """
    allowed: dict[str, frozenset[str]] = getattr(case, "allowed", None) or (
        policy.allowed_actions(viewer, case)
    )
    if "view" not in allowed["identity"]:
        return ""
    name: str = case.child.given_name or ""
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="people.person",
        record_id=case.child_id,
        matter_type=MatterType.CASE,
        matter_id=case.pk,
        fields=["given_name"],
        detail={"section": "identity", "purpose": "referral_prefill"},
    )
    return name


def plan_services_open(*, viewer: Viewer, case: Case) -> list[tuple[int, str]]:
    """Return (id, label) of the current plan's open services not yet met by a referral.

    The plan is care: a viewer who may not view that section gets none.
    """
    if not policy.can(viewer, "view", case, "care"):
        return []
    plan = CasePlan.objects.filter(case=case).order_by("-version").first()
    if plan is None:
        return []
    items = PlanItem.objects.filter(
        plan=plan, kind=PlanItemKind.SERVICE, status=PlanItemStatus.OPEN, referral_id__isnull=True
    ).order_by("due_on", "pk")
    return [(item.pk, f"{item.get_need_display()}: {item.description}") for item in items]


def case_opened_from_report(*, viewer: Viewer, report_id: int) -> Case | None:
    """Return the case opened from the report when the viewer may view that case, else None.

    The report then reads through the case: its team (and those overseeing it) keep the
    report the child's case came from, under the case's policy; nobody else does.
    """
    case = Case.objects.filter(source_report_id=report_id).order_by("pk").first()
    if case is None or not policy.can(viewer, "view", case, "summary"):
        return None
    return case


def case_of_decision(*, viewer: Viewer, report_id: int, code: str) -> Case | None:
    """Return the case a triage decision sent the report to, if the viewer may view it.

    Not a search: the code is the report's own record of its decision, so nothing is
    audited here (the case page the viewer goes to next audits its read).
    """
    if not code:
        return None
    case = (
        Case.objects.filter(source_report_id=report_id, code=code).first()
        or Case.objects.filter(code=code).first()
    )
    if case is None or not policy.can(viewer, "view", case, "summary"):
        return None
    return case


def child_profile(*, viewer: Viewer, case: Case, action: str = "view") -> ChildProfile:
    """Return the child's profile (identity section) with the guardian; audit the read.

    Raise the case's audited 404 unless the viewer may take the action on its identity.
    """
    policy.require(viewer, action, case, "identity", record_type="cases.case", record_id=case.pk)
    child = case.child
    guardian_link = (
        PersonLink.objects.filter(
            matter_type=MatterType.CASE, matter_id=case.pk, role=LinkRole.GUARDIAN
        )
        .select_related("person")
        .order_by("pk")
        .first()
    )
    guardian = guardian_link.person if guardian_link is not None else None
    identifiers = list(PersonIdentifier.objects.filter(person=child).order_by("kind", "pk"))
    guardian_phones = (
        list(
            PersonIdentifier.objects.filter(person=guardian, kind=IdentifierKind.PHONE).values_list(
                "value", flat=True
            )
        )
        if guardian is not None
        else []
    )
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="people.person",
        record_id=child.pk,
        matter_type=MatterType.CASE,
        matter_id=case.pk,
        fields=["names", "sex", "date_of_birth", "age", "languages", "identifiers", "guardian"],
        detail={"section": "identity", "purpose": "child_profile"},
    )
    return ChildProfile(
        child=child,
        guardian=guardian,
        identifiers=identifiers,
        guardian_phones=[str(phone) for phone in guardian_phones],
    )


@dataclass
class ChildProfile:
    child: Person
    guardian: Person | None
    identifiers: list[PersonIdentifier]
    guardian_phones: list[str]

    def identifier(self, kind: str) -> str:
        return next((i.value for i in self.identifiers if i.kind == kind), "")

    def phones(self) -> list[str]:
        return [i.value for i in self.identifiers if i.kind == IdentifierKind.PHONE]


def cases_of_persons(*, viewer: Viewer, person_ids: list[int]) -> QuerySet[Case]:
    """Return the visible cases of these persons (search before create)."""
    return case_list(viewer=viewer).filter(child_id__in=person_ids)


def person_candidates(*, viewer: Viewer, text: str) -> list[Person]:
    """Return up to ten persons the viewer may see whose names match (search before create)."""
    if not text.strip():
        return []
    return person_search(viewer=viewer, text=text, limit=10)


def likely_children(*, viewer: Viewer, text: str) -> list[LikelyMatch]:
    """Return up to ten persons the viewer may see who may be the child typed, most likely
    first, each with why (search before create, through the matcher)."""
    if not text.strip():
        return []
    return person_likely_matches(viewer=viewer, text=text, limit=10)


# --- the case page -------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime.datetime
    kind: str
    label: str
    summary: str
    section: str
    text: str = ""
    actor: str = ""
    url: str = ""
    # The day it happened, when its record says another day than the one it was entered.
    on: datetime.date | None = None

    @property
    def day(self) -> datetime.date:
        """Return the day it happened (the timeline's order), else the day it was entered."""
        return self.on or timezone.localdate(self.at)

    def html(self) -> str:
        """Return the entry as one escaped `<li>`.

        The timeline can hold hundreds of entries; building each in Python is some ten
        times faster than a template loop, which keeps the case page within its budget.
        The time is shown as 2026-03-02 14:05, the same in both languages; an entry that
        happened on another day than it was entered shows that day, and when it was
        entered beside it.
        """
        text = (
            format_html('<p class="note-text">{}</p>', linebreaksbr(self.text)) if self.text else ""
        )
        actor = format_html(' <span class="help">· {}</span>', self.actor) if self.actor else ""
        summary = (
            format_html('<a href="{}">{}</a>', self.url, self.summary)
            if self.url.startswith("/") and not self.url.startswith("//")
            else self.summary
        )
        entered = timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M")
        if self.on is not None and self.on != timezone.localdate(self.at):
            when = format_html(
                '<time datetime="{}">{}</time> <span class="entered help">({} '
                '<time datetime="{}">{}</time>)</span>',
                self.on.isoformat(),
                self.on.isoformat(),
                gettext("entered"),
                self.at.isoformat(),
                entered,
            )
        else:
            when = format_html('<time datetime="{}">{}</time>', self.at.isoformat(), entered)
        return format_html(
            '<li class="entry-{}">{} <span class="badge">{}</span> {}{}{}</li>',
            self.section,
            when,
            self.label,
            summary,
            actor,
            text,
        )


def event_summary(summary: str, params: dict[str, Any] | None) -> str:
    """Return a timeline event's summary in the reader's language (see services._event)."""
    text = gettext(summary)
    if not params:
        return text
    try:
        return text % {
            name: gettext(value) if isinstance(value, str) else value
            for name, value in params.items()
        }
    except (KeyError, ValueError, TypeError):
        return summary


@dataclass
class CasePage:
    case: Case
    allowed: dict[str, frozenset[str]]
    timeline: list[TimelineEntry]
    team: list[CaseTeamMember]
    tasks: list[Task]
    promises: list[Promise]
    plan: CasePlan | None
    closure: ClosureRequest | None
    transfer: CaseTransfer | None
    consents: list[Consent]
    chart: wellbeing.Chart | None
    latest_wellbeing: WellbeingMeasure | None
    interviews_held: int
    planned_interviews: list[Interview]
    break_glass: list[BreakGlassGrant]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def more_tasks(self) -> bool:
        return len(self.tasks) > PANEL_ROWS

    @property
    def more_promises(self) -> bool:
        return len(self.promises) > PANEL_ROWS

    def timeline_html(self) -> str:
        """Return the timeline's entries as escaped HTML (see TimelineEntry.html)."""
        return mark_safe("".join(entry.html() for entry in self.timeline))  # noqa: S308  # each part escaped by format_html

    def may(self, section: str, action: str = "view") -> bool:
        return action in self.allowed.get(section, frozenset())


def _referral_entries(viewer: Viewer, case: Case) -> list[TimelineEntry]:
    """Referrals on the timeline, from the app that supplies a case's referrals."""
    provider = case_referrals()
    return provider.timeline_entries(viewer=viewer, case=case) if provider is not None else []


def case_page(
    *, viewer: User, case: Case, timeline_limit: int = 500, action: str = "view"
) -> CasePage:
    """Gather what the viewer may see of the case, deciding sections once; audit the read.

    `action="export"` gathers the file copy: only the sections the viewer may export, and
    the read is audited as the export it is (a printed page leaves the system).
    """
    if action not in ("view", "export"):
        raise ValueError(f"a case page is viewed or exported, not {action!r}")
    allowed = getattr(case, "allowed", None) or policy.allowed_actions(viewer, case)
    sections = [section for section, actions in allowed.items() if action in actions]
    notes_visible = [
        sensitivity
        for sensitivity, section in SECTION_OF_SENSITIVITY.items()
        if section in sections
    ]
    # Plain rows, not model instances: the timeline can hold hundreds of entries. A note's
    # text comes in the same query, decrypted by its field, when its section is visible.
    text_field = Note._meta.get_field("text")
    note_text = SqlCase(
        When(
            kind=CaseEvent.Kind.NOTE,
            then=Subquery(
                Note.objects.filter(
                    pk=OuterRef("record_id"), case_id=case.pk, sensitivity__in=notes_visible
                ).values("text")[:1],
                output_field=text_field,
            ),
        ),
        default=Value(""),
        output_field=text_field,
    )
    events = list(
        CaseEvent.objects.filter(case=case, event_section__in=sections)
        .annotate(note_text=note_text)
        .order_by("-occurred_on", "-created_at", "-pk")
        .values_list(
            "occurred_on",
            "created_at",
            "kind",
            "summary",
            "params",
            "event_section",
            "note_text",
            "created_by__first_name",
            "created_by__last_name",
            "created_by__username",
        )[:timeline_limit]
    )
    labels = {value: str(label) for value, label in CaseEvent.Kind.choices}
    timeline = [
        TimelineEntry(
            at=at,
            kind=kind,
            label=labels.get(kind, kind),
            summary=event_summary(summary, params),
            section=section,
            text=text or "",
            actor=f"{first} {last}".strip() or username,
            on=on,
        )
        for on, at, kind, summary, params, section, text, first, last, username in events
    ]
    if "referral" in sections:
        timeline.extend(_referral_entries(viewer, case))
        timeline.sort(key=lambda entry: (entry.day, entry.at), reverse=True)
    visits = case_field_visits() if "care" in sections else None
    if visits is not None:
        timeline.extend(visits.timeline_entries(case=case))
        timeline.sort(key=lambda entry: (entry.day, entry.at), reverse=True)

    summary = "summary" in sections
    care = "care" in sections
    team = (
        list(
            CaseTeamMember.objects.filter(case=case)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
            .select_related("user", "agency")
        )
        if summary
        else []
    )
    tasks = (
        list(
            Task.objects.filter(case=case, done_at__isnull=True)
            .select_related("assigned_to")
            .order_by("due_on", "pk")[: PANEL_ROWS + 1]
        )
        if summary
        else []
    )
    promises = (
        list(
            Promise.objects.filter(case=case, state=PromiseState.OPEN)
            .select_related("owner")
            .order_by("due_on", "pk")[: PANEL_ROWS + 1]
        )
        if summary
        else []
    )
    plan = (
        CasePlan.objects.filter(case=case)
        .select_related("decided_by")
        .prefetch_related("items__provider_agency")
        .order_by("-version")
        .first()
        if care
        else None
    )
    closure = transfer = None
    if summary and getattr(case, "pending_closures", True):
        closure = (
            ClosureRequest.objects.filter(case=case, state=ApprovalState.REQUESTED)
            .select_related("created_by")
            .first()
        )
    if summary and getattr(case, "pending_transfers", True):
        transfer = (
            CaseTransfer.objects.filter(case=case, state=TransferState.REQUESTED)
            .select_related("to_agency")
            .first()
        )
    consents = (
        list(
            Consent.objects.filter(case=case)
            .select_related("recipient_agency")
            .order_by("-given_on")
        )
        if "referral" in sections
        else []
    )
    chart = None
    latest = None
    if care:
        measures = list(WellbeingMeasure.objects.filter(case=case).order_by("measured_on", "pk"))
        if measures:
            latest = measures[-1]
            chart = wellbeing.chart(
                [(m.measured_on.strftime("%d %b %y"), m.total) for m in measures]
            )
    held = 0
    planned: list[Interview] = []
    if "justice" in sections:
        counted: int | None = getattr(case, "held_interviews", None)
        if counted is None:
            counted = Interview.objects.filter(case=case, state=InterviewState.HELD).count()
        held = counted
        if getattr(case, "planned_interviews", True):
            planned = list(Interview.objects.filter(case=case, state=InterviewState.PLANNED))
    live = (
        list(break_glass_live_on(matter=case.access_matter()))
        if summary and getattr(case, "break_glass_live", True)
        else []
    )
    _promise_texts(viewer, case, promises, referrals_shown="referral" in sections)
    sessions = (
        list(
            CounsellingSession.objects.filter(case=case)
            .select_related("counsellor")
            .order_by("-held_on", "-pk")[:PANEL_ROWS]
        )
        if care
        else []
    )
    referral_rows = _referral_rows(viewer, case) if "referral" in sections else []
    # the referrals read once for the timeline and the panel are this page's, not the case's
    case.__dict__.pop(REFERRALS_READ, None)
    rows_by_id = {row.id: row for row in referral_rows}
    plan_items = list(plan.items.all()) if plan is not None else []
    for item in plan_items:
        # a plan item met by a referral shows the referral's state (to those who see it)
        item.referral_row = rows_by_id.get(item.referral_id or 0)  # type: ignore[attr-defined]
    source = (
        _source_report(viewer, case, identity="identity" in sections)
        if summary and case.source_report_id is not None
        else None
    )
    fields = ["code", "status", "risk_level"]
    if "identity" in sections:
        fields.append("child")
    if sessions:
        fields.append("counselling_sessions.notes")
    audit_record(
        action=AuditAction.EXPORT if action == "export" else AuditAction.VIEW,
        actor=viewer,
        record_type="cases.case",
        record_id=case.pk,
        matter_type="case",
        matter_id=case.pk,
        fields=fields,
        detail={"sections": sections},
    )
    return CasePage(
        case=case,
        allowed=allowed,
        timeline=timeline,
        team=team,
        tasks=tasks,
        promises=promises,
        plan=plan,
        closure=closure,
        transfer=transfer,
        consents=consents,
        chart=chart,
        latest_wellbeing=latest,
        interviews_held=held,
        planned_interviews=planned,
        break_glass=live,
        extra={
            "safe_place": _at_safe_place(case) if "referral" not in sections else False,
            "source_report": source,
            "referrals": referral_rows,
            "sessions": sessions,
            "plan_items": plan_items,
            "court_paths": _court_paths(viewer, case) if "justice" in sections else [],
        },
    )


def _referral_rows(viewer: Viewer, case: Case) -> list[ReferralRow]:
    """The case's referrals for its panel, from the app that supplies them."""
    provider = case_referrals()
    return provider.panel_rows(viewer=viewer, case=case) if provider is not None else []


def _source_report(viewer: Viewer, case: Case, *, identity: bool) -> SourceReport | None:
    """What the report the case was opened from said (the provider audits the read)."""
    provider = case_source_reports()
    if provider is None:
        return None
    return provider.source_report(viewer=viewer, case=case, identity=identity)


def _court_paths(viewer: Viewer, case: Case) -> list[CourtPath]:
    """The path to verdict of the child's incidents, from the app that supplies it."""
    provider = case_justice()
    return provider.court_paths(viewer=viewer, case=case) if provider is not None else []


def _at_safe_place(case: Case) -> bool:
    """Return whether the child is placed at a confidential place now, never where it is.

    For viewers who may not see referrals (break-glass): what protects the child now.
    """
    provider = case_referrals()
    return provider.at_safe_place(case=case) if provider is not None else False


PROMISE_OF_REFERRAL = "referrals.referral"


def _promise_texts(
    viewer: Viewer, case: Case, promises: list[Promise], *, referrals_shown: bool
) -> None:
    """Set each promise's `shown` text: what was promised, as far as the viewer may know.

    A promise is in the summary, which readers of a case see even when they may not see
    its referrals (an investigator, a prosecutor): a promise made by a referral shows its
    details (reference, service) only to a viewer of the referral section, taken from the
    referral itself, never from text copied onto the promise.
    """
    from_referrals = [p for p in promises if p.source_type == PROMISE_OF_REFERRAL]
    texts: dict[str, str] = {}
    provider = case_referrals()
    if from_referrals and referrals_shown and provider is not None:
        texts = provider.promise_texts(viewer=viewer, case=case)
    for promise in promises:
        if promise.source_type == PROMISE_OF_REFERRAL:
            promise.shown = texts.get(promise.source_id, "")  # type: ignore[attr-defined]
        else:
            promise.shown = promise.description  # type: ignore[attr-defined]


# --- my work ------------------------------------------------------------------------------------


@dataclass
class MyWork:
    tasks: list[Task]
    promises: list[Promise]
    overseen_overdue_promises: list[Promise]
    plans_to_approve: list[CasePlan]
    closures_to_approve: list[ClosureRequest]
    transfers_offered: list[CaseTransfer]
    today: datetime.date


def my_work(*, viewer: User) -> MyWork:
    """Return the viewer's open tasks and promises, overdue first, and what waits for them."""
    today = timezone.localdate()
    visible_ids = policy.visible(
        viewer, Case.objects.all(), section="summary", action="view"
    ).values("pk")
    tasks = list(
        Task.objects.filter(assigned_to=viewer, done_at__isnull=True, case_id__in=visible_ids)
        .select_related("case")
        .order_by("due_on")[:100]
    )
    promises = list(
        Promise.objects.filter(owner=viewer, state=PromiseState.OPEN, case_id__in=visible_ids)
        .select_related("case")
        .order_by("due_on")[:100]
    )
    overseen: list[Promise] = []
    plans: list[CasePlan] = []
    closures: list[ClosureRequest] = []
    transfers: list[CaseTransfer] = []
    if policy.can_do(viewer, "case.approve"):
        changeable = policy.visible(
            viewer, Case.objects.all(), section="summary", action="change"
        ).values("pk")
        overseen = list(
            Promise.objects.filter(
                state=PromiseState.OPEN, due_on__lt=today, case_id__in=changeable
            )
            .exclude(owner=viewer)
            .select_related("case", "owner")
            .order_by("due_on")[:100]
        )
        plans = list(
            CasePlan.objects.filter(state=PlanState.SUBMITTED, case_id__in=changeable)
            .exclude(created_by=viewer)
            .select_related("case")
        )
        closures = list(
            ClosureRequest.objects.filter(state=ApprovalState.REQUESTED, case_id__in=changeable)
            .exclude(created_by=viewer)
            .select_related("case")
        )
        if viewer.agency_id is not None:
            transfers = list(
                CaseTransfer.objects.filter(
                    state=TransferState.REQUESTED, to_agency_id=viewer.agency_id
                ).select_related("case", "from_agency")
            )
    audit_record(action=AuditAction.LIST, actor=viewer, record_type="cases.task", fields=["title"])
    return MyWork(
        tasks=tasks,
        promises=promises,
        overseen_overdue_promises=overseen,
        plans_to_approve=plans,
        closures_to_approve=closures,
        transfers_offered=transfers,
        today=today,
    )


def team_candidates(*, viewer: User, case: Case) -> QuerySet[Any]:
    """Return staff who may be put on a team (anyone active with an agency and a case role)."""
    from kinga.accounts.models import Role, User

    return (
        User.objects.filter(is_active=True, agency__isnull=False)
        .filter(
            roles__role__in=[
                Role.CASEWORKER,
                Role.COUNSELLOR,
                Role.INVESTIGATOR,
                Role.PROSECUTOR,
                Role.SUPERVISOR,
            ]
        )
        .select_related("agency")
        .distinct()
        .order_by("agency__name", "username")
    )


def case_page_team(*, case: Case) -> list[CaseTeamMember]:
    """Return the current team of a case the caller has already been allowed to see."""
    return list(
        CaseTeamMember.objects.filter(case=case)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
        .select_related("user", "agency")
    )


def interviews_held(*, viewer: Viewer, case: Case) -> int:
    """Return how many interviews of the child were held (justice section), 0 if not allowed."""
    if not policy.can(viewer, "view", case, "justice"):
        return 0
    return Interview.objects.filter(case=case, state=InterviewState.HELD).count()


def receiving_caseworker(*, viewer: User, user_id: str) -> User:
    """Return a caseworker of the viewer's agency (the new owner of a transferred case)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from kinga.accounts.models import Role, User

    if viewer.agency_id is None:
        raise ValidationError(_("Choose a caseworker of your agency."))
    found = (
        User.objects.filter(
            pk=int(user_id) if str(user_id).isdigit() else 0,
            agency_id=viewer.agency_id,
            is_active=True,
            roles__role__in=[Role.CASEWORKER, Role.SUPERVISOR],
        )
        .distinct()
        .first()
    )
    if found is None:
        raise ValidationError(_("Choose a caseworker of your agency."))
    return found


def receiving_caseworkers(*, viewer: User) -> QuerySet[Any]:
    """Return the caseworkers of the viewer's agency, to choose the new owner."""
    from kinga.accounts.models import Role, User

    if viewer.agency_id is None:
        return User.objects.none()
    return (
        User.objects.filter(agency_id=viewer.agency_id, is_active=True, roles__role=Role.CASEWORKER)
        .distinct()
        .order_by("username")
    )


# --- the home's counts -------------------------------------------------------------------


def home_work(*, viewer: User, today: datetime.date) -> list[WorkCount]:
    """Return the counts of the viewer's case work for their home, through the policy:
    overdue and open tasks and promises, what waits for a supervisor, the open cases the
    viewer works on."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from kinga.accounts.home import WorkCount
    from kinga.accounts.models import Role

    roles = viewer.role_set
    if not roles & {
        Role.CASEWORKER,
        Role.SUPERVISOR,
        Role.COUNSELLOR,
        Role.INVESTIGATOR,
        Role.PROSECUTOR,
    }:
        return []
    my_work = reverse("cases:my_work")
    visible = policy.visible(viewer, Case.objects.all(), section="summary", action="view")
    visible_ids = visible.values("pk")
    work: list[WorkCount] = []
    if roles & {Role.CASEWORKER, Role.SUPERVISOR, Role.COUNSELLOR}:
        tasks = Task.objects.filter(
            assigned_to=viewer, done_at__isnull=True, case_id__in=visible_ids
        ).aggregate(
            overdue=Count("pk", filter=Q(due_on__lt=today)),
            open=Count("pk"),
        )
        promises = Promise.objects.filter(
            owner=viewer, state=PromiseState.OPEN, case_id__in=visible_ids
        ).aggregate(overdue=Count("pk", filter=Q(due_on__lt=today)), open=Count("pk"))
        work += [
            WorkCount(_("Overdue tasks"), tasks["overdue"], my_work, urgent=True),
            WorkCount(_("Overdue promises to a child"), promises["overdue"], my_work, urgent=True),
            WorkCount(_("Open tasks"), tasks["open"], my_work),
            WorkCount(_("Open promises to a child"), promises["open"], my_work),
        ]
    if policy.can_do(viewer, "case.approve"):
        changeable = policy.visible(
            viewer, Case.objects.all(), section="summary", action="change"
        ).values("pk")
        plans = (
            CasePlan.objects.filter(state=PlanState.SUBMITTED, case_id__in=changeable)
            .exclude(created_by=viewer)
            .count()
        )
        closures = (
            ClosureRequest.objects.filter(state=ApprovalState.REQUESTED, case_id__in=changeable)
            .exclude(created_by=viewer)
            .count()
        )
        overseen = (
            Promise.objects.filter(
                state=PromiseState.OPEN, due_on__lt=today, case_id__in=changeable
            )
            .exclude(owner=viewer)
            .count()
        )
        transfers = (
            CaseTransfer.objects.filter(
                state=TransferState.REQUESTED, to_agency_id=viewer.agency_id
            ).count()
            if viewer.agency_id is not None
            else 0
        )
        work += [
            WorkCount(_("Overdue promises in cases you oversee"), overseen, my_work, urgent=True),
            WorkCount(_("Case plans to approve"), plans, my_work),
            WorkCount(_("Case closures to approve"), closures, my_work),
            WorkCount(_("Cases offered to your agency"), transfers, my_work),
        ]
    open_cases = visible.filter(status__in=[CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP]).count()
    work.append(
        WorkCount(_("Open cases you work on or oversee"), open_cases, reverse("cases:list"))
    )
    return work
