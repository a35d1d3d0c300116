from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "kinga.referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        # Register the overdue-check task handler in every process, the worker's included.
        from kinga.referrals import services  # noqa: F401
