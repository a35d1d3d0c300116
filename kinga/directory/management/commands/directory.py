"""`kinga directory export-hsds DIR` and `kinga directory import-hsds FILE ...`."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kinga.directory.hsds import export_directory, import_file


class Command(BaseCommand):
    help = (
        "The service directory in Open Referral HSDS 3.0 JSON. `export-hsds DIR` writes "
        "organization.json, service.json and service_at_location.json (confidential "
        "addresses left out); `import-hsds FILE ...` loads HSDS JSON and lists what it "
        "could not map."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("verb", choices=["export-hsds", "import-hsds"])
        parser.add_argument("paths", nargs="+", help="the folder to export to, or files to import")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="fail (exit status 1) when anything could not be mapped",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(path) for path in options["paths"]]
        if options["verb"] == "export-hsds":
            if len(paths) != 1:
                raise CommandError("export-hsds takes one folder")
            counts = export_directory(paths[0])
            summary = ", ".join(f"{count} {name}" for name, count in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Wrote {summary} records to {paths[0]}"))
            return
        unmapped = 0
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path} is not a file")
            try:
                report = import_file(path)
            except (ValueError, KeyError, TypeError) as error:
                raise CommandError(f"{path}: {error}") from error
            created = ", ".join(f"{n} {k}" for k, n in sorted(report.created.items())) or "none"
            updated = ", ".join(f"{n} {k}" for k, n in sorted(report.updated.items())) or "none"
            self.stdout.write(f"{path}: created {created}; updated {updated}")
            for line in report.unmapped:
                self.stdout.write(f"  not mapped: {line}")
            unmapped += len(report.unmapped)
        if unmapped:
            message = f"{unmapped} items could not be mapped (listed above)."
            if options["strict"]:
                raise CommandError(message)
            self.stdout.write(self.style.WARNING(message))
        else:
            self.stdout.write(self.style.SUCCESS("Everything was mapped."))
