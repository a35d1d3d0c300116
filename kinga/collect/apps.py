from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectConfig(AppConfig):
    name = "kinga.collect"
    verbose_name = _("Field collection")

    def ready(self) -> None:
        from kinga.collect.for_intake import FieldOrigins
        from kinga.intake.seams import register_report_origins

        # The triage page shows which volunteer sent a field report (intake sits below).
        register_report_origins(FieldOrigins())

        # A caseworker's home counts the home visits from the field waiting to be read.
        from kinga.accounts.home import register_home_work
        from kinga.collect.selectors import home_work

        register_home_work("collect", home_work)

        # A case's timeline shows the home visits sent on it (cases sits below).
        from kinga.cases.seams import register_field_visits
        from kinga.collect.for_cases import HomeVisitsOfCase

        register_field_visits(HomeVisitsOfCase())
