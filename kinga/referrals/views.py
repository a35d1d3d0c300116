"""Pages of referrals (refer from a case or a report, the provider's inbox, the sender's
list, one referral and the steps that move it). The directory's pages are in
`kinga.directory.views`."""

from __future__ import annotations

import uuid
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.access.policy import deny
from kinga.accounts.models import User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.directory.forms import DirectorySearchForm
from kinga.directory.models import ServiceAtLocation
from kinga.directory.selectors import DirectoryHit, public_place_name
from kinga.referrals import selectors, services
from kinga.referrals.forms import (
    AttachForm,
    EmergencyReferralForm,
    FeedbackForm,
    ReasonForm,
    ReferralForm,
)
from kinga.referrals.models import Urgency

SEARCH_LIMIT = 30


def _viewer(request: HttpRequest) -> User:
    return cast(User, request.user)


def _errors(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(message) for message in error.messages]
    return [str(error) or _("You may not do this.")]


def _search(request: HttpRequest) -> tuple[DirectorySearchForm, list[dict[str, object]], bool]:
    """Run the directory search of the refer page (the directory's own form and rules)."""
    query = request.GET.copy()
    query.pop("place", None)
    form = DirectorySearchForm(query or None)
    hits: list[DirectoryHit] = []
    if form.is_bound and form.is_valid():
        hits = form.hits(limit=SEARCH_LIMIT)
    rows: list[dict[str, object]] = [
        {
            "hit": hit,
            "place": public_place_name(hit.location),
            "takes_referrals": hit.service.organization.agency_id is not None,
        }
        for hit in hits
    ]
    return form, rows, form.is_bound


def _chosen_place(request: HttpRequest) -> ServiceAtLocation | None:
    raw = request.POST.get("place") or request.GET.get("place") or ""
    try:
        place_id = uuid.UUID(raw)
    except ValueError:
        return None
    return selectors.service_at_location_for_referral(place_id=place_id)


@login_required
def refer_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """Refer the child of a case: find a service, then say why, how urgent, what was said."""
    from kinga.cases.selectors import case_get, child_first_name_for_referral
    from kinga.cases.services import consent_allows

    viewer = _viewer(request)
    case = case_get(viewer=viewer, case_id=case_id, action="create", section="referral")
    search_form, rows, searched = _search(request)
    place = _chosen_place(request)
    context: dict[str, object] = {
        "case": case,
        "search_form": search_form,
        "rows": rows,
        "searched": searched,
        "place": place,
        "query": request.GET.urlencode(),
    }
    if place is not None:
        agency = place.service.organization.agency
        officers = services.childrens_officers(county_id=case.county_id)
        can_override = policy.can_do(viewer, "consent.override")
        default_officer = services.childrens_officer_default(case=case, county_id=case.county_id)
        # The pre-filled first name is a read of the child's identity: the selector
        # audits it (a posted form carries its own, so nothing is read then).
        first_name = (
            ""
            if request.method == "POST"
            else child_first_name_for_referral(viewer=viewer, case=case)
        )
        form = ReferralForm(
            request.POST or None,
            officers=officers,
            can_override=can_override,
            initial={
                "urgency": Urgency.URGENT,
                "child_first_name": first_name,
                "childrens_officer": default_officer.pk if default_officer else None,
            },
        )
        decision = (
            consent_allows(case=case, recipient_agency=agency, purpose="referral")
            if agency is not None
            else None
        )
        context.update(
            {
                "form": form,
                "agency": agency,
                "consent": decision,
                "consent_message": services.consent_refusal_message(decision.reason, agency)
                if decision is not None and agency is not None and not decision.allowed
                else "",
                "place_name": public_place_name(place.location),
            }
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                referral = services.referral_send(
                    case=case,
                    actor=viewer,
                    service_at_location=place,
                    urgency=data["urgency"],
                    reason=data["reason"],
                    child_told=data["child_told"],
                    needs=data.get("needs") or [],
                    child_first_name=data["child_first_name"],
                    childrens_officer=data["childrens_officer"],
                    override_reason=data.get("override_reason") or "",
                )
            except (ValidationError, PermissionDenied) as error:
                for message in _errors(error):
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    _("Referral %(reference)s sent. The service must answer by %(due)s.")
                    % {
                        "reference": referral.reference,
                        "due": timezone.localtime(referral.due_at).strftime("%d %b %H:%M"),
                    },
                )
                return redirect("referrals:detail", referral_id=referral.pk)
    return render(request, "referrals/refer.html", context)


