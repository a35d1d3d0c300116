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
    misspellings,
    stem_candidates,
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
    word = term.lstrip("~").rstrip("*")
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


def test_a_verb_stem_is_found_after_every_kind_of_prefix() -> None:
    # ~pelekw*: who (a-, wa-, ka-), when (-na-, -li-, -me-, -ta-, -ki-), "who" (-ye-), the
    # infinitive and the negative; forms the lexicon does not list are found as a stem
    for word in (
        "anapelekwa",
        "walipelekwa",
        "wamepelekwa",
        "atapelekwa",
        "kupelekwa",
        "ANAPELEKWA",
        "akipelekwa",
        "aliyepelekwa",
        "kamepelekwa",
        "hawapelekwi",
        "wakipelekwaa",
    ):
        spans = cue_spans(f"msichana {word} mombasa", LEX).get("movement", [])
        assert [span.text for span in spans][:1] == [word], word
    for word in ("aliyepelekwa", "kamepelekwa", "hawapelekwi", "wakipelekwa"):
        assert cue_spans(f"{word} mombasa", LEX)["movement"][0].how == "stem", word
    # an object between the tense and the stem: anamlipia, aliyemwahidi
    assert cue_spans("mzee anamlipia kodi", LEX)["money"][0].text == "anamlipia"
    assert [s.text for s in cue_spans("aliyemwahidi kazi", LEX)["recruiter"]] == ["aliyemwahidi"]
    assert "uza" in stem_candidates("wanawauza") and "wauza" in stem_candidates("wanawauza")


def test_a_verb_stem_is_not_found_inside_a_word_that_only_ends_like_it() -> None:
    # "~uzw*" (to be sold) is not the end of a word whose beginning is not a verb prefix
    assert "sale" not in cue_spans("mtoto ana uzito mdogo", LEX)
    assert "movement" not in cue_spans("tunapeleka barua", LEX)  # active, not "is taken"
    # a stem needs its prefixes to be prefixes: "mbeleka" is not m-beleka
    assert stem_candidates("zzpelekwa") == ("zzpelekwa",)


def test_a_misspelt_word_is_found_and_said_to_be_misspelt() -> None:
    for text, cue, misspelt in (
        ("msichna wa shule", "child", "msichna"),  # a vowel left out
        ("yuko na mzungo", "older_partner", "mzungo"),  # a vowel for another
        ("chlid at the beach", "child", "chlid"),  # two letters swapped
        ("turists at the beach", "older_partner", "turists"),  # a term with any ending
        ("she is at the guesthuse", "venue", "guesthuse"),  # a letter left out
    ):
        first = cue_spans(text, LEX)[cue][0]
        assert (first.text, first.how) == (misspelt, "spelling"), text
        assert text[first.start : first.end] == first.text
    # what is written as a term stays "as written"
    assert [s.how for s in cue_spans("msichana", LEX)["child"]] == ["word"]
    (signal,) = [
        s
        for s in signals_of("msichna wa miaka 14 yuko na mzungo kwa guesthuse")
        if s.code == "csec"
    ]
    assert signal.misspelt == ["msichna", "mzungo", "guesthuse"]


def test_short_words_and_listed_real_words_are_never_read_as_misspellings() -> None:
    assert "nightlife" not in cue_spans("part of the money", LEX)  # "part" is not "party"
    assert "older_partner" not in cue_spans("the tourism office", LEX)
    assert "child" not in cue_spans("the miners at the quarry", LEX)
    assert misspellings("pesa") == set()  # four letters: too short to guess
    assert "msichna" in misspellings("msichana") and "mzungo" in misspellings("mzungu")
    assert "mzung" in misspellings("mzungu")  # six letters: one may be left out
    assert "mzee" not in {w for w in misspellings("wazee")}


def test_ages_written_in_words_are_a_child() -> None:
    for text in (
        "mtoto wa miaka kumi na nne",
        "MIAKA KUMI NA TATU",
        "msichana wa miaka tisa",
        "a fourteen year old",
        "she is thirteen yrs",
        "aged fifteen",
        "mwaka mmoja",
    ):
        assert "child" in cue_spans(text, LEX), text
    for text in ("miaka kumi na minane iliyopita", "twenty years old", "miaka ishirini"):
        assert "child" not in cue_spans(text, LEX), text
