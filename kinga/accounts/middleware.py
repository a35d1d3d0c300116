"""Two-factor is required of every staff member on every page but the sign-in flow."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect
from django.urls import reverse

from kinga.accounts.pending import pending_post_keep

# Paths a signed-in but not yet verified user may reach: the sign-in and two-factor pages
# themselves (not the backup-code page, which would hand out a way past the check),
# sign-out, the language switch, static files, and the public channels that anonymous
# people use anyway.
OPEN_PATHS = frozenset(
    {
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/two-factor/",
        "/accounts/two-factor/setup/",
    }
)
OPEN_PREFIXES = (
    "/i18n/",
    "/static/",
    "/report/",
    "/channels/",
    "/api/hsds/",
    # the open API authenticates each call with a token, never a session
    "/api/v1/",
)


def is_open_path(path: str) -> bool:
    """Return whether a signed-in user may reach this path before passing two-factor."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def require_two_factor(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Send a signed-in user who has not passed two-factor to the two-factor page.

    There is no setting that turns this off: demo mode only shows the code on the page.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]  # set by OTPMiddleware
            and not is_open_path(request.path)
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:two_factor')}?{query}")
        return get_response(request)

    return middleware


def keep_post_after_expiry(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Keep a form posted after the session expired, and send its author to sign in; the
    post is offered for saving afterwards (`kinga.accounts.pending`, the resume page).

    The post's CSRF token is checked first: only a form this site served is kept.
    """
    csrf = CsrfViewMiddleware(get_response)

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            request.method == "POST"
            and not is_open_path(request.path)
            and not (user.is_authenticated and user.is_verified())  # type: ignore[attr-defined]
        ):
            refused = csrf.process_view(request, None, (), {})  # type: ignore[arg-type]
            if refused is not None:
                return refused
            if pending_post_keep(request):
                page = "accounts:two_factor" if user.is_authenticated else "accounts:login"
                query = urlencode({"next": reverse("accounts:resume")})
                return redirect(f"{reverse(page)}?{query}")
        return get_response(request)

    return middleware
