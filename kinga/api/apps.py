from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "kinga.api"
    label = "api"
    verbose_name = _("Integrations and the open API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # the webhook fan-out and delivery tasks register with the worker
        from kinga.api import webhooks  # noqa: F401
        from kinga.api.for_intake import PartnerOrigins
        from kinga.intake.seams import register_report_origins

        # the triage page marks a partner's referral in with its agency and reference
        register_report_origins(PartnerOrigins())
