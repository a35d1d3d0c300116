"""Pages and gateway callbacks of intake.

Public pages (/report/) set no cookie and open no session, so Django's CSRF check (a
cookie compared with a form field) cannot run and is switched off for them; a signed-in
user's session is never used, so there is nothing a forged post could act as. What stands
in for it: the report form carries a submission token the server signed, with its time, and
accepts it once and for a few hours (`submission.submission_token_check`); and a post whose
browser says it comes from another site (Origin, or Referer when there is no Origin) is
refused, as Django's CSRF check would. No language cookie either (the language travels in
the URL), no messages. Gateway callbacks (/channels/africastalking/...) need the secret key
and answer in the gateway's format.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import is_same_domain
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.accounts.models import User
from kinga.audit.context import client_address
from kinga.cases.models import Case
from kinga.cases.selectors import case_of_decision
from kinga.intake import selectors, services
from kinga.intake.forms import (
    DecisionForm,
    FollowUpCallForm,
    FollowUpForm,
    HelplineForm,
    PublicReportForm,
)
from kinga.intake.models import Decision, Report, campaign_code_normalise
from kinga.intake.seams import report_origin
from kinga.intake.services.helpline import report_language
from kinga.intake.services.web import sender_within_limit
from kinga.intake.ussd import ussd_sorry
from kinga.lib.phones import mask_phone

log = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


# --- public pages --------------------------------------------------------------------


def _public(view: View) -> View:
    """Serve a public page in the language the URL asks for, leaving nothing behind."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request.GET.get("lang") or request.POST.get("lang") or ""
        if language not in ("en", "sw"):
            # What the browser asks for (Accept-Language), as the home page answers; the
            # lean stack of the public channels has no LocaleMiddleware to do it.
            asked = translation.get_language_from_request(request)
            language = "sw" if asked.startswith("sw") else "en"
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, language=language, **kwargs)
        # Nothing of a report is kept by the browser: Back after Quick exit fetches the
        # page again (an empty form), and no cache holds what was typed.
        response.headers["Cache-Control"] = "no-store"
        patch_vary_headers(response, ["Accept-Language"])
        # Not "no-referrer": under it a browser sends `Origin: null` with the form's own
        # post, and the origin check could no longer tell this site from another. Other
        # sites still get no referrer.
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    return csrf_exempt(wrapper)


def _origin_trusted(origin: str, request: HttpRequest) -> bool:
    """Return whether an origin (scheme://host[:port]) is this site or one it trusts."""
    if origin == f"{request.scheme}://{request.get_host()}":
        return True
    parsed = urlsplit(origin)
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if origin == trusted:
            return True
        pattern = urlsplit(trusted)
        if (
            "*" in pattern.netloc
            and parsed.scheme == pattern.scheme
            and is_same_domain(parsed.netloc, pattern.netloc.replace("*", "", 1))
        ):
            return True
    return False


