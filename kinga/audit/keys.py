"""The audit keys: HMAC keys of the event chain and of its checkpoints.

The database never holds them. KINGA_AUDIT_KEYS lists `id:base64key` pairs, read like
KINGA_DATA_KEYS (the variable or a file named by KINGA_AUDIT_KEYS_FILE): the first keys
new events and checkpoints, and every listed key verifies the events and checkpoint lines
that name it, so the key can be rotated by putting a new one first. Drop an old key only
when no event or checkpoint names it any more (never, for a log that is kept).

Each key gives two subkeys, one for the chain and one for the checkpoints, so an event's
hash can never be passed off as a checkpoint's signature or the other way round.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from kinga.lib.env import ConfigurationError

KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,16}")
MIN_KEY_BYTES = 32


class UnknownAuditKeyError(Exception):
    """An event or a checkpoint names an audit key that is not configured."""


@dataclass(frozen=True)
class AuditKeyRing:
    primary_id: str
    # HMAC objects already keyed: copying one is cheaper than keying a new one per event.
    chain: dict[str, hmac.HMAC]
    checkpoint: dict[str, hmac.HMAC]


def _decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise ConfigurationError("KINGA_AUDIT_KEYS holds a key that is not base64") from None
    if len(raw) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"KINGA_AUDIT_KEYS keys must be at least {MIN_KEY_BYTES} random bytes"
        )
    return raw


def _subkey(key: bytes, purpose: bytes) -> hmac.HMAC:
    derived = hmac.new(key, b"kinga-audit-" + purpose + b"-v1", hashlib.sha256).digest()
    return hmac.new(derived, digestmod=hashlib.sha256)


@lru_cache(maxsize=4)
def _parse(spec: str) -> AuditKeyRing:
    chain: dict[str, hmac.HMAC] = {}
    checkpoint: dict[str, hmac.HMAC] = {}
    order: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        key_id, colon, encoded = part.partition(":")
        if not colon or not KEY_ID.fullmatch(key_id):
            raise ConfigurationError(
                "KINGA_AUDIT_KEYS must look like 'id:base64key,id2:base64key' "
                "(ids of at most 16 letters, digits, '.', '_' or '-')"
            )
        if key_id in chain:
            raise ConfigurationError(f"KINGA_AUDIT_KEYS names key id {key_id!r} twice")
        raw = _decode(encoded.strip())
        chain[key_id] = _subkey(raw, b"chain")
        checkpoint[key_id] = _subkey(raw, b"checkpoint")
        order.append(key_id)
    if not order:
        raise ConfigurationError("KINGA_AUDIT_KEYS is empty")
    return AuditKeyRing(primary_id=order[0], chain=chain, checkpoint=checkpoint)


def audit_keyring() -> AuditKeyRing:
    """Return the audit keys from settings (parsed once per distinct setting)."""
    return _parse(settings.KINGA_AUDIT_KEYS)


def _sign(keys: dict[str, hmac.HMAC], key_id: str, message: bytes) -> str:
    base = keys.get(key_id)
    if base is None:
        raise UnknownAuditKeyError(f"no audit key with id {key_id!r} is configured")
    mac = base.copy()
    mac.update(message)
    return mac.hexdigest()


def chain_mac(key_id: str, message: bytes) -> str:
    """Return the hex HMAC of an event's chained content under the audit key `key_id`."""
    return _sign(audit_keyring().chain, key_id, message)


def checkpoint_mac(key_id: str, message: bytes) -> str:
    """Return the hex HMAC of a checkpoint line under the audit key `key_id`."""
    return _sign(audit_keyring().checkpoint, key_id, message)


def new_audit_key_spec(key_id: str) -> str:
    """Return a fresh `id:base64key` pair for KINGA_AUDIT_KEYS."""
    if not KEY_ID.fullmatch(key_id):
        raise ValueError("an audit key id is 1 to 16 letters, digits, '.', '_' or '-'")
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"
