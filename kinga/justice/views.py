"""Pages of justice: incidents, the investigation, the prosecution, the court calendar.

One URL and one small view per step: parse the form, load through a selector (an audited 404
for anyone off the incident), call one service, go back to the incident.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.accounts.models import User
from kinga.justice import forms as jf
from kinga.justice import selectors, services
from kinga.justice.models import ChargeSheet, Incident, IncidentStage, StatementKind
from kinga.justice.statutes import offence_choices
from kinga.lib.concurrency import (
    EDIT_BASE,
    Conflict,
    StaleEdit,
    conflict_form,
    edit_base_of,
    edit_base_token,
)
from kinga.people.models import Person
from kinga.people.selectors import LikelyMatch, person_likely_matches, person_search


def _viewer(request: HttpRequest) -> User:
    return cast(User, request.user)


def _run(
    request: HttpRequest, form: forms.Form, incident: Incident, call: Callable[[], Any]
) -> bool:
    """Call one service; put its refusal on the form. A 404 inside the service goes on up
    (its audit event, rolled back with the service, is written again by the middleware)."""
    try:
        call()
    except StaleEdit:
        raise  # the view answers it with the form beside what is stored now
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error.messages)
        return False
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("You may not do this."))
        return False
    return True


def _step_page(
    request: HttpRequest,
    incident: Incident,
    form: forms.Form,
    title: str,
    *,
    formset: Any = None,
    intro: str = "",
    conflict: Conflict | None = None,
) -> HttpResponse:
    return render(
        request,
        "justice/step.html",
        {
            "incident": incident,
            "form": form,
            "formset": formset,
            "title": title,
            "intro": intro,
            "conflict": conflict,
        },
    )


def _back(incident: Incident, anchor: str = "") -> HttpResponse:
    url = reverse("justice:incident", args=[incident.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _writable(request: HttpRequest, incident_id: int) -> Incident:
    return selectors.incident_get(
        viewer=_viewer(request), incident_id=incident_id, action="create", section="justice"
    )


# --- lists ----------------------------------------------------------------------------------


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    """The incidents the user is on, newest first, with the reports waiting for one."""
    viewer = _viewer(request)
    stage = request.GET.get("stage", "")
    if stage not in IncidentStage.values:
        stage = ""
    incidents = list(selectors.incident_list(viewer=viewer, stage=stage)[:200])
    waiting = selectors.reports_awaiting_incident_page(viewer=viewer)
    return render(
        request,
        "justice/incident_list.html",
        {
            "incidents": incidents,
            "waiting": waiting,
            "stages": IncidentStage.choices,
            "stage": stage,
            "may_open": policy.can_do(viewer, "incident.open"),
        },
    )


@login_required
def incident_open(request: HttpRequest) -> HttpResponse:
    """Open an incident: from a report triage sent to the police, or directly."""
    viewer = _viewer(request)
    if not policy.can_do(viewer, "incident.open"):
        raise policy.deny(viewer, record_type=selectors.INCIDENT, record_id="new", action="create")
    report = None
    raw = request.GET.get("report") or request.POST.get("report")
    if raw:
        try:
            report = selectors.report_for_incident(viewer=viewer, report_id=int(raw))
        except ValueError as error:
            raise Http404 from error
    initial: dict[str, Any] = {"reported_on": timezone.localdate()}
    if report is not None:
        initial.update(
            {
                "county": report.county_id,
                "reported_on": timezone.localdate(report.received_at),
                "summary": report.narrative,
            }
        )
    form = jf.IncidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facts = services.IncidentInput(
            county=data["county"],
            station=data["station"],
            ob_number=data["ob_number"],
            reported_on=data["reported_on"],
            summary=data["summary"],
            exploitation_types=data["exploitation_types"],
            control_methods=data["control_methods"],
            began_on=data["began_on"],
            ended_on=data["ended_on"],
            buyer_origin=data["buyer_origin"] or "",
            ward=data["ward"],
        )
        opened: list[Incident] = []
        try:
            opened.append(services.incident_open(actor=viewer, facts=facts, report=report))
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, getattr(error, "messages", None) or str(error))
        if opened:
            messages.success(request, _("Incident %(code)s opened.") % {"code": opened[0].code})
            return _back(opened[0])
    return render(request, "justice/incident_open.html", {"form": form, "report": report})


@login_required
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The incident page: what happened, the people, the investigation, the court record, and
    the path from report to verdict: each part only for those who may see it."""
    viewer = _viewer(request)
    incident = selectors.incident_get(viewer=viewer, incident_id=incident_id)
    page = selectors.incident_page(viewer=viewer, incident=incident)
    return render(
        request,
        "justice/incident_detail.html",
        {
            "incident": incident,
            "page": page,
            "may_write": page.may("justice", "create"),
            "is_prosecutor": "prosecutor" in viewer.role_set,
        },
    )


