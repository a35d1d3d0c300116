"""Phone numbers: one canonical form (E.164) for the blind index, and a mask for logs."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "KE"


def normalise_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """Return the number in E.164 (`+254712345678`); raise ValueError on anything else.

    Accepts the ways Kenyan numbers are written: `0712 345 678`, `0112-345678`,
    `254712345678`, `+254 712 345678`, `(0712) 345678`. Numbers without a country code are
    read as `region`'s.
    """
    text = (raw or "").strip()
    if not text:
        raise ValueError("No phone number was given.")
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("00"):
        text = "+" + text[2:]
    elif region == "KE" and digits.startswith("254") and not text.startswith("+"):
        # written with the country code but without "+": 254712345678
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{mask_phone(text)!r} is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{mask_phone(text)!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(number: str) -> str:
    """Return the number with all but its first five and last two characters starred.

    `+254712345678` becomes `+2547******78`: enough to tell two numbers apart in a log,
    not enough to call.
    """
    text = number.strip()
    if len(text) <= 7:
        return "*" * len(text)
    return text[:5] + "*" * (len(text) - 7) + text[-2:]
