"""The language of short texts in each language the coast writes in."""

from __future__ import annotations

import pytest

from kinga.assist.language import language_of, reply_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("mtt wa miaka 13 anaonekana lodging ya mtwapa na mzee kila ijumaa", "sw"),
        ("MTOTO AMEFUNGIWA NDANI", "sw"),
        ("tusaidie haraka", "sw"),
        ("my neighbour's girl got a job offer in Mombasa from a lady on WhatsApp", "en"),
        ("please help the girl is locked in", "en"),
        ("dem mdogo ako na sponsor wa kizungu", "sheng"),
        ("xaxa msee", "sheng"),
        ("the girl yuko na mzee sasa hivi please help", "mixed"),
        ("12345", ""),
        # no marker word at all: the model shipped in py3langid decides
        ("hujambo rafiki, shikamoo", "sw"),
        ("greetings friend, goodbye", "en"),
        ("", ""),
    ],
)
def test_language_of_short_texts(text: str, language: str) -> None:
    assert language_of(text) == language


def test_replies_go_out_in_english_only_to_english() -> None:
    assert reply_language("en") == "en"
    for detected in ("sw", "sheng", "mixed", ""):
        assert reply_language(detected) == "sw"
