from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwarenessConfig(AppConfig):
    name = "kinga.awareness"
    verbose_name = _("Awareness")

    def ready(self) -> None:
        from kinga.awareness.for_intake import CampaignReportCodes
        from kinga.intake.seams import register_campaign_codes

        # An SMS with a campaign's keyword, or a session on its USSD code, counts for it
        # (intake sits below awareness).
        register_campaign_codes(CampaignReportCodes())
