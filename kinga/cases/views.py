"""Case pages: the list, "my work", opening a case, the case page and its print view, and
the forms that add records or move the case along. Views parse, select, call one service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.accounts.models import User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases import forms as case_forms
from kinga.cases import selectors, services, wellbeing
from kinga.cases.models import (
    SECTION_OF_SENSITIVITY,
    Case,
    CasePlan,
    CaseTeamMember,
    CaseTransfer,
    ClosureRequest,
    Consent,
    Interview,
    InterviewState,
    Promise,
    Task,
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases the user may list, filtered, 25 a page; codes only, never names."""
    user = _user(request)
    form = case_forms.CaseFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    code = (data.get("code") or "").strip()
    lookup = None
    if code:
        lookup = selectors.case_find_by_code(viewer=user, code=code)
        if lookup.case is not None:
            return redirect("cases:detail", case_id=lookup.case.pk)
        if lookup.break_glass_case_id is None:
            # The selector audited the refusal. A case out of reach answers exactly as a
            # code that does not exist: codes are sequential, anything else is an oracle.
            raise Http404
    cases = selectors.case_list(
        viewer=user,
        status=data.get("status") or "",
        risk_level=data.get("risk_level") or "",
        mine=bool(data.get("mine")),
    )
    page = _page_of(cases, request.GET.get("page", ""))
    audit_record(
        action=AuditAction.LIST,
        actor=user,
        record_type="cases.case",
        fields=["code", "status", "risk_level"],
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "lookup": lookup,
            "code": code,
            "can_open": policy.can_do(user, "case.open"),
        },
    )


PAGE_SIZE = 25


@dataclass(frozen=True)
class ListPage:
    """One page of a list, found without counting every row the viewer may see (counting
    tens of thousands of visible cases costs as much as the page itself)."""

    object_list: list[Case]
    number: int
    has_previous: bool
    has_next: bool

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _page_of(cases: Any, raw: str) -> ListPage:
    number = int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
    start = (number - 1) * PAGE_SIZE
    rows = list(cases[start : start + PAGE_SIZE + 1])
    return ListPage(rows[:PAGE_SIZE], number, number > 1, len(rows) > PAGE_SIZE)


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    """The user's tasks and promises (overdue first) and the approvals waiting for them."""
    user = _user(request)
    work = selectors.my_work(viewer=user)
    return render(request, "cases/my_work.html", {"work": work})


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    """Search before create: show possible existing persons and their cases, then open."""
    user = _user(request)
    if not policy.can_do(user, "case.open"):
        raise policy.deny(user, record_type="cases.case", record_id="", action="create")
    text = (request.GET.get("q") or request.POST.get("q") or "").strip()
    persons = selectors.person_candidates(viewer=user, text=text) if text else []
    existing = list(selectors.cases_of_persons(viewer=user, person_ids=[p.pk for p in persons]))
    form = case_forms.OpenCaseForm(request.POST or None, persons=persons)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            child = next((p for p in persons if p.pk == data["person"]), None)
            if data["person"] and child is None:
                raise ValidationError(_("Choose the child again from the search."))
            case = _open_direct(user, child, data)
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as error:
            policy.deny(user, record_type="cases.case", record_id="", action="create")
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Case %(code)s opened.") % {"code": case.code})
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/case_new.html",
        {"form": form, "q": text, "persons": persons, "existing": existing, "searched": bool(text)},
    )


