"""Reads of survivor cases, always for a viewer and through the access policy."""

from __future__ import annotations

import datetime
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
    CaseTeamMember,
    CaseTransfer,
    ClosureRequest,
    Consent,
    InCase,
    Interview,
    InterviewState,
    Note,
    PlanState,
    Promise,
    PromiseState,
    Task,
    TransferState,
    WellbeingMeasure,
)
from kinga.cases.seams import case_justice, case_referrals
from kinga.people.models import Person
from kinga.people.selectors import person_search

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

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
    case = Case.objects.filter(code=code).first()
    audit_record(
        action=AuditAction.SEARCH,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="cases.case",
        search_terms=code,
    )
    if case is None:
        policy.deny(viewer, record_type="cases.case", record_id="")
        return CodeLookup(None, None)
    if policy.can(viewer, "view", case, "summary"):
        return CodeLookup(case, None)
    policy.deny(viewer, record_type="cases.case", record_id=case.pk, matter=case)
    if policy.can_do(viewer, "break_glass.request"):
        return CodeLookup(None, case.pk)
    return CodeLookup(None, None)


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


def cases_of_persons(*, viewer: Viewer, person_ids: list[int]) -> QuerySet[Case]:
    """Return the visible cases of these persons (search before create)."""
    return case_list(viewer=viewer).filter(child_id__in=person_ids)


def person_candidates(*, viewer: Viewer, text: str) -> list[Person]:
    """Return up to ten persons the viewer may see whose names match (search before create)."""
    if not text.strip():
        return []
    return person_search(viewer=viewer, text=text, limit=10)


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

    def html(self) -> str:
        """Return the entry as one escaped `<li>`.

        The timeline can hold hundreds of entries; building each in Python is some ten
        times faster than a template loop, which keeps the case page within its budget.
        The time is shown as 2026-03-02 14:05, the same in both languages.
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
        return format_html(
            '<li class="entry-{}"><time datetime="{}">{}</time> <span class="badge">{}</span> '
            "{}{}{}</li>",
            self.section,
            self.at.isoformat(),
            timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M"),
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
        .order_by("-created_at", "-pk")
        .values_list(
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
        )
        for at, kind, summary, params, section, text, first, last, username in events
    ]
    if "referral" in sections:
        timeline.extend(_referral_entries(viewer, case))
        timeline.sort(key=lambda entry: entry.at, reverse=True)

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
    fields = ["code", "status", "risk_level"]
    if "identity" in sections:
        fields.append("child")
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
            "court_paths": _court_paths(viewer, case) if "justice" in sections else [],
        },
    )


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
