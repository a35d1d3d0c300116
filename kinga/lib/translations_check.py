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
import os
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


def app_folders(package: Path = PACKAGE) -> list[Path]:
    """Return the package's Django apps (folders with an apps.py)."""
    return sorted(path.parent for path in package.glob("*/apps.py"))


def catalogue_roots(package: Path = PACKAGE) -> list[tuple[Path, list[str]]]:
    """Return (folder, ignore patterns) for each catalogue: each app with locale/, then the rest.

    The shared catalogue holds only what no app owns (base templates, settings, kinga/lib):
    every app's folder is left out of it, whether the app has its own catalogue yet or not.
    """
    app_dirs = [app for app in app_folders(package) if (app / "locale" / LANGUAGE).is_dir()]
    roots: list[tuple[Path, list[str]]] = [(app, []) for app in app_dirs]
    # makemessages ignores by folder *name* at any depth, so an app's templates live in the
    # app (kinga/accounts/templates/accounts/), never in a shared kinga/templates/accounts/.
    everything_owned = [app.name for app in app_folders(package)]
    roots.append((package, everything_owned + ["lib/translations_check.py"]))
    return roots


def _fresh_entries(folder: Path, ignore: list[str]) -> dict[str, Entry]:
    """Return the entries makemessages finds in a scratch copy of the folder."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / folder.name
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
        (copy / "locale" / LANGUAGE / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
        _makemessages(copy, ignore)
        po = copy / "locale" / LANGUAGE / "LC_MESSAGES" / "django.po"
        return parse_po(po) if po.exists() else {}


def uncatalogued_apps(package: Path = PACKAGE) -> list[tuple[Path, int]]:
    """Return each app that has interface strings but no catalogue of its own, with the count."""
    found = []
    for app in app_folders(package):
        if (app / "locale" / LANGUAGE).is_dir():
            continue
        count = len(_fresh_entries(app, []))
        if count:
            found.append((app, count))
    return found


def _makemessages(folder: Path, ignore: list[str]) -> None:
    command = [
        sys.executable,
        # -P: the folder itself must not come first on sys.path, or an app's selectors.py
        # would stand in for the standard library's selectors module.
        "-P",
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
    # Without Django settings, makemessages writes only to the folder's own locale/: with them
    # it would also consider settings.LOCALE_PATHS, which lie outside a scratch copy.
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(  # noqa: S603  # our own interpreter, fixed arguments
        command, cwd=folder, check=True, stdout=subprocess.DEVNULL, env=environment
    )
    _header_fill(folder / "locale" / LANGUAGE / "LC_MESSAGES" / "django.po")


def _header_fill(path: Path) -> None:
    """Give a new catalogue a proper header: not fuzzy, UTF-8, Kiswahili plural rule.

    msgfmt skips a fuzzy header, and with it the charset, so non-ASCII Kiswahili would
    not compile.
    """
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    head, separator, rest = text.partition("\n\n")
    if 'msgid ""' not in head:
        return
    lines = [line for line in head.splitlines() if line.strip() != "#, fuzzy"]
    fixed = "\n".join(lines)
    fixed = fixed.replace("charset=CHARSET", "charset=UTF-8")
    fixed = fixed.replace('"Language: \\n"', f'"Language: {LANGUAGE}\\n"')
    fixed = fixed.replace(
        '"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
    )
    if fixed != head:
        path.write_text(fixed + separator + rest, encoding="utf-8")


def check(update: bool, package: Path = PACKAGE) -> int:
    """Print each translation problem; return 1 when there is any, else 0."""
    problems: list[str] = []
    for folder, ignore in catalogue_roots(package):
        committed = folder / "locale" / LANGUAGE / "LC_MESSAGES" / "django.po"
        if update:
            _makemessages(folder, ignore)
            fresh = committed
        else:
            fresh_entries = _fresh_entries(folder, ignore)
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
    for app, count in uncatalogued_apps(package):
        problems.append(
            f"{app}: {count} interface strings but no catalogue; create "
            f"{app.name}/locale/{LANGUAGE}/LC_MESSAGES/ and run `make messages`"
        )
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
