"""The matcher reads its records as a stream, block by block, and finds exactly what it
finds in a list held whole (issue 15: the full run must not hold the table in memory)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from kinga.people import matcher
from kinga.people.match_csv import parse_date
from kinga.people.matcher import MatchRecord, match
from kinga.people.synthetic import people

TODAY = datetime.date(2026, 12, 1)


def synthetic_records(count: int) -> Iterator[MatchRecord]:
    for row in people(count, seed=7):
        yield MatchRecord(
            record_id=row["record_id"],
            given_name=row["given_name"],
            family_name=row["family_name"],
            other_names=row["other_names"],
            sex=row["sex"],
            date_of_birth=parse_date(row["date_of_birth"]),
            age_years=float(row["age_years"]) if row["age_years"] else None,
            age_on=TODAY,
            phones=(row["phone"],) if row["phone"] else (),
            village=row["village"],
            ward=row["ward"],
            county=row["county"],
        )


def test_a_stream_in_blocks_finds_the_same_pairs_as_a_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = list(synthetic_records(3_000))
    whole = match(held, today=TODAY)
    # Blocks far smaller than the input, and a last block only partly filled.
    monkeypatch.setattr(matcher, "PREPARE_BLOCK", 700)
    consumed: list[int] = []

    def stream() -> Iterator[MatchRecord]:
        for number, record in enumerate(synthetic_records(3_000)):
            consumed.append(number)
            yield record

    streamed = match(stream(), today=TODAY)
    assert len(consumed) == 3_000
    assert streamed.record_ids == [record.record_id for record in held]
    assert streamed.compared == whole.compared
    assert len(whole.pairs) > 500
    assert [(p.left, p.right, p.pattern) for p in streamed.pairs] == [
        (p.left, p.right, p.pattern) for p in whole.pairs
    ]
    assert [p.probability for p in streamed.pairs] == pytest.approx(
        [p.probability for p in whole.pairs]
    )


def test_an_empty_stream_finds_nothing() -> None:
    run = match(iter(()), today=TODAY)
    assert run.pairs == [] and run.record_ids == [] and run.compared == 0


def test_forked_comparers_find_exactly_what_one_process_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small chunks, so the two children share many and the bounded queue fills and drains.
    monkeypatch.setattr(matcher, "CHUNK_PAIRS", 50)
    alone = match(synthetic_records(3_000), today=TODAY)
    forked = match(synthetic_records(3_000), today=TODAY, workers=2)
    assert alone.compared > 20 * 50
    assert forked.compared == alone.compared
    assert forked.model.as_json() == alone.model.as_json()
    assert len(alone.pairs) > 500
    assert [(p.left, p.right, p.pattern, p.probability) for p in forked.pairs] == [
        (p.left, p.right, p.pattern, p.probability) for p in alone.pairs
    ]
    assert matcher._FORKED_PREPARED is None  # the records are let go with the pool


def test_a_comparer_that_dies_fails_the_run_instead_of_leaving_it_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os
    from concurrent.futures.process import BrokenProcessPool

    monkeypatch.setattr(matcher, "CHUNK_PAIRS", 50)

    def killed(*_args: object) -> None:
        os._exit(9)  # as a child the kernel killed for its memory

    monkeypatch.setattr(matcher, "_compare_chunk", killed)
    with pytest.raises(BrokenProcessPool):
        match(synthetic_records(3_000), today=TODAY, workers=2)
    assert matcher._FORKED_PREPARED is None
