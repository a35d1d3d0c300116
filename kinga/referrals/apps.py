from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "kinga.referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        # Importing the services registers the overdue-check task handler in every process,
        # the worker's included. The case page and case opening get a case's referrals
        # through the seam cases declares (cases sits below referrals and never imports it).
        from kinga.accounts.home import register_home_work
        from kinga.cases.seams import register_referrals
        from kinga.referrals import services  # noqa: F401
        from kinga.referrals.for_cases import ReferralsOfCase
        from kinga.referrals.selectors import home_work

        register_referrals(ReferralsOfCase())
        # The home shows each role's referral work (accounts sits below referrals: a seam).
        register_home_work("referrals", home_work)
