"""Case pages: the list, "my work", opening a case, the case page and its print view, and
one small view per form that adds a record or step that moves the case along.

Each view parses, selects, calls one service and redirects. A step a service refuses is
audited as a denial on the case's trail (`_Outcome`), and an unknown step is the same
audited 404 as a case out of reach (`case_step_unknown`).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.accounts.models import User
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
    InCase,
    Interview,
    PlanItem,
    Promise,
    Task,
)
from kinga.cases.selectors_access import case_list_page, case_search_page, transfer_receiver_is
from kinga.lib.concurrency import (
    EDIT_BASE,
    Conflict,
    StaleEdit,
    conflict_form,
    edit_base_of,
    edit_base_token,
)

R = TypeVar("R", bound=InCase)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases the user may list, filtered or searched, 25 a page; codes only, never names.

    A search by the child's name or a code (or its beginning) shows what it found, or says
    that nothing matched; an exact code the user may open goes straight to the case.
    """
    user = _user(request)
    form = case_forms.CaseFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    text = " ".join((data.get("q") or "").split())
    status, risk_level = data.get("status") or "", data.get("risk_level") or ""
    mine, number = bool(data.get("mine")), request.GET.get("page", "")
    search = None
    if text:
        page, search = case_search_page(
            viewer=user, text=text, status=status, risk_level=risk_level, mine=mine, page=number
        )
        if search.exact is not None:
            return redirect("cases:detail", case_id=search.exact.pk)
        if search.code_lookup and search.break_glass_case_id is None:
            # The selector audited the refusal. A case out of reach answers exactly as a
            # code that does not exist: codes are sequential, anything else is an oracle.
            raise Http404
    else:
        page = case_list_page(
            viewer=user, status=status, risk_level=risk_level, mine=mine, page=number
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
            "search": search,
            "can_open": policy.can_do(user, "case.open"),
        },
    )


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
    matches = selectors.likely_children(viewer=user, text=text) if text else []
    persons = [match.person for match in matches]
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
        {
            "form": form,
            "q": text,
            "persons": persons,
            "matches": matches,
            "existing": existing,
            "searched": bool(text),
        },
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
    is_receiver = transfer_receiver_is(viewer=user, transfer=page.transfer)
    context = {
        "case": case,
        "page": page,
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


# --- what every step shares -----------------------------------------------------------------


def _refused(user: User, case: Case, step: str) -> None:
    """Audit a step a service refused on a case the user may see, on the case's trail.

    The user already sees the case, so its page may say why (a 404 would hide nothing);
    the refusal is still a denial and is recorded as one.
    """
    policy.deny(user, record_type="cases.case", record_id=case.pk, action=step, matter=case)


class _Outcome:
    """Run one service call and turn its refusals into what the user sees.

    `with _Outcome(request, user, case, "plan_submit") as outcome: services.plan_submit(...)`
    A validation error goes to the form (or the page's messages when there is no form); a
    refusal by the service is audited on the case's trail (`_refused`) and shown, or, when
    the service answered 404 inside its transaction (which took its audit event along),
    audited here and raised again. `saved` says whether the call went through.
    """

    def __init__(
        self,
        request: HttpRequest,
        user: User,
        case: Case,
        step: str,
        form: forms.Form | None = None,
    ) -> None:
        self.request = request
        self.user = user
        self.case = case
        self.step = step
        self.form = form
        self.saved = False
        self.warning = ""
        self.stale: StaleEdit | None = None

    def __enter__(self) -> _Outcome:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> bool:
        if error is None:
            self.saved = True
            if self.form is None:
                messages.success(self.request, _("Done."))
            return False
        if isinstance(error, services.RepeatInterviewWarning):
            self.warning = error.messages[0]
            return True
        if isinstance(error, StaleEdit):
            # the view re-binds the form beside what is stored now (`conflict_form`)
            self.stale = error
            return True
        if isinstance(error, ValidationError):
            self._show(error)
            return True
        if isinstance(error, PermissionDenied):
            _refused(self.user, self.case, self.step)
            self._show(str(error) or _("You cannot do this."))
            return True
        if isinstance(error, Http404):
            _refused(self.user, self.case, self.step)
        return False

    def _show(self, error: ValidationError | str) -> None:
        if self.form is None:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else error
            messages.error(self.request, text)
        elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.form.add_error(name if name in self.form.fields else None, errors)
        else:
            self.form.add_error(None, error)


def _case_for(user: User, case_id: int, *, action: str, section: str) -> Case:
    return selectors.case_get(viewer=user, case_id=case_id, action=action, section=section)


def _posted(request: HttpRequest, form: forms.Form) -> bool:
    return request.method == "POST" and form.is_valid()


def _back_to(case: Case) -> HttpResponseRedirect:
    return redirect("cases:detail", case_id=case.pk)


def _saved(request: HttpRequest, case: Case) -> HttpResponseRedirect:
    messages.success(request, _("Saved."))
    return _back_to(case)


def _form_page(
    request: HttpRequest,
    case: Case,
    form: forms.Form,
    title: str | LazyText,
    *,
    warning: str = "",
    items: tuple[Any, ...] = (),
    conflict: Conflict | None = None,
) -> HttpResponse:
    return render(
        request,
        "cases/case_form.html",
        {
            "case": case,
            "form": form,
            "title": title,
            "warning": warning,
            "items": items,
            "conflict": conflict,
        },
    )


def _team_users(case: Case) -> list[User]:
    return [m.user for m in selectors.case_page_team(case=case)]


def _member(case: Case, user_id: int) -> User:
    for user in _team_users(case):
        if user.pk == user_id:
            return user
    raise ValidationError(_("Choose a member of the team."))


def _writable_notes(case: Case) -> set[str]:
    allowed: dict[str, frozenset[str]] = getattr(case, "allowed", {})
    return {
        sensitivity
        for sensitivity, section in SECTION_OF_SENSITIVITY.items()
        if "create" in allowed.get(section, frozenset())
    }


def _posted_record(
    request: HttpRequest, user: User, case: Case, model: type[R], action: str = "change"
) -> R:
    """Return the record of this case named by the form's `record` (404, audited, if not)."""
    value = request.POST.get("record", "")
    if not value.isdigit():
        raise policy.deny(
            user, record_type="cases.case", record_id=case.pk, action="change", matter=case
        )
    return selectors.record_get(
        viewer=user, model=model, record_id=int(value), case=case, action=action
    )


def _note(request: HttpRequest, name: str = "note") -> str:
    return (request.POST.get(name) or "").strip()


@login_required
def case_step_unknown(request: HttpRequest, case_id: int, step: str) -> HttpResponse:
    """Answer a form or step that does not exist with the case's own audited 404."""
    user = _user(request)
    # the same refusal as for the case: audited, on its trail only if the viewer sees it
    case = selectors.case_get(viewer=user, case_id=case_id)
    raise policy.deny(
        user, record_type="cases.case", record_id=case_id, action="change", matter=case
    )


# --- adding records: one form page each ---------------------------------------------------------


@login_required
def team_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """Add a member to the case's team."""
    user = _user(request)
    case = _case_for(user, case_id, action="change", section="summary")
    candidates = selectors.team_candidates(viewer=user, case=case)
    form = case_forms.TeamMemberForm(request.POST or None, candidates=candidates)
    if _posted(request, form):
        with _Outcome(request, user, case, "team", form) as outcome:
            services.case_team_add(
                case=case,
                actor=user,
                user=form.cleaned_data["user"],
                role_on_case=form.cleaned_data["role_on_case"],
            )
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Add a team member"))


@login_required
def consent_record(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a consent or assent for a purpose and a recipient."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="referral")
    form = case_forms.ConsentForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "consent", form) as outcome:
            # the form's fields are the service's arguments, one for one
            services.consent_record(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Record consent"))


@login_required
def consent_override(request: HttpRequest, case_id: int) -> HttpResponse:
    """Share without consent, with the permission and a written reason."""
    user = _user(request)
    case = _case_for(user, case_id, action="change", section="summary")
    form = case_forms.OverrideForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "override", form) as outcome:
            services.consent_override(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Override consent"))


@login_required
def assessment_record(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a screening or an assessment."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="care")
    form = case_forms.AssessmentForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "assessment", form) as outcome:
            services.assessment_record(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Record a screening or assessment"))


def _child_values(profile: selectors.ChildProfile) -> dict[str, Any]:
    """The child's profile as its form shows it (what an edit starts from)."""
    child = profile.child
    guardian = profile.guardian
    return {
        "given_name": child.given_name,
        "family_name": child.family_name,
        "other_names": child.other_names,
        "sex": child.sex,
        "date_of_birth": child.date_of_birth,
        "age_estimate": child.age_estimate,
        "age_basis": child.age_basis if child.age_basis != "document" else "",
        "languages": child.languages,
        "phone": next(iter(profile.phones()), ""),
        "birth_certificate": profile.identifier("birth_certificate"),
        "guardian_given_name": guardian.given_name if guardian else "",
        "guardian_family_name": guardian.family_name if guardian else "",
        "guardian_phone": next(iter(profile.guardian_phones), ""),
    }


@login_required
def child_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    """The child's profile: names, sex, date of birth or estimated age, languages, guardian.

    The form carries the version it was opened on; a save after someone else's is refused
    and the form comes back with what was typed beside what is stored now.
    """
    user = _user(request)
    case = _case_for(user, case_id, action="change", section="identity")
    record = f"people.person:{case.child_id}"

    def opened() -> tuple[dict[str, Any], str]:
        profile = selectors.child_profile(viewer=user, case=case, action="change")
        values = _child_values(profile)
        token = edit_base_token(record=record, version=profile.child.version, values=values)
        return values, token

    if request.method != "POST":
        values, token = opened()
        form = case_forms.ChildProfileForm(initial={**values, EDIT_BASE: token})
        return _form_page(request, case, form, _("The child's profile"))
    form = case_forms.ChildProfileForm(request.POST)
    conflict = None
    if form.is_valid() and (base := edit_base_of(form, record=record)) is not None:
        data = {k: v for k, v in form.cleaned_data.items() if k != EDIT_BASE}
        with _Outcome(request, user, case, "child", form) as outcome:
            services.case_child_update(case=case, actor=user, expected_version=base.version, **data)
        if outcome.saved:
            messages.success(request, _("The child's profile is saved."))
            return _back_to(case)
        if outcome.stale is not None:
            stored, token = opened()
            form, conflict = conflict_form(
                case_forms.ChildProfileForm,
                request.POST,
                error=outcome.stale,
                token=token,
                started=base.values,
                stored=stored,
            )
    return _form_page(request, case, form, _("The child's profile"), conflict=conflict)


@login_required
def plan_item_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """Add a goal or a service to the case plan."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="care")
    form = case_forms.PlanItemForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "plan_item", form) as outcome:
            services.plan_item_add(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Add a goal or service to the plan"))


def _plan_item_values(item: PlanItem) -> dict[str, Any]:
    """A plan item as its edit form shows it (what an edit starts from)."""
    return {
        "need": item.need,
        "description": item.description,
        "provider_agency": item.provider_agency_id,
        "due_on": item.due_on,
        "status": item.status,
    }


@login_required
def plan_item_edit(request: HttpRequest, case_id: int, item_id: int) -> HttpResponse:
    """Change a goal or service of the plan; a save after someone else's is refused and the
    form comes back with what was typed beside what is stored now."""
    user = _user(request)
    case = _case_for(user, case_id, action="change", section="care")
    record = f"cases.planitem:{item_id}"

    def opened() -> tuple[PlanItem, dict[str, Any], str]:
        item = selectors.record_get(viewer=user, model=PlanItem, record_id=item_id, case=case)
        values = _plan_item_values(item)
        return item, values, edit_base_token(record=record, version=item.version, values=values)

    item, values, token = opened()
    title = _("Change a goal or service of the plan")
    if request.method != "POST":
        form = case_forms.PlanItemEditForm(initial={**values, EDIT_BASE: token})
        return _form_page(request, case, form, title)
    form = case_forms.PlanItemEditForm(request.POST)
    conflict = None
    if form.is_valid() and (base := edit_base_of(form, record=record)) is not None:
        data = {k: v for k, v in form.cleaned_data.items() if k != EDIT_BASE}
        with _Outcome(request, user, case, "plan_item_edit", form) as outcome:
            services.plan_item_update(item=item, actor=user, expected_version=base.version, **data)
        if outcome.saved:
            return _saved(request, case)
        if outcome.stale is not None:
            item, stored, token = opened()
            form, conflict = conflict_form(
                case_forms.PlanItemEditForm,
                request.POST,
                error=outcome.stale,
                token=token,
                started=base.values,
                stored=stored,
            )
    return _form_page(request, case, form, title, conflict=conflict)


@login_required
def note_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """Add a note; the service checks the section the note's sensitivity falls in."""
    user = _user(request)
    case = _case_for(user, case_id, action="view", section="summary")
    form = case_forms.NoteForm(request.POST or None, writable=_writable_notes(case))
    if _posted(request, form):
        with _Outcome(request, user, case, "note", form) as outcome:
            services.note_add(
                case=case,
                actor=user,
                sensitivity=form.cleaned_data["sensitivity"],
                text=form.cleaned_data["text"],
            )
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Add a note"))


def _interview_warning(request: HttpRequest, user: User, case: Case) -> str:
    held = selectors.interviews_held(viewer=user, case=case) if request.method == "GET" else 0
    if not held:
        return ""
    return _(
        "The child has already been interviewed %(count)d time(s). Use the recorded "
        "statement if you can; to plan another interview, confirm and say why."
    ) % {"count": held}


@login_required
def interview_plan(request: HttpRequest, case_id: int) -> HttpResponse:
    """Plan an interview, warned first when the child has been interviewed before."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="justice")
    form = case_forms.InterviewPlanForm(request.POST or None)
    outcome = _Outcome(request, user, case, "interview_plan", form)
    if _posted(request, form):
        with outcome:
            services.interview_plan(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    warning = outcome.warning or _interview_warning(request, user, case)
    return _form_page(request, case, form, _("Plan an interview"), warning=warning)


@login_required
def interview_record(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record an interview, warned first when the child has been interviewed before."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="justice")
    form = case_forms.InterviewForm(request.POST or None)
    outcome = _Outcome(request, user, case, "interview", form)
    if _posted(request, form):
        with outcome:
            services.interview_record(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    warning = outcome.warning or _interview_warning(request, user, case)
    return _form_page(request, case, form, _("Record an interview"), warning=warning)


@login_required
def session_record(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a counselling session."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="care")
    form = case_forms.SessionForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "session", form) as outcome:
            services.session_record(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Record a counselling session"))


@login_required
def wellbeing_record(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a wellbeing check: six items scored 0-3."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="care")
    form = case_forms.WellbeingForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "wellbeing", form) as outcome:
            services.wellbeing_record(
                case=case,
                actor=user,
                measured_on=form.cleaned_data["measured_on"],
                language=form.cleaned_data["language"],
                scores=form.scores(),
            )
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Wellbeing check"), items=tuple(wellbeing.ITEMS))


@login_required
def safety_event_record(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a safety event (a threat, going missing, re-exploitation)."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="care")
    form = case_forms.SafetyEventForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "safety", form) as outcome:
            services.safety_event_record(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Record a safety event"))


@login_required
def reintegration_record(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record how reintegration goes in one domain."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="care")
    form = case_forms.ReintegrationForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "reintegration", form) as outcome:
            services.reintegration_record(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Record reintegration"))


@login_required
def follow_up_record(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a follow-up visit or call and its outcome."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="care")
    form = case_forms.FollowUpForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "follow_up", form) as outcome:
            services.follow_up_record(case=case, actor=user, **form.cleaned_data)
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Record a follow-up"))


@login_required
def task_create(request: HttpRequest, case_id: int) -> HttpResponse:
    """Set a task for a member of the team."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="summary")
    form = case_forms.TaskForm(request.POST or None, team=_team_users(case))
    if _posted(request, form):
        with _Outcome(request, user, case, "task", form) as outcome:
            services.task_create(
                case=case,
                actor=user,
                title=form.cleaned_data["title"],
                due_on=form.cleaned_data["due_on"],
                assigned_to=_member(case, form.cleaned_data["assigned_to"]),
            )
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Set a task"))


@login_required
def promise_make(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a promise made to the child, kept by a member of the team."""
    user = _user(request)
    case = _case_for(user, case_id, action="create", section="summary")
    form = case_forms.PromiseForm(request.POST or None, team=_team_users(case))
    if _posted(request, form):
        with _Outcome(request, user, case, "promise", form) as outcome:
            services.promise_make(
                case=case,
                actor=user,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                due_on=form.cleaned_data["due_on"],
                owner=_member(case, form.cleaned_data["owner"]),
            )
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Record a promise to the child"))


@login_required
def closure_request(request: HttpRequest, case_id: int) -> HttpResponse:
    """Ask a supervisor to close the case."""
    user = _user(request)
    case = _case_for(user, case_id, action="change", section="summary")
    form = case_forms.ClosureForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "closure", form) as outcome:
            services.closure_request(
                case=case,
                actor=user,
                closing_status=form.cleaned_data["closing_status"],
                reason=form.cleaned_data["reason"],
            )
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Ask to close the case"))


@login_required
def transfer_request(request: HttpRequest, case_id: int) -> HttpResponse:
    """Offer the case to another agency."""
    user = _user(request)
    case = _case_for(user, case_id, action="change", section="summary")
    form = case_forms.TransferForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "transfer", form) as outcome:
            services.transfer_request(
                case=case,
                actor=user,
                to_agency=form.cleaned_data["to_agency"],
                reason=form.cleaned_data["reason"],
            )
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Transfer to another agency"))


@login_required
def case_reopen(request: HttpRequest, case_id: int) -> HttpResponse:
    """Reopen a closed case, with a reason."""
    user = _user(request)
    case = _case_for(user, case_id, action="change", section="summary")
    form = case_forms.ReasonForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "reopen", form) as outcome:
            services.case_reopen(case=case, actor=user, reason=form.cleaned_data["reason"])
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Reopen the case"))


@login_required
def risk_set(request: HttpRequest, case_id: int) -> HttpResponse:
    """Change the case's risk level."""
    user = _user(request)
    case = _case_for(user, case_id, action="change", section="summary")
    form = case_forms.RiskForm(request.POST or None)
    if _posted(request, form):
        with _Outcome(request, user, case, "risk", form) as outcome:
            services.case_risk_set(
                case=case, actor=user, risk_level=form.cleaned_data["risk_level"]
            )
        if outcome.saved:
            return _saved(request, case)
    return _form_page(request, case, form, _("Change the risk level"))


# --- moving the case along: one POST each, back to the case page -----------------------------


@login_required
@require_POST
def plan_submit(request: HttpRequest, case_id: int) -> HttpResponse:
    """Submit the case plan for a supervisor's approval."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    plan = _posted_record(request, user, case, CasePlan)
    with _Outcome(request, user, case, "plan_submit"):
        services.plan_submit(plan=plan, actor=user)
    return _back_to(case)


@login_required
@require_POST
def plan_approve(request: HttpRequest, case_id: int) -> HttpResponse:
    """Approve the submitted case plan (a supervisor other than its author)."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    plan = _posted_record(request, user, case, CasePlan, "view")
    with _Outcome(request, user, case, "plan_approve"):
        services.plan_approve(plan=plan, actor=user, comments=_note(request, "comments"))
    return _back_to(case)


@login_required
@require_POST
def plan_return(request: HttpRequest, case_id: int) -> HttpResponse:
    """Return the submitted case plan with what needs to change."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    plan = _posted_record(request, user, case, CasePlan, "view")
    with _Outcome(request, user, case, "plan_return"):
        services.plan_return(plan=plan, actor=user, comments=_note(request, "comments"))
    return _back_to(case)


@login_required
@require_POST
def closure_approve(request: HttpRequest, case_id: int) -> HttpResponse:
    """Approve the request to close the case."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    closure = _posted_record(request, user, case, ClosureRequest)
    with _Outcome(request, user, case, "closure_approve"):
        services.closure_approve(request=closure, actor=user, comments=_note(request, "comments"))
    return _back_to(case)


@login_required
@require_POST
def closure_return(request: HttpRequest, case_id: int) -> HttpResponse:
    """Return the request to close, with what needs to happen first."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    closure = _posted_record(request, user, case, ClosureRequest)
    with _Outcome(request, user, case, "closure_return"):
        services.closure_return(request=closure, actor=user, comments=_note(request, "comments"))
    return _back_to(case)


@login_required
@require_POST
def transfer_accept(request: HttpRequest, case_id: int) -> HttpResponse:
    """Accept a transfer and name the receiving agency's caseworker."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    transfer = _posted_record(request, user, case, CaseTransfer, "view")
    with _Outcome(request, user, case, "transfer_accept"):
        caseworker = selectors.receiving_caseworker(
            viewer=user, user_id=request.POST.get("caseworker", "")
        )
        services.transfer_accept(transfer=transfer, actor=user, caseworker=caseworker)
    return _back_to(case)


@login_required
@require_POST
def transfer_decline(request: HttpRequest, case_id: int) -> HttpResponse:
    """Decline a transfer, saying why."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    transfer = _posted_record(request, user, case, CaseTransfer, "view")
    with _Outcome(request, user, case, "transfer_decline"):
        services.transfer_decline(transfer=transfer, actor=user, note=_note(request))
    return _back_to(case)


@login_required
@require_POST
def task_done(request: HttpRequest, case_id: int) -> HttpResponse:
    """Mark a task done."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    task = _posted_record(request, user, case, Task, "view")
    with _Outcome(request, user, case, "task_done"):
        services.task_complete(task=task, actor=user)
    return _back_to(case)


@login_required
@require_POST
def promise_keep(request: HttpRequest, case_id: int) -> HttpResponse:
    """Mark a promise to the child kept."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    promise = _posted_record(request, user, case, Promise, "view")
    with _Outcome(request, user, case, "promise_keep"):
        services.promise_keep(promise=promise, actor=user, note=_note(request))
    return _back_to(case)


@login_required
@require_POST
def promise_explain(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record why a promise to the child could not be kept."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    promise = _posted_record(request, user, case, Promise, "view")
    with _Outcome(request, user, case, "promise_explain"):
        services.promise_explain(promise=promise, actor=user, explanation=_note(request))
    return _back_to(case)


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record that a consent was withdrawn."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    consent = _posted_record(request, user, case, Consent, "create")
    with _Outcome(request, user, case, "consent_withdraw"):
        services.consent_withdraw(consent=consent, actor=user, note=_note(request))
    return _back_to(case)


@login_required
@require_POST
def team_remove(request: HttpRequest, case_id: int) -> HttpResponse:
    """Take a member off the case's team."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    member = _posted_record(request, user, case, CaseTeamMember)
    with _Outcome(request, user, case, "team_remove"):
        services.case_team_remove(member=member, actor=user, reason=_note(request))
    return _back_to(case)


@login_required
@require_POST
def follow_up_start(request: HttpRequest, case_id: int) -> HttpResponse:
    """Move an active case to follow-up."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    with _Outcome(request, user, case, "follow_up_start"):
        services.case_follow_up_start(case=case, actor=user)
    return _back_to(case)


@login_required
@require_POST
def interview_cancel(request: HttpRequest, case_id: int) -> HttpResponse:
    """Cancel a planned interview (the recorded statement sufficed)."""
    user = _user(request)
    case = selectors.case_get(viewer=user, case_id=case_id)
    interview = _posted_record(request, user, case, Interview)
    with _Outcome(request, user, case, "interview_cancel"):
        services.interview_cancel(interview=interview, actor=user)
    return _back_to(case)
