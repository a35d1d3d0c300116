"""What a report's words suggest: signals, each with the words that raised it and why.

`signals_of(text)` is pure: text in, signals out. It never decides anything; intake shows
the signals to a person, who confirms or rejects each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from kinga.assist.lexicon import (
    AS_MISSPELT,
    AS_STEM,
    AS_WRITTEN,
    SIGNALS,
    WORD,
    Lexicon,
    Rule,
    first_words,
    lexicon,
    spoken,
)

# A word found as written beats the same word read as a stem, which beats a misspelling.
SURENESS = {AS_WRITTEN: 0, AS_STEM: 1, AS_MISSPELT: 2}


@dataclass(frozen=True)
class Span:
    """Where in the text a cue was found: [start, end) and the words as written."""

    start: int
    end: int
    text: str
    cue: str
    how: str = AS_WRITTEN  # as written, as a verb's stem, or as a misspelling


@dataclass(frozen=True)
class Signal:
    code: str
    rules: tuple[Rule, ...]
    spans: tuple[Span, ...]

    @property
    def phrases(self) -> list[str]:
        """Return the words that raised the signal, as written, once each, in text order."""
        return list(dict.fromkeys(span.text for span in self.spans))

    @property
    def misspelt(self) -> list[str]:
        """Return the words that raised the signal only as a misspelling of a term."""
        sure = {span.text for span in self.spans if span.how != AS_MISSPELT}
        return list(
            dict.fromkeys(s.text for s in self.spans if s.how == AS_MISSPELT and s.text not in sure)
        )

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.rules]

    @property
    def details(self) -> list[str]:
        return list(dict.fromkeys(rule.detail for rule in self.rules if rule.detail))


def _lowered(text: str) -> str:
    """Return the text in lower case with every character where it was (offsets hold)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def cue_spans(text: str, lex: Lexicon | None = None) -> dict[str, list[Span]]:
    """Return, for each cue found in the text, where it was found.

    The text's words are looked up in the lexicon's index (as written, as SMS spelling
    varies them for Kiswahili and Sheng terms, as a verb's stem after its prefixes, or as a
    common misspelling); patterns are searched for.
    """
    index = (lex or lexicon()).index
    lowered = _lowered(text)
    matches = list(WORD.finditer(lowered))
    plain = [match.group() for match in matches]
    said = [spoken(word) for word in plain]
    found: dict[tuple[int, int, str], str] = {}
    count = len(plain)
    for position in range(count):
        for entry, how in first_words(index, plain[position], said[position]):
            last = position + len(entry.words) - 1
            if last >= count:
                continue
            words = said if entry.spoken else plain
            if all(
                words[position + k] == entry.words[k]
                or (
                    entry.prefix
                    and k == len(entry.words) - 1
                    and words[position + k].startswith(entry.words[k])
                )
                for k in range(1, len(entry.words))
            ):
                key = (matches[position].start(), matches[last].end(), entry.cue)
                if key not in found or SURENESS[how] < SURENESS[found[key]]:
                    found[key] = how
    for name, pattern in index.patterns:
        for match in pattern.finditer(lowered):
            if match.end() > match.start():
                found[(match.start(), match.end(), name)] = AS_WRITTEN
    spans: dict[str, list[Span]] = {}
    for (start, end, name), how in sorted(found.items()):
        spans.setdefault(name, []).append(
            Span(start=start, end=end, text=text[start:end], cue=name, how=how)
        )
    return spans


def signals_of(text: str, *, lex: Lexicon | None = None) -> list[Signal]:
    """Return the signals the text carries, in the order of `SIGNALS`, each with its rules
    and the spans of the words that raised it."""
    lex = lex or lexicon()
    if not text.strip():
        return []
    found = cue_spans(text, lex)
    fired: dict[str, list[Rule]] = {}
    for rule in lex.rules:
        if (
            all(name in found for name in rule.all)
            and (not rule.any or any(name in found for name in rule.any))
            and not any(name in found for name in rule.none)
        ):
            fired.setdefault(rule.signal, []).append(rule)
    signals = []
    for code in SIGNALS:
        rules = fired.get(code)
        if not rules:
            continue
        cues = {name for rule in rules for name in (*rule.all, *rule.any) if name in found}
        spans = sorted(
            {span for name in cues for span in found[name]}, key=lambda s: (s.start, -s.end)
        )
        signals.append(Signal(code=code, rules=tuple(rules), spans=tuple(spans)))
    return signals


def signal_codes(text: str) -> list[str]:
    """Return the codes of the signals the text carries."""
    return [signal.code for signal in signals_of(text)]


@dataclass(frozen=True)
class Piece:
    """A run of the text, marked when some signal's words cover it."""

    text: str
    marked: bool
    signals: tuple[str, ...] = ()


def highlighted(text: str, signals: list[Signal]) -> list[Piece]:
    """Split the text into runs, marking the words that raised any of the signals (for the
    page to wrap in <mark> after escaping each run)."""
    covering: list[set[str]] = [set() for _ in text]
    for signal in signals:
        for span in signal.spans:
            for index in range(span.start, span.end):
                covering[index].add(signal.code)
    pieces: list[Piece] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or covering[index] != covering[start]:
            codes = tuple(code for code in SIGNALS if code in covering[start])
            pieces.append(Piece(text=text[start:index], marked=bool(codes), signals=codes))
            start = index
    return pieces
