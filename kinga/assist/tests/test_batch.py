"""The CSV of signals, and recall and precision on the labelled set kept in the repository."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kinga.assist.batch import (
    OUTPUT_COLUMNS,
    InputError,
    labelled_rows,
    measure,
    measure_labelled,
    measures_table,
    signals_csv,
)
from kinga.assist.lexicon import MEASURED


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_signals_csv_writes_one_row_per_report_with_the_phrases(tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.csv",
        "id,text\n"
        "1,dem mdogo ako na sponsor wa kizungu\n"
        '2,"habari, asante"\n'
        "3,MTT WA MIAKA 13 ANAONEKANA LODGING YA MTWAPA NA MZEE KILA IJUMAA\n",
    )
    out = tmp_path / "out.csv"
    assert signals_csv(source, out) == 3
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert tuple(rows[0]) == OUTPUT_COLUMNS
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert (rows[0]["csec"], rows[0]["trafficking"], rows[0]["online"]) == ("1", "0", "0")
    assert rows[0]["phrases"].split("|") == ["dem mdogo", "sponsor"]
    assert all(rows[1][code] == "0" for code in MEASURED) and rows[1]["phrases"] == ""
    assert set(rows[2]["phrases"].split("|")) >= {"MTT", "LODGING", "MZEE"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("text\nhello\n", "missing: id"),
        ("id,text\n1,a\n1,b\n", "row 3: the id '1' appears twice"),
        ("id,text\n1,a\n,b\n", "row 3: the id is empty"),
        ("id,text\n1,a,b\n", "row 2: 3 columns where the header has 2"),
    ],
)
def test_bad_input_names_the_row_and_writes_nothing(
    tmp_path: Path, content: str, message: str
) -> None:
    source = write(tmp_path / "in.csv", content)
    out = tmp_path / "out.csv"
    with pytest.raises(InputError, match=message):
        signals_csv(source, out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]  # no half-written file beside it


def test_a_file_that_is_not_utf8_is_refused_clearly(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes("id,text\n1,mtoto wa miaka 13 \xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        signals_csv(source, tmp_path / "out.csv")


def test_measure_counts_each_signal() -> None:
    result = measure(
        [({"csec"}, {"csec"}), ({"csec"}, set()), (set(), {"csec"}), (set(), set())],
        signals=("csec",),
    )
    counts = result.signals["csec"]
    assert (counts.true_positive, counts.false_positive, counts.false_negative) == (1, 1, 1)
    assert counts.recall == 0.5 and counts.precision == 0.5
    assert counts.reliable is False
    assert "UNRELIABLE" in measures_table(result)[1]
    assert measure([], signals=("csec",)).signals["csec"].reliable is None
    rejected_only = measure([({"csec"}, set())], signals=("csec",)).signals["csec"]
    assert rejected_only.recall is None and rejected_only.reliable is False


def test_the_labelled_set_is_large_mixed_and_has_hard_negatives() -> None:
    rows = labelled_rows()
    assert len(rows) >= 300
    assert {row.language for row in rows} == {"sw", "en", "sheng", "mixed"}
    assert sum(1 for row in rows if row.kind == "hard_negative") >= 100
    for code in MEASURED:
        assert sum(1 for row in rows if code in row.truth) >= 30, code


def test_targets_on_the_labelled_set() -> None:
    """The issue's targets: danger now and child sexual exploitation, recall >= 0.95 and
    precision >= 0.6; every signal at least at its own thresholds."""
    result = measure_labelled(labelled_rows())
    for code in ("danger_now", "csec"):
        counts = result.signals[code]
        assert counts.recall is not None and counts.recall >= 0.95, code
        assert counts.precision is not None and counts.precision >= 0.6, code
    for counts in result.signals.values():
        assert counts.reliable, counts.signal


def test_the_held_out_set_reads_and_is_never_the_first_set() -> None:
    from kinga.assist.batch import HOLDOUT_FILE

    held_out = labelled_rows(HOLDOUT_FILE)
    assert len(held_out) >= 60
    first = {row.text for row in labelled_rows()}
    assert not first & {row.text for row in held_out}
