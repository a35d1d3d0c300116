"""A learned model beside the lexicon, kept only where it does better than the rules.

For each measured signal, a logistic regression on the letters of a report's words
(character 2- to 4-grams inside words, TF-IDF weighted) is trained in this process from the
labelled set kept here (`data/labelled.csv`, a second or so; nothing is downloaded, no
weights are stored). Measured on the held-out sets, which it never sees, beside the rules
measured on the same rows (`comparison`), a signal's model is *kept* only when its F1 there
is higher than the rules' and its recall at least theirs; `data/learned.toml` names the
signals kept (a test holds it to the comparison), and the release model (`model`) is
trained for those alone, once in a process: in the background after the web process's first
staff page (`warm_up`, from `kinga.wsgi`), so no triager waits for it; a page that needs it
before then waits for that one training, never starts a second. For the others it says nothing.

What a kept model says is a suggestion with its confidence and the words that weighed most
towards it: shown beside the rules', it never raises a priority, closes or routes a report
by itself; a person who agrees adds the signal (as "missed by the rules").
"""

from __future__ import annotations

import re
import threading
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kinga.assist.batch import (
    HOLDOUT_FILES,
    LABELLED_FILE,
    Counts,
    Labelled,
    counts_for,
    labelled_rows,
)
from kinga.assist.lexicon import MEASURED
from kinga.assist.signals import signals_of

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

# Which signals the model is kept for: what `comparison()` finds, written down so that a
# process need not read the rules on every held-out report before it may suggest.
KEPT_FILE = Path(__file__).with_name("data") / "learned.toml"
# The confidence above which a kept model suggests a signal.
THRESHOLD = 0.5
# How many words a suggestion names as having weighed most.
WEIGHED_WORDS = 4
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Suggestion:
    code: str
    confidence: float  # 0..1
    words: tuple[str, ...]  # the text's words that weighed most towards it, as written


@dataclass(frozen=True)
class Comparison:
    """A signal on the held-out sets: the rules, the model, and whether the model is kept."""

    code: str
    rules: Counts
    model: Counts
    kept: bool


@dataclass(frozen=True)
class Model:
    vectorizer: TfidfVectorizer
    classifiers: dict[str, LogisticRegression]
    comparisons: dict[str, Comparison]  # empty for the release model (see `model`)
    kept: tuple[str, ...]


def f1(counts: Counts) -> float:
    recall, precision = counts.recall or 0.0, counts.precision or 0.0
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def _fit(
    rows: list[Labelled], codes: tuple[str, ...] = MEASURED
) -> tuple[TfidfVectorizer, dict[str, LogisticRegression]]:
    # imported here: only a process that shows or measures the model pays for loading it
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), lowercase=True, sublinear_tf=True, min_df=2
    )
    features = vectorizer.fit_transform([row.text for row in rows])
    classifiers = {}
    for code in codes:
        labels = [1 if code in row.truth else 0 for row in rows]
        if len(set(labels)) < 2:
            continue  # nothing to learn from: no model for this signal
        classifier = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
        classifier.fit(features, labels)
        classifiers[code] = classifier
    return vectorizer, classifiers


def train(training: list[Labelled], held_out: list[Labelled]) -> Model:
    """Train on `training`, measure model and rules on `held_out`, keep what does better."""
    vectorizer, classifiers = _fit(training)
    rules = counts_for(MEASURED)
    model = counts_for(MEASURED)
    features = vectorizer.transform([row.text for row in held_out]) if held_out else None
    raised = [{s.code for s in signals_of(row.text)} for row in held_out]
    for code in MEASURED:
        if features is None:
            break
        classifier = classifiers.get(code)
        confidences = (
            classifier.predict_proba(features)[:, 1]
            if classifier is not None
            else [0.0] * len(held_out)
        )
        for row, by_rules, confidence in zip(held_out, raised, confidences, strict=True):
            _count(rules[code], code in by_rules, code in row.truth)
            _count(model[code], confidence >= THRESHOLD, code in row.truth)
    comparisons = {
        code: Comparison(
            code=code,
            rules=rules[code],
            model=model[code],
            kept=bool(held_out)
            and f1(model[code]) > f1(rules[code])
            and (model[code].recall or 0.0) >= (rules[code].recall or 0.0),
        )
        for code in MEASURED
    }
    return Model(
        vectorizer=vectorizer,
        classifiers=classifiers,
        comparisons=comparisons,
        kept=tuple(code for code, compared in comparisons.items() if compared.kept),
    )


