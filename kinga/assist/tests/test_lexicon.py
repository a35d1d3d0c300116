"""Every entry of the lexicon does what it says: each rule's examples raise it, its
counter-examples do not raise its signal, and each term of each cue finds itself."""

from __future__ import annotations

import re

import pytest

from kinga.assist.lexicon import (
    LANGUAGES,
    SIGNALS,
    LexiconError,
    lexicon,
    lexicon_parse,
)
from kinga.assist.signals import cue_spans, highlighted, signals_of

LEX = lexicon()
RULE_EXAMPLES = [(rule.id, text) for rule in LEX.rules for text in rule.examples]
RULE_COUNTERS = [
    (rule.id, rule.signal, text) for rule in LEX.rules for text in rule.counter_examples
]
TERMS = [
    (name, language, term)
    for name, cue in LEX.cues.items()
    for language in LANGUAGES
    for term in cue.terms[language]
]


def test_every_rule_has_an_example_and_both_explanations() -> None:
    for rule in LEX.rules:
        assert rule.examples, rule.id
        assert rule.explain_en and rule.explain_sw, rule.id
        if rule.detail:
            english, kiswahili = LEX.details[rule.detail]
            assert english and kiswahili and english != kiswahili, rule.id
    for code in SIGNALS:
        assert LEX.signals[code].label_en and LEX.signals[code].label_sw
    assert re.fullmatch(r"\d{4}\.\d{2}-\d+", LEX.version)


@pytest.mark.parametrize(("rule_id", "text"), RULE_EXAMPLES)
def test_each_rule_is_raised_by_its_examples(rule_id: str, text: str) -> None:
    fired = [rule for signal in signals_of(text) for rule in signal.rule_ids]
    assert rule_id in fired


@pytest.mark.parametrize(("rule_id", "signal", "text"), RULE_COUNTERS)
def test_no_counter_example_raises_its_signal(rule_id: str, signal: str, text: str) -> None:
    assert signal not in [found.code for found in signals_of(text)], rule_id


@pytest.mark.parametrize(("cue", "language", "term"), TERMS)
def test_each_term_finds_itself_in_capitals_and_inside_a_sentence(
    cue: str, language: str, term: str
) -> None:
    word = term.rstrip("*")
    for text in (word, word.upper(), f"tafadhali {word}, asante"):
        spans = cue_spans(text, LEX).get(cue, [])
        assert any(span.text.lower().startswith(word.split()[0]) for span in spans), text


def test_sms_spelling_x_for_s_and_long_vowels_in_kiswahili_only() -> None:
    assert [s.text for s in cue_spans("XAXA", LEX)["now"]] == ["XAXA"]
    assert [s.text for s in cue_spans("haraka sanaa, harakaaa", LEX)["now"]] == [
        "haraka",
        "harakaaa",
    ]
    assert "sex" not in cue_spans("xex", LEX)
    assert [s.text for s in cue_spans("mtotoo", LEX)["child"]] == ["mtotoo"]
    assert [s.text for s in cue_spans("yuko sasahivi", LEX)["now"]] == ["sasahivi"]
    assert [s.text for s in cue_spans("sasa, hivi", LEX)["now"]] == ["sasa, hivi"]


def test_a_word_inside_another_word_is_not_found() -> None:
    # "sex" must not be found in "sussex", nor "kid" in "kidney"
    assert "sex" not in cue_spans("she went to sussex", LEX)
    assert "child" not in cue_spans("kidney stones", LEX)


def test_ages_under_eighteen_are_a_child_and_adults_are_not() -> None:
    for text in ("miaka 13", "MIAKA13", "a 15-year-old", "aged 9", "she is 16", "form 2", "std 7"):
        assert "child" in cue_spans(text, LEX), text
    for text in ("miaka 30", "aged 19", "she is 25", "28 years"):
        assert "child" not in cue_spans(text, LEX), text


def test_the_highlighted_phrases_are_the_words_of_the_text() -> None:
    text = "mtt wa miaka 13 anaonekana LODGING ya mtwapa na mzee kila ijumaa"
    (csec,) = [s for s in signals_of(text) if s.code == "csec"]
    for span in csec.spans:
        assert text[span.start : span.end] == span.text
    assert csec.phrases == ["mtt", "miaka 13", "LODGING", "mzee"]
    pieces = highlighted(text, [csec])
    assert "".join(piece.text for piece in pieces) == text
    assert [p.text for p in pieces if p.marked] == [
        "mtt",
        "miaka 13",
        "LODGING",
        "mzee",
    ]
    assert all("csec" in p.signals for p in pieces if p.marked)


def test_sheng_without_punctuation_in_capitals() -> None:
    codes = [s.code for s in signals_of("DEM MDOGO AKO NA SPONSOR WA KIZUNGU")]
    assert "csec" in codes


def test_nothing_is_raised_by_empty_or_innocent_text() -> None:
    assert signals_of("") == []
    assert signals_of("   ") == []
    assert signals_of("habari, tunashukuru kwa huduma nzuri") == []


def test_a_lexicon_with_a_mistake_is_refused_with_where() -> None:
    base = 'version = "1"\n' + "".join(
        f'[signals.{code}]\nen = "x"\nsw = "x"\n' for code in SIGNALS
    )
    with pytest.raises(LexiconError, match="unknown"):
        lexicon_parse(
            base + '[cues.a]\nen = ["a"]\n[[rules]]\nid = "r"\nsignal = "csec"\n'
            'all = ["b"]\nen = "x"\nsw = "x"\n'
        )
    with pytest.raises(LexiconError, match="cue a"):
        lexicon_parse(base + "[cues.a]\npatterns = ['(']\n")
    with pytest.raises(LexiconError, match="signals"):
        lexicon_parse('version = "1"\n')
    with pytest.raises(LexiconError, match="no \\[details\\] name"):
        lexicon_parse(
            base + '[cues.a]\nen = ["a"]\n[[rules]]\nid = "r"\nsignal = "csec"\n'
            'detail = "unnamed"\nall = ["a"]\nen = "x"\nsw = "x"\n'
        )
