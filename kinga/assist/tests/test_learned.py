"""The learned model: trained here from the labelled set, kept only where it beats the rules
on held-out reports, and explained by the words that weighed most."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from kinga.assist import learned
from kinga.assist.batch import Labelled, labelled_rows
from kinga.assist.learned import comparison, f1, kept_signals, model, suggestions, train
from kinga.assist.lexicon import MEASURED


def row(text: str, *codes: str) -> Labelled:
    return Labelled(id=text, language="", kind="", text=text, truth=frozenset(codes))


def test_the_release_model_keeps_only_what_beats_the_rules_on_held_out_reports() -> None:
    trained = comparison()
    assert set(trained.comparisons) == set(MEASURED)
    # the file the release reads says what the comparison finds
    assert kept_signals() == trained.kept, f"write kept = {list(trained.kept)} in learned.toml"
    assert model().kept == trained.kept
    assert set(model().classifiers) == set(trained.kept)
    for code, compared in trained.comparisons.items():
        # both are measured on the same held-out rows, none of which it was trained on
        assert compared.rules.support == compared.model.support > 0, code
        beats = f1(compared.model) > f1(compared.rules) and (compared.model.recall or 0) >= (
            compared.rules.recall or 0
        )
        assert compared.kept == beats, code
    training = {r.text for r in labelled_rows()}
    assert len(training) >= 300


def test_a_model_that_does_worse_than_the_rules_says_nothing() -> None:
    # trained on two reports, it cannot beat the lexicon on these
    training = [row("dem mdogo ako na sponsor", "csec"), row("habari asante")]
    held_out = [
        row("mtt wa miaka 13 analala na mzee kwa lodging", "csec"),
        row("the children need uniforms"),
        row("msichana wa miaka 14 anajiuza beach", "csec"),
    ]
    trained = train(training, held_out)
    assert trained.kept == ()
    assert suggestions("dem mdogo ako na sponsor", trained=trained) == []


def test_a_kept_model_suggests_with_its_confidence_and_the_words_that_weighed() -> None:
    training = [row(f"boda boda {n} weka", "online") for n in range(8)] + [
        row(f"chakula {n} shule") for n in range(8)
    ]
    # the lexicon has no word for these: a model that learnt "boda ... weka" beats it
    held_out = [row("boda weka", "online"), row("chakula shule"), row("boda boda weka", "online")]
    trained = train(training, held_out)
    assert trained.kept == ("online",)
    (found,) = suggestions("BODA weka sasa", trained=trained)
    assert found.code == "online" and 0.5 <= found.confidence <= 1
    assert found.words and set(found.words) <= {"BODA", "weka", "sasa"}
    assert suggestions("chakula shule", trained=trained) == []
    assert suggestions("   ", trained=trained) == []


def test_warm_up_trains_once_in_the_background_and_a_page_waits_for_that_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fits: list[int] = []
    started = threading.Event()
    real_fit = learned._fit

    def slow_fit(rows: list[Labelled], codes: tuple[str, ...] = MEASURED) -> Any:
        fits.append(1)
        started.set()
        time.sleep(0.3)  # long enough for the page below to ask while it trains
        return real_fit(rows, codes)

    monkeypatch.setattr(learned, "_fit", slow_fit)
    monkeypatch.setattr(learned, "_warming", None)
    learned._release_model.cache_clear()
    try:
        thread = learned.warm_up()
        assert thread is not None and thread.daemon
        assert started.wait(5)
        # a triage page asking now waits for the one training, it does not start another
        asked = model()
        thread.join(5)
        assert asked is model()
        assert fits == [1]
        assert asked.kept == kept_signals()
        # and a second warm-up in the same process does nothing
        assert learned.warm_up() is None
        assert fits == [1]
    finally:
        learned._release_model.cache_clear()


def test_warm_up_does_nothing_when_no_signal_keeps_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(learned, "_warming", None)
    monkeypatch.setattr(learned, "kept_signals", lambda: ())
    assert learned.warm_up() is None
