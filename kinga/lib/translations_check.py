"""Check that every interface string is in the Kiswahili catalogues and translated.

`python -m kinga.lib.translations_check` regenerates each catalogue in a scratch copy of
the source and fails when a string is missing from the committed file, left
untranslated, or marked fuzzy. `--update` rewrites the committed catalogues in place
(keeping existing translations) and lists what still needs translating.

Each app with a `locale/` folder owns its own catalogue; `kinga/locale` holds the
strings of the shared templates, settings and libraries.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
LANGUAGE = "sw"


@dataclass
class Entry:
    msgid: str
    msgstr: list[str]
    fuzzy: bool


def _unquote(line: str) -> str:
    text = line.strip()
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1]
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


def parse_po(path: Path) -> dict[str, Entry]:
    """Return the catalogue's entries by msgid (context and plural folded in), header left out."""
    entries: dict[str, Entry] = {}
    block: list[str] = []

    def flush() -> None:
        if not block:
            return
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block)
        obsolete = any(line.startswith("#~") for line in block)
        parts: dict[str, str] = {}
        key = ""
        for line in block:
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                parts[key] += _unquote(line)
                continue
            keyword, _, rest = line.partition(" ")
            key = keyword
            parts[key] = _unquote(rest)
        msgid = parts.get("msgid", "")
        if msgid and not obsolete:
            full = (
                parts.get("msgctxt", "") + "\x04" + msgid + "\x00" + parts.get("msgid_plural", "")
            )
            strings = [value for name, value in parts.items() if name.startswith("msgstr")]
            entries[full] = Entry(msgid=msgid, msgstr=strings, fuzzy=fuzzy)
        block.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            flush()
        else:
            block.append(raw)
    flush()
    return entries


def catalogue_roots() -> list[tuple[Path, list[str]]]:
    """Return (folder, ignore patterns) for each catalogue: each app with locale/, then the rest."""
    app_dirs = sorted(p.parent.parent for p in PACKAGE.glob("*/locale/sw"))
    roots: list[tuple[Path, list[str]]] = [(app, []) for app in app_dirs]
    roots.append((PACKAGE, [app.name for app in app_dirs] + ["lib/translations_check.py"]))
    return roots


def _makemessages(folder: Path, ignore: list[str]) -> None:
    command = [
        sys.executable,
        "-m",
        "django",
        "makemessages",
        "-l",
        LANGUAGE,
        "--no-obsolete",
        "--no-location",
        "--ignore=tests/*",
        "--ignore=*/tests/*",
    ] + [f"--ignore={pattern}" for pattern in ignore]
    subprocess.run(command, cwd=folder, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def check(update: bool) -> int:
    problems: list[str] = []
    for folder, ignore in catalogue_roots():
        committed = folder / "locale" / LANGUAGE / "LC_MESSAGES" / "django.po"
        if update:
            _makemessages(folder, ignore)
            fresh = committed
        else:
            with tempfile.TemporaryDirectory() as scratch:
                copy = Path(scratch) / folder.name
                shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
                _makemessages(copy, ignore)
                fresh_entries = parse_po(copy / "locale" / LANGUAGE / "LC_MESSAGES" / "django.po")
            known = parse_po(committed) if committed.exists() else {}
            for key, entry in fresh_entries.items():
                if key not in known:
                    problems.append(f"{committed}: missing {entry.msgid!r} (run `make messages`)")
            fresh = committed
        for entry in parse_po(fresh).values() if fresh.exists() else []:
            if entry.fuzzy:
                problems.append(f"{fresh}: fuzzy translation of {entry.msgid!r}")
            elif not entry.msgstr or not all(entry.msgstr):
                problems.append(f"{fresh}: no Kiswahili for {entry.msgid!r}")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} translation problems.")
        return 1
    print("Translations current: every string has Kiswahili.")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true", help="rewrite the catalogues in place")
    arguments = parser.parse_args()
    sys.exit(check(arguments.update))


if __name__ == "__main__":
    main()
