"""The lexicon: word lists ("cues") and rules, kept as data in `data/lexicon.toml`.

A programme officer reads and extends the file; this module only compiles it. A cue is a
list of words and phrases in English, Kiswahili and Sheng (and, rarely, a pattern such as
an age under 18); a rule names the cues that must all appear in a report for a signal to
be raised, those of which at least one must appear too (`any`), and the cues that stop
it (a school sponsor paying fees is not a "sponsor").

How a term is written in the file:

- lower case; a space matches any run of spaces or punctuation, or none at all
  (`sasa hivi` matches `sasahivi`, `miaka 13` matches `miaka13` and `miaka, 13`);
- a trailing `*` matches any ending (`mtoto*`: mtoto, mtoto wa, mtotoo);
- in Kiswahili and Sheng terms an `s` also matches the `x` of SMS spelling (`saidia`
  matches `xaidia`), and a vowel matches it repeated (`haraka` matches `harakaa`); a term
  written with an `x` is matched only as written (`xaxa`);
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


WORD = re.compile(r"[^\W_]+")
DOUBLED_VOWEL = re.compile(r"([aeiou])\1+")


def words_of(text: str) -> list[str]:
    """Return the words of a (lower-case) text: runs of letters and digits."""
    return WORD.findall(text)


def spoken(word: str) -> str:
    """Return a Kiswahili or Sheng word as SMS spelling varies it: `x` for `s`, and a vowel
    repeated any number of times written once (`xaxa` -> `sasa`, `harakaaa` -> `haraka`)."""
    return DOUBLED_VOWEL.sub(r"\1", word.replace("x", "s"))


@dataclass(frozen=True)
class Entry:
    """One term of a cue, as words to find one after another."""

    cue: str
    words: tuple[str, ...]  # lower case; for Kiswahili and Sheng, as `spoken` writes them
    prefix: bool  # the last word may have any ending
    spoken: bool  # compare with the text's words as `spoken` writes them


@dataclass(frozen=True)
class Cue:
    name: str
    explain_en: str
    explain_sw: str
    terms: dict[str, tuple[str, ...]]  # language -> terms as written in the file
    patterns: tuple[str, ...]
    pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class Rule:
    id: str
    signal: str
    detail: str  # a trafficking act or an HTCDS means of control or exploitation type
    all: tuple[str, ...]
    any: tuple[str, ...]  # at least one of these must appear too (when any are named)
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
    index: Index
    details: dict[str, tuple[str, str]]  # detail code -> (English, Kiswahili)


class LexiconError(ValueError):
    """The lexicon file says something that cannot be compiled; the message says where."""


def term_entries(cue: str, term: str, language: str) -> list[Entry]:
    """Return the entries of one term as written in the lexicon (with its words joined too:
    `sasa hivi` is also found written `sasahivi`)."""
    prefix = term.endswith("*")
    words = tuple(words_of(term.rstrip("*").lower()))
    if not words or "*" in term.rstrip("*"):
        raise LexiconError(f"cue {cue}: the term {term!r} ({language}) cannot be read")
    # A term written with an x (Sheng "xaxa") is matched as written: read as "sasa" it
    # would find every "sasa", which also means "then".
    is_spoken = language != "en" and "x" not in term
    if is_spoken:
        words = tuple(spoken(word) for word in words)
    entries = [Entry(cue=cue, words=words, prefix=prefix, spoken=is_spoken)]
    if len(words) > 1:
        entries.append(Entry(cue=cue, words=("".join(words),), prefix=prefix, spoken=is_spoken))
    return entries


def _cue(name: str, data: dict[str, object]) -> Cue:
    terms: dict[str, tuple[str, ...]] = {}
    for language in LANGUAGES:
        raw = data.get(language, [])
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            raise LexiconError(f"cue {name}: {language} must be a list of terms")
        terms[language] = tuple(t.strip().lower() for t in raw)
    raw_patterns = data.get("patterns", [])
    if not isinstance(raw_patterns, list):
        raise LexiconError(f"cue {name}: patterns must be a list")
    patterns = tuple(str(p) for p in raw_patterns)
    if not patterns and not any(terms.values()):
        raise LexiconError(f"cue {name} has no terms")
    try:
        pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
    except re.error as error:
        raise LexiconError(f"cue {name}: {error}") from error
    return Cue(
        name=name,
        explain_en=str(data.get("en_explain", "")),
        explain_sw=str(data.get("sw_explain", "")),
        terms=terms,
        patterns=patterns,
        pattern=pattern,
    )


@dataclass(frozen=True)
class Index:
    """Every term of every cue, found by its first word (or the first letters of a word
    that may have any ending): a report's words are looked up, not searched for."""

    exact: dict[tuple[bool, str], tuple[Entry, ...]]  # (spoken, first word) -> entries
    prefixes: dict[tuple[bool, str], tuple[Entry, ...]]  # (spoken, first 3 letters)
    patterns: tuple[tuple[str, re.Pattern[str]], ...]


