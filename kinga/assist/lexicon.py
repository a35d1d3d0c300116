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
- a leading `~` (Kiswahili and Sheng only) makes the first word a verb stem, found after
  any subject, tense, relative and object prefix: `~pelekwa` matches anapelekwa,
  walipelekwa, atapelekwa, kupelekwa, aliyepelekwa, hawapelekwi... once it is written
  `~pelekw*`; the prefixes are those of Kiswahili (`VERB_PREFIX`), Sheng's `ka-` too;
- in Kiswahili and Sheng terms an `s` also matches the `x` of SMS spelling (`saidia`
  matches `xaidia`), and a vowel matches it repeated (`haraka` matches `harakaa`); a term
  written with an `x` is matched only as written (`xaxa`);
- a `patterns` entry is a regular expression, for what words cannot say (an age);
- a word of five letters or more is also found misspelt as SMS writers misspell it: one
  vowel for another (`mzungo`), two letters swapped (`chlid`), and, from six letters, one
  letter left out (`msichna`, `lodgin`, `turists`). A real word that must never be read as a
  misspelling of a term is listed in `[spelling] not_misspellings` (`tourism`, `miner`).

Every rule carries examples that must raise it and counter-examples that must not raise
its signal: the tests run each of them, so an edit that breaks an entry fails at once.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeVar

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


# The prefixes a Kiswahili verb takes before its stem: (negative) subject, tense, "already",
# relative, object; or the infinitive/habitual ku-/hu- and an object. Sheng's diminutive
# subject ka- ("kanapewa") is one of the subjects.
VERB_PREFIX = re.compile(
    r"(?:ku|hu|(?:ha|si)?(?:ni|u|a|tu|m|mu|wa|ki|vi|i|zi|li|ya|yu|ka)?"
    r"(?:na|li|me|ta|ki|ka|nge|ja|ku)?(?:sha)?(?:ye|o|cho|vyo|lo|yo|zo|po|ko|mo)?)"
    r"(?:ni|ku|m|mw|mu|tu|wa|ki|vi|i|zi|li|ya|ji)?"
)
# The longest run of prefixes looked at (ha-wa-na-ye-wa- is 10 letters).
VERB_PREFIX_LONGEST = 11
STEM_SHORTEST = 3


def stem_candidates(word: str) -> tuple[str, ...]:
    """Return what may be the stem of a Kiswahili verb: the word without each run of
    prefixes `VERB_PREFIX` reads at its start (the word itself first)."""
    return tuple(
        word[cut:]
        for cut in range(0, min(len(word) - STEM_SHORTEST, VERB_PREFIX_LONGEST) + 1)
        if VERB_PREFIX.fullmatch(word[:cut])
    )


VOWELS = "aeiou"
MISSPELT_SHORTEST = 5  # a vowel for another, two letters swapped
DROPPED_SHORTEST = 6  # a letter left out


def misspellings(word: str, *, kiswahili: bool = False) -> set[str]:
    """Return the ways an SMS writer misspells a word by one slip: a vowel for another, two
    neighbouring letters swapped, or (in a longer word) one letter left out.

    In Kiswahili and Sheng only a vowel is left out (`msichna`): a consonant left out of a
    verb is another verb (`anamtumia`, sends her; `anatumia`, uses).
    """
    found: set[str] = set()
    if len(word) < MISSPELT_SHORTEST or not word.isalpha():
        return found
    if len(word) >= DROPPED_SHORTEST:
        found |= {
            word[:i] + word[i + 1 :] for i in range(len(word)) if not kiswahili or word[i] in VOWELS
        }
    found |= {
        word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        for i in range(len(word) - 1)
        if word[i] != word[i + 1]
    }
    found |= {
        word[:i] + vowel + word[i + 1 :]
        for i, letter in enumerate(word)
        if letter in VOWELS
        for vowel in VOWELS
    }
    found.discard(word)
    return found


@dataclass(frozen=True)
class Entry:
    """One term of a cue, as words to find one after another."""

    cue: str
    words: tuple[str, ...]  # lower case; for Kiswahili and Sheng, as `spoken` writes them
    prefix: bool  # the last word may have any ending
    spoken: bool  # compare with the text's words as `spoken` writes them
    stem: bool = False  # the first word is a verb stem (any verb prefixes before it)
    term: str = ""  # as written in the lexicon


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
    not_misspellings: frozenset[str] = frozenset()


class LexiconError(ValueError):
    """The lexicon file says something that cannot be compiled; the message says where."""


def term_entries(cue: str, term: str, language: str) -> list[Entry]:
    """Return the entries of one term as written in the lexicon (with its words joined too:
    `sasa hivi` is also found written `sasahivi`)."""
    prefix = term.endswith("*")
    stem = term.startswith("~")
    words = tuple(words_of(term.lstrip("~").rstrip("*").lower()))
    if not words or "*" in term.rstrip("*") or "~" in term[1:]:
        raise LexiconError(f"cue {cue}: the term {term!r} ({language}) cannot be read")
    if stem and language == "en":
        raise LexiconError(f"cue {cue}: {term!r}: a verb stem (~) is Kiswahili or Sheng")
    if stem and len(words[0]) < STEM_SHORTEST:
        raise LexiconError(f"cue {cue}: the stem {term!r} is too short")
    # A term written with an x (Sheng "xaxa") is matched as written: read as "sasa" it
    # would find every "sasa", which also means "then".
    is_spoken = language != "en" and "x" not in term
    if is_spoken:
        words = tuple(spoken(word) for word in words)
    entries = [Entry(cue=cue, words=words, prefix=prefix, spoken=is_spoken, stem=stem, term=term)]
    if len(words) > 1 and not stem:
        entries.append(
            Entry(cue=cue, words=("".join(words),), prefix=prefix, spoken=is_spoken, term=term)
        )
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


