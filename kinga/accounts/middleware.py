"""Two-factor is required of every staff member on every page but the sign-in flow."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths a signed-in but not yet verified user may reach: the two-factor pages themselves,
# sign-out, the language switch, static files, and the public channels.
OPEN_PREFIXES = (
    "/accounts/",
    "/i18n/",
    "/static/",
    "/report/",
    "/channels/",
    "/api/hsds/",
)


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
            and not user.is_verified()  # type: ignore[union-attr]  # set by OTPMiddleware
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:two_factor')}?{query}")
        return get_response(request)

    return middleware
