"""Deployment checks of the public channels (`kinga check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def gateway_allow_list(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when the gateway's callbacks are answered from any address in production."""
    if settings.KINGA_SMS_BACKEND != "africastalking" or settings.KINGA_AT_ALLOWED_IPS:
        return []
    return [
        checks.Warning(
            "KINGA_AT_ALLOWED_IPS is empty: gateway callbacks are accepted from any address "
            "that has the key.",
            hint="Set it to the gateway's addresses, or enforce the list at the reverse proxy "
            "and silence kinga.W001 (README, Production: gateway callbacks).",
            id="kinga.W001",
        )
    ]
