"""`kinga export ctdc FILE`, `kinga export htcds FILE`: the anonymised CTDC-shaped
publication and the HTCDS-field rows for partner agencies, as on the export page."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kinga.insights import ctdc, htcds, selectors


class Command(BaseCommand):
    help = (
        "Write the anonymised CTDC-shaped export (one row per case, -99 for missing, every "
        "quasi-identifier combination shared by KINGA_INSIGHTS_PUBLISHED_K records or more), "
        "or the HTCDS-field rows (KINGA_INSIGHTS_K), to FILE, and say how many rows were "
        "generalised and dropped."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("what", choices=["ctdc", "htcds"])
        parser.add_argument("file", help="the CSV file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a folder")
        what = options["what"]
        if what == "ctdc":
            built = ctdc.ctdc_build(k=settings.KINGA_INSIGHTS_PUBLISHED_K)
            path.write_bytes(ctdc.csv_of(built))
        else:
            built = htcds.htcds_build(k=selectors.k_threshold())
            path.write_bytes(htcds.csv_of(built))
        # no user: the command runs on the server, and the event says so
        selectors.export_audit(
            viewer=None, figure=what, filters=None, fmt="csv", rows=len(built.rows)
        )
        generalised = ", ".join(f"{name} {count}" for name, count in built.generalised.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {len(built.rows)} of {built.records} records to {path} "
                f"(k {built.k}; generalised: {generalised}; dropped {built.dropped})"
            )
        )
