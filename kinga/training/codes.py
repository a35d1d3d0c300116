"""Certificate verification codes: made at random, printed, found by a keyed hash."""

from __future__ import annotations

import secrets

from kinga.lib.crypto import keyed_hash

# Letters that survive being read aloud over a phone and printed small (no 0/O, 1/I).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_PURPOSE = "training-certificate"


def certificate_code_normalise(code: str) -> str:
    """Return a typed code as it is hashed: upper case, letters and digits only."""
    return "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())


def certificate_code_index(code: str) -> str:
    """Return the blind index of a code, however it was typed (spaces, dashes, case)."""
    return keyed_hash(certificate_code_normalise(code), purpose=CODE_PURPOSE)


def certificate_code_new() -> str:
    """Return a new code such as KNG-7QXM-4RTD (40 random bits after the prefix)."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"KNG-{body[:4]}-{body[4:]}"
