"""`kinga insights refresh [--full]`: bring the dashboards' summary up to date now, as the
worker does every quarter of an hour (the reports changed since the last refresh), or
rebuild it whole (every report's path and the monthly rollup)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from kinga.insights.services import paths_refresh


class Command(BaseCommand):
    help = (
        "refresh: count the paths of the reports changed since the last refresh into the "
        "dashboards' summary and monthly rollup; --full rebuilds both from every report."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("what", choices=["refresh"])
        parser.add_argument(
            "--full", action="store_true", help="rebuild every report's path and the rollup"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # no user: the command runs on the server, and the refresh's audit event says so
        refresh = paths_refresh(full=bool(options["full"]))
        kind = "full rebuild" if refresh.full else "incremental refresh"
        self.stdout.write(self.style.SUCCESS(f"{kind}: {refresh.reports} report paths counted"))
