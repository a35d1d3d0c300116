from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "kinga.cases"
    verbose_name = _("Survivor cases")

    def ready(self) -> None:
        # Register the case reminders job (`@periodic`) in every process, the worker's included.
        from kinga.cases import services  # noqa: F401
