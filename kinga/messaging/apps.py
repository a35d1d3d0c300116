from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "kinga.messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        # Register this app's task handlers in every process, the worker's included.
        from kinga.messaging import services  # noqa: F401
