"""The layers contract (pyproject.toml, [tool.importlinter]) that `make check` runs.

Each test copies the package's Python files into a temporary directory, breaks one layer
there, and runs `lint-imports` on the copy: the contract must fail on the bad import and pass
without it. The copy is what the linter reads (it finds `kinga` first on PYTHONPATH), so the
repository itself is never changed. No network; a run takes about a second.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _copy(tmp_path: Path) -> Path:
    """Copy the package's Python files and the contract into tmp_path; return the copy."""
    shutil.copytree(
        ROOT / "kinga",
        tmp_path / "kinga",
        ignore=shutil.ignore_patterns(
            "__pycache__", "locale", "static", "templates", "data", "fixtures", "*.mo", "*.po"
        ),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(  # noqa: S603  # a fixed command on a copy made by the test
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _add_import(copy: Path, module: str, line: str) -> None:
    path = copy / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_contract_passes_on_the_tree_as_it_is(tmp_path: Path) -> None:
    """Issue 12 point 1: the declared layers hold today, so `make check` can enforce them."""
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("importer", "bad_import", "broken"),
    [
        # the bottom has no cycle: audit never imports access (access imports audit)
        (
            "kinga.audit.models",
            "from kinga.access.policy import can_see_trail  # noqa",
            "kinga.audit is not allowed to import kinga.access",
        ),
        # a lower capability app never reaches up: cases gets referrals through its seam
        (
            "kinga.cases.selectors",
            "from kinga.referrals.selectors import case_at_safe_place  # noqa",
            "kinga.cases is not allowed to import kinga.referrals",
        ),
        # nor does the policy reach into the apps it protects
        (
            "kinga.access.policy",
            "from kinga.cases.models import Case  # noqa",
            "kinga.access is not allowed to import kinga.cases",
        ),
        # lib is the floor
        (
            "kinga.lib.crypto",
            "from kinga.accounts.models import User  # noqa",
            "kinga.lib is not allowed to import kinga.accounts",
        ),
    ],
)
def test_the_contract_fails_on_an_import_that_runs_up_the_layers(
    tmp_path: Path, importer: str, bad_import: str, broken: str
) -> None:
    """Issue 12 point 1: `make check` fails on an import that breaks the declared layers."""
    copy = _copy(tmp_path)
    _add_import(copy, importer, bad_import)
    result = _lint(copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert broken in result.stdout


def test_identity_models_may_not_import_an_app(tmp_path: Path) -> None:
    """Issue 12 point 1: User, Agency and Role (accounts.models) are the floor every layer
    names, so they may import no app; the rest of accounts sits above access."""
    copy = _copy(tmp_path)
    _add_import(copy, "kinga.accounts.models", "from kinga.access import policy  # noqa")
    result = _lint(copy)
    assert result.returncode != 0
    assert "accounts.models (User, Agency, Role) imports no app BROKEN" in result.stdout


def test_a_new_app_must_be_given_a_layer(tmp_path: Path) -> None:
    """Issue 12 point 1: every package of kinga is placed in the layer list (exhaustive)."""
    copy = _copy(tmp_path)
    (copy / "kinga" / "unplaced").mkdir()
    (copy / "kinga" / "unplaced" / "__init__.py").write_text("", encoding="utf-8")
    result = _lint(copy)
    assert result.returncode != 0
    assert "kinga.unplaced" in result.stdout


# Dynamic imports the contract cannot see. Each entry says why it may stay.
DYNAMIC_IMPORTS_ALLOWED = {
    # The worker imports the modules that register task handlers: a list of module names of
    # the apps that have handlers, read by the task app itself, no app's code called.
    "kinga/tasks/registry.py",
    # `kinga demo` and `kinga bench` run each app's optional demo.py / bench.py in order: a
    # plain list of module names, run only by those two commands, never by a request.
    "kinga/lib/demo.py",
    "kinga/lib/bench.py",
}


def test_apps_do_not_reach_each_other_through_dynamic_imports() -> None:
    """Issue 12 point 1: no `importlib`/`import_module` between apps, which the layers
    contract would not see; only the listed registries of module names may use it."""
    found = set()
    for path in sorted((ROOT / "kinga").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in relative or "/migrations/" in relative:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "importlib" or name.startswith("importlib.") for name in names):
                found.add(relative)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
                found.add(relative)
    assert found <= DYNAMIC_IMPORTS_ALLOWED, sorted(found - DYNAMIC_IMPORTS_ALLOWED)
