from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from kinga.accounts.navigation import navigation_for


def navigation(request: HttpRequest) -> dict[str, object]:
    """Put the signed-in, verified user's menu and the environment name in every page."""
    # Pages served by the lean public stack (kinga.wsgi) have no user at all.
    user = getattr(request, "user", None)
    items: list[object] = []
    if (
        user is not None and user.is_authenticated and user.is_verified()
    ):  # is_verified: set by OTPMiddleware
        items = list(navigation_for(user))
    return {"nav_items": items, "kinga_env": settings.KINGA_ENV, "demo_mode": settings.DEMO_MODE}
