"""The language a report's words were written in: Kiswahili, English, Sheng or a mixture.

Marker words decide first (kept as data beside the lexicon, `data/language.toml`): Sheng
is Kiswahili with words of its own, and a text with many words of both languages is mixed.
Otherwise `py3langid` (langid.py's model, shipped inside the package, offline) chooses
between Kiswahili and English; when it is unsure on a short text, the marker words do.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

LANGUAGE_FILE = Path(__file__).with_name("data") / "language.toml"
WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Markers:
    sw: frozenset[str]
    en: frozenset[str]
    sheng: frozenset[str]


@cache
def markers() -> Markers:
    data = tomllib.loads(LANGUAGE_FILE.read_text(encoding="utf-8"))
    return Markers(
        sw=frozenset(data["sw"]), en=frozenset(data["en"]), sheng=frozenset(data["sheng"])
    )


# How sure the model must be before its choice stands against the marker words.
MODEL_CONFIDENCE = 0.8


@cache
def _identifier() -> LanguageIdentifier:
    """Return langid.py's model (shipped in the package), choosing Kiswahili or English."""
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(["sw", "en"])
    return identifier


def model_language(text: str) -> tuple[str, float]:
    """Return the model's choice between "sw" and "en" for the text, and its confidence."""
    language, confidence = _identifier().classify(text.lower())
    return str(language), float(confidence)


def language_of(text: str) -> str:
    """Return "sw", "en", "sheng", "mixed", or "" when the words do not say."""
    words = WORD.findall(text.lower())
    if not words:
        return ""
    known = markers()
    sw = sum(1 for word in words if word in known.sw or word.replace("x", "s") in known.sw)
    en = sum(1 for word in words if word in known.en)
    sheng = sum(1 for word in words if word in known.sheng)
    if sheng and sheng * 4 >= sw and sheng + sw >= en:
        return "sheng"
    if sw and en and min(sw, en) * 3 >= max(sw, en):
        return "mixed"
    language, confidence = model_language(text)
    if confidence >= MODEL_CONFIDENCE:
        return language
    if sw != en:
        return "sw" if sw > en else "en"
    return language if sw else ""  # as many marker words of each: the model's lean


def reply_language(detected: str) -> str:
    """Return the language a reply goes out in: English for English, else Kiswahili."""
    return "en" if detected == "en" else "sw"