def _count(counts: Counts, said: bool, true: bool) -> None:
    if said and true:
        counts.true_positive += 1
    elif said:
        counts.false_positive += 1
    elif true:
        counts.false_negative += 1
    else:
        counts.true_negative += 1


def held_out_rows() -> list[Labelled]:
    return [row for path in HOLDOUT_FILES for row in labelled_rows(path)]


@cache
def comparison() -> Model:
    """Return the model trained on the labelled set and compared with the rules on the
    held-out sets, signal by signal (for the benchmark and the tests: it reads the rules
    on every held-out report)."""
    return train(labelled_rows(LABELLED_FILE), held_out_rows())


@cache
def kept_signals() -> tuple[str, ...]:
    """Return the signals the comparison keeps the model for, as written in `KEPT_FILE`
    (a test checks that the file says what the comparison finds)."""
    data = tomllib.loads(KEPT_FILE.read_text(encoding="utf-8"))
    kept = tuple(str(code) for code in data.get("kept", []))
    unknown = [code for code in kept if code not in MEASURED]
    if unknown:
        raise ValueError(f"{KEPT_FILE.name}: unknown signals {unknown}")
    return kept


# One training per process: a page that asks while `warm_up`'s thread trains waits for it.
_training = threading.Lock()


def model() -> Model:
    """Return the model of this release: trained on the labelled set for the signals it is
    kept for (once per process, on first use or by `warm_up`; nothing when none is kept)."""
    with _training:
        return _release_model()


@cache
def _release_model() -> Model:
    kept = kept_signals()
    rows = labelled_rows(LABELLED_FILE)
    vectorizer, classifiers = _fit(rows, kept)
    return Model(
        vectorizer=vectorizer,
        classifiers=classifiers,
        comparisons={},
        kept=tuple(code for code in kept if code in classifiers),
    )


_warming: threading.Thread | None = None


def warm_up() -> threading.Thread | None:
    """Train the release model in a background thread, once per process; return the thread
    (None when no signal keeps a model, or when it was started before)."""
    global _warming
    with _training:
        if _warming is not None or not kept_signals():
            return None
        _warming = threading.Thread(target=model, name="kinga-assist-warm-up", daemon=True)
    _warming.start()
    return _warming


def suggestions(text: str, *, trained: Model | None = None) -> list[Suggestion]:
    """Return what the kept models suggest for the text, most confident first, each with
    the words of the text that weighed most towards it."""
    trained = trained or (model() if kept_signals() else None)
    if trained is None or not text.strip() or not trained.kept:
        return []
    features = trained.vectorizer.transform([text])
    vocabulary = trained.vectorizer.vocabulary_
    found = []
    for code in trained.kept:
        classifier = trained.classifiers[code]
        confidence = float(classifier.predict_proba(features)[0, 1])
        if confidence < THRESHOLD:
            continue
        weights = classifier.coef_[0]
        weighed: dict[str, float] = {}
        for match in WORD.finditer(text):
            padded = f" {match.group().lower()} "
            score = 0.0
            for size in (2, 3, 4):
                for start in range(len(padded) - size + 1):
                    column = vocabulary.get(padded[start : start + size])
                    if column is not None:
                        score += float(weights[column])
            if score > 0:
                weighed[match.group()] = max(score, weighed.get(match.group(), 0.0))
        top = sorted(weighed, key=lambda word: -weighed[word])[:WEIGHED_WORDS]
        found.append(Suggestion(code=code, confidence=round(confidence, 2), words=tuple(top)))
    return sorted(found, key=lambda s: -s.confidence)