# --- the incident ---------------------------------------------------------------------------


@login_required
def incident_edit(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Correct what the incident records of what happened; its police references stay."""
    viewer = _viewer(request)
    incident = selectors.incident_get(
        viewer=viewer, incident_id=incident_id, action="change", section="justice"
    )
    initial = {
        "county": incident.county_id,
        "ward": incident.ward_id,
        "summary": incident.summary,
        "exploitation_types": incident.exploitation_types,
        "control_methods": incident.control_methods,
        "began_on": incident.began_on,
        "ended_on": incident.ended_on,
        "buyer_origin": incident.buyer_origin,
    }
    form = jf.IncidentFacts(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facts = services.IncidentInput(
            county=data["county"],
            ward=data["ward"],
            station="",
            ob_number="",
            reported_on=incident.reported_on,
            summary=data["summary"],
            exploitation_types=data["exploitation_types"],
            control_methods=data["control_methods"],
            began_on=data["began_on"],
            ended_on=data["ended_on"],
            buyer_origin=data["buyer_origin"] or "",
        )
        if _run(
            request,
            form,
            incident,
            lambda: services.incident_describe(incident=incident, actor=viewer, facts=facts),
        ):
            messages.success(request, _("What happened is saved."))
            return _back(incident, "summary")
    return _step_page(
        request,
        incident,
        form,
        _("Correct what happened"),
        intro=_(
            "The station and Occurrence Book number stay as first recorded; every change is "
            "kept in the incident's history."
        ),
    )


@login_required
def link_case(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    form = jf.LinkCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["case_code"]
        if _run(
            request,
            form,
            incident,
            lambda: services.incident_link_case(
                incident=incident, actor=_viewer(request), case_code=code
            ),
        ):
            return _back(incident, "children")
    return _step_page(request, incident, form, _("Link a child's case"))


@login_required
def event_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    form = jf.EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.event_add(incident=incident, actor=_viewer(request), **data),
        ):
            return _back(incident, "timeline")
    return _step_page(request, incident, form, _("Add to what happened"))


@login_required
def person_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Find the person first with the matcher (spelling variants, swapped names, `binti`
    read as the father's name), each with why; add them, or a new person only when none of
    the likely matches is the one (search before create)."""
    viewer = _viewer(request)
    incident = _writable(request, incident_id)
    search = jf.PersonSearchForm(request.GET or None)
    found: list[LikelyMatch] = []
    searched = False
    if search.is_bound and search.is_valid():
        searched = True
        found = person_likely_matches(viewer=viewer, text=search.cleaned_data["q"], limit=10)
    searched_name = request.GET.get("q", "").split()
    query = request.GET.get("q") or request.POST.get("q", "")
    posted_id = request.POST.get("person_id", "") if request.POST.get("which") == "existing" else ""
    new = jf.NewPersonForm(
        request.POST if request.POST.get("which") == "new" else None,
        prefix="new",
        initial={
            "given_name": " ".join(searched_name[:1]),
            "family_name": " ".join(searched_name[1:]),
        },
    )
    if request.method == "POST" and request.POST.get("which") == "new" and new.is_valid():
        # What was typed may differ from what was searched: the matcher looks again with
        # every field, and a likely match must be seen and set aside before a new person.
        likely = _likely_for_new(viewer, new.cleaned_data)
        if likely and not new.cleaned_data["none_of_these"]:
            found, searched, query = likely, True, _typed_name(new.cleaned_data)
            new.add_error(
                "none_of_these",
                _(
                    "The people found may be this person: add one of them, or tick that "
                    "none of them is."
                ),
            )
    # One form per person found, each with its own prefix: ids stay unique on the page and a
    # refused choice shows its errors beside the person it was about.
    existing = jf.ExistingPersonForm(
        request.POST if posted_id else None, prefix=f"existing-{posted_id or 'none'}"
    )
    choices = [
        (
            match,
            existing
            if str(match.person.pk) == posted_id
            else jf.ExistingPersonForm(prefix=f"existing-{match.person.pk}"),
        )
        for match in found
    ]
    if request.method == "POST" and not new.errors:
        form: forms.Form = existing if request.POST.get("which") == "existing" else new
        if form.is_valid():
            data = form.cleaned_data
            chosen = None
            new_person = None
            if form is existing:
                allowed = {p.pk: p for p in _offered(viewer, request.POST.get("q", ""))}
                try:
                    chosen = allowed.get(int(request.POST.get("person_id", "")))
                except ValueError:
                    chosen = None
                if chosen is None:
                    form.add_error(None, _("Choose a person the search found."))
            else:
                new_person = services.NewPerson(
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    other_names=data["other_names"],
                    sex=data["sex"],
                    age_estimate=data["age_estimate"],
                    nationality=data["nationality"],
                    phones=[data["phone"]] if data["phone"] else [],
                )
            if not form.errors and _run(
                request,
                form,
                incident,
                lambda: services.person_of_interest_add(
                    incident=incident,
                    actor=viewer,
                    role=data["role"],
                    relationship=data["relationship"],
                    is_foreign=data["is_foreign"],
                    person=chosen,
                    new_person=new_person,
                ),
            ):
                return _back(incident, "people")
    if not found:
        # Nobody to set aside: the question has no place on the page.
        del new.fields["none_of_these"]
    return render(
        request,
        "justice/person_add.html",
        {
            "incident": incident,
            "search": search,
            "found": found,
            "searched": searched,
            "choices": choices,
            "unmatched": bool(posted_id) and all(str(m.person.pk) != posted_id for m in found),
            "existing": existing,
            "new": new,
            "q": query,
        },
    )


def _typed_name(data: dict[str, Any]) -> str:
    return " ".join(part for part in (data["given_name"], data["family_name"]) if part).strip()


def _likely_for_new(viewer: User, data: dict[str, Any]) -> list[LikelyMatch]:
    """Return the persons the viewer may see who are likely the new person typed: those
    whose given and family names both agree with the matcher (the same, or close in
    spelling or sound, in either order). A name is what a new record of a suspect mostly
    holds, so agreement on both is reason enough to ask before a second record is made."""
    text = _typed_name(data)
    if not text:
        return []
    matches = person_likely_matches(
        viewer=viewer,
        text=text,
        sex=data["sex"],
        age_years=data["age_estimate"],
        phone=data["phone"] or None,
        limit=10,
    )
    both = {"given_name", "family_name"}
    return [match for match in matches if both <= {reason.field for reason in match.reasons}]


def _offered(viewer: User, text: str) -> list[Person]:
    """Return the persons a search for the text may have offered (the only ones that may be
    chosen): every candidate the matcher ranked (`person_likely_matches` ranks the first 30
    the name search gives)."""
    if not text.strip():
        return []
    return person_search(viewer=viewer, text=text, limit=30)


@login_required
def lead_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    people = selectors.person_of_interest_choices(incident=incident)
    form = jf.LeadForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.lead_add(incident=incident, actor=_viewer(request), **data),
        ):
            return _back(incident, "leads")
    return _step_page(request, incident, form, _("Add a venue, vehicle, phone or account"))


