from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "kinga.insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # Importing these registers the monthly reports job and the report paths' refresh
        # (`@periodic`) in every process, the worker's included.
        from django.db.models.signals import post_migrate

        from kinga.insights import jobs, report  # noqa: F401
        from kinga.insights.selectors import gazetteer_forget, statements_forget

        # the map's places are read once per process; a migration or a flush may change them
        post_migrate.connect(gazetteer_forget, dispatch_uid="insights.gazetteer_forget")
        # the figures' compiled statements depend on the schema alone
        post_migrate.connect(statements_forget, dispatch_uid="insights.statements_forget")
