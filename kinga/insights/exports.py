"""Figures as files: CSV and XLSX of a suppressed figure, and the CTDC-shaped publication.

Nothing here counts on its own: a figure file holds exactly the suppressed figure the
selector gave (hidden counts stay hidden), and every text cell is neutralised so a
spreadsheet never runs it as a formula (an agency's name may begin with "=").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from django.utils.translation import gettext as _

from kinga.insights.selectors import Cell, Funnel, Table

Row = list[str | int | float]

# A spreadsheet treats a cell beginning with these as a formula (or as the start of one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: str | int | float) -> str | int | float:
    """Return the value as a spreadsheet will show it and never run: text that would start
    a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(cell: Cell) -> str | int:
    return _("hidden") if cell.value is None else cell.value


def table_rows(table: Table) -> list[Row]:
    """Return the table as rows: a heading row, one per row with its total, the totals."""
    rows: list[Row] = [
        [str(table.row_heading), *(str(label) for _code, label in table.columns), _("Total")]
    ]
    for label, cells, total in table.body():
        rows.append([str(label), *(_cell(cell) for cell in cells), _cell(total)])
    footer, grand = table.footer()
    rows.append([_("Total"), *(_cell(cell) for cell in footer), _cell(grand)])
    return rows


def funnel_rows(funnel: Funnel) -> list[Row]:
    """Return the funnel as rows: step, reached, lost at it, median days."""
    rows: list[Row] = [[_("Step"), _("Reached"), _("Lost at this step"), _("Median days")]]
    for step in funnel.steps:
        rows.append(
            [
                str(step.label),
                _cell(step.reached),
                "" if step.lost is None else _cell(step.lost),
                "" if step.median_days is None else step.median_days,
            ]
        )
    return rows


def csv_bytes(rows: Sequence[Row]) -> bytes:
    """Return the rows as UTF-8 CSV (with a byte-order mark, so spreadsheets read Kiswahili)."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return ("\ufeff" + stream.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Sequence[Row], *, title: str) -> bytes:
    """Return the rows as one XLSX sheet; text is written as text, never as a formula."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31] or "Kinga"
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f":
                # never reached after neutralise: kept as a second lock on the door
                cell.data_type = "s"
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
