"""Benchmark: the triage assist's signals for 100,000 reports, against a plain keyword
search of the same lexicon in the same run; and recall and precision on the labelled set.

    kinga bench assist            (--quick: 10,000 reports)

Nothing is written to the database: the reports are the labelled set's texts (and their
words shuffled into new texts), in capitals or not, as they come from phones. Two ways of
reading each text are timed in the same run:

- Kinga: `signals_of` — every cue's expression (word boundaries, SMS spellings, ages),
  each rule's all/any/none, and the spans of the words that raised each signal.
- Reference: a plain keyword search — each term of the lexicon looked for with `in` in the
  lower-cased text; a signal is raised when every cue of one of its rules has a term found.

It prints microseconds per report and the ratio Kinga/reference, then recall and precision
of each signal on the labelled set, for Kinga and for the keyword search, with the issue's
targets (danger now and child sexual exploitation: recall >= 0.95, precision >= 0.6), and
on the held-out set written after the rules were settled (never used to change them).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from kinga.assist.batch import (
    HOLDOUT_B_FILE,
    HOLDOUT_FILE,
    Measures,
    labelled_rows,
    measure,
    measure_labelled,
)
from kinga.assist.learned import comparison as learned_comparison
from kinga.assist.learned import f1
from kinga.assist.lexicon import LANGUAGES, MEASURED, Lexicon, lexicon
from kinga.assist.signals import signals_of
from kinga.lib.bench import BenchResult, database_label, record

REPORTS = 100_000
QUICK_REPORTS = 10_000


def keyword_search(lex: Lexicon) -> Callable[[str], set[str]]:
    """Return the reference: plain substring search of every term, rules by `all` only."""
    terms = {
        name: [
            term.lstrip("~").rstrip("*") for language in LANGUAGES for term in cue.terms[language]
        ]
        for name, cue in lex.cues.items()
    }
    rules = [(rule.signal, rule.all) for rule in lex.rules]

    def search(text: str) -> set[str]:
        lowered = text.lower()
        found = {name for name, words in terms.items() if any(w in lowered for w in words)}
        return {signal for signal, cues in rules if all(cue in found for cue in cues)}

    return search


def _texts(count: int) -> list[str]:
    """Return `count` report texts made from the labelled set, deterministically."""
    base = [row.text for row in labelled_rows()]
    words = [word for text in base for word in text.split()]
    chooser = random.Random(23)
    texts = []
    for index in range(count):
        if index % 3 == 2:
            text = " ".join(chooser.choice(words) for _ in range(chooser.randint(6, 30)))
        else:
            text = base[index % len(base)]
        texts.append(text.upper() if index % 5 == 0 else text)
    return texts


def _timed(function: Callable[[str], object], texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        function(text)
    return time.perf_counter() - start


def _quality(result: Measures) -> dict[str, float]:
    figures: dict[str, float] = {}
    for code, counts in result.signals.items():
        figures[f"{code}_recall"] = round(counts.recall or 0.0, 3)
        figures[f"{code}_precision"] = round(counts.precision or 0.0, 3)
    return figures


def assist_bench(*, out: Callable[[str], None], quick: bool = False) -> None:
    lex = lexicon()
    search = keyword_search(lex)
    texts = _texts(QUICK_REPORTS if quick else REPORTS)
    signals_of(texts[0])  # compile once, outside the timing
    kinga = _timed(signals_of, texts)
    reference = _timed(search, texts)
    per_report = kinga / len(texts) * 1e6
    record(
        BenchResult(
            name="assist_speed",
            database=database_label(),
            figures={
                "reports": len(texts),
                "kinga_us_per_report": round(per_report, 1),
                "keyword_us_per_report": round(reference / len(texts) * 1e6, 1),
                "kinga_seconds": round(kinga, 2),
            },
            ratio=kinga / reference,
            ratio_label="kinga/keyword",
            # the reference does far less (no word boundaries, spellings, spans, none/any):
            # reading a report properly may cost at most twice a bare keyword search
            target="kinga/keyword <= 2",
            passed=kinga / reference <= 2,
        ),
        out,
    )
    rows = labelled_rows()
    truth = [set(row.truth) for row in rows]
    kinga_measures = measure(
        ({s.code for s in signals_of(row.text)}, said)
        for row, said in zip(rows, truth, strict=True)
    )
    keyword_measures = measure(
        (search(row.text), said) for row, said in zip(rows, truth, strict=True)
    )
    met = all(
        (kinga_measures.signals[code].recall or 0) >= 0.95
        and (kinga_measures.signals[code].precision or 0) >= 0.6
        for code in ("danger_now", "csec")
    )
    record(
        BenchResult(
            name="assist_labelled",
            database=database_label(),
            figures={"rows": len(rows), "lexicon": lex.version, **_quality(kinga_measures)},
            target="danger_now and csec recall>=0.95 precision>=0.6",
            passed=met,
        ),
        out,
    )
    record(
        BenchResult(
            name="assist_labelled_keyword_reference",
            database=database_label(),
            figures={"rows": len(rows), **_quality(keyword_measures)},
        ),
        out,
    )
    for name, path in (("assist_holdout", HOLDOUT_FILE), ("assist_holdout_b", HOLDOUT_B_FILE)):
        holdout = labelled_rows(path)
        said = [set(row.truth) for row in holdout]
        record(
            BenchResult(
                name=name,
                database=database_label(),
                figures={"rows": len(holdout), **_quality(measure_labelled(holdout))},
            ),
            out,
        )
        record(
            BenchResult(
                name=f"{name}_keyword_reference",
                database=database_label(),
                figures={
                    "rows": len(holdout),
                    **_quality(
                        measure((search(r.text), t) for r, t in zip(holdout, said, strict=True))
                    ),
                },
            ),
            out,
        )
    trained = learned_comparison()
    figures: dict[str, float | int | str] = {}
    for code, compared in trained.comparisons.items():
        figures[f"{code}_rules_f1"] = round(f1(compared.rules), 3)
        figures[f"{code}_model_f1"] = round(f1(compared.model), 3)
        figures[f"{code}_model_recall"] = round(compared.model.recall or 0.0, 3)
        figures[f"{code}_model_precision"] = round(compared.model.precision or 0.0, 3)
    figures["kept"] = ",".join(trained.kept) or "none"
    record(
        BenchResult(name="assist_learned_held_out", database=database_label(), figures=figures),
        out,
    )
    for code in MEASURED:
        counts = kinga_measures.signals[code]
        out(
            f"  {code:<12} kinga recall {counts.recall or 0:.3f} precision "
            f"{counts.precision or 0:.3f} (n={counts.support})"
        )


BENCHMARKS = {"assist": assist_bench}
