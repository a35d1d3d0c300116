"""Signals for a file of texts, and recall and precision of each signal on labelled texts.

`signals_csv` reads `id,text` rows and writes `id,csec,trafficking,online,danger_now,phrases`
(0/1 per signal, the phrases that raised them joined by `|`); a bad row stops it with the
row's number and what to fix, before anything is written. `measure` counts, per signal,
what the assist said against what a person said (a labelled set, or triagers' decisions).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.utils import translation

from kinga.assist.lexicon import MEASURED, lexicon, signal_label
from kinga.assist.signals import signals_of

OUTPUT_COLUMNS = ("id", *MEASURED, "phrases")
LABELLED_FILE = Path(__file__).with_name("data") / "labelled.csv"
# Written after the lexicon's rules were settled on the first set (version 2026.12-3) and
# never used to change them: how the rules do on reports they were not fitted to.
HOLDOUT_FILE = Path(__file__).with_name("data") / "labelled_holdout.csv"
# A second, larger held-out set (270 reports), written before the matcher learnt verb stems
# and misspellings (lexicon 2026.12-5) from what children, reporters and counsellors write;
# only its totals were looked at, never its rows, when the lexicon was changed.
HOLDOUT_B_FILE = Path(__file__).with_name("data") / "labelled_holdout_b.csv"
HOLDOUT_FILES = (HOLDOUT_FILE, HOLDOUT_B_FILE)
MAX_TEXT = 20_000


class InputError(ValueError):
    """A file the command cannot read; the message names the row and what to fix."""


@dataclass(frozen=True)
class Row:
    line: int  # the row's line in the file (the header is line 1)
    id: str
    text: str


def _lines(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not UTF-8 text (byte {error.start}); save it as CSV UTF-8"
        ) from None


def read_rows(
    path: Path, *, required: tuple[str, ...] = ("id", "text")
) -> Iterator[dict[str, str]]:
    """Yield each row of a CSV file as a dict, with `_line`; raise InputError naming the row."""
    reader = csv.reader(io.StringIO(_lines(path), newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise InputError(f"{path}: the file is empty; its first row names the columns") from None
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            f"{path}: the first row must name the columns {','.join(required)} "
            f"(missing: {', '.join(missing)}; found: {','.join(header) or 'nothing'})"
        )
    seen: set[str] = set()
    for values in reader:
        line = reader.line_num
        if not values or all(not value.strip() for value in values):
            continue  # a blank line
        if len(values) != len(header):
            raise InputError(
                f"row {line}: {len(values)} columns where the header has {len(header)}; "
                "put a text holding commas in double quotes"
            )
        row = dict(zip(header, values, strict=True))
        row_id = row["id"].strip()
        if not row_id:
            raise InputError(f"row {line}: the id is empty")
        if row_id in seen:
            raise InputError(f"row {line}: the id {row_id!r} appears twice")
        seen.add(row_id)
        if len(row["text"]) > MAX_TEXT:
            raise InputError(f"row {line} (id {row_id}): the text is longer than {MAX_TEXT}")
        row["id"] = row_id
        row["_line"] = str(line)
        yield row


def signals_csv(source: Path, out: Path) -> int:
    """Write the signals of each row of `source` to `out`; return how many rows.

    Every row is read and checked before the output is written, and the output appears
    whole or not at all (written beside it, then moved into place).
    """
    results: list[list[str]] = []
    for row in read_rows(source):
        found = signals_of(row["text"])
        codes = {signal.code for signal in found}
        phrases = list(dict.fromkeys(p for s in found if s.code in MEASURED for p in s.phrases))
        results.append(
            [
                row["id"],
                *("1" if code in codes else "0" for code in MEASURED),
                "|".join(phrase.replace("|", "/") for phrase in phrases),
            ]
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".signals-", suffix=".csv")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(OUTPUT_COLUMNS)
            writer.writerows(results)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(results)


@dataclass
class Counts:
    """What the assist said against what a person said, for one signal."""

    signal: str
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    true_negative: int = 0
    recall_threshold: float = 0.0
    precision_threshold: float = 0.0

    @property
    def recall(self) -> float | None:
        said = self.true_positive + self.false_negative
        return self.true_positive / said if said else None

    @property
    def precision(self) -> float | None:
        raised = self.true_positive + self.false_positive
        return self.true_positive / raised if raised else None

    @property
    def label(self) -> str:
        """Return the signal's name in the reader's language."""
        return signal_label(self.signal, translation.get_language() or "en")

    @property
    def support(self) -> int:
        return self.true_positive + self.false_negative

    @property
    def reliable(self) -> bool | None:
        """Whether both measures reach their thresholds: False as soon as one falls below,
        None while what is counted cannot tell."""
        recall, precision = self.recall, self.precision
        if (recall is not None and recall < self.recall_threshold) or (
            precision is not None and precision < self.precision_threshold
        ):
            return False
        if recall is None or precision is None:
            return None
        return True


@dataclass
class Measures:
    rows: int = 0
    signals: dict[str, Counts] = field(default_factory=dict)


def counts_for(signals: Iterable[str]) -> dict[str, Counts]:
    lex = lexicon()
    return {
        code: Counts(
            signal=code,
            recall_threshold=lex.signals[code].recall_threshold,
            precision_threshold=lex.signals[code].precision_threshold,
        )
        for code in signals
    }


def measure(
    pairs: Iterable[tuple[set[str], set[str]]], signals: tuple[str, ...] = MEASURED
) -> Measures:
    """Count, per signal, (raised by the assist, said by a person) over each item."""
    result = Measures(signals=counts_for(signals))
    for raised, truth in pairs:
        result.rows += 1
        for code, counts in result.signals.items():
            if code in raised and code in truth:
                counts.true_positive += 1
            elif code in raised:
                counts.false_positive += 1
            elif code in truth:
                counts.false_negative += 1
            else:
                counts.true_negative += 1
    return result


@dataclass(frozen=True)
class Labelled:
    id: str
    language: str
    kind: str
    text: str
    truth: frozenset[str]


def labelled_rows(path: Path = LABELLED_FILE) -> list[Labelled]:
    """Read a labelled file: id,language,kind,text and a 0/1 column per measured signal."""
    rows = []
    for row in read_rows(path, required=("id", "text", *MEASURED)):
        truth = set()
        for code in MEASURED:
            value = row[code].strip()
            if value not in ("0", "1"):
                raise InputError(f"row {row['_line']} (id {row['id']}): {code} must be 0 or 1")
            if value == "1":
                truth.add(code)
        rows.append(
            Labelled(
                id=row["id"],
                language=row.get("language", "").strip(),
                kind=row.get("kind", "").strip(),
                text=row["text"],
                truth=frozenset(truth),
            )
        )
    return rows


def measure_labelled(rows: list[Labelled]) -> Measures:
    """Run the assist on each labelled text and count it against the labels."""
    return measure(({s.code for s in signals_of(row.text)}, set(row.truth)) for row in rows)


def measures_table(measures: Measures) -> list[str]:
    """Return the measures as lines of text, one per signal ("unreliable" when below)."""
    lines = [f"{'signal':<12} {'recall':>7} {'precision':>9} {'n':>5}  status"]
    for counts in measures.signals.values():
        recall = "-" if counts.recall is None else f"{counts.recall:.3f}"
        precision = "-" if counts.precision is None else f"{counts.precision:.3f}"
        status = {True: "reliable", False: "UNRELIABLE", None: "not enough decisions"}[
            counts.reliable
        ]
        lines.append(
            f"{counts.signal:<12} {recall:>7} {precision:>9} {counts.support:>5}  {status}"
            f" (needs recall {counts.recall_threshold}, precision {counts.precision_threshold})"
        )
    return lines


@cache
def labelled_measures() -> tuple[Measures, int]:
    """Return the measures on the labelled set kept here, and its size (once per process:
    the set and the lexicon change only with a release). Read them, never change them."""
    rows = labelled_rows()
    return measure_labelled(rows), len(rows)


@cache
def holdout_measures() -> tuple[tuple[Measures, int], ...]:
    """Return the measures on each held-out set, and its size (once per process)."""
    return tuple((measure_labelled(rows), len(rows)) for rows in map(labelled_rows, HOLDOUT_FILES))
