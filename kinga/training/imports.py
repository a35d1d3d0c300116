"""Attendance lists and test scores from the CSV or XLSX sheets trainers keep.

A sheet has a header row. Its columns (English or Kiswahili headings, any case):
username (a Kinga account) or name; agency; kind; role; one column per day of the session
headed by its date (2026-03-02) or "day 1", "day 2" (siku 1...), marked present (1, x,
yes, ndiyo, P) or absent (empty, 0, no, hapana, A); pre; post; feedback. A column that is
not in the sheet leaves what is recorded alone (a scores sheet keeps the attendance); an
empty cell in a column that is there means "not sat" or "absent".

`sheet_read` turns a file into rows of text; `rows_check` says, row by row, what is wrong
(every problem of every row, not the first) and what each good row will do. Nothing is
written here: the service imports the checked rows in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kinga.accounts.models import Agency, User
from kinga.training.models import AUDIENCE_OF_AGENCY_KIND, Audience, Participant, TrainingSession

MAX_BYTES = 2_000_000
MAX_ROWS = 2000
MAX_COLUMNS = 80

HEADINGS = {
    "username": ("username", "kinga username", "user", "jina la mtumiaji"),
    "name": ("name", "full name", "participant", "jina", "mshiriki"),
    "agency": ("agency", "organisation", "organization", "taasisi", "shirika"),
    "kind": ("kind", "cadre", "aina"),
    "role": ("role", "rank", "role or rank", "cheo", "wadhifa"),
    "pre": ("pre", "pre-test", "pre test", "pretest", "awali", "mtihani wa awali"),
    "post": ("post", "post-test", "post test", "posttest", "mwisho", "mtihani wa mwisho"),
    "feedback": ("feedback", "maoni"),
}
PRESENT = {"1", "x", "yes", "y", "ndiyo", "ndio", "present", "p", "true", "✓"}
ABSENT = {"", "0", "no", "n", "hapana", "absent", "a", "false", "-"}
_DAY = re.compile(r"^(?:day|siku)\s*(\d{1,2})$")


class SheetError(Exception):
    """The file cannot be read as a sheet at all (say why)."""


@dataclass
class Sheet:
    columns: list[str]
    # (line number in the file, heading -> cell text)
    rows: list[tuple[int, dict[str, str]]]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise SheetError(_("This is not an XLSX workbook that can be read.")) from error
    try:
        sheet = book.worksheets[0]
        rows = []
        # Read no further than the limit (and no wider than any sheet of ours): a workbook
        # is compressed, so its size on upload says little about what it unpacks to.
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append([_text(cell) for cell in row])
            if len(rows) > MAX_ROWS + 1:
                raise SheetError(
                    _("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS}
                )
        return rows
    finally:
        book.close()


def _csv_rows(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise SheetError(_("The file's characters cannot be read; save it as UTF-8 CSV."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]


def heading_key(heading: str) -> str:
    """Return the column a heading names: a field, "day:N", "date:YYYY-MM-DD", or ""."""
    text = " ".join(heading.strip().lower().replace("_", " ").split())
    for key, names in HEADINGS.items():
        if text in names:
            return key
    match = _DAY.match(text)
    if match:
        return f"day:{int(match.group(1))}"
    try:
        return f"date:{dt.date.fromisoformat(text[:10]).isoformat()}"
    except ValueError:
        return ""


def sheet_read(*, filename: str, content: bytes) -> Sheet:
    """Return the sheet's columns and rows (blank rows left out), or raise SheetError."""
    if len(content) > MAX_BYTES:
        raise SheetError(_("The file is larger than 2 MB; split it."))
    if not content.strip():
        raise SheetError(_("The file is empty."))
    is_xlsx = content[:4] == b"PK\x03\x04"
    if filename.lower().endswith(".xlsx") and not is_xlsx:
        raise SheetError(_("This is not an XLSX workbook that can be read."))
    table = _xlsx_rows(content) if is_xlsx else _csv_rows(content)
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise SheetError(_("The file is empty."))
    headings = table[0]
    keys = [heading_key(h) for h in headings]
    if "username" not in keys and "name" not in keys:
        raise SheetError(
            _("The first row must name the columns, with at least a name or username column.")
        )
    seen: set[str] = set()
    for heading, key in zip(headings, keys, strict=True):
        if key and key in seen:
            raise SheetError(_("Two columns are headed %(heading)s.") % {"heading": heading})
        seen.add(key)
    rows = []
    for number, row in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {key: (row[i] if i < len(row) else "") for i, key in enumerate(keys) if key}
        rows.append((number, values))
    if len(rows) > MAX_ROWS:
        raise SheetError(_("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS})
    return Sheet(columns=[k for k in keys if k], rows=rows)


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


@dataclass
class RowCheck:
    line: int
    name: str
    errors: list[str] = field(default_factory=list)
    # what the row will do, when it has no errors
    participant: Participant | None = None
    user: User | None = None
    agency: Agency | None = None
    agency_name: str = ""
    job_title: str = ""
    audience: str = ""
    days: list[dt.date] | None = None
    pre: int | None = None
    post: int | None = None
    feedback: int | None = None
    has: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def is_new(self) -> bool:
        return self.participant is None


def _audience_of(text: str) -> str:
    folded = _folded(text)
    if not folded:
        return ""
    wanted = {folded, folded.rstrip("s"), folded.replace("_", " ")}
    for value, label in Audience.choices:
        names = {_folded(value).replace("_", " "), _folded(str(label))}
        with translation.override("sw"):
            names.add(_folded(str(label)))
        # "police officer", "prosecutor", "judicial officer" name their plural label too
        names |= {name.rstrip("s") for name in names}
        names |= {name.removesuffix(" officer") for name in names}
        if wanted & names:
            return str(value)
    return "?"


def _score(text: str, maximum: int, label: str, errors: list[str]) -> int | None:
    if not text.strip():
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        errors.append(
            _("%(column)s: “%(value)s” is not a number.") % {"column": label, "value": text}
        )
        return None
    if not number.is_integer() or not 0 <= number <= maximum:
        errors.append(
            _("%(column)s: %(value)s is not a whole number from 0 to %(max)s.")
            % {"column": label, "value": text, "max": maximum}
        )
        return None
    return int(number)


def rows_check(*, session: TrainingSession, sheet: Sheet) -> list[RowCheck]:
    """Check every row against the session; return what is wrong with each and what the
    good ones will do. Reads the session's participants, accounts and agencies once."""
    days = session.days()
    maximum = session.course.test_max_score
    day_columns: dict[str, dt.date | None] = {}
    for key in sheet.columns:
        if key.startswith("day:"):
            index = int(key[4:])
            day_columns[key] = days[index - 1] if 1 <= index <= len(days) else None
        elif key.startswith("date:"):
            day = dt.date.fromisoformat(key[5:])
            day_columns[key] = day if day in days else None
    present_columns = [key for key, day in day_columns.items() if day is not None]
    usernames = {
        values.get("username", "").strip().lower()
        for _line, values in sheet.rows
        if values.get("username", "").strip()
    }
    users = {
        user.username.lower(): user
        for user in User.objects.filter(is_active=True)
        .annotate(folded=Lower("username"))
        .filter(folded__in=sorted(usernames))
        .select_related("agency")
    }
    agencies = {_folded(agency.name): agency for agency in Agency.objects.filter(is_active=True)}
    listed = list(Participant.objects.filter(session=session).select_related("user"))
    by_user = {p.user_id: p for p in listed if p.user_id is not None}
    by_name = {_folded(p.name): p for p in listed if p.user_id is None}
    today = timezone.localdate()
    seen: dict[str, int] = {}
    checks: list[RowCheck] = []
    for line, values in sheet.rows:
        errors: list[str] = []
        username = values.get("username", "").strip()
        name = values.get("name", "").strip()
        check = RowCheck(line=line, name=name or username, errors=errors)
        check.has = set(values)
        if username:
            user = users.get(username.lower())
            if user is None:
                errors.append(_("No active account has the username “%(u)s”.") % {"u": username})
            else:
                check.user = user
                check.name = user.get_full_name() or user.username
                check.participant = by_user.get(user.pk)
                check.agency = user.agency
        elif name:
            check.participant = by_name.get(_folded(name))
        else:
            errors.append(_("Give a name or a username."))
        identity = f"u:{username.lower()}" if username else f"n:{_folded(name)}"
        if identity in seen:
            errors.append(_("The same person as on line %(line)s.") % {"line": seen[identity]})
        else:
            seen[identity] = line
        agency_text = values.get("agency", "").strip()
        if check.user is None and agency_text:
            check.agency = agencies.get(_folded(agency_text))
            check.agency_name = "" if check.agency is not None else agency_text
        check.job_title = values.get("role", "").strip()
        audience = _audience_of(values.get("kind", ""))
        kind_unknown = audience == "?"
        if kind_unknown:
            errors.append(
                _("Kind: “%(value)s” is not one of the kinds of participant.")
                % {"value": values.get("kind", "")}
            )
            audience = ""
        if not audience and check.agency is not None:
            audience = AUDIENCE_OF_AGENCY_KIND.get(check.agency.kind, "")
        if not audience and check.participant is not None:
            audience = check.participant.audience
        if not audience and not kind_unknown and not (username and check.user is None):
            errors.append(_("Kind: say what kind of participant this is (e.g. police)."))
        check.audience = audience
        if present_columns:
            chosen: list[dt.date] = []
            for key in present_columns:
                cell = values.get(key, "").strip()
                when = day_columns[key]
                assert when is not None
                if cell.lower() in PRESENT:
                    if when > today:
                        errors.append(
                            _("%(day)s is still to come: attendance cannot be marked.")
                            % {"day": when.isoformat()}
                        )
                    chosen.append(when)
                elif cell.lower() not in ABSENT:
                    errors.append(
                        _(
                            "%(day)s: “%(value)s” is neither present (1, x, yes) "
                            "nor absent (empty, 0, no)."
                        )
                        % {"day": when.isoformat(), "value": cell}
                    )
            check.days = chosen
        if "pre" in values:
            check.pre = _score(values["pre"], maximum, _("Pre-test"), errors)
        if "post" in values:
            check.post = _score(values["post"], maximum, _("Post-test"), errors)
        if "feedback" in values and values["feedback"].strip():
            rating = _score(values["feedback"], 5, _("Feedback"), errors)
            if rating is not None and rating < 1:
                errors.append(_("Feedback: give 1 to 5."))
            check.feedback = rating
        checks.append(check)
    return checks


def unused_day_columns(*, session: TrainingSession, sheet: Sheet) -> list[str]:
    """Return the day columns that are not days of the session (they are left out)."""
    days = session.days()
    unused = []
    for key in sheet.columns:
        if key.startswith("day:") and not 1 <= int(key[4:]) <= len(days):
            unused.append(key[4:])
        elif key.startswith("date:") and dt.date.fromisoformat(key[5:]) not in days:
            unused.append(key[5:])
    return unused
