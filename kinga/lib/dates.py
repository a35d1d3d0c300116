"""Dates that can be true: what has happened happened today or before, and an expiry comes
no earlier than its start.

The rules live here once; models call them from `clean()` (so a service's `full_clean()`
refuses a date that cannot be true) and forms put `not_in_future` on their date fields (so
the message shows on the field before anything is sent).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FUTURE_MESSAGE = _("This date is in the future. Enter the day it happened (today or before).")
EXPIRY_MESSAGE = _("The expiry date cannot be before the date it was given.")


def _as_date(value: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def not_in_future(value: datetime.date | datetime.datetime | None) -> None:
    """Refuse a date (or moment) after today, in the deployment's time zone."""
    if value is not None and _as_date(value) > timezone.localdate():
        raise ValidationError(FUTURE_MESSAGE, code="future")


def past_dates_errors(record: object, names: tuple[str, ...]) -> dict[str, ValidationError]:
    """Return, by field name, the errors of the record's dates that lie in the future."""
    errors: dict[str, ValidationError] = {}
    for name in names:
        try:
            not_in_future(getattr(record, name, None))
        except ValidationError as error:
            errors[name] = error
    return errors


def expiry_after_start(
    start: datetime.date | None, expiry: datetime.date | None
) -> ValidationError | None:
    """Return the error of an expiry before its start, or None (an expiry is the last day
    something holds, so it may be the day it starts)."""
    if start is not None and expiry is not None and expiry < start:
        return ValidationError(EXPIRY_MESSAGE, code="expiry_before_start")
    return None
