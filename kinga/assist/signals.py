"""What a report's words suggest: signals, each with the words that raised it and why.

`signals_of(text)` is pure: text in, signals out. It never decides anything; intake shows
the signals to a person, who confirms or rejects each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from kinga.assist.lexicon import PREFIX_KEY, SIGNALS, WORD, Lexicon, Rule, lexicon, spoken


@dataclass(frozen=True)
class Span:
    """Where in the text a cue was found: [start, end) and the words as written."""

    start: int
    end: int
    text: str
    cue: str


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

    The text's words are looked up in the lexicon's index (as written, and as SMS spelling
    varies them for Kiswahili and Sheng terms); patterns are searched for.
    """
    index = (lex or lexicon()).index
    lowered = _lowered(text)
    matches = list(WORD.finditer(lowered))
    plain = [match.group() for match in matches]
    said = [spoken(word) for word in plain]
    found: set[tuple[int, int, str]] = set()
    count = len(plain)
    for position in range(count):
        for is_spoken, words in ((False, plain), (True, said)):
            word = words[position]
            for entry in index.exact.get((is_spoken, word), ()):
                last = position + len(entry.words) - 1
                if last >= count:
                    continue
                if all(
                    words[position + k] == entry.words[k]
                    or (
                        entry.prefix
                        and k == len(entry.words) - 1
                        and words[position + k].startswith(entry.words[k])
                    )
                    for k in range(1, len(entry.words))
                ):
                    found.add((matches[position].start(), matches[last].end(), entry.cue))
            for entry in index.prefixes.get((is_spoken, word[:PREFIX_KEY]), ()):
                if word.startswith(entry.words[0]):
                    found.add((matches[position].start(), matches[position].end(), entry.cue))
    for name, pattern in index.patterns:
        for match in pattern.finditer(lowered):
            if match.end() > match.start():
                found.add((match.start(), match.end(), name))
    spans: dict[str, list[Span]] = {}
    for start, end, name in sorted(found):
        spans.setdefault(name, []).append(
            Span(start=start, end=end, text=text[start:end], cue=name)
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