@login_required
def refer_report(request: HttpRequest, report_id: int) -> HttpResponse:
    """An emergency referral from a triaged report, before a case exists."""
    from kinga.intake.selectors import report_for_viewer

    viewer = _viewer(request)
    report = report_for_viewer(viewer=viewer, report_id=report_id)
    if not policy.can(viewer, "create", report, "referral"):
        raise policy.deny(
            viewer, record_type="intake.report", record_id=report_id, action="create", matter=report
        )
    search_form, rows, searched = _search(request)
    place = _chosen_place(request)
    context: dict[str, object] = {
        "report": report,
        "search_form": search_form,
        "rows": rows,
        "searched": searched,
        "place": place,
        "query": request.GET.urlencode(),
    }
    if place is not None:
        officers = services.childrens_officers(county_id=report.county_id)
        form = EmergencyReferralForm(
            request.POST or None,
            officers=officers,
            initial={"childrens_officer": officers[0].pk if officers else None},
        )
        context.update({"form": form, "place_name": public_place_name(place.location)})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                referral = services.referral_send_emergency(
                    report=report,
                    actor=viewer,
                    service_at_location=place,
                    reason=data["reason"],
                    emergency_basis=data["emergency_basis"],
                    child_told=data["child_told"],
                    needs=data.get("needs") or [],
                    child_first_name=data["child_first_name"],
                    child_age_band=data["child_age_band"],
                    child_sex=data["child_sex"],
                    child_languages=data["child_languages"],
                    childrens_officer=data["childrens_officer"],
                )
            except (ValidationError, PermissionDenied) as error:
                for message in _errors(error):
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    _("Emergency referral %(reference)s sent.") % {"reference": referral.reference},
                )
                return redirect("referrals:detail", referral_id=referral.pk)
    return render(request, "referrals/refer.html", context)


@login_required
def refer_start(request: HttpRequest) -> HttpResponse:
    """Start a referral from a case code (the sender's list links here)."""
    from kinga.cases.selectors import case_find_by_code

    viewer = _viewer(request)
    form = AttachForm(request.GET or None)
    if form.is_valid():
        lookup = case_find_by_code(viewer=viewer, code=form.cleaned_data["case_code"])
        if lookup.case is not None:
            return redirect("referrals:refer_case", case_id=lookup.case.pk)
        messages.error(request, _("No case with that code that you may open."))
    return redirect("referrals:outgoing")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The referrals made to the viewer's organisation (or to them), waiting ones first."""
    viewer = _viewer(request)
    referrals = selectors.referral_inbox(viewer=viewer)
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type=selectors.REFERRAL,
        fields=["reference", "status", "urgency", "due_at"],
    )
    return render(request, "referrals/inbox.html", {"referrals": referrals})


