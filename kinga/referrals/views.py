"""Pages of referrals (refer from a case or a report, the provider's inbox, the sender's
list, one referral and the steps that move it). The directory's pages are in
`kinga.directory.views`."""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.access.policy import deny
from kinga.accounts.models import User
from kinga.directory.forms import DirectorySearchForm
from kinga.directory.models import ServiceAtLocation
from kinga.directory.selectors import DirectoryHit, public_place_name
from kinga.people.models import language_labels
from kinga.referrals import selectors, services
from kinga.referrals.forms import (
    AttachForm,
    EmergencyReferralForm,
    FeedbackForm,
    ReasonForm,
    ReferralForm,
)
from kinga.referrals.models import Referral, Urgency
from kinga.referrals.selectors_access import referral_page

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
    from kinga.cases.selectors import case_get, child_first_name_for_referral, plan_services_open
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
            plan_items=plan_services_open(viewer=viewer, case=case),
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
                    plan_item_id=data.get("plan_item"),
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
            initial={
                "childrens_officer": officers[0].pk if officers else None,
                # what the report said of the child's age comes with it
                "child_age_band": services.report_age_band(report),
            },
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
    referrals = selectors.referral_inbox(viewer=_viewer(request))
    return render(request, "referrals/inbox.html", {"referrals": referrals})


@login_required
def history(request: HttpRequest) -> HttpResponse:
    """The referrals the viewer's organisation has finished with: completed, declined, withdrawn."""
    referrals = selectors.referral_history(viewer=_viewer(request))
    return render(request, "referrals/history.html", {"referrals": referrals})


@login_required
def outgoing(request: HttpRequest) -> HttpResponse:
    """The referrals the viewer's agency sent, overdue first."""
    viewer = _viewer(request)
    return render(
        request,
        "referrals/outgoing.html",
        {
            "referrals": selectors.referral_outgoing(viewer=viewer),
            "start_form": AttachForm(),
            "may_refer": policy.can_do(viewer, "case.open"),
        },
    )


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    """One referral, for the sending team and the receiving service; 404 for anyone else."""
    return _detail_page(request, referral_id)


def _detail_page(
    request: HttpRequest,
    referral_id: int,
    *,
    reason_form: ReasonForm | None = None,
    feedback_form: FeedbackForm | None = None,
    kept_text: str = "",
) -> HttpResponse:
    """The referral's page; after a refused step, with what the person typed still in it."""
    page = referral_page(viewer=_viewer(request), referral_id=referral_id)
    referral = page.referral
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "referral": referral,
            "sending": page.sending,
            "receiving": page.receiving,
            "address_visible": page.address_visible,
            "public_place": public_place_name(page.location),
            "location": page.location,
            "may_answer": page.may_answer,
            "may_withdraw": page.may_withdraw and referral.is_open,
            "may_attach": page.may_withdraw and referral.case_id is None,
            "reason_form": reason_form or ReasonForm(),
            "feedback_form": feedback_form or FeedbackForm(),
            "kept_text": kept_text,
            "attach_form": AttachForm(),
            "needs": _need_labels(referral.needs),
            "child_age": _age_text(referral),
            "child_sex": _label("Sex", referral.child_sex),
            "child_languages": language_labels(referral.child_languages),
        },
    )


def _age_text(referral: Referral) -> str:
    """Return the child's age as the service needs it: years, with the band beside."""
    band = _label("AgeBand", referral.child_age_band)
    if referral.child_age is None:
        return band
    years = ngettext("%(age)d year", "%(age)d years", referral.child_age) % {
        "age": referral.child_age
    }
    return f"{years} ({band})" if band else years


def _label(choices: str, code: str) -> str:
    from kinga.people import models as people

    return str(dict(getattr(people, choices).choices).get(code, code)) if code else ""


def _need_labels(codes: list[str]) -> list[str]:
    from kinga.cases.models import Need

    labels = dict(Need.choices)
    return [str(labels.get(code, code)) for code in codes]


# --- moving a referral along: one POST each -----------------------------------------------------


def _moved_meanwhile(request: HttpRequest, referral: Referral) -> bool:
    """Whether the referral left the state the person's page showed (the form's `seen`):
    then say so and take no step; a move from a state nobody saw is no answer to it."""
    seen = request.POST.get("seen", "")
    if not seen or seen == referral.status:
        return False
    messages.error(
        request,
        _(
            "Someone else moved this referral after you opened it: it is %(status)s now. "
            "Nothing was changed; check it again before you act."
        )
        % {"status": referral.get_status_display()},
    )
    return True


