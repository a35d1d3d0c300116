from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataProtectionConfig(AppConfig):
    name = "kinga.dataprotection"
    label = "dataprotection"
    verbose_name = _("Data protection")

    def ready(self) -> None:
        # Register the breach clock's reminders (`@periodic`) in every process, the worker's
        # included, and the data protection officer's work on the home page.
        from kinga.accounts.home import register_home_work
        from kinga.dataprotection import services  # noqa: F401
        from kinga.dataprotection.selectors import home_work

        register_home_work("dataprotection", home_work)
