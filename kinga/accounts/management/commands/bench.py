"""`kinga bench all|NAME ...`: run the benchmarks and print each one's ratio."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kinga.lib.bench import discover


class Command(BaseCommand):
    help = "Run benchmarks (`all` or names); each prints figures and a ratio against a reference."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("names", nargs="+", help="`all`, `list`, or benchmark names")
        parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke run")

    def handle(self, *args: Any, **options: Any) -> None:
        benchmarks = discover()
        names: list[str] = options["names"]
        if names == ["list"]:
            for name in benchmarks:
                self.stdout.write(name)
            return
        selected = list(benchmarks) if names == ["all"] else names
        unknown = [name for name in selected if name not in benchmarks]
        if unknown:
            raise CommandError(
                f"Unknown benchmark(s): {', '.join(unknown)}; try `kinga bench list`"
            )
        for name in selected:
            self.stdout.write(f"== {name}")
            benchmarks[name](out=self.stdout.write, quick=options["quick"])
