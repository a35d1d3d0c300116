from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "kinga.matching"
    verbose_name = _("Matching people")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the services registers the matching jobs (`@task`, `@periodic`) in every
        # process, the worker's included.
        from kinga.accounts.home import register_home_work
        from kinga.matching import services  # noqa: F401
        from kinga.matching.selectors import home_work

        register_home_work("matching", home_work)
