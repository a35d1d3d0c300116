from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kinga.people.tests.coastal_records import ROWS

HEADER = (
    "record_id,given_name,family_name,other_names,sex,date_of_birth,age_years,phone,"
    "village,ward,county,colour\n"
)


def write_coastal(path: Path, prefixes: tuple[str, ...] = ("hl-", "po-", "sh-")) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER.strip().split(","))
        for _, record_id, *rest in ROWS:
            if record_id.startswith(prefixes):
                writer.writerow([record_id, *rest, "blue"])


def run(*args: str) -> str:
    err = StringIO()
    call_command("match", *args, "--quiet", stderr=err, stdout=StringIO())
    return err.getvalue()


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_dedupe_writes_the_pairs_of_one_person(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    write_coastal(source)
    out = tmp_path / "pairs.csv"
    run("dedupe", str(source), "--out", str(out))
    rows = read(out)
    assert list(rows[0]) == ["record_id_a", "record_id_b", "probability"]
    pairs = {frozenset((row["record_id_a"], row["record_id_b"])) for row in rows}
    assert frozenset(("hl-2", "po-2")) in pairs
    assert frozenset(("hl-3", "po-3")) in pairs
    assert frozenset(("hl-7", "hl-8")) not in pairs  # siblings sharing a phone
    assert all(float(row["probability"]) >= 0.5 for row in rows)


def test_threshold_keeps_only_pairs_at_or_above_it(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    write_coastal(source)
    low, high = tmp_path / "low.csv", tmp_path / "high.csv"
    run("dedupe", str(source), "--out", str(low), "--threshold", "0.01")
    run("dedupe", str(source), "--out", str(high), "--threshold", "0.99")
    assert len(read(low)) > len(read(high)) > 0
    assert all(float(row["probability"]) >= 0.99 for row in read(high))


def test_link_pairs_a_record_of_each_file_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "helpline.csv", tmp_path / "police.csv"
    write_coastal(first, ("hl-",))
    write_coastal(second, ("po-",))
    out = tmp_path / "pairs.csv"
    run("link", str(first), str(second), "--out", str(out))
    rows = read(out)
    assert rows
    assert all(row["record_id_a"].startswith("hl-") for row in rows)
    assert all(row["record_id_b"].startswith("po-") for row in rows)
    assert {"hl-4", "po-4"} <= {value for row in rows for value in row.values()}


def test_missing_columns_are_fine_and_dates_take_both_forms(tmp_path: Path) -> None:
    source = tmp_path / "few.csv"
    source.write_text(
        "record_id,given_name,family_name,date_of_birth\n"
        "a,Fatuma,Hamisi,2012-11-05\nb,Fatma,Khamis,20121105\n",
        encoding="utf-8",
    )
    out = tmp_path / "pairs.csv"
    run("dedupe", str(source), "--out", str(out))
    assert [(row["record_id_a"], row["record_id_b"]) for row in read(out)] == [("a", "b")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("given_name,family_name\nAli,Hassan\n", "no record_id column"),
        ("record_id,given_name\n1,Ali\n2,Juma\n1,Omar\n", "row 4: record_id '1' appears twice"),
        (
            "record_id,date_of_birth\n1,2010-01-01\n2,14/03/2011\n",
            "row 3: date_of_birth '14/03/2011' is not a date",
        ),
        ("record_id,age_years\n1,twelve\n", "row 2: age_years 'twelve' is not a number"),
        ("record_id,given_name\n1,Ali\n,Juma\n", "row 3: record_id is empty"),
        ("", "the file is empty"),
    ],
)
def test_bad_input_stops_naming_the_row_and_writes_nothing(
    tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "pairs.csv"
    out.write_text("earlier output\n", encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        run("dedupe", str(source), "--out", str(out))
    assert out.read_text(encoding="utf-8") == "earlier output\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.csv", "pairs.csv"]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="nowhere.csv: no such file"):
        run("dedupe", str(tmp_path / "nowhere.csv"), "--out", str(tmp_path / "pairs.csv"))
    assert not (tmp_path / "pairs.csv").exists()


def test_a_threshold_outside_zero_to_one_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    write_coastal(source)
    with pytest.raises(CommandError, match="--threshold is a probability"):
        run("dedupe", str(source), "--out", str(tmp_path / "p.csv"), "--threshold", "5")


def test_workers_below_one_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    write_coastal(source)
    with pytest.raises(CommandError, match="--workers is a number of processes"):
        run("dedupe", str(source), "--out", str(tmp_path / "p.csv"), "--workers", "0")
    assert not (tmp_path / "p.csv").exists()


def test_one_worker_and_two_write_the_same_file(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    write_coastal(source)
    run("dedupe", str(source), "--out", str(tmp_path / "one.csv"), "--workers", "1")
    run("dedupe", str(source), "--out", str(tmp_path / "two.csv"), "--workers", "2")
    one = (tmp_path / "one.csv").read_text()
    assert one.count("\n") > 1
    assert (tmp_path / "two.csv").read_text() == one


def test_progress_goes_to_stderr(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    write_coastal(source)
    err = StringIO()
    out = StringIO()
    call_command(
        "match", "dedupe", str(source), "--out", str(tmp_path / "p.csv"), stderr=err, stdout=out
    )
    assert "match: compare" in err.getvalue()
    assert "pairs at or above 0.5 written" in err.getvalue()
    assert out.getvalue() == ""
