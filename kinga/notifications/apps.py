from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kinga.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Register this app's task handlers in every process, the worker's included.
        from kinga.notifications import services  # noqa: F401