PREFIX_KEY = 3


def _index(cues: dict[str, Cue]) -> Index:
    exact: dict[tuple[bool, str], list[Entry]] = {}
    prefixes: dict[tuple[bool, str], list[Entry]] = {}
    for name, cue in cues.items():
        for language in LANGUAGES:
            for term in cue.terms[language]:
                for entry in term_entries(name, term, language):
                    if entry.prefix and len(entry.words) == 1:
                        if len(entry.words[0]) < PREFIX_KEY:
                            raise LexiconError(f"cue {name}: {term!r} is too short for a *")
                        key = (entry.spoken, entry.words[0][:PREFIX_KEY])
                        prefixes.setdefault(key, []).append(entry)
                    else:
                        exact.setdefault((entry.spoken, entry.words[0]), []).append(entry)
    return Index(
        exact={key: tuple(dict.fromkeys(value)) for key, value in exact.items()},
        prefixes={key: tuple(dict.fromkeys(value)) for key, value in prefixes.items()},
        patterns=tuple(
            (name, cue.pattern) for name, cue in cues.items() if cue.pattern is not None
        ),
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
    details = {
        str(code): (str(names["en"]), str(names["sw"]))
        for code, names in data.get("details", {}).items()
    }
    rules: list[Rule] = []
    seen: set[str] = set()
    for item in data.get("rules", []):
        rule = Rule(
            id=str(item["id"]),
            signal=str(item["signal"]),
            detail=str(item.get("detail", "")),
            all=_strings(item, "all"),
            any=_strings(item, "any"),
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
        unknown = [name for name in rule.all + rule.any + rule.none if name not in cues]
        if unknown or not rule.all:
            raise LexiconError(f"rule {rule.id}: unknown or missing cues {unknown}")
        if rule.detail and rule.detail not in details:
            raise LexiconError(f"rule {rule.id}: the detail {rule.detail} has no [details] name")
        rules.append(rule)
    return Lexicon(
        version=str(data["version"]),
        signals=signals,
        cues=cues,
        rules=tuple(rules),
        index=_index(cues),
        details=details,
    )


@cache
def lexicon() -> Lexicon:
    """Return the lexicon of this release (compiled once per process)."""
    return lexicon_parse(LEXICON_FILE.read_text(encoding="utf-8"))


def detail_label(code: str, language: str) -> str:
    """Return what a rule adds (a trafficking act, an HTCDS field) in the reader's language."""
    english, kiswahili = lexicon().details.get(code, (code, code))
    return kiswahili if language.startswith("sw") else english


def signal_label(code: str, language: str) -> str:
    """Return a signal's name in Kiswahili (a language starting "sw") or else English."""
    info = lexicon().signals[code]
    return info.label_sw if language.startswith("sw") else info.label_en
