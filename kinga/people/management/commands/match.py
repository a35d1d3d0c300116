"""`kinga match`: find the same person in any CSV data, without the database.

- `kinga match dedupe INPUT.csv --out PAIRS.csv` — pairs of rows of one file that are
  likely one person.
- `kinga match link A.csv B.csv --out PAIRS.csv` — pairs of a row of A and a row of B.

`--threshold` (default 0.5) is the least probability written. The output has the columns
`record_id_a, record_id_b, probability`, one row per pair, and is written whole or not at
all. A progress bar goes to stderr. Bad input stops the command with a message naming the
row, before anything is written. `--workers` (default: the machine's cores) compares the
pairs in that many processes; the pairs written are the same whatever the number.
"""

from __future__ import annotations

import itertools
import os
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError

from kinga.lib.progress import ProgressBar
from kinga.people.match_csv import MatchInputError, iter_records, write_pairs
from kinga.people.matcher import DEFAULT_WINDOW, match


class Command(BaseCommand):
    help = "Find pairs of records that are likely the same person (dedupe one file, link two)."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="mode", required=True)
        dedupe = sub.add_parser("dedupe", help="pairs within one file")
        dedupe.add_argument("inputs", nargs=1, type=Path, metavar="INPUT.csv")
        link = sub.add_parser("link", help="pairs across two files")
        link.add_argument("inputs", nargs=2, type=Path, metavar="FILE.csv")
        for each in (dedupe, link):
            each.add_argument("--out", type=Path, required=True, help="the CSV of pairs to write")
            each.add_argument("--threshold", type=float, default=0.5)
            each.add_argument("--window", type=int, default=DEFAULT_WINDOW, help="see matcher")
            each.add_argument("--quiet", action="store_true", help="no progress bar")
            each.add_argument(
                "--workers",
                type=int,
                default=os.cpu_count() or 1,
                help="processes comparing pairs (default: the machine's cores; 1 for one)",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        threshold = float(options["threshold"])
        if not 0.0 <= threshold <= 1.0:
            raise CommandError("--threshold is a probability: give a number from 0 to 1.")
        out: Path = options["out"]
        workers = int(options["workers"])
        if workers < 1:
            raise CommandError("--workers is a number of processes: give 1 or more.")
        if not out.resolve().parent.is_dir():
            raise CommandError(f"{out}: its folder does not exist.")
        inputs: list[Path] = options["inputs"]
        started = time.monotonic()
        for path in inputs:
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
        # The files stream into the matcher, record by record: a bad row stops the run
        # when it is reached, before anything is written.
        records = itertools.chain.from_iterable(
            iter_records(path, source=source) for source, path in enumerate(inputs)
        )
        quiet = bool(options["quiet"])
        bars: dict[str, ProgressBar] = {}

        def progress(step: str, done: int, total: int) -> None:
            if quiet:
                return
            bar = bars.get(step)
            if bar is None:
                for earlier in bars.values():
                    earlier.finish()
                bars.clear()
                bar = bars[step] = ProgressBar(
                    total=total or done,
                    label=f"match: {step}",
                    stream=cast(TextIO, self.stderr._out),
                )
            bar.total = max(total, done)
            bar.update(done)

        try:
            run = match(
                records,
                link=options["mode"] == "link",
                threshold=threshold,
                window=int(options["window"]),
                progress=progress,
                workers=workers,
            )
        except MatchInputError as error:
            raise CommandError(str(error)) from None
        finally:
            for bar in bars.values():
                bar.finish()
        written = write_pairs(out, run.record_ids, run.pairs)
        if not quiet:
            self.stderr.write(
                f"{len(run.record_ids)} records, {run.compared} pairs compared, {written} pairs "
                f"at or above {threshold} written to {out} in {time.monotonic() - started:.1f} s"
            )
