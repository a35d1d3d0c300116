"""Encryption of identity data at rest, and keyed indexes that find it without decrypting.

Ciphertext is text: `<key id>$<base64url(nonce || AES-GCM ciphertext+tag)>`. The key id
inside lets keys rotate: KINGA_DATA_KEYS lists `id:key` pairs, the first encrypts and all
decrypt. Each value is bound to where it lives (the associated data is its model and
field), so a ciphertext copied into another column does not decrypt.

Blind indexes and search tokens are HMAC-SHA256 under KINGA_INDEX_KEY, which is separate
from the data keys and not rotated with them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from kinga.lib.env import ConfigurationError

NONCE_BYTES = 12
SEPARATOR = "$"


class DecryptionError(Exception):
    """A stored value could not be decrypted: unknown key id, or tampered ciphertext."""


@dataclass(frozen=True)
class KeyRing:
    primary_id: str
    keys: dict[str, AESGCM]


def _decode_key(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        raise ConfigurationError("KINGA_DATA_KEYS holds a key that is not base64") from None
    if len(raw) not in (16, 24, 32):
        raise ConfigurationError("KINGA_DATA_KEYS keys must be 16, 24 or 32 bytes (32 advised)")
    return raw


@lru_cache(maxsize=4)
def _parse_keyring(spec: str) -> KeyRing:
    keys: dict[str, AESGCM] = {}
    order: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        key_id, colon, encoded = part.partition(":")
        if not colon or not key_id or SEPARATOR in key_id:
            raise ConfigurationError("KINGA_DATA_KEYS must look like 'id:base64key,id2:base64key'")
        if key_id in keys:
            raise ConfigurationError(f"KINGA_DATA_KEYS names key id {key_id!r} twice")
        keys[key_id] = AESGCM(_decode_key(encoded))
        order.append(key_id)
    if not order:
        raise ConfigurationError("KINGA_DATA_KEYS is empty")
    return KeyRing(primary_id=order[0], keys=keys)


def keyring() -> KeyRing:
    """Return the data keys from settings (parsed once per distinct setting)."""
    return _parse_keyring(settings.KINGA_DATA_KEYS)


def new_key_spec(key_id: str) -> str:
    """Return a fresh `id:base64key` pair for KINGA_DATA_KEYS."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt text under the primary key, bound to `context` (e.g. 'people.person.given_name')."""
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.keys[ring.primary_id].encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{ring.primary_id}{SEPARATOR}{body}"


def key_id_of(token: str) -> str:
    """Return the id of the key a ciphertext was made with."""
    return token.partition(SEPARATOR)[0]


def decrypt(token: str, *, context: str) -> str:
    """Decrypt a value made by `encrypt` with the same context, under any known key."""
    key_id, separator, body = token.partition(SEPARATOR)
    if not separator:
        raise DecryptionError("value is not Kinga ciphertext")
    aead = keyring().keys.get(key_id)
    if aead is None:
        raise DecryptionError(f"no data key with id {key_id!r} is configured")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError(f"ciphertext under key {key_id!r} failed authentication") from None


@lru_cache(maxsize=4)
def _index_key(spec: str) -> bytes:
    if not spec:
        raise ConfigurationError("KINGA_INDEX_KEY is empty")
    return hashlib.sha256(b"kinga-index-key:" + spec.encode()).digest()


def keyed_hash(value: str, *, purpose: str, length: int = 32) -> str:
    """Return a hex HMAC of the value for one purpose ('phone', 'name-token', ...).

    The purpose is part of the input, so the same value gives unrelated hashes in
    different indexes. Truncated to `length` hex characters (128 bits by default).
    """
    key = _index_key(settings.KINGA_INDEX_KEY)
    digest = hmac.new(key, purpose.encode() + b"\x00" + value.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:length]
