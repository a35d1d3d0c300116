"""Two people, one record: a save made from a stale form is refused, and nothing typed is lost.

Every edit form carries an *edit base*: the version of the record it was opened on and the
values it showed, sealed (AES-GCM, bound to the record) in one hidden field, so it can be
neither read in the page's source nor moved to another record. The service takes
`expected_version=`, re-reads the row with `select_for_update()` inside its durable
transaction and calls `version_check`; a mismatch raises `StaleEdit` before anything is
written. The view then answers with the same bound form (everything the person typed),
the fields someone else changed with what is stored now beside what the person started
from (`changes_between`), who saved and when, and a fresh edit base carrying the stored
version, so the next save goes through once the person has merged by hand.

One mechanism for every record type: a `version` integer on the row (or the version a
record already keeps, such as a charge sheet's), bumped by each save that changes it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext as _

from kinga.lib.crypto import DecryptionError, decrypt, encrypt

EDIT_BASE = "edit_base"

Plain = str | list[str]
FormT = TypeVar("FormT", bound=forms.BaseForm)


def plain(value: object) -> Plain:
    """Return a value as the form shows it: text, or a list of texts for a multiple choice."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(str(plain(item)) for item in value)
    return str(value).strip()


@dataclass(frozen=True)
class EditBase:
    """What a form was opened on: the record's version and the values it showed."""

    version: int
    values: dict[str, Plain] = field(default_factory=dict)


def _context(record: str) -> str:
    return f"kinga.edit-base:{record}"


def edit_base_token(*, record: str, version: int, values: Mapping[str, object]) -> str:
    """Seal a form's edit base for `record` (e.g. "people.person:42")."""
    body = json.dumps({"v": version, "f": {k: plain(v) for k, v in values.items()}})
    return encrypt(body, context=_context(record))


def edit_base_read(token: str, *, record: str) -> EditBase | None:
    """Open an edit base sealed for `record`; None for a missing, altered or foreign one."""
    try:
        body = json.loads(decrypt(token, context=_context(record)))
        version = body["v"]
        values = body["f"]
    except (DecryptionError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(version, int) or not isinstance(values, dict):
        return None
    return EditBase(version=version, values=values)


class StaleEdit(ValidationError):
    """The record changed after the form was opened: the save is refused, nothing written."""

    def __init__(
        self, *, stored_version: int, saved_by: str = "", saved_at: datetime.datetime | None = None
    ) -> None:
        super().__init__(
            _(
                "Someone else saved this record after you opened the form. Nothing of yours "
                "was saved: what you typed is still below, beside what is stored now. "
                "Compare, change what you need and save again."
            ),
            code="stale",
        )
        self.stored_version = stored_version
        self.saved_by = saved_by
        self.saved_at = saved_at


def version_check(
    *,
    stored: int,
    expected: int | None,
    last_saved: Callable[[], tuple[str, datetime.datetime | None]] = lambda: ("", None),
) -> None:
    """Refuse a save from a form opened on another version than the one stored.

    Call it on the row read with `select_for_update()`, before writing anything. `expected`
    None is a caller without a form (a command, a merge, the demo), which has nothing stale.
    `last_saved` says who saved the stored version and when; it runs only on a refusal.
    """
    if expected is None or expected == stored:
        return
    saved_by, saved_at = last_saved()
    raise StaleEdit(stored_version=stored, saved_by=saved_by, saved_at=saved_at)


@dataclass(frozen=True)
class Change:
    """A field someone else changed: what the person started from and what is stored now."""

    name: str
    label: str
    started: str
    stored: str


def shown(form_field: forms.Field | None, value: Plain) -> str:
    """Return a plain value as a person reads it (choice labels, a dash for nothing)."""
    values = value if isinstance(value, list) else [value]
    choices = dict(getattr(form_field, "choices", ()) or ())
    labels = [str(choices.get(item, item)) for item in values if item != ""]
    return ", ".join(labels) if labels else "—"


def changes_between(
    form: forms.BaseForm,
    *,
    started: Mapping[str, Plain],
    stored: Mapping[str, object],
    labels: Mapping[str, str] | None = None,
) -> list[Change]:
    """Return the fields whose stored value differs from the one the form was opened on
    (a value the form has no field for is named by `labels`)."""
    changes = []
    names = [*stored, *(name for name in started if name not in stored)]
    for name in names:
        now = plain(stored.get(name))
        before = started.get(name, "")
        if now == before:
            continue
        form_field = form.fields.get(name)
        label = (labels or {}).get(name) or (
            str(form_field.label) if form_field is not None and form_field.label else name
        )
        changes.append(Change(name, label, shown(form_field, before), shown(form_field, now)))
    return changes


class EditBaseField(forms.CharField):
    """The hidden field that carries a form's edit base (checked by `edit_base_of`, whose
    refusal shows at the top of the form, where a hidden field's own error would not)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]  # CharField's keywords


def edit_base_of(form: forms.BaseForm, *, record: str) -> EditBase | None:
    """Return a valid form's edit base for `record`; None, with the error on the form, for
    a missing, altered or foreign one."""
    base = edit_base_read(form.cleaned_data.get(EDIT_BASE, ""), record=record)
    if base is None:
        form.add_error(None, _("This form is out of date. Open it again from the record's page."))
    return base


@dataclass
class Conflict:
    """What the page shows after a refused save: who saved, when, and what changed."""

    saved_by: str
    saved_at: datetime.datetime | None
    changes: list[Change]


def conflict_data(data: QueryDict, *, token: str) -> QueryDict:
    """Return the posted data with a fresh edit base, everything typed kept."""
    kept = data.copy()
    kept[EDIT_BASE] = token
    return kept


def conflict_show(form: forms.BaseForm, error: StaleEdit, changes: Iterable[Change]) -> Conflict:
    """Put the refusal on the re-bound form: the message, and beside each field someone
    else changed what is stored now."""
    changes = list(changes)
    form.add_error(None, error)
    for change in changes:
        if change.name in form.fields:
            form.add_error(
                change.name,
                _("Changed meanwhile: stored now «%(stored)s» (you started from «%(started)s»).")
                % {"stored": change.stored, "started": change.started},
            )
    return Conflict(saved_by=error.saved_by, saved_at=error.saved_at, changes=changes)


def conflict_form(
    make: Callable[[QueryDict], FormT],
    data: QueryDict,
    *,
    error: StaleEdit,
    token: str,
    started: Mapping[str, Plain],
    stored: Mapping[str, object],
    labels: Mapping[str, str] | None = None,
) -> tuple[FormT, Conflict]:
    """Return the form to show after a refused save: bound to what was posted (so nothing
    typed is lost) with the fresh edit base `token`, the refusal and the changed fields on
    it; and the conflict for the page (`includes/stale_edit.html`)."""
    form = make(conflict_data(data, token=token))
    form.is_valid()
    changes = changes_between(form, started=started, stored=stored, labels=labels)
    return form, conflict_show(form, error, changes)
