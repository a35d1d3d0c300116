from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "kinga.insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # Importing these registers the monthly reports job and the report paths' refresh
        # (`@periodic`) in every process, the worker's included.
        from kinga.insights import jobs, report  # noqa: F401
