from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JusticeConfig(AppConfig):
    name = "kinga.justice"
    verbose_name = _("Justice")

    def ready(self) -> None:
        # Importing the services registers the court reminders job (`@periodic`) in every
        # process, the worker's included. The child's case page gets the path to verdict
        # through the seam cases declares (cases sits below justice and never imports it).
        from kinga.accounts.home import register_home_work
        from kinga.cases.seams import register_justice
        from kinga.justice import services  # noqa: F401
        from kinga.justice.for_cases import JusticeOfCase
        from kinga.justice.selectors import home_work

        register_justice(JusticeOfCase())
        # The home shows each role's court dates and waiting reports (accounts sits below).
        register_home_work("justice", home_work)
