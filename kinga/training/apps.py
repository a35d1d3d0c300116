from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "kinga.training"
    verbose_name = _("Joint training")

    def ready(self) -> None:
        # The trainer's home shows their training work (accounts sits below training).
        from kinga.accounts.home import register_home_work
        from kinga.training.selectors import home_work

        register_home_work("training", home_work)
