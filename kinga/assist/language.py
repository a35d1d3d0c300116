"""The language a report's words were written in: Kiswahili, English, Sheng or a mixture.

Short SMS texts defeat statistical detectors, so common function words decide first
(kept as data beside the lexicon, `data/language.toml`); Sheng is Kiswahili with its own
words, told by them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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


def language_of(text: str) -> str:
    """Return "sw", "en", "sheng", "mixed", or "" when the words do not say."""
    words = WORD.findall(text.lower())
    if not words:
        return ""
    known = markers()
    sw = sum(1 for word in words if word in known.sw or word.replace("x", "s") in known.sw)
    en = sum(1 for word in words if word in known.en)
    sheng = sum(1 for word in words if word in known.sheng)
    if sw + en + sheng == 0:
        return ""
    if sheng and sheng * 4 >= sw and sheng + sw >= en:
        return "sheng"
    if sw and en and min(sw, en) * 3 >= max(sw, en):
        return "mixed"
    return "sw" if sw >= en else "en"


def reply_language(detected: str) -> str:
    """Return the language a reply goes out in: English for English, else Kiswahili."""
    return "en" if detected == "en" else "sw"