@login_required
def outgoing(request: HttpRequest) -> HttpResponse:
    """The referrals the viewer's agency sent, overdue first."""
    viewer = _viewer(request)
    referrals = selectors.referral_outgoing(viewer=viewer)
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type=selectors.REFERRAL,
        fields=["reference", "status", "urgency", "due_at"],
    )
    return render(
        request,
        "referrals/outgoing.html",
        {
            "referrals": referrals,
            "start_form": AttachForm(),
            "may_refer": policy.can_do(viewer, "case.open"),
        },
    )


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    """One referral, for the sending team and the receiving service; 404 for anyone else."""
    viewer = _viewer(request)
    referral = selectors.referral_for_viewer(viewer=viewer, referral_id=referral_id)
    sending, receiving = selectors.referral_sides(viewer, referral)
    location = referral.service_at_location.location
    address_visible = location.has_address and selectors.referral_address_visible_to(
        viewer, location
    )
    fields = ["status", "urgency", "reason", "child_told", "child_first_name", "needs"]
    if address_visible and location.confidential:
        fields += ["location.address", "location.coordinates"]
    with transaction.atomic():
        audit_record(
            action=AuditAction.VIEW,
            actor=viewer,
            record_type=selectors.REFERRAL,
            record_id=referral.pk,
            matter_type=referral.matter_type,
            matter_id=referral.matter_id,
            fields=fields,
        )
    may_answer = services.is_receiver(viewer, referral)
    may_withdraw = sending and policy.can(viewer, "create", referral, "referral")
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "referral": referral,
            "sending": sending,
            "receiving": receiving,
            "address_visible": address_visible,
            "public_place": public_place_name(location),
            "location": location,
            "may_answer": may_answer,
            "may_withdraw": may_withdraw and referral.is_open,
            "may_attach": may_withdraw and referral.case_id is None,
            "reason_form": ReasonForm(),
            "feedback_form": FeedbackForm(),
            "attach_form": AttachForm(),
            "needs": _need_labels(referral.needs),
            "child_age": _label("AgeBand", referral.child_age_band),
            "child_sex": _label("Sex", referral.child_sex),
        },
    )


def _label(choices: str, code: str) -> str:
    from kinga.people import models as people

    return str(dict(getattr(people, choices).choices).get(code, code)) if code else ""


def _need_labels(codes: list[str]) -> list[str]:
    from kinga.cases.models import Need

    labels = dict(Need.choices)
    return [str(labels.get(code, code)) for code in codes]


REFERRAL_ACTIONS = ("accept", "decline", "start", "complete", "withdraw", "attach")


@login_required
@require_POST
def referral_act(request: HttpRequest, referral_id: int, action: str) -> HttpResponse:
    """Move a referral along: accept, decline, start, complete, withdraw, attach to a case."""
    viewer = _viewer(request)
    referral = selectors.referral_for_viewer(viewer=viewer, referral_id=referral_id)
    if action not in REFERRAL_ACTIONS:
        raise deny(
            viewer,
            record_type=selectors.REFERRAL,
            record_id=referral_id,
            action="change",
            matter=referral,
        )
    back = redirect("referrals:detail", referral_id=referral.pk)
    try:
        if action == "accept":
            services.referral_accept(referral=referral, actor=viewer)
            messages.success(request, _("Accepted. The sender has been told."))
        elif action == "start":
            services.referral_start(referral=referral, actor=viewer)
            messages.success(request, _("Recorded: the service has started."))
        elif action in ("decline", "withdraw"):
            form = ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            if action == "decline":
                services.referral_decline(referral=referral, actor=viewer, reason=reason)
                messages.success(request, _("Declined. The sender has been told."))
                return redirect("referrals:inbox")
            services.referral_withdraw(referral=referral, actor=viewer, reason=reason)
            messages.success(request, _("Withdrawn. The service has been told."))
        elif action == "complete":
            feedback_form = FeedbackForm(request.POST)
            feedback = feedback_form.cleaned_data["feedback"] if feedback_form.is_valid() else ""
            services.referral_complete(referral=referral, actor=viewer, feedback=feedback)
            messages.success(request, _("Completed. The feedback goes to the case."))
            return redirect("referrals:inbox")
        else:
            from kinga.cases.selectors import case_find_by_code

            attach = AttachForm(request.POST)
            code = attach.cleaned_data["case_code"] if attach.is_valid() else ""
            lookup = case_find_by_code(viewer=viewer, code=code)
            if lookup.case is None:
                messages.error(request, _("No case with that code that you may open."))
                return back
            services.referral_attach_to_case(referral=referral, case=lookup.case, actor=viewer)
            messages.success(request, _("The referral is now on case %(code)s.") % {"code": code})
    except (ValidationError, PermissionDenied) as error:
        for message in _errors(error):
            messages.error(request, message)
    except Http404:
        # A service refused (e.g. the sender "accepting" its own referral) inside its
        # transaction, which took its audit event along: record the denial here.
        deny(
            viewer,
            record_type=selectors.REFERRAL,
            record_id=referral.pk,
            action=action,
            section="referral",
            matter=referral,
        )
        raise
    return back
