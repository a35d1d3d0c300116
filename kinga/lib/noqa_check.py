"""Check that every exception to ruff's security rules (`S...`) says why, where it is made.

`python -m kinga.lib.noqa_check` (run by `make check`) fails when

- a `# noqa: S...` comment in the Python source carries no reason: neither text after its
  codes on the same line (`# noqa: S603  # our own interpreter, fixed arguments`) nor a
  comment on the line directly above the line it sits on;
- a blanket `# noqa` (no codes), or a file-wide `# ruff: noqa` / `# flake8: noqa` without
  codes, appears at all: it silences the security rules with the rest, so it is refused
  outright (a file-wide one naming `S` codes needs its reason like any other);
- an entry of `pyproject.toml`'s ruff `ignore` or `per-file-ignores` that names an `S` code
  has no comment directly above it or after it on the same line.

A reason is at least a few words (`MIN_REASON` characters with a letter), so `# ok` is not
one. Comments are read with `tokenize`, so the word "noqa" inside a string is not a comment.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES = ("kinga", "tests", "tools", "conftest.py")
MIN_REASON = 8
# a line's directive in any case and spacing, and the file-wide ruff and flake8 forms
_NOQA = re.compile(
    r"(?i)(?:#|ruff\s*:|flake8\s*:)\s*noqa\b"
    r"(?P<colon>\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?"
)
_CODE = re.compile(r"[A-Z]+[0-9]+")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}"


def _is_reason(text: str) -> bool:
    words = text.strip().lstrip("#-—:;,( ").strip()
    return len(words) >= MIN_REASON and any(ch.isalpha() for ch in words)


def _comment_above(lines: list[str], number: int) -> bool:
    """Is line `number` (1-based) directly below a comment line that is a reason?"""
    if number < 2:
        return False
    above = lines[number - 2].strip()
    return above.startswith("#") and _NOQA.search(above) is None and _is_reason(above)


def check_source(text: str, path: str) -> list[Finding]:
    """Return the noqa comments of one Python source that silence `S` rules without a reason."""
    findings: list[Finding] = []
    lines = text.splitlines()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as error:
        return [Finding(path, 1, f"cannot read the source: {error}")]
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _NOQA.search(token.string)
        if match is None:
            continue
        number = token.start[0]
        if match.group("colon") is None:
            findings.append(
                Finding(path, number, "a blanket `# noqa` silences the security rules: name codes")
            )
            continue
        codes = [code.upper() for code in _CODE.findall(match.group("codes").upper())]
        if not any(code.startswith("S") for code in codes):
            continue
        after = token.string[match.end() :]
        if _is_reason(after) or _comment_above(lines, number):
            continue
        findings.append(
            Finding(
                path,
                number,
                f"`noqa: {', '.join(codes)}` without a reason: say why after the codes"
                " (`# noqa: CODE  # why`) or in a comment on the line above",
            )
        )
    return findings


def check_pyproject(text: str, path: str = "pyproject.toml") -> list[Finding]:
    """Return ruff `ignore`/`per-file-ignores` entries naming an `S` code without a comment."""
    findings: list[Finding] = []
    lines = text.splitlines()
    section = ""
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("["):
            section = line
            continue
        ruff_ignores = section == "[tool.ruff.lint.per-file-ignores]" or (
            section == "[tool.ruff.lint]" and re.match(r"(extend-)?ignore\s*=", line)
        )
        if not ruff_ignores or not line or line.startswith("#") or "=" not in line:
            continue
        value, _, comment = line.partition("#")
        codes = _CODE.findall(value.partition("=")[2])
        if not any(code.startswith("S") for code in codes):
            continue
        if _is_reason(comment) or _comment_above(lines, number):
            continue
        findings.append(
            Finding(path, number, "a ruff ignore of an `S` rule without a comment saying why")
        )
    return findings


def _python_files(root: Path, names: Iterable[str]) -> Iterator[Path]:
    for name in names:
        start = root / name
        if start.is_file():
            yield start
        elif start.is_dir():
            yield from sorted(
                path
                for path in start.rglob("*.py")
                if ".venv" not in path.parts and "node_modules" not in path.parts
            )


def check(root: Path = ROOT, sources: Iterable[str] = SOURCES) -> list[Finding]:
    """Every finding in the repository at `root`."""
    findings: list[Finding] = []
    for path in _python_files(root, sources):
        relative = str(path.relative_to(root))
        findings.extend(check_source(path.read_text(encoding="utf-8"), relative))
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        findings.extend(check_pyproject(pyproject.read_text(encoding="utf-8")))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=ROOT)
    arguments = parser.parse_args(argv)
    findings = check(arguments.root)
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} security-rule exceptions without a reason", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
