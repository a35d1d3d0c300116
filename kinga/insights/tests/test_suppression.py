"""Small counts hidden, and their complements: no hidden count comes back from a total."""

from __future__ import annotations

from kinga.insights.selectors import funnel_build, table_build
from kinga.insights.suppression import suppress, table_lines


def _derivable(
    values: dict[tuple[str, str], int], hidden: frozenset[tuple[str, str]], lines: list
) -> set:  # type: ignore[type-arg]
    """Return the hidden keys an attacker gets back from one line with one unknown."""
    found = set()
    for total, parts in lines:
        unknown = [key for key in [total, *parts] if key in hidden]
        if len(unknown) == 1:
            found.add(unknown[0])
    return found


def _with_totals(
    counts: dict[tuple[str, str], int], rows: list[str], columns: list[str]
) -> dict[tuple[str, str], int]:
    real = dict(counts)
    for row in rows:
        real[(row, "")] = sum(counts[(row, column)] for column in columns)
    for column in columns:
        real[("", column)] = sum(counts[(row, column)] for row in rows)
    real[("", "")] = sum(counts.values())
    return real


def test_a_count_below_k_is_hidden_and_zero_is_shown() -> None:
    values = {"total": 25, "a": 3, "b": 0, "c": 22}
    hidden = suppress(values, [("total", ["a", "b", "c"])], k=5)
    assert "a" in hidden
    assert "b" not in hidden


def test_the_complement_keeps_a_hidden_count_from_its_row_total() -> None:
    # a row of 3 + 12 + 40 = 55 with the total shown: hiding 3 alone gives it back as
    # 55 - 12 - 40, so the smallest other count (12) is hidden with it
    values = {"total": 55, "a": 3, "b": 12, "c": 40}
    hidden = suppress(values, [("total", ["a", "b", "c"])], k=5)
    assert hidden == {"a", "b"}
    assert not _derivable(values, hidden, [("total", ["a", "b", "c"])])


def test_two_small_counts_that_add_below_k_need_a_third() -> None:
    # 1 + 2 hidden with the total shown tells that 3 children sit in the two cells
    values = {"total": 50, "a": 1, "b": 2, "c": 20, "d": 27}
    hidden = suppress(values, [("total", ["a", "b", "c", "d"])], k=5)
    assert {"a", "b", "c"} <= hidden
    assert "d" not in hidden


def test_a_line_of_only_small_counts_hides_its_total() -> None:
    values = {"total": 3, "a": 3, "b": 0}
    hidden = suppress(values, [("total", ["a", "b"])], k=5)
    assert hidden == {"a", "total"}


def test_no_hidden_cell_of_a_table_can_be_worked_out_from_rows_or_columns() -> None:
    rows = [("r1", "R1"), ("r2", "R2"), ("r3", "R3")]
    columns = [("c1", "C1"), ("c2", "C2"), ("c3", "C3")]
    counts = {
        ("r1", "c1"): 2,
        ("r1", "c2"): 30,
        ("r1", "c3"): 14,
        ("r2", "c1"): 9,
        ("r2", "c2"): 11,
        ("r2", "c3"): 40,
        ("r3", "c1"): 25,
        ("r3", "c2"): 8,
        ("r3", "c3"): 17,
    }
    table = table_build(
        key="t", title="t", row_heading="r", rows=rows, columns=columns, counts=counts, k=5
    )
    hidden = frozenset(key for key, cell in table.cells.items() if cell.hidden)
    assert ("r1", "c1") in hidden
    values = {key: cell.value for key, cell in table.cells.items()}
    real = _with_totals(counts, [r for r, _ in rows], [c for c, _ in columns])
    # every line (row, column, and the totals) with something hidden has two or more hidden
    lines = table_lines([r for r, _ in rows], [c for c, _ in columns])
    assert not _derivable(
        {key: 0 for key in values},
        hidden,
        lines,  # type: ignore[misc]
    )
    # the shown cells are the real counts
    assert table.cell("r2", "c3").value == 40
    # and where a total is shown, the hidden counts of its line add up to k or more
    for total, parts in lines:
        hidden_parts = [key for key in parts if key in hidden]
        if hidden_parts and total not in hidden:
            assert sum(int(real[key]) for key in hidden_parts) >= 5


def test_the_funnel_hides_a_small_step_and_what_would_give_it_back() -> None:
    counts = {
        "reports": 100,
        "triaged": 90,
        "cases": 60,
        "incidents": 20,
        "investigations": 18,
        "files": 3,
        "charged": 0,
        "judgment": 0,
        "conviction": 0,
    }
    funnel = funnel_build(counts, {}, k=5)
    by_key = {step.key: step for step in funnel.steps}
    assert by_key["reports"].reached.value == 100
    # 20 - 18 = 2 lost at the investigation: hidden, and the count 18 with it
    assert by_key["investigations"].lost is not None and by_key["investigations"].lost.hidden
    assert by_key["investigations"].reached.hidden
    # 3 files: hidden; the 15 lost at the file may show, since the 18 before it is hidden
    assert by_key["files"].reached.hidden
    assert by_key["files"].lost is not None and by_key["files"].lost.value == 15
    # nothing shown lets 2 or 3 be worked out: each line hides two or more
    assert by_key["charged"].reached.value == 0


def test_k_of_one_hides_nothing() -> None:
    assert suppress({"total": 1, "a": 1}, [("total", ["a"])], k=1) == frozenset()