# --- the investigation ----------------------------------------------------------------------


@login_required
def officer_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    form = jf.OfficerForm(request.POST or None, choices=services.investigator_choices(incident))
    if request.method == "POST" and form.is_valid():
        user = form.cleaned_data["user"]
        if _run(
            request,
            form,
            incident,
            lambda: services.officer_add(incident=incident, actor=_viewer(request), user=user),
        ):
            return _back(incident, "investigation")
    return _step_page(request, incident, form, _("Add an investigating officer"))


@login_required
def officer_remove(request: HttpRequest, officer_id: int) -> HttpResponse:
    officer = selectors.officer_get(viewer=_viewer(request), officer_id=officer_id)
    incident = officer.incident
    form = jf.OfficerRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        if _run(
            request,
            form,
            incident,
            lambda: services.officer_remove(officer=officer, actor=_viewer(request), reason=reason),
        ):
            messages.success(request, _("The officer has left the investigation."))
            return _back(incident, "investigation")
    name = officer.user.get_full_name() or officer.user.username
    return _step_page(
        request,
        incident,
        form,
        _("Take %(name)s off the investigation") % {"name": name},
        intro=_(
            "Their access to the incident ends now. Give their open steps to another officer "
            "first; the investigation keeps at least one officer."
        ),
    )


