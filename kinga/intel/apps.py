from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelConfig(AppConfig):
    name = "kinga.intel"
    verbose_name = _("Intelligence")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the build registers its worker jobs (`@task`, `@periodic`) in every
        # process; the signals ask for a refresh in the transaction of each change.
        from kinga.intel import build  # noqa: F401
        from kinga.intel.signals import connect

        connect()
