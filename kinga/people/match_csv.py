"""Reading people from CSV for `kinga match`, and writing the pairs found.

Columns, any of which may be missing except `record_id`: record_id, given_name,
family_name, other_names, sex, date_of_birth, age_years, phone, national_id, address,
village, ward, sub_county, county, postcode. Unknown columns are ignored. Dates are
`YYYY-MM-DD` or `YYYYMMDD`. Bad input raises `MatchInputError` naming the file and row.
"""

from __future__ import annotations

import csv
import datetime
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from kinga.people.matcher import MatchPair, MatchRecord

COLUMNS = (
    "record_id",
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "date_of_birth",
    "age_years",
    "phone",
    "national_id",
    "address",
    "village",
    "ward",
    "sub_county",
    "county",
    "postcode",
)


class MatchInputError(ValueError):
    """Input the matcher cannot read; the message names the file and the row."""


def parse_date(text: str) -> str:
    """Return a date written `YYYY-MM-DD` or `YYYYMMDD` as `YYYYMMDD` ("" for empty).

    Raise ValueError for anything else. A date of that shape that is not on the calendar
    ("19450493", a typing slip) is kept as written: it still says much about who this is.
    """
    text = text.strip()
    if not text:
        return ""
    digits = text.replace("-", "") if len(text) == 10 and text[4] == text[7] == "-" else text
    if len(digits) != 8 or not digits.isdigit() or not 1800 <= int(digits[:4]) <= 2200:
        raise ValueError(text)
    return digits


def iter_records(
    path: Path, *, source: int = 0, today: datetime.date | None = None
) -> Iterator[MatchRecord]:
    """Yield the records of a CSV file one by one, as read; raise MatchInputError (naming
    the row) on anything unreadable, when the reading reaches it.

    The matcher reads the stream once (`kinga.people.matcher.prepare`), so a large file is
    never held as records; a caller writes nothing before the stream is spent.
    """
    if not path.is_file():
        raise MatchInputError(f"{path}: no such file.")
    seen: set[str] = set()
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            try:
                header = [name.strip().casefold() for name in next(reader)]
            except StopIteration:
                raise MatchInputError(
                    f"{path}: the file is empty; it needs a header row."
                ) from None
            if "record_id" not in header:
                raise MatchInputError(f"{path}: there is no record_id column.")
            where = {name: header.index(name) for name in COLUMNS if name in header}
            width = len(header)
            for line, row in enumerate(reader, start=2):
                if not row or not any(cell.strip() for cell in row):
                    continue
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                values = {name: row[index].strip() for name, index in where.items()}
                record_id = values["record_id"]
                if not record_id:
                    raise MatchInputError(f"{path}, row {line}: record_id is empty.")
                if record_id in seen:
                    raise MatchInputError(
                        f"{path}, row {line}: record_id {record_id!r} appears twice."
                    )
                seen.add(record_id)
                try:
                    born = parse_date(values.get("date_of_birth", ""))
                except ValueError:
                    raise MatchInputError(
                        f"{path}, row {line}: date_of_birth {values['date_of_birth']!r} is not "
                        "a date (write YYYY-MM-DD or YYYYMMDD)."
                    ) from None
                age_text = values.get("age_years", "")
                age: float | None = None
                if age_text:
                    try:
                        age = float(age_text)
                    except ValueError:
                        raise MatchInputError(
                            f"{path}, row {line}: age_years {age_text!r} is not a number."
                        ) from None
                    if not 0 <= age <= 120:
                        raise MatchInputError(
                            f"{path}, row {line}: age_years {age_text!r} is not an age (0 to 120)."
                        )
                raw_phone = values.get("phone", "")
                yield (
                    MatchRecord(
                        record_id=record_id,
                        given_name=values.get("given_name", ""),
                        family_name=values.get("family_name", ""),
                        other_names=values.get("other_names", ""),
                        sex=values.get("sex", ""),
                        date_of_birth=born,
                        age_years=age,
                        age_on=today,
                        phones=(raw_phone,) if raw_phone else (),
                        national_id=values.get("national_id", ""),
                        address=values.get("address", ""),
                        village=values.get("village", ""),
                        ward=values.get("ward", ""),
                        sub_county=values.get("sub_county", ""),
                        county=values.get("county", ""),
                        postcode=values.get("postcode", ""),
                        source=source,
                    )
                )
    except UnicodeDecodeError as error:
        raise MatchInputError(f"{path}: not UTF-8 text ({error.reason}).") from None
    except csv.Error as error:
        raise MatchInputError(f"{path}: not a readable CSV file ({error}).") from None


def write_pairs(path: Path, record_ids: Sequence[str], pairs: Iterable[MatchPair]) -> int:
    """Write `record_id_a, record_id_b, probability` rows; all or nothing. Return the count.

    `record_ids` are the ids in the order the matcher read them (the first file's before
    the second's), so the lower index of a pair is its first file's record. The file is
    written beside its destination and renamed into place, so a crash leaves the old file
    (or none), never half of a new one.
    """
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=".match-", suffix=".csv", dir=directory)
    written = 0
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(["record_id_a", "record_id_b", "probability"])
            for pair in pairs:
                first, second = sorted((pair.left, pair.right))
                writer.writerow([record_ids[first], record_ids[second], f"{pair.probability:.6f}"])
                written += 1
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return written
