"""Follow-up codes and phone numbers: what a reporter keeps, and how the database keeps it.

A code is shown once and stored only as a keyed hash; a phone number is stored encrypted,
with a keyed blind index for exact look-ups.
"""

from __future__ import annotations

import secrets

from kinga.lib.crypto import keyed_hash
from kinga.lib.phones import mask_phone, normalise_phone

# Ten characters that cannot be confused when read aloud or typed.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def follow_up_code_new() -> str:
    """Return a fresh random follow-up code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def follow_up_code_for(seed: str) -> str:
    """Return the code tied to a channel session, so a repeated screen shows the same one."""
    digest = keyed_hash(seed, purpose="follow-up-seed", length=64)
    number = int(digest, 16)
    letters = []
    for _position in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        letters.append(CODE_ALPHABET[index])
    return "".join(letters)


def normalise_code(raw: str) -> str:
    """Return the code as typed without spaces, dashes or case."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def follow_up_hash(code: str) -> str:
    """Return the keyed hash a report keeps of its follow-up code."""
    return keyed_hash(normalise_code(code), purpose="follow-up")


def format_code(code: str) -> str:
    """Return the code in two halves, easier to copy: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def phone_index(number: str) -> str:
    """Return the blind index of a normalised phone number."""
    return keyed_hash(number, purpose="phone")


def normalised_phone(raw: str) -> str:
    """Return the number in +254 form, or "" when it is not a phone number."""
    try:
        return normalise_phone(raw)
    except ValueError:
        return ""


def log_safe_phone(raw: str) -> str:
    """Return a phone number as logs may hold it: masked."""
    return mask_phone(raw or "")
