from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "kinga.cases"
    verbose_name = _("Survivor cases")

    def ready(self) -> None:
        # Register the case reminders job (`@periodic`) in every process, the worker's included.
        from kinga.accounts.home import register_home_work
        from kinga.cases import services  # noqa: F401
        from kinga.cases.selectors import home_work

        # The home shows each role's case work (accounts sits below cases: a seam).
        register_home_work("cases", home_work)
