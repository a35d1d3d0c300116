"""Sign-in, two-factor, sign-out and the start page."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import cast
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.oath import totp

from kinga.access.policy import deny
from kinga.accounts import selectors, services
from kinga.accounts.forms import CodeForm, LoginForm
from kinga.accounts.home import home_work
from kinga.accounts.models import AccessChangeRequest, Authenticator, Role, SignInStage, User
from kinga.accounts.navigation import navigation_for
from kinga.accounts.pending import owner_cookie_set, pending_post_take, pending_post_waiting
from kinga.audit.context import client_address


def _safe_next(request: HttpRequest, default: str = "") -> str:
    default = default or reverse("home")
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _to(name: str, next_url: str) -> HttpResponse:
    return redirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


def home(request: HttpRequest) -> HttpResponse:
    """Show the public welcome, or the signed-in user's home: the work waiting for them,
    with counts, then their starting points."""
    if not request.user.is_authenticated:
        return render(request, "accounts/welcome.html")
    user = request.user
    work = home_work(viewer=user)
    context = {
        "entries": navigation_for(user),
        "waiting": [item for item in work if item.count],
        "clear": [item for item in work if not item.count],
    }
    return render(request, "accounts/home.html", context)


def _wait_message(hold: services.SignInHold) -> str:
    """Say, in the user's language, how long to wait before the next try."""
    if hold.seconds < 60:
        wait = ngettext("%(count)d second", "%(count)d seconds", hold.seconds) % {
            "count": hold.seconds
        }
    else:
        minutes = -(-hold.seconds // 60)
        wait = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return _(
        "Too many failed sign-ins. Wait %(wait)s before trying again. If you cannot wait, "
        "ask your administrator to lift the hold."
    ) % {"wait": wait}


def _device(request: HttpRequest, username: str) -> str:
    """Return the device reference of the request's device cookie for this account, or ""."""
    name = services.device_cookie_name(username=username)
    return services.device_cookie_check(username=username, value=request.COOKIES.get(name))


def _set_device_cookie(response: HttpResponse, username: str) -> HttpResponse:
    """Give the browser, now fully signed in to this account, a new device cookie for it."""
    user_id = User.objects.filter(username=username).values_list("pk", flat=True).first()
    if user_id is not None:
        owner_cookie_set(response, user_id=user_id, secure=settings.SESSION_COOKIE_SECURE)
    response.set_cookie(
        services.device_cookie_name(username=username),
        services.device_cookie_issue(username=username),
        max_age=settings.KINGA_DEVICE_COOKIE_DAYS * 24 * 3600,
        path=reverse("accounts:login").rsplit("login/", 1)[0],
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """Check username and password, with throttling, then move on to two-factor."""
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        address = client_address(request)
        device = _device(request, username)
        hold = services.sign_in_hold(username=username, address=address, device=device)
        if hold is not None:
            services.sign_in_held_record(username=username, hold=hold)
            error = _wait_message(hold)
        else:
            user = auth.authenticate(
                request, username=username, password=form.cleaned_data["password"]
            )
            if user is None or not user.is_active:
                services.login_attempt_record(
                    username=username,
                    address=address,
                    succeeded=False,
                    user=None,
                    stage=SignInStage.PASSWORD,
                    device=device,
                )
                error = _("The username or password is not right.")
            else:
                auth.login(request, user)
                services.login_attempt_record(
                    username=username,
                    address=address,
                    succeeded=True,
                    user=user,
                    stage=SignInStage.PASSWORD,
                    device=device,
                )
                next_url = _safe_next(request)
                if services.totp_device_for(user=user) is None:
                    return _to("accounts:two_factor_setup", next_url)
                return _to("accounts:two_factor", next_url)
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "error": error,
            "next": _safe_next(request),
            "kept": pending_post_waiting(request),
        },
        status=200,
    )


