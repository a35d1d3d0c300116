"""The data protection officer's pages: the breach register and its 72-hour clock."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinga.accounts.models import User
from kinga.dataprotection import selectors, services
from kinga.dataprotection.forms import (
    BreachAssessForm,
    BreachCloseForm,
    BreachForm,
    BreachMatterForm,
    BreachNoteForm,
    CommissionerNotifiedForm,
    CorrectionForm,
    IdentityCheckForm,
    LegalHoldForm,
    LegalHoldLiftForm,
    RequestDecisionForm,
    RetentionRuleForm,
    ScopeForm,
    SubjectFindForm,
    SubjectRequestForm,
    SubjectsNotifiedForm,
)
from kinga.dataprotection.models import Breach, RefusalGround, SubjectRequest
from kinga.dataprotection.processing import processing_lines, processing_record
from kinga.lib.pdf import text_pdf

SCOPE_LOOKBACK = datetime.timedelta(days=30)

BREACH_FORMS: dict[str, type[forms.Form]] = {
    "matter_form": BreachMatterForm,
    "assess_form": BreachAssessForm,
    "note_form": BreachNoteForm,
    "commissioner_form": CommissionerNotifiedForm,
    "subjects_form": SubjectsNotifiedForm,
    "close_form": BreachCloseForm,
}


def _errors_to_form(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal on the form's fields it names (else on the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
def breaches(request: HttpRequest) -> HttpResponse:
    """The breach register: open breaches first, each with its clock."""
    user = cast(User, request.user)
    rows = selectors.breach_list(viewer=user)
    return render(
        request, "dataprotection/breaches.html", {"breaches": rows, "now": timezone.now()}
    )


@login_required
def breach_new(request: HttpRequest) -> HttpResponse:
    """Record a suspected breach."""
    user = cast(User, request.user)
    if not selectors.can_manage(user):
        raise selectors.refuse(user, record_type="dataprotection.breach", action="create")
    form = BreachForm(request.POST or None, initial={"discovered_at": timezone.localtime()})
    if request.method == "POST" and form.is_valid():
        try:
            breach = services.breach_record(actor=user, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.warning(
                request,
                _("Breach %(code)s recorded. The 72-hour clock is running.")
                % {"code": breach.code},
            )
            return redirect("dataprotection:breach", breach_id=breach.pk)
    return render(request, "dataprotection/breach_new.html", {"form": form})


def _breach_page(
    request: HttpRequest, breach: Breach, *, status: int = 200, **bound: forms.Form
) -> HttpResponse:
    user = cast(User, request.user)
    context: dict[str, Any] = {
        name: bound.get(name) or form() for name, form in BREACH_FORMS.items()
    }
    scope_form = ScopeForm(
        request.GET if "since" in request.GET else None,
        initial={
            # a breach is often found late: look a month back unless its start is known
            "since": timezone.localtime(
                breach.occurred_from or breach.discovered_at - SCOPE_LOOKBACK
            ),
            "until": timezone.localtime(),
        },
    )
    scope = None
    if scope_form.is_bound and scope_form.is_valid():
        scope = selectors.breach_scope(
            viewer=user,
            breach=breach,
            since=scope_form.cleaned_data["since"],
            until=scope_form.cleaned_data["until"],
        )
    now = timezone.now()
    context.update(
        breach=breach,
        matters=list(selectors.breach_matters(breach=breach)),
        steps=list(breach.actions.select_related("actor")),
        scope_form=scope_form,
        scope=scope,
        now=now,
        hours_left=breach.hours_left(now),
    )
    return render(request, "dataprotection/breach.html", context, status=status)


@login_required
def breach(request: HttpRequest, breach_id: int) -> HttpResponse:
    """One breach: its clock, what it touched, who saw that, the notices and the decisions."""
    user = cast(User, request.user)
    found = selectors.breach_get(viewer=user, breach_id=breach_id)
    return _breach_page(request, found)


def _attempt(
    request: HttpRequest,
    breach_id: int,
    form: forms.Form,
    form_name: str,
    run: Callable[[User, Breach], object],
    done: str,
) -> HttpResponse:
    """Run one step on a breach if its form is valid, then go back to the breach.

    An invalid or refused step shows the breach page again with what was typed and why.
    """
    user = cast(User, request.user)
    found = selectors.breach_get(viewer=user, breach_id=breach_id, audit=False)
    if form.is_valid():
        try:
            run(user, found)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, done)
            return redirect("dataprotection:breach", breach_id=found.pk)
    found = selectors.breach_get(viewer=user, breach_id=breach_id)
    return _breach_page(request, found, status=400, **{form_name: form})


@login_required
@require_POST
def breach_matter_add(request: HttpRequest, breach_id: int) -> HttpResponse:
    """Name a record the breach touched."""
    form = BreachMatterForm(request.POST)

    def run(user: User, found: Breach) -> object:
        return services.breach_matter_add(
            actor=user, breach=found, reference=form.cleaned_data["reference"]
        )

    return _attempt(request, breach_id, form, "matter_form", run, _("Record added to the breach."))


@login_required
@require_POST
def breach_assess(request: HttpRequest, breach_id: int) -> HttpResponse:
    """Record the assessment of risk and which notices are owed."""
    form = BreachAssessForm(request.POST)

    def run(user: User, found: Breach) -> object:
        return services.breach_assess(actor=user, breach=found, **form.cleaned_data)

    return _attempt(request, breach_id, form, "assess_form", run, _("Assessment recorded."))


@login_required
@require_POST
def breach_note(request: HttpRequest, breach_id: int) -> HttpResponse:
    """Record a step taken or a decision."""
    form = BreachNoteForm(request.POST)

    def run(user: User, found: Breach) -> object:
        return services.breach_note(actor=user, breach=found, **form.cleaned_data)

    return _attempt(request, breach_id, form, "note_form", run, _("Step recorded."))


@login_required
@require_POST
def breach_commissioner_notified(request: HttpRequest, breach_id: int) -> HttpResponse:
    """Record the notice sent to the Data Commissioner."""
    form = CommissionerNotifiedForm(request.POST)

    def run(user: User, found: Breach) -> object:
        return services.breach_commissioner_notified(actor=user, breach=found, **form.cleaned_data)

    return _attempt(
        request,
        breach_id,
        form,
        "commissioner_form",
        run,
        _("The notice to the Data Commissioner is recorded; the clock has stopped."),
    )


@login_required
@require_POST
def breach_subjects_notified(request: HttpRequest, breach_id: int) -> HttpResponse:
    """Record that the people affected were told."""
    form = SubjectsNotifiedForm(request.POST)

    def run(user: User, found: Breach) -> object:
        return services.breach_subjects_notified(actor=user, breach=found, **form.cleaned_data)

    return _attempt(
        request,
        breach_id,
        form,
        "subjects_form",
        run,
        _("Telling the people affected is recorded."),
    )


@login_required
@require_POST
def breach_close(request: HttpRequest, breach_id: int) -> HttpResponse:
    """Close the breach once every duty is done."""
    form = BreachCloseForm(request.POST)

    def run(user: User, found: Breach) -> object:
        return services.breach_close(actor=user, breach=found, note=form.cleaned_data["note"])

    return _attempt(request, breach_id, form, "close_form", run, _("Breach closed."))


@login_required
def breach_notice(request: HttpRequest, breach_id: int, to: str) -> HttpResponse:
    """The notice drafted from the record, to copy or download and then send."""
    user = cast(User, request.user)
    found = selectors.breach_get(viewer=user, breach_id=breach_id, audit=False)
    language = request.GET.get("language", "en")
    if language not in ("en", "sw"):
        language = "en"
    text = selectors.breach_notice(viewer=user, breach=found, to=to, language=language)
    if request.GET.get("download"):
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{found.code}-notice-{to}-{language}.txt"'
        )
        return response
    return render(
        request,
        "dataprotection/breach_notice.html",
        {"breach": found, "text": text, "to": to, "language": language},
    )


# --- Retention ---------------------------------------------------------------------------


def _retention_page(
    request: HttpRequest,
    *,
    status: int = 200,
    rule_form: tuple[str, RetentionRuleForm] | None = None,
) -> HttpResponse:
    user = cast(User, request.user)
    lines, coming = selectors.retention_overview(viewer=user, now=timezone.now())
    forms_by_kind = {
        line.row.kind.key: (
            rule_form[1]
            if rule_form is not None and rule_form[0] == line.row.kind.key
            else RetentionRuleForm(
                initial={
                    "keep_days": line.row.keep_days,
                    "legal_basis": line.row.legal_basis,
                },
                prefix=line.row.kind.key,
            )
        )
        for line in lines
    }
    return render(
        request,
        "dataprotection/retention.html",
        {
            "lines": [(line, forms_by_kind[line.row.kind.key]) for line in lines],
            "coming": coming,
            "forecast_days": selectors.FORECAST_DAYS,
        },
        status=status,
    )


@login_required
def retention(request: HttpRequest) -> HttpResponse:
    """The retention schedule, what goes in the next month, and what is held."""
    return _retention_page(request)


@login_required
@require_POST
def retention_rule(request: HttpRequest) -> HttpResponse:
    """Set this deployment's period and legal basis for one kind of record."""
    user = cast(User, request.user)
    if not selectors.can_manage(user):
        raise selectors.refuse(user, record_type="dataprotection.retentionrule", action="change")
    kind = request.POST.get("kind", "")
    form = RetentionRuleForm(request.POST, prefix=kind)
    if form.is_valid():
        try:
            services.retention_rule_set(
                actor=user,
                kind=kind,
                keep_days=form.cleaned_data["keep_days"],
                legal_basis=form.cleaned_data["legal_basis"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The period is set for this deployment."))
            return redirect("dataprotection:retention")
    return _retention_page(request, status=400, rule_form=(kind, form))


def _holds_page(
    request: HttpRequest,
    *,
    status: int = 200,
    form: LegalHoldForm | None = None,
    lift_form: tuple[int, LegalHoldLiftForm] | None = None,
) -> HttpResponse:
    user = cast(User, request.user)
    holds = selectors.legal_holds(viewer=user)
    chosen = request.POST.get("person_id") or request.GET.get("person") or ""
    subject = (
        selectors.subject_get(viewer=user, person_id=int(chosen)) if chosen.isdigit() else None
    )
    if form is None:
        form = LegalHoldForm(initial={"person_id": subject.person_id} if subject else None)
    return render(
        request,
        "dataprotection/holds.html",
        {
            "holds": [
                (
                    hold,
                    lift_form[1] if lift_form and lift_form[0] == hold.pk else LegalHoldLiftForm(),
                )
                for hold in holds
            ],
            "form": form,
            "subject": subject,
        },
        status=status,
    )


@login_required
def legal_holds(request: HttpRequest) -> HttpResponse:
    """Legal holds: place one on a record a court or an investigation needs, or lift one."""
    return _holds_page(request)


@login_required
@require_POST
def legal_hold_place(request: HttpRequest) -> HttpResponse:
    """Hold a case, incident or report, or one person's record."""
    user = cast(User, request.user)
    if not selectors.can_manage(user):
        raise selectors.refuse(user, record_type="dataprotection.legalhold", action="create")
    form = LegalHoldForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["person_id"] is not None:
                hold = services.legal_hold_place_person(
                    actor=user, person_id=data["person_id"], reason=data["reason"]
                )
            else:
                hold = services.legal_hold_place(
                    actor=user, reference=data["reference"], reason=data["reason"]
                )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("%(reference)s is held.") % {"reference": hold.reference})
            return redirect("dataprotection:legal_holds")
    return _holds_page(request, status=400, form=form)


@login_required
@require_POST
def legal_hold_lift(request: HttpRequest, hold_id: int) -> HttpResponse:
    """Lift a hold, with the reason."""
    user = cast(User, request.user)
    hold = selectors.legal_hold_get(viewer=user, hold_id=hold_id)
    form = LegalHoldLiftForm(request.POST)
    if form.is_valid():
        try:
            services.legal_hold_lift(actor=user, hold=hold, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(
                request, _("The hold on %(reference)s is lifted.") % {"reference": hold.reference}
            )
            return redirect("dataprotection:legal_holds")
    return _holds_page(request, status=400, lift_form=(hold.pk, form))


# --- Data subjects' requests ---------------------------------------------------------------


@login_required
def subject_requests(request: HttpRequest) -> HttpResponse:
    """The register of data subjects' requests, open ones first by deadline."""
    user = cast(User, request.user)
    rows = selectors.request_list(viewer=user)
    return render(request, "dataprotection/requests.html", {"requests": rows})


@login_required
def subject_request_new(request: HttpRequest) -> HttpResponse:
    """Record a data subject's request."""
    user = cast(User, request.user)
    if not selectors.can_manage(user):
        raise selectors.refuse(user, record_type="dataprotection.subjectrequest", action="create")
    chosen = request.POST.get("person_id") or request.GET.get("person") or ""
    subject = (
        selectors.subject_get(viewer=user, person_id=int(chosen)) if chosen.isdigit() else None
    )
    initial: dict[str, object] = {"received_at": timezone.localtime()}
    if subject is not None:
        initial["person_id"] = subject.person_id
    form = SubjectRequestForm(request.POST or None, initial=initial)
    if subject is not None:
        del form.fields["case_code"]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if subject is not None:
            data["person_id"] = subject.person_id
            data["case_code"] = ""
        try:
            made = services.subject_request_record(actor=user, **data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(
                request,
                _("Request %(code)s recorded. Check who asked before answering.")
                % {"code": made.code},
            )
            return redirect("dataprotection:request", request_id=made.pk)
    return render(request, "dataprotection/request_new.html", {"form": form, "subject": subject})


@login_required
def subject_find(request: HttpRequest) -> HttpResponse:
    """Find the person a request is about by name or phone (encrypted search tokens), to
    record the request about them; shown by references only, never by name."""
    user = cast(User, request.user)
    if not selectors.can_manage(user):
        raise selectors.refuse(user, record_type="people.person", action="list")
    form = SubjectFindForm(request.GET or None)
    found: list[selectors.Subject] | None = None
    if request.GET and form.is_valid():
        try:
            found = selectors.subjects_found(
                viewer=user, name=form.cleaned_data["name"], phone=form.cleaned_data["phone"]
            )
        except ValidationError as error:
            _errors_to_form(form, error)
    return render(request, "dataprotection/subject_find.html", {"form": form, "found": found})


@login_required
@require_POST
def subject_request_correct(request: HttpRequest, request_id: int) -> HttpResponse:
    """Carry out a correction request: change the person's record as the requester asked."""
    user = cast(User, request.user)
    found = selectors.request_get(viewer=user, request_id=request_id, audit=False)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            changed = services.subject_request_correct(
                actor=user, request=found, changes=form.changes()
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(
                request,
                _("The record is corrected (%(fields)s). Decide the request to close it.")
                % {"fields": ", ".join(changed)},
            )
            return redirect("dataprotection:request", request_id=found.pk)
    return _request_page(request, found, status=400, correction_form=form)


def _request_page(
    request: HttpRequest,
    found: SubjectRequest,
    *,
    status: int = 200,
    check_form: IdentityCheckForm | None = None,
    decision_form: RequestDecisionForm | None = None,
    correction_form: CorrectionForm | None = None,
) -> HttpResponse:
    blockers = (
        services.deletion_blockers(found.person_id)
        if found.kind == "deletion" and found.is_open
        else []
    )
    return render(
        request,
        "dataprotection/request.html",
        {
            "subject_request": found,
            "check_form": check_form or IdentityCheckForm(),
            "decision_form": decision_form or RequestDecisionForm(),
            "correction_form": correction_form or CorrectionForm(),
            "blockers": [(matter.type, RefusalGround(ground).label) for matter, ground in blockers],
            "days_left": found.days_left(),
        },
        status=status,
    )


@login_required
def subject_request(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request: its clock, the identity check, the export, the decision."""
    user = cast(User, request.user)
    return _request_page(request, selectors.request_get(viewer=user, request_id=request_id))


@login_required
@require_POST
def subject_request_identity(request: HttpRequest, request_id: int) -> HttpResponse:
    """Record how the requester's identity and authority were checked."""
    user = cast(User, request.user)
    found = selectors.request_get(viewer=user, request_id=request_id, audit=False)
    form = IdentityCheckForm(request.POST)
    if form.is_valid():
        try:
            services.subject_request_identity_checked(
                actor=user, request=found, check=form.cleaned_data["check"]
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Identity check recorded."))
            return redirect("dataprotection:request", request_id=found.pk)
    return _request_page(request, found, status=400, check_form=form)


@login_required
@require_POST
def subject_request_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    """Decide the request, with the legal ground when refusing."""
    user = cast(User, request.user)
    found = selectors.request_get(viewer=user, request_id=request_id, audit=False)
    form = RequestDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.subject_request_decide(actor=user, request=found, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("dataprotection:request", request_id=found.pk)
    found = selectors.request_get(viewer=user, request_id=request_id, audit=False)
    return _request_page(request, found, status=400, decision_form=form)


@login_required
def subject_request_export(request: HttpRequest, request_id: int, fmt: str) -> HttpResponse:
    """Everything Kinga holds on the person, as JSON or a readable PDF (through the policy)."""
    user = cast(User, request.user)
    found = selectors.request_get(viewer=user, request_id=request_id, audit=False)
    if fmt not in ("json", "pdf"):
        raise selectors.refuse(
            user, record_type="dataprotection.subjectrequest", record_id=found.pk
        )
    export = selectors.person_export(viewer=user, request=found)
    if fmt == "json":
        response = HttpResponse(
            json.dumps(export, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
    else:
        lines = selectors.person_export_lines(export)
        response = HttpResponse(text_pdf(lines, title=found.code), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.code}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Record of processing ----------------------------------------------------------------


@login_required
def processing(request: HttpRequest) -> HttpResponse:
    """The record of processing, for the registration with the Data Commissioner."""
    user = cast(User, request.user)
    if not selectors.can_manage(user):
        raise selectors.refuse(user, record_type="dataprotection.processing")
    return render(request, "dataprotection/processing.html", {"record": processing_record()})


@login_required
def processing_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The record of processing as JSON or a readable PDF."""
    user = cast(User, request.user)
    if not selectors.can_manage(user) or fmt not in ("json", "pdf"):
        raise selectors.refuse(user, record_type="dataprotection.processing", action="export")
    record = selectors.processing_export(viewer=user, fmt=fmt)
    if fmt == "json":
        response = HttpResponse(
            json.dumps(record, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
    else:
        response = HttpResponse(
            text_pdf(processing_lines(record), title="Record of processing"),
            content_type="application/pdf",
        )
    response["Content-Disposition"] = f'attachment; filename="record-of-processing.{fmt}"'
    return response