class _Step:
    """Run one referral service call and turn its refusals into what the user sees.

    A validation error or refusal is shown as a message; a 404 raised by the service
    inside its transaction (which took its audit event along) is audited here as a denial
    on the referral and raised again, so every refused step leaves the same trace.
    """

    def __init__(self, request: HttpRequest, viewer: User, referral: Referral, step: str):
        self.request = request
        self.viewer = viewer
        self.referral = referral
        self.step = step
        self.done = False

    def __enter__(self) -> _Step:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> bool:
        if error is None:
            self.done = True
            return False
        if isinstance(error, ValidationError | PermissionDenied):
            for message in _errors(error):
                messages.error(self.request, message)
            return True
        if isinstance(error, Http404):
            deny(
                self.viewer,
                record_type=selectors.REFERRAL,
                record_id=self.referral.pk,
                action=self.step,
                section="referral",
                matter=self.referral,
            )
        return False


def _referral(request: HttpRequest, referral_id: int) -> tuple[User, Referral]:
    viewer = _viewer(request)
    return viewer, selectors.referral_for_viewer(viewer=viewer, referral_id=referral_id)


def _back(referral: Referral) -> HttpResponseRedirect:
    return redirect("referrals:detail", referral_id=referral.pk)


def _posted_reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@login_required
@require_POST
def referral_accept(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Accept the referral for the receiving service."""
    viewer, referral = _referral(request, referral_id)
    if _moved_meanwhile(request, referral):
        return _back(referral)
    with _Step(request, viewer, referral, "accept") as step:
        services.referral_accept(referral=referral, actor=viewer)
    if step.done:
        messages.success(request, _("Accepted. The sender has been told."))
    return _back(referral)


@login_required
@require_POST
def referral_decline(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Decline the referral, saying why."""
    viewer, referral = _referral(request, referral_id)
    if not _moved_meanwhile(request, referral):
        with _Step(request, viewer, referral, "decline") as step:
            services.referral_decline(
                referral=referral, actor=viewer, reason=_posted_reason(request)
            )
        if step.done:
            messages.success(request, _("Declined. The sender has been told."))
            return redirect("referrals:inbox")
    # refused (someone answered first, say): the page again, the reason typed kept
    return _detail_page(
        request,
        referral.pk,
        reason_form=ReasonForm(request.POST),
        kept_text=request.POST.get("reason", ""),
    )


@login_required
@require_POST
def referral_start(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Record that the service has started."""
    viewer, referral = _referral(request, referral_id)
    if _moved_meanwhile(request, referral):
        return _back(referral)
    with _Step(request, viewer, referral, "start") as step:
        services.referral_start(referral=referral, actor=viewer)
    if step.done:
        messages.success(request, _("Recorded: the service has started."))
    return _back(referral)


@login_required
@require_POST
def referral_complete(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Complete the referral, with feedback for the case."""
    viewer, referral = _referral(request, referral_id)
    form = FeedbackForm(request.POST)
    feedback = form.cleaned_data["feedback"] if form.is_valid() else ""
    if not _moved_meanwhile(request, referral):
        with _Step(request, viewer, referral, "complete") as step:
            services.referral_complete(referral=referral, actor=viewer, feedback=feedback)
        if step.done:
            messages.success(request, _("Completed. The feedback goes to the case."))
            return redirect("referrals:inbox")
    return _detail_page(
        request,
        referral.pk,
        feedback_form=FeedbackForm(request.POST),
        kept_text=request.POST.get("feedback", ""),
    )


@login_required
@require_POST
def referral_withdraw(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Withdraw the referral, saying why."""
    viewer, referral = _referral(request, referral_id)
    if not _moved_meanwhile(request, referral):
        with _Step(request, viewer, referral, "withdraw") as step:
            services.referral_withdraw(
                referral=referral, actor=viewer, reason=_posted_reason(request)
            )
        if step.done:
            messages.success(request, _("Withdrawn. The service has been told."))
            return _back(referral)
    return _detail_page(
        request,
        referral.pk,
        reason_form=ReasonForm(request.POST),
        kept_text=request.POST.get("reason", ""),
    )


@login_required
@require_POST
def referral_attach(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Move an emergency referral onto the child's case, found by its code."""
    from kinga.cases.selectors import case_find_by_code

    viewer, referral = _referral(request, referral_id)
    form = AttachForm(request.POST)
    code = form.cleaned_data["case_code"] if form.is_valid() else ""
    lookup = case_find_by_code(viewer=viewer, code=code)
    if lookup.case is None:
        messages.error(request, _("No case with that code that you may open."))
        return _back(referral)
    with _Step(request, viewer, referral, "attach") as step:
        services.referral_attach_to_case(referral=referral, case=lookup.case, actor=viewer)
    if step.done:
        messages.success(request, _("The referral is now on case %(code)s.") % {"code": code})
    return _back(referral)


@login_required
@require_POST
def referral_step_unknown(request: HttpRequest, referral_id: int, step: str) -> HttpResponse:
    """Answer a step that does not exist with the referral's own audited 404."""
    viewer, referral = _referral(request, referral_id)
    raise deny(
        viewer,
        record_type=selectors.REFERRAL,
        record_id=referral_id,
        action="change",
        matter=referral,
    )
