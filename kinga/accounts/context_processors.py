from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from kinga.accounts.navigation import navigation_for
from kinga.notifications.selectors import unread_count


def navigation(request: HttpRequest) -> dict[str, object]:
    """Put the signed-in, verified user's menu (with the count of unread notifications on
    its entry) and the environment name in every page."""
    # Pages served by the lean public stack (kinga.wsgi) have no user at all.
    user = getattr(request, "user", None)
    items: list[tuple[str, object, int]] = []
    if (
        user is not None
        and user.is_authenticated
        and getattr(user, "is_verified", lambda: False)()  # set by OTPMiddleware
    ):
        inbox = reverse("notifications:inbox")
        entries = navigation_for(user)
        unread = unread_count(user=user) if any(url == inbox for url, _ in entries) else 0
        items = [(url, label, unread if url == inbox else 0) for url, label in entries]
    return {
        "nav_items": items,
        "kinga_env": settings.KINGA_ENV,
        "demo_mode": settings.DEMO_MODE,
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
    }
