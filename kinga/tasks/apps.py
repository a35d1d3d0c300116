from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "kinga.tasks"
    verbose_name = _("Background tasks")

    def ready(self) -> None:
        # Register this layer's periodic jobs (the audit checkpoint and the scheduled backup,
        # which runs only when KINGA_BACKUP_DIR is set) in every process.
        from kinga.tasks import backups, jobs  # noqa: F401
