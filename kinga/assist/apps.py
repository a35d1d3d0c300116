from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    name = "kinga.assist"
    verbose_name = _("Triage assist")
    default_auto_field = "django.db.models.BigAutoField"
