"""WSGI entry point for gunicorn: `gunicorn kinga.wsgi`.

The public reporting channels take a lean middleware stack: gateway callbacks
(`/channels/...`: USSD screens, SMS in, delivery reports) and the anonymous web form
(`/report/...`). They carry no cookies, sessions or users of ours (the form sets its
language from the URL and guards itself with a one-time submission token), and a USSD
screen must be answered fast. Everything else takes the full stack of settings.MIDDLEWARE.

The first staff request of a process starts training the triage assist's learned model in
the background (`kinga.assist.learned.warm_up`), so the first triage page does not wait
for it; the public channels never start it (a burst of reports is not slowed by it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinga.settings")
full_application = get_wsgi_application()

from django.conf import settings  # noqa: E402  # after the settings module is named
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

PUBLIC_CHANNEL_PREFIXES = ("/channels/", "/report/", "/odk/")


class ChannelHandler(WSGIHandler):
    """A WSGI handler whose middleware is settings.KINGA_CHANNEL_MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.KINGA_CHANNEL_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


channel_application = ChannelHandler()
_warmed = False


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Send the public channels to the lean handler and every other request to the full one."""
    global _warmed
    if environ.get("PATH_INFO", "").startswith(PUBLIC_CHANNEL_PREFIXES):
        return channel_application(environ, start_response)
    if not _warmed:
        _warmed = True
        from kinga.assist.learned import warm_up

        warm_up()
    return full_application(environ, start_response)
