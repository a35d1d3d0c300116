"""Helpers for `kinga bench`: timing, percentiles and the one-line result each prints.

Every benchmark measures Kinga and a reference in the same run and prints the ratio, so a
slower or busier machine moves both. Results are also appended as JSON lines to
var/bench-results.jsonl for BENCHMARKS.md.
"""

from __future__ import annotations

import importlib
import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

# A plain list of module names, run only by `kinga bench` (never by a request): lib, the
# bottom layer, names the apps' optional bench.py files without importing them, so the
# layers contract holds; each module's benchmarks are reached through its BENCHMARKS dict.
BENCH_MODULES = [
    "kinga.accounts.bench",
    "kinga.people.bench",
    "kinga.intake.bench",
    "kinga.cases.bench",
    "kinga.directory.bench",
    "kinga.justice.bench",
    "kinga.tasks.bench",
    "kinga.people.bench_matching",
    "kinga.training.bench",
    "kinga.collect.bench",
    "kinga.api.bench",
    "kinga.assist.bench",
    "kinga.dataprotection.bench",
    "kinga.insights.bench",
    "kinga.intel.bench",
]


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile (fraction in 0..1) of the values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Yield a list that holds the elapsed seconds once the block ends."""
    elapsed: list[float] = []
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - start)


@dataclass
class BenchResult:
    name: str
    database: str
    figures: dict[str, float | int | str] = field(default_factory=dict)
    ratio: float | None = None
    ratio_label: str = ""
    target: str = ""
    passed: bool | None = None

    def line(self) -> str:
        parts = [f"{key}={_fmt(value)}" for key, value in self.figures.items()]
        if self.ratio is not None:
            parts.append(f"ratio {self.ratio_label}={self.ratio:.3f}")
        if self.target:
            verdict = {True: "MET", False: "MISSED", None: "n/a"}[self.passed]
            parts.append(f"target {self.target}: {verdict}")
        return f"[{self.name} @ {self.database}] " + "  ".join(parts)


def _fmt(value: float | int | str) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 100 else f"{value:.1f}"
    return str(value)


def database_label() -> str:
    engine = str(settings.DATABASES["default"]["ENGINE"])
    return "postgresql" if "postgresql" in engine else "sqlite"


def record(result: BenchResult, out: Callable[[str], None]) -> None:
    """Print the result and append it to var/bench-results.jsonl."""
    out(result.line())
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = Path(settings.VAR_DIR) / "bench-results.jsonl"
    row: dict[str, Any] = {
        "name": result.name,
        "database": result.database,
        "figures": result.figures,
        "ratio": result.ratio,
        "ratio_label": result.ratio_label,
        "target": result.target,
        "passed": result.passed,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    with path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(row) + "\n")


def discover() -> dict[str, Callable[..., None]]:
    """Return every benchmark by name, from each app's `bench.py` `BENCHMARKS` dict."""
    found: dict[str, Callable[..., None]] = {}
    for name in BENCH_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name and name.startswith(error.name):
                continue
            raise
        found.update(module.BENCHMARKS)
    return found
