"""Benchmark: loading the demo, against a bare migrate of the same database, in one run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kinga.lib.bench import BenchResult, record


def _timed(command: list[str], environment: dict[str, str]) -> float:
    start = time.perf_counter()
    # the benchmark's own fixed command line, no outside input
    subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - start


def demo_load(*, out: Callable[[str], None], quick: bool = False) -> None:
    """Time `kinga demo --no-serve` on a fresh SQLite file against `kinga migrate` alone."""
    with tempfile.TemporaryDirectory() as scratch:
        base = dict(os.environ, KINGA_ENV="demo", KINGA_VAR_DIR=str(Path(scratch) / "var"))
        base.pop("DATABASE_URL", None)
        kinga = [sys.executable, "-m", "kinga"]
        reference = _timed(
            kinga + ["migrate", "--verbosity", "0"],
            dict(base, DATABASE_URL=f"sqlite:///{scratch}/reference.sqlite3"),
        )
        demo_env = dict(base, DATABASE_URL=f"sqlite:///{scratch}/demo.sqlite3")
        first = _timed(kinga + ["demo", "--no-serve"], demo_env)
        again = _timed(kinga + ["demo", "--no-serve"], demo_env)
    record(
        BenchResult(
            name="demo_load",
            database="sqlite",
            figures={"migrate_s": reference, "demo_first_s": first, "demo_again_s": again},
            ratio=first / reference,
            ratio_label="demo/migrate",
        ),
        out,
    )


BENCHMARKS = {"demo_load": demo_load}