# How a text's word was found to be the first word of a term.
AS_WRITTEN = "word"
AS_STEM = "stem"
AS_MISSPELT = "spelling"


@dataclass(frozen=True)
class Index:
    """Every term of every cue, found by its first word (or the first letters of a word
    that may have any ending, a verb's stem, or a misspelling): a report's words are looked
    up, not searched for, and what a word finds is remembered (`found`)."""

    exact: dict[tuple[bool, str], tuple[Entry, ...]]  # (spoken, first word) -> entries
    prefixes: dict[tuple[bool, str], tuple[Entry, ...]]  # (spoken, first 3 letters)
    stems: dict[str, tuple[Entry, ...]]  # a verb stem (spoken) -> entries
    stem_prefixes: dict[str, tuple[Entry, ...]]  # first 3 letters of a `~stem*`
    misspelt: dict[tuple[bool, str], tuple[Entry, ...]]  # (spoken, misspelling) -> entries
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    found: dict[tuple[str, str], tuple[tuple[Entry, str], ...]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


PREFIX_KEY = 3
Key = TypeVar("Key")


def unique(table: dict[Key, list[Entry]]) -> dict[Key, tuple[Entry, ...]]:
    """Return the table with each list of entries as a tuple, without repeats, in order."""
    return {key: tuple(dict.fromkeys(value)) for key, value in table.items()}


# Words remembered by an index before it forgets them all (a bound on memory, not a cache
# policy: report words repeat, and a full table is simply started again).
FOUND_MOST = 200_000


def _index(cues: dict[str, Cue], not_misspellings: frozenset[str]) -> Index:
    exact: dict[tuple[bool, str], list[Entry]] = {}
    prefixes: dict[tuple[bool, str], list[Entry]] = {}
    stems: dict[str, list[Entry]] = {}
    stem_prefixes: dict[str, list[Entry]] = {}
    surfaces: list[tuple[str, Entry]] = []
    for name, cue in cues.items():
        for language in LANGUAGES:
            for term in cue.terms[language]:
                for entry in term_entries(name, term, language):
                    first = entry.words[0]
                    single = len(entry.words) == 1
                    if entry.prefix and single and len(first) < PREFIX_KEY:
                        raise LexiconError(f"cue {name}: {term!r} is too short for a *")
                    if entry.stem and entry.prefix and single:
                        stem_prefixes.setdefault(first[:PREFIX_KEY], []).append(entry)
                    elif entry.stem:
                        stems.setdefault(first, []).append(entry)
                    elif entry.prefix and single:
                        prefixes.setdefault((entry.spoken, first[:PREFIX_KEY]), []).append(entry)
                    else:
                        exact.setdefault((entry.spoken, first), []).append(entry)
                    if single and not entry.stem and "x" not in term:
                        surfaces.append((first, entry))
                        if entry.prefix and language == "en":
                            surfaces.append((first + "s", entry))
    misspelt: dict[tuple[bool, str], list[Entry]] = {}
    for surface, entry in surfaces:
        for variant in misspellings(surface, kiswahili=entry.spoken):
            if variant in not_misspellings or (entry.spoken, variant) in exact:
                continue
            misspelt.setdefault((entry.spoken, variant), []).append(entry)

    return Index(
        exact=unique(exact),
        prefixes=unique(prefixes),
        stems=unique(stems),
        stem_prefixes=unique(stem_prefixes),
        misspelt=unique(misspelt),
        patterns=tuple(
            (name, cue.pattern) for name, cue in cues.items() if cue.pattern is not None
        ),
    )


def first_words(index: Index, word: str, said: str) -> tuple[tuple[Entry, str], ...]:
    """Return the entries whose first word is this word of a text (`word` as written in
    lower case, `said` as `spoken` writes it), each with how it was found: as written, as a
    verb's stem, or (only when nothing else is found) as a misspelling."""
    known = index.found.get((word, said))
    if known is not None:
        return known
    found: dict[Entry, str] = {}
    for is_spoken, form in ((False, word), (True, said)):
        for entry in index.exact.get((is_spoken, form), ()):
            found.setdefault(entry, AS_WRITTEN)
        for entry in index.prefixes.get((is_spoken, form[:PREFIX_KEY]), ()):
            if form.startswith(entry.words[0]):
                found.setdefault(entry, AS_WRITTEN)
    for is_spoken, form in ((True, said), (False, word)):
        for stem in stem_candidates(form):
            for entry in index.stems.get(stem, ()):
                if entry.spoken == is_spoken:
                    found.setdefault(entry, AS_STEM)
            for entry in index.stem_prefixes.get(stem[:PREFIX_KEY], ()):
                if entry.spoken == is_spoken and stem.startswith(entry.words[0]):
                    found.setdefault(entry, AS_STEM)
    if not found:
        for is_spoken, form in ((False, word), (True, said)):
            for entry in index.misspelt.get((is_spoken, form), ()):
                found.setdefault(entry, AS_MISSPELT)
    result = tuple(found.items())
    if len(index.found) >= FOUND_MOST:
        index.found.clear()
    index.found[(word, said)] = result
    return result


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
    spelling = data.get("spelling", {})
    not_misspellings = frozenset(str(word).lower() for word in spelling.get("not_misspellings", []))
    return Lexicon(
        version=str(data["version"]),
        signals=signals,
        cues=cues,
        rules=tuple(rules),
        index=_index(cues, not_misspellings),
        details=details,
        not_misspellings=not_misspellings,
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