def _open_direct(user: User, child: Any, data: dict[str, Any]) -> Case:
    if child is None:
        from kinga.people.models import PersonKind
        from kinga.people.services import person_create

        child = person_create(
            actor=user,
            kind=PersonKind.CHILD,
            given_name=data.get("given_name") or "",
            family_name=data.get("family_name") or "",
            age_estimate=data.get("age_estimate"),
            age_basis="apparent" if data.get("age_estimate") is not None else "",
        )
    return services.case_open(child=child, county=data["county"], actor=user, reason=data["reason"])


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case page: header, what waits, the timeline of everything the user may see."""
    user = _user(request)
    print_view = request.GET.get("print") == "1"
    return _render_case(request, user, case_id, print_view=print_view)


@login_required
def case_print(request: HttpRequest, case_id: int) -> HttpResponse:
    """The file copy: an export, with only the sections the viewer may export."""
    return _render_case(request, _user(request), case_id, print_view=True)


def _render_case(
    request: HttpRequest, user: User, case_id: int, *, print_view: bool
) -> HttpResponse:
    # A printed copy leaves the system: it is an export of the case (its summary heads
    # every copy), audited as one, and carries only the sections the viewer may export.
    action = "export" if print_view else "view"
    case = selectors.case_get(viewer=user, case_id=case_id, action=action)
    page = selectors.case_page(viewer=user, case=case, action=action)
    show_identity = page.may("identity", "export" if print_view else "view")
    is_receiver = (
        page.transfer is not None
        and page.transfer.to_agency_id == user.agency_id
        and user.has_role("supervisor")
    )
    context = {
        "case": case,
        "page": page,
        # one reverse for the many small forms on the page: .../act/<action>/
        "act_url": reverse("cases:act", kwargs={"case_id": case.pk, "action": "x"})[:-2],
        "show_identity": show_identity,
        "print_view": print_view,
        "can_approve": policy.can_do(user, "case.approve") and page.may("summary", "change"),
        "can_override": policy.can_do(user, "consent.override") and page.may("summary", "change"),
        "can_trail": policy.can_do(user, "break_glass.review") and page.may("summary", "change"),
        "is_receiver": is_receiver,
        "receivers": selectors.receiving_caseworkers(viewer=user) if is_receiver else [],
        "wellbeing_band": wellbeing.band(page.latest_wellbeing.total)
        if page.latest_wellbeing
        else None,
    }
    return render(
        request, "cases/case_print.html" if print_view else "cases/case_detail.html", context
    )


# --- adding records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Adder:
    title: Any
    section: str
    action: str
    form: Callable[..., forms.Form]
    save: Callable[[forms.Form, Case, User], object]


def _team_users(case: Case) -> list[User]:
    return [m.user for m in selectors.case_page_team(case=case)]


def _writable_notes(case: Case) -> set[str]:
    allowed: dict[str, frozenset[str]] = getattr(case, "allowed", {})
    return {
        sensitivity
        for sensitivity, section in SECTION_OF_SENSITIVITY.items()
        if "create" in allowed.get(section, frozenset())
    }


def _save_note(form: forms.Form, case: Case, user: User) -> object:
    data = form.cleaned_data
    return services.note_add(
        case=case, actor=user, sensitivity=data["sensitivity"], text=data["text"]
    )


ADDERS: dict[str, Adder] = {
    "team": Adder(
        gettext_lazy("Add a team member"),
        "summary",
        "change",
        lambda data, case, user: case_forms.TeamMemberForm(
            data, candidates=selectors.team_candidates(viewer=user, case=case)
        ),
        lambda f, case, user: services.case_team_add(case=case, actor=user, **f.cleaned_data),
    ),
    "consent": Adder(
        gettext_lazy("Record consent"),
        "referral",
        "create",
        lambda data, case, user: case_forms.ConsentForm(data),
        lambda f, case, user: services.consent_record(case=case, actor=user, **f.cleaned_data),
    ),
    "override": Adder(
        gettext_lazy("Override consent"),
        "summary",
        "change",
        lambda data, case, user: case_forms.OverrideForm(data),
        lambda f, case, user: services.consent_override(case=case, actor=user, **f.cleaned_data),
    ),
    "assessment": Adder(
        gettext_lazy("Record a screening or assessment"),
        "care",
        "create",
        lambda data, case, user: case_forms.AssessmentForm(data),
        lambda f, case, user: services.assessment_record(case=case, actor=user, **f.cleaned_data),
    ),
    "plan_item": Adder(
        gettext_lazy("Add a goal or service to the plan"),
        "care",
        "create",
        lambda data, case, user: case_forms.PlanItemForm(data),
        lambda f, case, user: services.plan_item_add(case=case, actor=user, **f.cleaned_data),
    ),
    "note": Adder(
        gettext_lazy("Add a note"),
        # the service checks the section the note's sensitivity falls in
        "summary",
        "view",
        lambda data, case, user: case_forms.NoteForm(data, writable=_writable_notes(case)),
        _save_note,
    ),
    "interview_plan": Adder(
        gettext_lazy("Plan an interview"),
        "justice",
        "create",
        lambda data, case, user: case_forms.InterviewPlanForm(data),
        lambda f, case, user: services.interview_plan(case=case, actor=user, **f.cleaned_data),
    ),
    "interview": Adder(
        gettext_lazy("Record an interview"),
        "justice",
        "create",
        lambda data, case, user: case_forms.InterviewForm(data),
        lambda f, case, user: services.interview_record(case=case, actor=user, **f.cleaned_data),
    ),
    "session": Adder(
        gettext_lazy("Record a counselling session"),
        "care",
        "create",
        lambda data, case, user: case_forms.SessionForm(data),
        lambda f, case, user: services.session_record(case=case, actor=user, **f.cleaned_data),
    ),
    "wellbeing": Adder(
        gettext_lazy("Wellbeing check"),
        "care",
        "create",
        lambda data, case, user: case_forms.WellbeingForm(data),
        lambda f, case, user: services.wellbeing_record(
            case=case,
            actor=user,
            measured_on=f.cleaned_data["measured_on"],
            language=f.cleaned_data["language"],
            scores=cast(case_forms.WellbeingForm, f).scores(),
        ),
    ),
    "safety": Adder(
        gettext_lazy("Record a safety event"),
        "care",
        "create",
        lambda data, case, user: case_forms.SafetyEventForm(data),
        lambda f, case, user: services.safety_event_record(case=case, actor=user, **f.cleaned_data),
    ),
    "reintegration": Adder(
        gettext_lazy("Record reintegration"),
        "care",
        "create",
        lambda data, case, user: case_forms.ReintegrationForm(data),
        lambda f, case, user: services.reintegration_record(
            case=case, actor=user, **f.cleaned_data
        ),
    ),
    "follow_up": Adder(
        gettext_lazy("Record a follow-up"),
        "care",
        "create",
        lambda data, case, user: case_forms.FollowUpForm(data),
        lambda f, case, user: services.follow_up_record(case=case, actor=user, **f.cleaned_data),
    ),
    "task": Adder(
        gettext_lazy("Set a task"),
        "summary",
        "create",
        lambda data, case, user: case_forms.TaskForm(data, team=_team_users(case)),
        lambda f, case, user: services.task_create(
            case=case,
            actor=user,
            title=f.cleaned_data["title"],
            due_on=f.cleaned_data["due_on"],
            assigned_to=_member(case, f.cleaned_data["assigned_to"]),
        ),
    ),
    "promise": Adder(
        gettext_lazy("Record a promise to the child"),
        "summary",
        "create",
        lambda data, case, user: case_forms.PromiseForm(data, team=_team_users(case)),
        lambda f, case, user: services.promise_make(
            case=case,
            actor=user,
            kind=f.cleaned_data["kind"],
            description=f.cleaned_data["description"],
            due_on=f.cleaned_data["due_on"],
            owner=_member(case, f.cleaned_data["owner"]),
        ),
    ),
    "closure": Adder(
        gettext_lazy("Ask to close the case"),
        "summary",
        "change",
        lambda data, case, user: case_forms.ClosureForm(data),
        lambda f, case, user: services.closure_request(case=case, actor=user, **f.cleaned_data),
    ),
    "transfer": Adder(
        gettext_lazy("Transfer to another agency"),
        "summary",
        "change",
        lambda data, case, user: case_forms.TransferForm(data),
        lambda f, case, user: services.transfer_request(case=case, actor=user, **f.cleaned_data),
    ),
    "reopen": Adder(
        gettext_lazy("Reopen the case"),
        "summary",
        "change",
        lambda data, case, user: case_forms.ReasonForm(data),
        lambda f, case, user: services.case_reopen(case=case, actor=user, **f.cleaned_data),
    ),
    "risk": Adder(
        gettext_lazy("Change the risk level"),
        "summary",
        "change",
        lambda data, case, user: case_forms.RiskForm(data),
        lambda f, case, user: services.case_risk_set(case=case, actor=user, **f.cleaned_data),
    ),
}


def _member(case: Case, user_id: int) -> User:
    for user in _team_users(case):
        if user.pk == user_id:
            return user
    raise ValidationError(_("Choose a member of the team."))


@login_required
def case_add(request: HttpRequest, case_id: int, kind: str) -> HttpResponse:
    """Show and take one of the forms that add a record to the case."""
    user = _user(request)
    adder = ADDERS.get(kind)
    if adder is None:
        # the same refusal as for the case: audited, on its trail only if the viewer sees it
        case = selectors.case_get(viewer=user, case_id=case_id)
        raise policy.deny(
            user, record_type="cases.case", record_id=case_id, action="create", matter=case
        )
    case = selectors.case_get(
        viewer=user, case_id=case_id, action=adder.action, section=adder.section
    )
    form = adder.form(request.POST or None, case, user)
    warning = ""
    if request.method == "POST" and form.is_valid():
        try:
            adder.save(form, case, user)
        except services.RepeatInterviewWarning as error:
            warning = error.messages[0]
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error)
        except PermissionDenied as error:
            _refused(user, case, kind)
            form.add_error(None, str(error))
        except Http404:
            # the service refused inside its transaction, which took its audit event along
            _refused(user, case, kind)
            raise
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:detail", case_id=case.pk)
    if kind in ("interview", "interview_plan") and request.method == "GET":
        held = selectors.interviews_held(viewer=user, case=case)
        if held:
            warning = _(
                "The child has already been interviewed %(count)d time(s). Use the recorded "
                "statement if you can; to plan another interview, confirm and say why."
            ) % {"count": held}
    return render(
        request,
        "cases/case_form.html",
        {
            "case": case,
            "form": form,
            "title": adder.title,
            "warning": warning,
            "items": wellbeing.ITEMS if kind == "wellbeing" else (),
        },
    )


# --- moving the case along -------------------------------------------------------------------


def _refused(user: User, case: Case, step: str) -> None:
    """Audit a step a service refused on a case the user may see, on the case's trail.

    The user already sees the case, so its page may say why (a 404 would hide nothing);
    the refusal is still a denial and is recorded as one.
    """
    policy.deny(user, record_type="cases.case", record_id=case.pk, action=step, matter=case)


def _post_id(request: HttpRequest, user: User, case: Case) -> int:
    value = request.POST.get("record", "")
    if not value.isdigit():
        raise policy.deny(
            user, record_type="cases.case", record_id=case.pk, action="change", matter=case
        )
    return int(value)


def _step_for(request: HttpRequest, user: User, case: Case, action: str) -> Callable[[], object]:
    """Find the records a step needs (a refusal here is audited by the selector) and return
    the service call that takes it."""
    note = (request.POST.get("comments") or request.POST.get("note") or "").strip()

    def record(model: type[Any], action: str = "change") -> Any:
        return selectors.record_get(
            viewer=user,
            model=model,
            record_id=_post_id(request, user, case),
            case=case,
            action=action,
        )

    if action == "plan_submit":
        plan = record(CasePlan)
        return lambda: services.plan_submit(plan=plan, actor=user)
    if action in ("plan_approve", "plan_return"):
        plan = record(CasePlan, "view")
        decide = services.plan_approve if action == "plan_approve" else services.plan_return
        return lambda: decide(plan=plan, actor=user, comments=note)
    if action in ("closure_approve", "closure_return"):
        closure = record(ClosureRequest)
        close = services.closure_approve if action == "closure_approve" else services.closure_return
        return lambda: close(request=closure, actor=user, comments=note)
    if action == "transfer_accept":
        transfer = record(CaseTransfer, "view")
        return lambda: services.transfer_accept(
            transfer=transfer,
            actor=user,
            caseworker=selectors.receiving_caseworker(
                viewer=user, user_id=request.POST.get("caseworker", "")
            ),
        )
    if action == "transfer_decline":
        transfer = record(CaseTransfer, "view")
        return lambda: services.transfer_decline(transfer=transfer, actor=user, note=note)
    if action == "task_done":
        task = record(Task, "view")
        return lambda: services.task_complete(task=task, actor=user)
    if action == "promise_keep":
        promise = record(Promise, "view")
        return lambda: services.promise_keep(promise=promise, actor=user, note=note)
    if action == "promise_explain":
        promise = record(Promise, "view")
        return lambda: services.promise_explain(promise=promise, actor=user, explanation=note)
    if action == "consent_withdraw":
        consent = record(Consent, "create")
        return lambda: services.consent_withdraw(consent=consent, actor=user, note=note)
    if action == "team_remove":
        member = record(CaseTeamMember)
        return lambda: services.case_team_remove(member=member, actor=user, reason=note)
    if action == "follow_up_start":
        return lambda: services.case_follow_up_start(case=case, actor=user)
    if action == "interview_cancel":
        interview = record(Interview)

        def cancel() -> object:
            if interview.state != InterviewState.PLANNED:
                raise ValidationError(_("Only a planned interview can be cancelled."))
            return services.interview_cancel(interview=interview, actor=user)

        return cancel
    raise policy.deny(
        user, record_type="cases.case", record_id=case.pk, action="change", matter=case
    )


@login_required
@require_POST
def case_act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """Take one step on the case: approvals, decisions, done and kept."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    step = _step_for(request, user, case, action)
    try:
        step()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        _refused(user, case, action)
        messages.error(request, str(error) or _("You cannot do this."))
    except Http404:
        # the service refused inside its transaction, which took its audit event along
        _refused(user, case, action)
        raise
    else:
        messages.success(request, _("Done."))
    return redirect(reverse("cases:detail", kwargs={"case_id": case.pk}))
