"""Views never query a protected model directly: they go through selectors and the policy."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps

from kinga.lib.fields import EncryptedTextField

KINGA = Path(__file__).resolve().parents[2]


def protected_model_names() -> set[str]:
    """Models that are matters or live in one, or that hold encrypted identity data."""
    names: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("kinga."):
            continue
        encrypted = any(isinstance(field, EncryptedTextField) for field in model._meta.fields)
        if hasattr(model, "access_matter_type") or encrypted:
            names.add(model.__name__)
    names.update({"AccessGrant", "BreakGlassGrant", "AuditEvent"})
    return names


def offending_lines(source: str, names: set[str]) -> list[str]:
    pattern = re.compile(
        r"\b(" + "|".join(sorted(names)) + r")\.(objects|_default_manager|_base_manager)\b"
        r"|get_object_or_404\(\s*(" + "|".join(sorted(names)) + r")\b"
        r"|get_list_or_404\(\s*(" + "|".join(sorted(names)) + r")\b"
    )
    return [line.strip() for line in source.splitlines() if pattern.search(line)]


def test_no_view_queries_a_protected_model() -> None:
    names = protected_model_names()
    problems: list[str] = []
    for path in (
        sorted(KINGA.glob("*/views.py"))
        + sorted(KINGA.glob("*/api.py"))
        + sorted(KINGA.glob("*/views/*.py"))
    ):
        for line in offending_lines(path.read_text(encoding="utf-8"), names):
            problems.append(f"{path.relative_to(KINGA.parent)}: {line}")
    assert problems == [], "Views must read protected records through selectors:\n" + "\n".join(
        problems
    )


def test_the_lint_catches_a_direct_query() -> None:
    source = "def view(request):\n    return AuditEvent.objects.all()\n"
    assert offending_lines(source, {"AuditEvent"}) == ["return AuditEvent.objects.all()"]
    assert offending_lines("x = get_object_or_404(AuditEvent, pk=1)", {"AuditEvent"})
