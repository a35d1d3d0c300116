"""`kinga triage`: the triage assist from the command line.

- `kinga triage signals INPUT.csv --out OUT.csv`: for each `id,text` row, write
  `id,csec,trafficking,online,danger_now,phrases` (0/1 per signal; the phrases that raised
  them joined by `|`). A bad row stops it, naming the row, before anything is written.
- `kinga triage measure [--labelled FILE]`: recall and precision of each signal on a
  labelled file (the set kept in the repository by default; `kinga/assist/data/
  labelled_holdout.csv` and `labelled_holdout_b.csv` are the held-out ones), and on the
  triagers' decisions stored so far;
  a signal below its thresholds is marked UNRELIABLE.

Neither writes a report's words anywhere: `signals` reads the file it is given, `measure`
counts codes.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kinga.assist.batch import (
    LABELLED_FILE,
    InputError,
    labelled_rows,
    measure_labelled,
    measures_table,
    signals_csv,
)
from kinga.assist.lexicon import lexicon
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intake.selectors import signal_measures_from_decisions


class Command(BaseCommand):
    help = "Triage assist: `signals INPUT.csv --out OUT.csv`, `measure [--labelled FILE]`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        signals = verbs.add_parser("signals", help="write the signals of each row of a CSV")
        signals.add_argument("input", type=Path)
        signals.add_argument("--out", type=Path, required=True)
        measure = verbs.add_parser("measure", help="recall and precision of each signal")
        measure.add_argument("--labelled", type=Path, default=LABELLED_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["verb"] == "signals":
                count = signals_csv(options["input"], options["out"])
                self.stdout.write(
                    f"{count} rows: signals written to {options['out']} "
                    f"(lexicon {lexicon().version})"
                )
                return
            rows = labelled_rows(options["labelled"])
        except InputError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"lexicon {lexicon().version}")
        self.stdout.write(f"labelled set {options['labelled'].name}: {len(rows)} rows")
        for line in measures_table(measure_labelled(rows)):
            self.stdout.write("  " + line)
        decisions = signal_measures_from_decisions()
        audit_record(
            action=AuditAction.LIST,
            actor=None,
            actor_label="command:triage",
            record_type="intake.signalreview",
            fields=["signal", "verdict"],
            detail={"list": "signal_measures", "rows": decisions.rows},
        )
        self.stdout.write(f"triagers' decisions so far: {decisions.rows}")
        for line in measures_table(decisions):
            self.stdout.write("  " + line)
