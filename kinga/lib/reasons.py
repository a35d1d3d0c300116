"""The one rule for a written reason (why a case opens, closes, moves, is shared without
consent, or why someone breaks glass): at least `MIN_REASON_LENGTH` characters once
trimmed, so "ok" or "urgent" cannot stand in for a reason a reviewer can judge.

Services call `reason_clean`; forms use `reason_validator` (or `MIN_REASON_LENGTH` as a
field's `min_length`) so the page says the same as the service.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_REASON_LENGTH = 20


def reason_clean(text: str, *, field: str | None = "reason") -> str:
    """Return the reason trimmed, or raise a ValidationError (on `field`, if one is named)
    when it is shorter than `MIN_REASON_LENGTH`."""
    text = (text or "").strip()
    if len(text) < MIN_REASON_LENGTH:
        message = _("Write at least %(count)d characters.") % {"count": MIN_REASON_LENGTH}
        raise ValidationError({field: message} if field else message)
    return text


def reason_validator(value: str) -> None:
    """Validate a form field holding a reason, by the same rule as `reason_clean`."""
    reason_clean(value, field=None)