@login_required
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    task = selectors.task_get(viewer=_viewer(request), task_id=task_id)
    incident = task.incident
    initial = {"title": task.title, "due_on": task.due_on, "assigned_to": task.assigned_to_id}
    form = jf.TaskForm(request.POST or None, initial=initial, team=services.team_of(incident))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.task_change(task=task, actor=_viewer(request), **data),
        ):
            return _back(incident, "investigation")
    return _step_page(request, incident, form, _("Change an investigation step"))


@login_required
def task_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    form = jf.TaskForm(request.POST or None, team=services.team_of(incident))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.task_add(incident=incident, actor=_viewer(request), **data),
        ):
            return _back(incident, "investigation")
    return _step_page(request, incident, form, _("Add an investigation step"))


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    task = selectors.task_get(viewer=_viewer(request), task_id=task_id)
    services.task_done(task=task, actor=_viewer(request))
    return _back(task.incident, "investigation")


@login_required
def statement_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    interviews = selectors.child_interviews(incident=incident)
    choices = [(i.pk, f"{i.case.code} · {i.held_on:%d %b %Y}") for i in interviews]
    form = jf.StatementForm(request.POST or None, interviews=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_id = {i.pk: i for i in interviews}
        interview = by_id.get(data["interview"]) if data["interview"] else None
        if _run(
            request,
            form,
            incident,
            lambda: services.statement_record(
                incident=incident,
                actor=_viewer(request),
                kind=data["kind"],
                taken_on=data["taken_on"],
                interview=interview,
                reference=data["reference"],
            ),
        ):
            return _back(incident, "statements")
    intro = _(
        "A child's statement is the interview already recorded on the child's case: "
        "choose it, do not interview the child again."
    )
    return _step_page(request, incident, form, _("Record a statement"), intro=intro)


@login_required
def evidence_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    form = jf.EvidenceForm(
        request.POST or None,
        initial={
            "exhibit_number": services.next_exhibit_number(incident),
            "obtained_on": timezone.localdate(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.evidence_log(incident=incident, actor=_viewer(request), **data),
        ):
            return _back(incident, "evidence")
    intro = _(
        "Log what the exhibit is and where it is kept. Images or videos of abuse are "
        "never uploaded: give the SHA-256 of the file held in the forensic store."
    )
    return _step_page(request, incident, form, _("Log an exhibit"), intro=intro)


@login_required
def custody_add(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = selectors.evidence_get(viewer=_viewer(request), evidence_id=evidence_id)
    incident = evidence.incident
    form = jf.CustodyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.custody_append(evidence=evidence, actor=_viewer(request), **data),
        ):
            return _back(incident, "evidence")
    return _step_page(
        request,
        incident,
        form,
        _("Hand over exhibit %(number)s") % {"number": evidence.exhibit_number},
    )


@login_required
def age_proof_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    children = selectors.children_of(incident=incident)
    form = jf.AgeProofForm(request.POST or None, cases=[(c.case_id, c.case.code) for c in children])
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        case = next(c.case for c in children if c.case_id == data.pop("case"))
        if _run(
            request,
            form,
            incident,
            lambda: services.age_proof_add(
                incident=incident, actor=_viewer(request), case=case, **data
            ),
        ):
            return _back(incident, "investigation")
    return _step_page(request, incident, form, _("Record a proof of age"))


@login_required
def arrest_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    form = jf.ArrestForm(
        request.POST or None, people=selectors.person_of_interest_choices(incident=incident)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.arrest_record(incident=incident, actor=_viewer(request), **data),
        ):
            return _back(incident, "arrests")
    return _step_page(request, incident, form, _("Record an arrest"))


@login_required
def file_send(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    form = jf.FileForm(request.POST or None, choices=services.prosecutors())
    if request.method == "POST" and form.is_valid():
        prosecutor = form.cleaned_data["prosecutor"]
        if _run(
            request,
            form,
            incident,
            lambda: services.file_send(
                incident=incident, actor=_viewer(request), prosecutor=prosecutor
            ),
        ):
            messages.success(request, _("The file was sent to the prosecutor."))
            return _back(incident, "file")
    return _step_page(request, incident, form, _("Send the file to a prosecutor"))


@login_required
def charge_decide(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = selectors.submission_get(viewer=_viewer(request), submission_id=submission_id)
    incident = submission.incident
    form = jf.DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.charge_decide(submission=submission, actor=_viewer(request), **data),
        ):
            return _back(incident, "file")
    return _step_page(request, incident, form, _("Decide on the police file"))


# --- the prosecution ------------------------------------------------------------------------


def _counts(formset: Any) -> list[services.CountInput]:
    return [
        services.CountInput(
            offence=row["offence"], accused=row["accused"], particulars=row.get("particulars", "")
        )
        for row in formset.cleaned_data
        if row and row.get("offence") and row.get("accused")
    ]


@login_required
def prosecution_open(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _writable(request, incident_id)
    people = selectors.person_of_interest_choices(incident=incident)
    form = jf.CourtFileForm(request.POST or None, initial={"filed_on": timezone.localdate()})
    formset = jf.CountFormSet(request.POST or None, prefix="counts", form_kwargs={"people": people})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.prosecution_open(
                incident=incident, actor=_viewer(request), counts=_counts(formset), **data
            ),
        ):
            return _back(incident, "court")
    return _step_page(request, incident, form, _("Charge in court"), formset=formset)


def _sheet_values(sheet: ChargeSheet | None) -> dict[str, str]:
    """The current charge sheet as an amendment starts from it: its version, what its own
    amendment changed, and each count (offence, accused, particulars)."""
    if sheet is None:
        return {"version": "0"}
    offences = dict(offence_choices())
    values = {"version": str(sheet.version), "amendment_note": sheet.amendment_note}
    for count in sheet.counts.select_related("accused__person").order_by("number"):
        parts = [offences.get(count.offence, count.offence), str(count.accused), count.particulars]
        values[f"count_{count.number}"] = " · ".join(part for part in parts if part)
    return values


def _sheet_labels(values: dict[str, str], started: dict[str, Any]) -> dict[str, str]:
    labels = {
        "version": _("Charge sheet version"),
        "amendment_note": _("What the amendment changes"),
    }
    for name in [*values, *started]:
        if name.startswith("count_"):
            labels[name] = _("Count %(number)s") % {"number": name.removeprefix("count_")}
    return labels


@login_required
def charge_sheet_amend(request: HttpRequest, prosecution_id: int) -> HttpResponse:
    """Amend the charge sheet: a new version. Two prosecutors amending from the same version
    cannot both file: the second is told a newer version exists, with their draft kept."""
    prosecution = selectors.prosecution_get(viewer=_viewer(request), prosecution_id=prosecution_id)
    incident = prosecution.incident
    people = selectors.person_of_interest_choices(incident=incident)
    current = services.current_sheet(prosecution)
    record = f"justice.prosecution:{prosecution.pk}"
    values = _sheet_values(current)
    token = edit_base_token(record=record, version=current.version if current else 0, values=values)
    initial = [
        {"offence": c.offence, "accused": c.accused_id, "particulars": c.particulars}
        for c in (current.counts.order_by("number") if current else [])
    ]
    form = jf.AmendForm(
        request.POST or None, initial={"filed_on": timezone.localdate(), EDIT_BASE: token}
    )
    formset = jf.CountFormSet(
        request.POST or None, prefix="counts", initial=initial, form_kwargs={"people": people}
    )
    conflict = None
    if (
        request.method == "POST"
        and form.is_valid()
        and formset.is_valid()
        and (base := edit_base_of(form, record=record)) is not None
    ):
        data = {k: v for k, v in form.cleaned_data.items() if k != EDIT_BASE}
        try:
            if _run(
                request,
                form,
                incident,
                lambda: services.charge_sheet_amend(
                    prosecution=prosecution,
                    actor=_viewer(request),
                    counts=_counts(formset),
                    expected_version=base.version,
                    **data,
                ),
            ):
                return _back(incident, "court")
        except StaleEdit as stale:
            # `current` was read before the other amendment was filed: read it again
            values = _sheet_values(services.current_sheet(prosecution))
            token = edit_base_token(record=record, version=stale.stored_version, values=values)
            form, conflict = conflict_form(
                jf.AmendForm,
                request.POST,
                error=stale,
                token=token,
                started=base.values,
                stored=values,
                labels=_sheet_labels(values, base.values),
            )
    return _step_page(
        request,
        incident,
        form,
        _("Amend the charge sheet"),
        formset=formset,
        intro=_(
            "The earlier version is kept as it was; the accused pleads again to the amended counts."
        ),
        conflict=conflict,
    )


@login_required
def plea_enter(request: HttpRequest, count_id: int) -> HttpResponse:
    count = selectors.count_get(viewer=_viewer(request), count_id=count_id)
    incident = count.incident
    form = jf.PleaForm(request.POST or None, initial={"entered_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.plea_enter(count=count, actor=_viewer(request), **data),
        ):
            return _back(incident, "court")
    return _step_page(
        request, incident, form, _("Plea to count %(number)s") % {"number": count.number}
    )


@login_required
def bail_add(request: HttpRequest, prosecution_id: int) -> HttpResponse:
    prosecution = selectors.prosecution_get(viewer=_viewer(request), prosecution_id=prosecution_id)
    incident = prosecution.incident
    form = jf.BailForm(
        request.POST or None, people=selectors.person_of_interest_choices(incident=incident)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.bail_record(prosecution=prosecution, actor=_viewer(request), **data),
        ):
            return _back(incident, "court")
    return _step_page(request, incident, form, _("Bail, bond or remand"))


@login_required
def court_schedule(request: HttpRequest, prosecution_id: int) -> HttpResponse:
    prosecution = selectors.prosecution_get(viewer=_viewer(request), prosecution_id=prosecution_id)
    incident = prosecution.incident
    form = jf.ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.court_event_schedule(
                prosecution=prosecution, actor=_viewer(request), **data
            ),
        ):
            return _back(incident, "court")
    return _step_page(request, incident, form, _("Add a court date"))


@login_required
def court_held(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.court_event_get(viewer=_viewer(request), event_id=event_id)
    incident = event.incident
    form = jf.HeldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.court_event_held(event=event, actor=_viewer(request), **data),
        ):
            return _back(incident, "court")
    return _step_page(request, incident, form, _("The court date went ahead"))


@login_required
def court_adjourn(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.court_event_get(viewer=_viewer(request), event_id=event_id)
    incident = event.incident
    form = jf.AdjournForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.court_event_adjourn(event=event, actor=_viewer(request), **data),
        ):
            return _back(incident, "court")
    return _step_page(request, incident, form, _("Adjourned"))


@login_required
def protection_add(request: HttpRequest, prosecution_id: int) -> HttpResponse:
    prosecution = selectors.prosecution_get(viewer=_viewer(request), prosecution_id=prosecution_id)
    incident = prosecution.incident
    children = selectors.children_of(incident=incident)
    form = jf.ProtectionForm(
        request.POST or None, cases=[(c.case_id, c.case.code) for c in children]
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        case = next(c.case for c in children if c.case_id == data.pop("case"))
        if _run(
            request,
            form,
            incident,
            lambda: services.protection_record(
                prosecution=prosecution, actor=_viewer(request), case=case, **data
            ),
        ):
            return _back(incident, "court")
    return _step_page(
        request,
        incident,
        form,
        _("The child in court"),
        intro=_(
            "Sexual Offences Act s.31: vulnerable witness; s.32: the child and "
            "guardian are told of the measures. Victim Protection Act s.12: "
            "victim impact statement."
        ),
    )


@login_required
def count_outcome(request: HttpRequest, count_id: int) -> HttpResponse:
    count = selectors.count_get(viewer=_viewer(request), count_id=count_id)
    incident = count.incident
    form = jf.OutcomeForm(request.POST or None, initial={"decided_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.count_outcome_record(count=count, actor=_viewer(request), **data),
        ):
            return _back(incident, "court")
    return _step_page(
        request, incident, form, _("Outcome of count %(number)s") % {"number": count.number}
    )


@login_required
def sentence_add(request: HttpRequest, count_id: int) -> HttpResponse:
    count = selectors.count_get(viewer=_viewer(request), count_id=count_id)
    incident = count.incident
    form = jf.SentenceForm(request.POST or None, initial={"passed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.sentence_record(count=count, actor=_viewer(request), **data),
        ):
            return _back(incident, "court")
    return _step_page(
        request, incident, form, _("Sentence on count %(number)s") % {"number": count.number}
    )


@login_required
def appeal_add(request: HttpRequest, prosecution_id: int) -> HttpResponse:
    prosecution = selectors.prosecution_get(viewer=_viewer(request), prosecution_id=prosecution_id)
    incident = prosecution.incident
    form = jf.AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.appeal_record(prosecution=prosecution, actor=_viewer(request), **data),
        ):
            return _back(incident, "court")
    return _step_page(request, incident, form, _("Record an appeal"))


@login_required
def prosecution_withdraw(request: HttpRequest, prosecution_id: int) -> HttpResponse:
    prosecution = selectors.prosecution_get(viewer=_viewer(request), prosecution_id=prosecution_id)
    incident = prosecution.incident
    form = jf.WithdrawForm(request.POST or None, initial={"decided_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(
            request,
            form,
            incident,
            lambda: services.prosecution_withdraw(
                prosecution=prosecution, actor=_viewer(request), **data
            ),
        ):
            return _back(incident, "court")
    return _step_page(request, incident, form, _("Withdraw the charges"))


# --- the court calendar ---------------------------------------------------------------------


@login_required
def court_calendar(request: HttpRequest) -> HttpResponse:
    """The court dates the user must attend or support, four weeks from a day."""
    viewer = _viewer(request)
    if not policy.can_do(viewer, "court.calendar"):
        raise policy.deny(
            viewer, record_type="justice.courtevent", record_id="calendar", action="list"
        )
    try:
        start = datetime.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = timezone.localdate()
    rows = selectors.court_calendar(viewer=viewer, start=start)
    days: dict[datetime.date, list[selectors.CalendarRow]] = {}
    for row in rows:
        days.setdefault(row.when.date(), []).append(row)
    return render(
        request,
        "justice/calendar.html",
        {
            "days": sorted(days.items()),
            "start": start,
            "previous": start - datetime.timedelta(days=28),
            "next": start + datetime.timedelta(days=28),
            "statement_child": StatementKind.CHILD,
        },
    )
