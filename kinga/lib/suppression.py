"""Small counts hidden, and hidden so that they stay hidden.

A count below k (5 inside the programme, `KINGA_INSIGHTS_K`; 11 for anything published) is
*primary* suppressed: it could point at one child. Hiding it alone is not enough when the
figure also shows a total: the total minus the cells shown gives the hidden one back. So a
figure is given as *lines*, each a total and the parts it sums (a table's rows and columns,
a map's wards within a sub-county, a funnel's step = the next step + those lost at it), and
on every line that hides something:

- at least two members are hidden (one alone is the total minus the rest), and
- the hidden parts of a line whose total is shown add up to k or more (else the line tells
  that a small group sits among them);

otherwise the smallest shown non-zero part is hidden as a *complement* (the least
information lost), or the line's total when no part is left, until every line holds. This is
the row-and-column guarantee statistical offices apply to published tables; it is checked
line by line, and a hidden total is protected on the lines it belongs to in turn.
Zeros stay shown: a zero names nobody.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

Line = tuple[K, Sequence[K]]


def small(value: int, k: int) -> bool:
    """Return whether a count would be hidden on its own: above zero and below k."""
    return 0 < value < k


def suppress(values: Mapping[K, int], lines: Iterable[Line[K]], k: int) -> frozenset[K]:
    """Return the keys to hide: every small count, and the complements that keep them hidden.

    `values` maps each cell and each total to its count; each line is (total, parts) with
    the total equal to the parts' sum. Deterministic: ties go to the first part listed.
    """
    if k <= 1:
        return frozenset()
    lines = [(total, list(parts)) for total, parts in lines]
    hidden = {key for key, value in values.items() if small(value, k)}
    changed = True
    while changed:
        changed = False
        for total, parts in lines:
            while not _line_safe(values, hidden, total, parts, k):
                complement = _complement(values, hidden, total, parts)
                if complement is None:
                    break
                hidden.add(complement)
                changed = True
    return frozenset(hidden)


def _line_safe(
    values: Mapping[K, int], hidden: set[K], total: K, parts: Sequence[K], k: int
) -> bool:
    members = [total, *parts]
    hidden_members = [key for key in members if key in hidden]
    if not hidden_members:
        return True
    if len(hidden_members) == 1:
        return False
    if total in hidden:
        return True
    hidden_sum = sum(values[key] for key in parts if key in hidden)
    return not small(hidden_sum, k)


def _complement(values: Mapping[K, int], hidden: set[K], total: K, parts: Sequence[K]) -> K | None:
    shown = [key for key in parts if key not in hidden and values[key] > 0]
    if shown:
        return min(shown, key=lambda key: values[key])
    if total not in hidden:
        return total
    return None


def table_lines(rows: Sequence[str], columns: Sequence[str]) -> list[Line[tuple[str, str]]]:
    """Return the lines of a table with row totals, column totals and a grand total.

    Cells are keyed (row, column); a row's total is (row, ""), a column's ("", column),
    the grand total ("", "").
    """
    lines: list[Line[tuple[str, str]]] = []
    for row in rows:
        lines.append(((row, ""), [(row, column) for column in columns]))
    for column in columns:
        lines.append((("", column), [(row, column) for row in rows]))
    lines.append((("", ""), [(row, "") for row in rows]))
    lines.append((("", ""), [("", column) for column in columns]))
    return lines