def _demo_code(device: Authenticator) -> str:
    """Return the current code of a device, shown on the page only in demo mode."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator code (or a backup code) and mark the session verified."""
    user = cast(User, request.user)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_safe_next(request))
    device = services.totp_device_for(user=user)
    if device is None:
        return _to("accounts:two_factor_setup", _safe_next(request))
    form = CodeForm(request.POST or None)
    error = ""
    address = client_address(request)
    if request.method == "POST" and form.is_valid():
        cookie = _device(request, user.username)
        hold = services.sign_in_hold(username=user.username, address=address, device=cookie)
        if hold is not None:
            # The code is not even checked: a held attempt must not be an oracle.
            services.sign_in_held_record(username=user.username, hold=hold)
            error = _wait_message(hold)
        elif services.totp_code_reused(user=user, code=form.cleaned_data["code"]):
            # Right a moment ago, so no guess: it counts toward no throttle.
            error = _(
                "This code was already used. Wait for the next code (about 30 seconds) and "
                "type that one."
            )
        else:
            matched = match_token(user, form.cleaned_data["code"])
            services.login_attempt_record(
                username=user.username,
                address=address,
                succeeded=matched is not None,
                user=user,
                stage=SignInStage.TWO_FACTOR,
                device=cookie,
            )
            if matched is not None:
                otp_login(request, matched)
                return _set_device_cookie(redirect(_safe_next(request)), user.username)
            error = _("That code is not right. Codes change every 30 seconds; try the newest.")
    context = {
        "form": form,
        "error": error,
        "next": _safe_next(request),
        "demo_code": _demo_code(device) if settings.DEMO_MODE else "",
    }
    return render(request, "accounts/two_factor.html", context)


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show the secret, check one code, give backup codes."""
    user = cast(User, request.user)
    if services.totp_device_for(user=user) is not None:
        return _to("accounts:two_factor", _safe_next(request))
    device = services.totp_enrolment_start(user=user)
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        cookie = _device(request, user.username)
        hold = services.sign_in_hold(username=user.username, address=address, device=cookie)
        if hold is not None:
            services.sign_in_held_record(username=user.username, hold=hold)
            error = _wait_message(hold)
        elif device.verify_token(form.cleaned_data["code"]):
            codes = services.totp_enrolment_confirm(user=user, device=device)
            services.login_attempt_record(
                username=user.username,
                address=address,
                succeeded=True,
                user=user,
                stage=SignInStage.TWO_FACTOR,
                device=cookie,
            )
            otp_login(request, device)
            response = render(
                request,
                "accounts/backup_codes.html",
                {"codes": codes, "next": _safe_next(request)},
            )
            return _set_device_cookie(response, user.username)
        else:
            services.login_attempt_record(
                username=user.username,
                address=address,
                succeeded=False,
                user=user,
                stage=SignInStage.TWO_FACTOR,
                device=cookie,
            )
            error = _(
                "That code is not right. Check the time on your phone and try the newest code."
            )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "form": form,
        "error": error,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr": _qr_svg(device.config_url),
        "next": _safe_next(request),
        "demo_code": _demo_code(device) if settings.DEMO_MODE else "",
    }
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Replace the backup codes (after two-factor) and show the new ones once."""
    user = cast(User, request.user)
    if request.method == "POST":
        codes = services.backup_codes_renew(user=user)
        return render(
            request, "accounts/backup_codes.html", {"codes": codes, "next": reverse("home")}
        )
    return render(request, "accounts/backup_codes_confirm.html")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out and forget the session."""
    if request.user.is_authenticated:
        services.logout_record(user=request.user)
    auth.logout(request)
    return redirect("accounts:login")


@never_cache
@login_required
def resume(request: HttpRequest) -> HttpResponse:
    """Offer the form the user posted after their session expired, to send it again now."""
    kept = pending_post_take(request, user_id=int(request.user.pk or 0))
    if kept is None:
        return redirect("home")
    return render(request, "accounts/resume.html", kept)


@login_required
def keepalive(request: HttpRequest) -> HttpResponse:
    """Keep the session alive (the "Stay signed in" button): every request renews it."""
    return HttpResponse(status=204)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user's choice is also kept as their
    preference, so notices, SMS and emails reach them in it."""
    response = django_set_language(request)
    user = request.user
    language = request.POST.get("language", "")
    if (
        user.is_authenticated
        and user.is_verified()  # type: ignore[attr-defined]  # set by OTPMiddleware
        and language in dict(settings.LANGUAGES)
    ):
        services.user_language_set(user=user, language=language)
    return response


@never_cache
@login_required
def access_changes(request: HttpRequest) -> HttpResponse:
    """The queue of role and agency changes the viewer may approve or refuse."""
    user = cast(User, request.user)
    if not (user.has_role(Role.SUPERVISOR, Role.ADMIN) or user.is_superuser):
        raise deny(user, record_type="accounts.accesschangerequest", record_id="", action="list")
    pending = selectors.access_changes_to_decide(viewer=user)
    return render(request, "accounts/access_changes.html", {"pending": pending})


def _change_to_decide(request: HttpRequest, pk: int) -> tuple[User, AccessChangeRequest]:
    user = cast(User, request.user)
    for change in selectors.access_changes_to_decide(viewer=user):
        if change.pk == pk:
            return user, change
    raise deny(user, record_type="accounts.accesschangerequest", record_id=pk)


@require_POST
@login_required
def access_change_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve one change as the second person; it takes effect now."""
    user, change = _change_to_decide(request, pk)
    try:
        services.access_change_approve(change=change, actor=user)
        messages.success(request, _("Approved: the change has taken effect."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("accounts:access_changes")


@require_POST
@login_required
def access_change_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """Refuse one change; nothing of it takes effect."""
    user, change = _change_to_decide(request, pk)
    try:
        services.access_change_refuse(change=change, actor=user)
        messages.success(request, _("Refused: nothing changed."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("accounts:access_changes")
