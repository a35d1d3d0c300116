"""The demo data set: each app's `demo.py` adds its part, in this order.

A loader is a module with `load(*, out: Callable[[str], None]) -> None`. It must be
idempotent (a second `kinga demo` changes nothing) and hold only synthetic people.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

DEMO_PASSWORD = "pwani-demo-2026"

# A plain list of module names, run only by `kinga demo` (never by a request): lib, the
# bottom layer, names the apps' optional demo.py files in load order without importing them,
# so the layers contract holds; each is reached through its `load(*, out)`.
LOADERS = [
    "kinga.accounts.demo",
    "kinga.people.demo",
    "kinga.directory.demo",
    "kinga.intake.demo",
    "kinga.cases.demo",
    "kinga.referrals.demo",
    "kinga.justice.demo",
    "kinga.access.demo",
    "kinga.dataprotection.demo",
    "kinga.training.demo",
    "kinga.awareness.demo",
    "kinga.collect.demo",
    "kinga.api.demo",
    "kinga.intel.demo",
    "kinga.insights.demo",
    "kinga.matching.demo",
]


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            return None  # that app has no demo data yet
        raise


def load_all(*, out: Callable[[str], None]) -> None:
    """Run every loader that exists, in order."""
    for name in LOADERS:
        module = _import(name)
        if module is not None:
            out(f"  {name} ...")
            module.load(out=out)
