"""The lexicon: word lists ("cues") and rules, kept as data in `data/lexicon.toml`.

A programme officer reads and extends the file; this module only compiles it. A cue is a
list of words and phrases in English, Kiswahili and Sheng (and, rarely, a pattern such as
an age under 18); a rule names the cues that must all appear in a report for a signal to
be raised, and the cues that stop it (a school sponsor paying fees is not a "sponsor").

How a term is written in the file:

- lower case; a space matches any run of spaces or punctuation, or none at all
  (`sasa hivi` matches `sasahivi`, `miaka 13` matches `miaka13` and `miaka, 13`);
- a trailing `*` matches any ending (`mtoto*`: mtoto, mtoto wa, mtotoo);
- in Kiswahili and Sheng terms an `s` also matches the `x` of SMS spelling (`sasa`
  matches `xaxa`), and a doubled vowel matches one or more (`haraka` matches `harakaa`);
- a `patterns` entry is a regular expression, for what words cannot say (an age).

Every rule carries examples that must raise it and counter-examples that must not raise
its signal: the tests run each of them, so an edit that breaks an entry fails at once.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LEXICON_FILE = Path(__file__).with_name("data") / "lexicon.toml"

# The signals a report's words may carry, in the order they are shown.
SIGNALS = ("danger_now", "csec", "trafficking", "online", "control")
# The four signals the CSV command writes and the labelled set measures.
MEASURED = ("csec", "trafficking", "online", "danger_now")
LANGUAGES = ("en", "sw", "sheng")


@dataclass(frozen=True)
class Cue:
    name: str
    explain_en: str
    explain_sw: str
    terms: dict[str, tuple[str, ...]]  # language -> terms as written in the file
    patterns: tuple[str, ...]
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Rule:
    id: str
    signal: str
    detail: str  # a trafficking act or an HTCDS means of control or exploitation type
    all: tuple[str, ...]
    none: tuple[str, ...]
    explain_en: str
    explain_sw: str
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]


@dataclass(frozen=True)
class SignalInfo:
    code: str
    label_en: str
    label_sw: str
    recall_threshold: float
    precision_threshold: float


@dataclass(frozen=True)
class Lexicon:
    version: str
    signals: dict[str, SignalInfo]
    cues: dict[str, Cue]
    rules: tuple[Rule, ...]


class LexiconError(ValueError):
    """The lexicon file says something that cannot be compiled; the message says where."""


def term_regex(term: str, language: str) -> str:
    """Return the regular expression of one term as written in the lexicon."""
    prefix = term.endswith("*")
    words = term.rstrip("*").split()
    if not words:
        raise LexiconError(f"an empty term in {language}")
    parts: list[str] = []
    for word in words:
        part = ""
        previous = ""
        for char in word:
            if language != "en" and char in "aeiou" and char == previous:
                continue  # a doubled vowel is written once, then repeated below
            if language != "en" and char == "s":
                part += "[sx]"
            elif language != "en" and char in "aeiou":
                part += re.escape(char) + "+"
            else:
                part += re.escape(char)
            previous = char
        parts.append(part)
    body = r"[\W_]*".join(parts)
    return r"(?<![^\W_])" + body + (r"\w*" if prefix else r"(?![^\W_])")


def _cue(name: str, data: dict[str, object]) -> Cue:
    terms: dict[str, tuple[str, ...]] = {}
    alternatives: list[str] = []
    for language in LANGUAGES:
        raw = data.get(language, [])
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            raise LexiconError(f"cue {name}: {language} must be a list of terms")
        cleaned = tuple(t.strip().lower() for t in raw)
        terms[language] = cleaned
        alternatives += [term_regex(term, language) for term in cleaned]
    patterns = tuple(str(p) for p in data.get("patterns", []))  # type: ignore[attr-defined]
    alternatives += [f"(?:{p})" for p in patterns]
    if not alternatives:
        raise LexiconError(f"cue {name} has no terms")
    try:
        regex = re.compile("|".join(alternatives))
    except re.error as error:
        raise LexiconError(f"cue {name}: {error}") from error
    return Cue(
        name=name,
        explain_en=str(data.get("en_explain", "")),
        explain_sw=str(data.get("sw_explain", "")),
        terms=terms,
        patterns=patterns,
        regex=regex,
    )


def _strings(data: dict[str, object], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise LexiconError(f"{key} must be a list")
    return tuple(str(item) for item in value)


def lexicon_parse(text: str) -> Lexicon:
    """Compile the text of a lexicon file; raise LexiconError naming what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LexiconError(str(error)) from error
    signals = {
        code: SignalInfo(
            code=code,
            label_en=str(info["en"]),
            label_sw=str(info["sw"]),
            recall_threshold=float(info.get("recall_threshold", 0.8)),
            precision_threshold=float(info.get("precision_threshold", 0.6)),
        )
        for code, info in data.get("signals", {}).items()
    }
    if set(signals) != set(SIGNALS):
        raise LexiconError(f"the signals must be exactly {', '.join(SIGNALS)}")
    cues = {name: _cue(name, info) for name, info in data.get("cues", {}).items()}
    rules: list[Rule] = []
    seen: set[str] = set()
    for item in data.get("rules", []):
        rule = Rule(
            id=str(item["id"]),
            signal=str(item["signal"]),
            detail=str(item.get("detail", "")),
            all=_strings(item, "all"),
            none=_strings(item, "none"),
            explain_en=str(item["en"]),
            explain_sw=str(item["sw"]),
            examples=_strings(item, "examples"),
            counter_examples=_strings(item, "counter_examples"),
        )
        if rule.id in seen:
            raise LexiconError(f"rule {rule.id} appears twice")
        seen.add(rule.id)
        if rule.signal not in signals:
            raise LexiconError(f"rule {rule.id}: unknown signal {rule.signal}")
        unknown = [name for name in rule.all + rule.none if name not in cues]
        if unknown or not rule.all:
            raise LexiconError(f"rule {rule.id}: unknown or missing cues {unknown}")
        rules.append(rule)
    return Lexicon(version=str(data["version"]), signals=signals, cues=cues, rules=tuple(rules))


@cache
def lexicon() -> Lexicon:
    """Return the lexicon of this release (compiled once per process)."""
    return lexicon_parse(LEXICON_FILE.read_text(encoding="utf-8"))