def posted_from_elsewhere(request: HttpRequest) -> bool:
    """Return whether the browser says this post comes from another site.

    The Origin header decides when it is sent (`null`, as a sandboxed frame sends, is
    another site); else the Referer's origin does. With neither (an old browser, a privacy
    tool), the signed token alone must hold.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if not referer:
            return False
        parsed = urlsplit(referer)
        origin = f"{parsed.scheme}://{parsed.netloc}"
    return not _origin_trusted(origin, request)


ELSEWHERE = gettext_lazy(
    "This form was sent from another website. What you wrote is kept below: check it and "
    "send it from this page."
)


def _limited(request: HttpRequest, scope: str, rate: str) -> bool:
    """Count a post that stores no report (refused, or a follow-up); return whether the
    sender is over the limit. A post that stores a report is counted by its service."""
    return not sender_within_limit(
        scope=scope, sender=client_address(request) or "unknown", rate=rate
    )


def _too_many(request: HttpRequest, language: str) -> HttpResponse:
    return render(request, "intake/public_limited.html", {"language": language}, status=429)


def _thanks(request: HttpRequest, code: str, language: str) -> HttpResponse:
    return render(request, "intake/public_thanks.html", {"code": code, "language": language})


@_public
def report_form(request: HttpRequest, *, language: str) -> HttpResponse:
    """Take a report from anyone, anonymously, without JavaScript; show its code.

    A post with a token the server did not issue, or an expired one, or from another site
    stores nothing: the form comes back with what was typed, the reason, and a new token.
    """
    if request.method == "POST":
        form = PublicReportForm(request.POST)
        elsewhere = posted_from_elsewhere(request)
        if form.is_bot or elsewhere or not form.is_valid():
            if _limited(request, "report", settings.KINGA_REPORT_RATE_LIMIT):
                return _too_many(request, language)
            if form.is_bot:
                # Look like success, store nothing.
                decoy = services.format_code(services.follow_up_code_new())
                return _thanks(request, decoy, language)
            if elsewhere:
                form.refused(ELSEWHERE)
            else:
                form.renew()
        else:
            try:
                _report, code = services.report_submit_web(
                    data=form.report_input(language=language),
                    submission=form.cleaned_data["submission"],
                    payload={"language": language, "fields": sorted(k for k in request.POST if k)},
                    sender=client_address(request) or "unknown",
                )
            except services.TooManyReports:
                return _too_many(request, language)
            return _thanks(request, services.format_code(code), language)
    elif request.method == "GET":
        form = PublicReportForm(
            initial={"campaign_code": campaign_code_normalise(request.GET.get("c", ""))}
        )
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    # The campaign code rides on every address the page links to (the language switch, the
    # form's own post), so a switch of language or a second try keeps it.
    campaign = campaign_code_normalise(
        request.POST.get("campaign_code", "")
        if request.method == "POST"
        else request.GET.get("c", "")
    )
    return render(
        request,
        "intake/public_report.html",
        {"form": form, "language": language, "campaign_code": campaign},
    )


@_public
def follow_up(request: HttpRequest, *, language: str) -> HttpResponse:
    """Let a reporter with a code see the neutral status, or add information."""
    status = ""
    added = False
    form = FollowUpForm(request.POST or None)
    if request.method == "POST":
        if posted_from_elsewhere(request):
            if _limited(request, "follow-up", settings.KINGA_FOLLOW_UP_RATE_LIMIT):
                return _too_many(request, language)
            form.add_error(None, ELSEWHERE)
        elif not form.is_valid():
            if _limited(request, "follow-up", settings.KINGA_FOLLOW_UP_RATE_LIMIT):
                return _too_many(request, language)
        else:
            try:
                outcome = services.report_follow_up(
                    code=form.cleaned_data["code"],
                    text=form.cleaned_data["text"],
                    sender=client_address(request) or "unknown",
                )
            except services.TooManyReports:
                return _too_many(request, language)
            if not outcome.known:
                form.add_error("code", _("We do not know this code. Check it and try again."))
            else:
                status, added = outcome.status, outcome.added
                form = FollowUpForm()
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request,
        "intake/public_follow_up.html",
        {"form": form, "status": status, "added": added, "language": language},
    )


# --- gateway callbacks ---------------------------------------------------------------


def _address_allowed(address: str | None) -> bool:
    allowed = settings.KINGA_AT_ALLOWED_IPS
    if not allowed:
        return True
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


CALLBACK_KEY_HEADER = "X-Kinga-Callback-Key"


def callback_key_matches(request: HttpRequest) -> bool:
    """Return whether the request carries the callback key, compared in constant time.

    The header is preferred: a URL's query ends up in access logs (the proxy's, the
    server's), a header does not. The query form (`?key=`) stays for gateways that cannot
    set headers; Kinga's own logs redact it (`kinga.lib.redaction`).
    """
    expected = settings.KINGA_AT_CALLBACK_KEY
    given = request.headers.get(CALLBACK_KEY_HEADER) or request.GET.get("key", "")
    if not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def channel_callback(view: View) -> View:
    """Admit only the gateway: POST, the secret key, an allowed address, a small body."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not callback_key_matches(request):
            log.warning("channel callback refused: wrong key (%s)", request.path)
            return HttpResponse("Forbidden", status=403, content_type="text/plain")
        if not _address_allowed(client_address(request)):
            log.warning("channel callback refused: address not allowed (%s)", request.path)
            return HttpResponse("Forbidden", status=403, content_type="text/plain")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.KINGA_CHANNEL_MAX_BYTES:
            return HttpResponse("Too large", status=413, content_type="text/plain")
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _plain(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


def ussd_reply(text: str) -> HttpResponse:
    """Return a USSD screen to the gateway."""
    return _plain(text)


@channel_callback
def ussd(request: HttpRequest) -> HttpResponse:
    """Answer one USSD screen; store the session's answers first."""
    session_id = request.POST.get("sessionId", "").strip()[:100]
    if not session_id:
        return ussd_reply(ussd_sorry())
    try:
        screen = services.ussd_answer(
            session_id=session_id,
            phone=request.POST.get("phoneNumber", ""),
            text=request.POST.get("text", ""),
            payload={key: request.POST.get(key, "")[:500] for key in request.POST},
        )
    except Exception:
        log.exception(
            "USSD session %s from %s could not be stored",
            session_id,
            mask_phone(request.POST.get("phoneNumber", "")),
        )
        return ussd_reply(ussd_sorry())
    return ussd_reply(screen.reply)


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 9 else None


@channel_callback
def ussd_events(request: HttpRequest) -> HttpResponse:
    """Store the end-of-session notice (Success, Incomplete, Failed)."""
    session_id = request.POST.get("sessionId", "").strip()
    if not session_id:
        return _plain("missing sessionId")
    services.ussd_session_end(
        session_id=session_id,
        status=request.POST.get("status", ""),
        error_message=request.POST.get("errorMessage", ""),
        duration=_int_or_none(request.POST.get("durationInMillis", "")),
        hops=_int_or_none(request.POST.get("hopsCount", "")),
    )
    return _plain("OK")


@channel_callback
def sms_incoming(request: HttpRequest) -> HttpResponse:
    """Store an incoming SMS as a report (or an addition), once per message id."""
    message_id = request.POST.get("id", "").strip()[:100]
    sender = request.POST.get("from", "")
    if not message_id or not sender:
        return HttpResponse("missing id or from", status=400, content_type="text/plain")
    outcome = services.report_from_sms(
        message_id=message_id,
        sender=sender,
        text=request.POST.get("text", ""),
        payload={key: request.POST.get(key, "")[:2000] for key in request.POST},
    )
    log.info(
        "SMS %s from %s: %s",
        message_id,
        mask_phone(sender),
        "repeat" if outcome.repeated else ("new report" if outcome.new_report else "addition"),
    )
    return _plain("OK")


@channel_callback
def sms_delivery(request: HttpRequest) -> HttpResponse:
    """Apply a delivery report to the message it is about."""
    from kinga.messaging.services import message_delivery_report

    message_delivery_report(
        provider_message_id=request.POST.get("id", "").strip()[:64],
        status=request.POST.get("status", "").strip(),
        failure_reason=request.POST.get("failureReason", ""),
        network_code=request.POST.get("networkCode", ""),
    )
    return _plain("OK")


# --- staff pages ---------------------------------------------------------------------


def _capable(request: HttpRequest, capability: str, record_type: str) -> User:
    """Return the user if their role may do it; else the same audited 404 as a record out
    of reach (a page a role may not use answers like one that is not there)."""
    user = cast(User, request.user)
    if not policy.can_do(user, capability):
        raise policy.deny(user, record_type=record_type, record_id="", action=capability)
    return user


@login_required
def helpline_new(request: HttpRequest) -> HttpResponse:
    """Log a call fast: danger first, then what, where and the narrative, then the call."""
    operator = _capable(request, "report.log_call", "intake.report")
    form = HelplineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        call = form.call_input(caller_relation=form.cleaned_data["reporter_relation"])
        try:
            report, code = services.report_log_call(
                operator=operator,
                data=form.report_input(language=report_language(call.language)),
                call=call,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Logged as %(reference)s. Give the caller the follow-up code %(code)s.")
                % {"reference": report.reference, "code": services.format_code(code)},
            )
            return redirect("intake:helpline_new")
    return render(request, "intake/helpline_new.html", {"form": form})


@login_required
def helpline_mine(request: HttpRequest) -> HttpResponse:
    """List the operator's own calls of the last 30 days, each opening its call page."""
    operator = _capable(request, "report.log_call", "intake.report")
    calls = list(selectors.calls_of(viewer=operator)[:100])
    return render(request, "intake/helpline_mine.html", {"calls": calls})


@login_required
def helpline_call(request: HttpRequest, call_id: int) -> HttpResponse:
    """Show one call: what was reported, the call's record, and the calls linked to it."""
    viewer = cast(User, request.user)
    page = selectors.call_for_viewer(viewer=viewer, call_id=call_id)
    return render(
        request,
        "intake/helpline_call.html",
        {
            "page": page,
            "report": page.call.report,
            "show_identity": page.shows_identity,
            "may_log": policy.can_do(viewer, "report.log_call"),
        },
    )


@login_required
def helpline_follow_up(request: HttpRequest, call_id: int) -> HttpResponse:
    """Log a later call about the same report, linked to the first call."""
    operator = _capable(request, "report.log_call", "intake.helplinecall")
    page = selectors.call_for_viewer(viewer=operator, call_id=call_id)
    first = page.first
    form = FollowUpCallForm(
        request.POST or None,
        initial={"child_sex": first.child_sex, "call_language": first.language},
    )
    if request.method == "POST" and form.is_valid():
        try:
            call = services.helpline_follow_up_call(
                operator=operator,
                first=first,
                data=form.call_input(caller_relation=form.cleaned_data["caller_relation"]),
                addition=form.cleaned_data["addition"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Follow-up call logged on %(reference)s.")
                % {"reference": first.report.reference},
            )
            return redirect("intake:helpline_call", call.pk)
    return render(request, "intake/helpline_follow_up.html", {"form": form, "page": page})


@login_required
def triage(request: HttpRequest) -> HttpResponse:
    """Show the area's queue: most urgent first, oldest first within a priority."""
    viewer = _capable(request, "report.triage", "intake.report")
    reports = selectors.triage_queue_page(viewer=viewer)
    alerts = list(selectors.alerts_open_for(viewer=viewer)[:20])
    return render(request, "intake/triage.html", {"reports": reports, "alerts": alerts})


@login_required
def triage_report(request: HttpRequest, report_id: int) -> HttpResponse:
    """Show one report beside its possible duplicates, and take the decision.

    A report that opened a case stays readable here to those who may view the case (read
    through the case, audited on it): what the reporter said follows the child.
    """
    viewer = cast(User, request.user)
    report = selectors.report_for_viewer(viewer=viewer, report_id=report_id)
    through: Case | None = getattr(report, "through_case", None)
    if through is not None:
        if request.method != "GET":
            raise policy.deny(
                viewer,
                record_type="intake.report",
                record_id=report.pk,
                action="change",
                matter=report,
            )
        seen = selectors.report_seen_through_case(viewer=viewer, report=report, case=through)
        context: dict[str, Any] = {
            "report": report,
            "through_case": through,
            "additions": seen.additions,
            "duplicates": [],
            "can_decide": False,
            "show_identity": seen.identity,
            "origin": report_origin(report=report, identity=seen.identity),
            "signals": selectors.report_signals(
                viewer=viewer,
                report=report,
                additions=seen.additions,
                show_identity=seen.identity,
                notes=seen.notes,
            ),
        }
        return render(request, "intake/triage_report.html", context)
    allowed = policy.allowed_actions(viewer, report)
    may_decide = "change" in allowed["summary"] and policy.can_do(viewer, "report.triage")
    if request.method == "POST" and not may_decide:
        # e.g. the helpline operator who logged it may read the report, not decide it
        raise policy.deny(
            viewer, record_type="intake.report", record_id=report.pk, action="change", matter=report
        )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_decide(
                report=report,
                actor=viewer,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                case_code=form.cleaned_data["case_code"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _after_decision(request, viewer, report)
    show_identity = "view" in allowed["identity"]
    notes = selectors.call_notes_of(viewer=viewer, report=report) if show_identity else []
    if request.method == "GET":
        services.report_review_start(report=report, actor=viewer, notes=bool(notes))
    additions = selectors.additions_of(viewer=viewer, report=report)
    context = {
        "report": report,
        "form": form,
        "duplicates": selectors.possible_duplicates(viewer=viewer, report=report),
        "additions": additions,
        "can_decide": report.is_open and may_decide,
        "can_refer": report.is_open and "create" in allowed["referral"],
        "show_identity": show_identity,
        "origin": report_origin(report=report, identity=show_identity),
        "decided_case": _decided_case(viewer, report),
        "signals": selectors.report_signals(
            viewer=viewer,
            report=report,
            additions=additions,
            show_identity=show_identity,
            notes=notes,
        ),
    }
    return render(request, "intake/triage_report.html", context)


@login_required
@require_POST
def triage_signal(request: HttpRequest, report_id: int) -> HttpResponse:
    """Record the triager's decision on one signal: confirm, reject, or add a missed one."""
    viewer = cast(User, request.user)
    report = selectors.report_for_viewer(viewer=viewer, report_id=report_id)
    if getattr(report, "through_case", None) is not None or not policy.can_do(
        viewer, "report.triage"
    ):
        raise policy.deny(
            viewer, record_type="intake.report", record_id=report.pk, action="change", matter=report
        )
    try:
        review = services.report_signal_review(
            report=report,
            actor=viewer,
            signal=request.POST.get("signal", ""),
            verdict=request.POST.get("verdict", ""),
        )
    except PermissionDenied:
        raise policy.deny(
            viewer, record_type="intake.report", record_id=report.pk, action="change", matter=report
        ) from None
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("%(signal)s: %(verdict)s. Priority: %(priority)s.")
            % {
                "signal": selectors.signal_label(review.signal),
                "verdict": review.get_verdict_display(),
                "priority": report.get_priority_display(),
            },
        )
    return redirect(reverse("intake:triage_report", args=[report.pk]) + "#signals")


@login_required
def triage_signal_measures(request: HttpRequest) -> HttpResponse:
    """Show how each signal measures up: on the labelled set and on the decisions so far."""
    viewer = cast(User, request.user)
    page = selectors.signal_measures_page(viewer=viewer)
    return render(request, "intake/signal_measures.html", {"page": page})


def _decided_case(viewer: User, report: Report) -> Case | None:
    """Return the case a decided report went to, when the viewer may open it."""
    if report.is_open:
        return None
    return case_of_decision(viewer=viewer, report_id=report.pk, code=report.case_code)


def _after_decision(request: HttpRequest, viewer: User, report: Report) -> HttpResponse:
    """Take the triager to what the decision made, and say what it made and where it is."""
    decision = report.decision
    if decision in (Decision.OPEN_CASE, Decision.ADD_TO_CASE):
        case = _decided_case(viewer, report)
        if case is not None:
            text = (
                _(
                    "Case %(code)s opened from report %(reference)s. Record the child's name "
                    "and age in the child's profile."
                )
                if decision == Decision.OPEN_CASE
                else _("Report %(reference)s added to case %(code)s.")
            )
            messages.success(request, text % {"code": case.code, "reference": report.reference})
            return redirect("cases:detail", case_id=case.pk)
        messages.success(
            request,
            _("Report %(reference)s was added to case %(code)s.")
            % {"reference": report.reference, "code": report.case_code},
        )
        return redirect("intake:triage")
    if decision == Decision.REFER:
        messages.success(
            request,
            _(
                "Report %(reference)s is to be referred. Choose the service: the report is "
                "attached to the emergency referral."
            )
            % {"reference": report.reference},
        )
        return redirect("referrals:refer_report", report_id=report.pk)
    if decision == Decision.NO_FURTHER_ACTION:
        messages.success(
            request,
            _("Report %(reference)s closed with no further action; the reason is kept on it.")
            % {"reference": report.reference},
        )
        return redirect("intake:triage")
    messages.success(
        request,
        _("Decision recorded for %(reference)s: %(decision)s.")
        % {"reference": report.reference, "decision": report.get_decision_display()},
    )
    return redirect("intake:triage")


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Show an alert the viewer was sent: what they need to act, and the acknowledgement."""
    viewer = cast(User, request.user)
    page = selectors.alert_page(viewer=viewer, alert_id=alert_id)
    return render(
        request,
        "intake/alert.html",
        {"page": page, "alert": page.alert, "report": page.alert.report},
    )


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Record that the viewer acts on the alert; the others it reached are told."""
    viewer = cast(User, request.user)
    alert = selectors.alert_for_viewer(viewer=viewer, alert_id=alert_id)
    services.alert_acknowledge(alert=alert, actor=viewer)
    messages.success(request, _("Acknowledged. The others alerted can see that you act."))
    return redirect(reverse("intake:alert", args=[alert.pk]))
