"""ODK's encrypted-form scheme: the deployment's RSA key pair, and opening a submission.

Every published form carries the deployment's RSA public key (base64 of its X.509
SubjectPublicKeyInfo). On finalising a form, Collect makes a random 256-bit AES key,
encrypts it with the public key (RSA-OAEP, SHA-1, MGF1), and encrypts each attachment and
then `submission.xml` with AES-CFB and PKCS#5 padding. Each file's IV comes from a 16-byte
seed, the MD5 of the instanceID and the AES key: before each file, one more byte of the
seed is incremented (byte `i % 16` for the i-th file). The envelope Collect sends in place
of the form lists the `.enc` files in that order and carries a signature: the MD5 of the
form id, version, encrypted key, instanceID and each file's `name::md5` (one per line),
RSA-encrypted with the same public key.

The private keys are held as the data keys are: `KINGA_COLLECT_KEYS` (or
`KINGA_COLLECT_KEYS_FILE`), PEM, the current key first. Rotation: put a new key first (`kinga
collect key-new`), restart; the forms' version changes with the key, so phones fetch them
again, and submissions a phone made with an old form still open with the old key, kept
after it until no phone holds such a form (see docs/collect.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asymmetric_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from django.conf import settings

IV_BYTES = 16
SUBMISSION_FILE = "submission.xml"
_PEM_BLOCK = re.compile(
    r"-----BEGIN (?:RSA )?PRIVATE KEY-----.+?-----END (?:RSA )?PRIVATE KEY-----", re.DOTALL
)


class NoCollectKey(Exception):
    """The deployment has no collection key: no form is published, nothing can be opened."""


class OpenError(Exception):
    """A submission could not be opened; `reason` is a `QuarantineReason` code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _oaep() -> asymmetric_padding.OAEP:
    return asymmetric_padding.OAEP(
        mgf=asymmetric_padding.MGF1(algorithm=hashes.SHA1()),  # noqa: S303 - ODK's scheme
        algorithm=hashes.SHA1(),  # noqa: S303 - ODK's scheme
        label=None,
    )


@dataclass(frozen=True)
class PublicKey:
    base64: str
    key_id: str


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey
    public: PublicKey


@lru_cache(maxsize=4)
def _key_pairs(spec: str) -> tuple[KeyPair, ...]:
    pairs = []
    for block in _PEM_BLOCK.findall(spec):
        try:
            private = serialization.load_pem_private_key(block.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise NoCollectKey("KINGA_COLLECT_KEYS holds a key that does not load") from None
        if not isinstance(private, rsa.RSAPrivateKey):
            raise NoCollectKey("KINGA_COLLECT_KEYS keys must be RSA keys")
        der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        pairs.append(
            KeyPair(
                private=private,
                public=PublicKey(
                    base64=base64.b64encode(der).decode(),
                    key_id=hashlib.sha256(der).hexdigest()[:8],
                ),
            )
        )
    return tuple(pairs)


def key_pairs() -> tuple[KeyPair, ...]:
    """Return the deployment's key pairs, the current one first (parsed once per setting)."""
    pairs = _key_pairs(settings.KINGA_COLLECT_KEYS or "")
    if not pairs:
        raise NoCollectKey("KINGA_COLLECT_KEYS is empty")
    return pairs


def public_key() -> PublicKey:
    """Return the current public key, as the forms carry it."""
    return key_pairs()[0].public


def new_private_key_pem() -> str:
    """Return a fresh 2048-bit RSA private key, PEM (PKCS#8), for KINGA_COLLECT_KEYS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass(frozen=True)
class Envelope:
    """What an encrypted submission's envelope says (nothing of the form's answers)."""

    form_id: str
    version: str
    instance_id: str
    encrypted_key: str
    media: tuple[str, ...]
    xml_file: str
    signature: str


@dataclass(frozen=True)
class Opened:
    """A submission opened: the form's XML and each attachment, by its name on the phone."""

    xml: bytes
    media: dict[str, bytes]


def _unwrap_key(encrypted_key: str) -> bytes:
    try:
        sealed = base64.b64decode(encrypted_key, validate=True)
    except (binascii.Error, ValueError):
        raise OpenError("corrupt") from None
    for pair in key_pairs():
        try:
            key = pair.private.decrypt(sealed, _oaep())
        except ValueError:
            continue
        if len(key) != 32:
            raise OpenError("corrupt")
        return key
    raise OpenError("no_key")


def _iv_seed(instance_id: str, key: bytes) -> bytearray:
    return bytearray(hashlib.md5(instance_id.encode() + key, usedforsecurity=False).digest())


def _decrypt_file(data: bytes, *, key: bytes, iv: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise OpenError("corrupt") from None


def _plain_name(name: str) -> str:
    return name[: -len(".enc")] if name.endswith(".enc") else name


def signature_source(envelope: Envelope, plain: list[tuple[str, bytes]]) -> bytes:
    """Return the MD5 the envelope's signature seals: its fields and each file's MD5."""
    lines = [envelope.form_id]
    if envelope.version:
        lines.append(envelope.version)
    lines += [envelope.encrypted_key, envelope.instance_id]
    lines += [
        f"{name}::{hashlib.md5(content, usedforsecurity=False).hexdigest()}"
        for name, content in plain
    ]
    text = "".join(f"{line}\n" for line in lines)
    return hashlib.md5(text.encode(), usedforsecurity=False).digest()


def _signature_matches(envelope: Envelope, plain: list[tuple[str, bytes]]) -> bool:
    try:
        sealed = base64.b64decode(envelope.signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = signature_source(envelope, plain)
    for pair in key_pairs():
        try:
            return pair.private.decrypt(sealed, _oaep()) == expected
        except ValueError:
            continue
    return False


def submission_open(envelope: Envelope, files: dict[str, bytes]) -> Opened:
    """Decrypt a submission's files (every file the envelope names must be in `files`).

    Raise OpenError: `no_key` when no key of the deployment opens it, `corrupt` when a file
    does not decrypt, `signature` when the content is not what the phone signed.
    """
    key = _unwrap_key(envelope.encrypted_key)
    seed = _iv_seed(envelope.instance_id, key)
    plain: list[tuple[str, bytes]] = []
    for index, name in enumerate([*envelope.media, envelope.xml_file]):
        seed[index % IV_BYTES] = (seed[index % IV_BYTES] + 1) % 256
        plain.append((_plain_name(name), _decrypt_file(files[name], key=key, iv=bytes(seed))))
    if not _signature_matches(envelope, plain):
        raise OpenError("signature")
    *media, (_name, xml) = plain
    return Opened(xml=xml, media=dict(media))
