from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "kinga.intake"
    verbose_name = _("Reports and triage")

    def ready(self) -> None:
        from kinga.accounts.home import register_home_work
        from kinga.accounts.models import Agency
        from kinga.cases.seams import register_source_reports
        from kinga.intake import checks  # noqa: F401 - registers the deployment checks
        from kinga.intake.for_cases import ReportsOfCase
        from kinga.intake.selectors import home_work
        from kinga.intake.services import triage_agencies_forget

        # The home shows each role's intake work (accounts sits below intake: a seam).
        register_home_work("intake", home_work)
        # A case opened from a report shows what the report said (cases sits below intake).
        register_source_reports(ReportsOfCase())

        # A new, changed or removed agency is seen by the next report in this process.
        for signal in (post_save, post_delete):
            signal.connect(
                triage_agencies_forget, sender=Agency, dispatch_uid=f"intake-triage-{signal}"
            )
