"""The phone's side of ODK's encrypted-form scheme, for the tests and the benchmark.

Written from ODK's published scheme (see `kinga.collect.encryption`, the server's side): a
random AES-256 key, RSA-OAEP (SHA-1, MGF1) under the form's public key, AES-CFB with PKCS#5
padding per file, each file's IV the MD5 of instanceID and key with one more byte
incremented per file, and the envelope's signature over the files' MD5s. Kinga itself never
encrypts a submission; this makes what a phone would send.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from xml.etree import ElementTree  # noqa: S405 - builds the phone's XML; parsing is defusedxml's

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asymmetric_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from defusedxml import ElementTree as SafeTree


def _oaep() -> asymmetric_padding.OAEP:
    return asymmetric_padding.OAEP(
        mgf=asymmetric_padding.MGF1(algorithm=hashes.SHA1()),  # noqa: S303 - ODK's scheme
        algorithm=hashes.SHA1(),  # noqa: S303 - ODK's scheme
        label=None,
    )


def public_key_of(xform: bytes) -> str:
    """Return the base64 public key a downloaded XForm carries."""
    root = SafeTree.fromstring(xform)
    for element in root.iter():
        if element.tag.endswith("submission") and element.get("base64RsaPublicKey"):
            return element.get("base64RsaPublicKey") or ""
    raise AssertionError("the form carries no public key")


def form_xml(form_id: str, version: str, instance_id: str, answers: dict[str, str]) -> bytes:
    """Return a filled form's XML as Collect writes it (`<data id= version=>...<meta>`)."""
    root = ElementTree.Element("data", id=form_id, version=version)
    for name, value in answers.items():
        ElementTree.SubElement(root, name).text = value
    meta = ElementTree.SubElement(root, "meta")
    ElementTree.SubElement(meta, "instanceID").text = instance_id
    return ElementTree.tostring(root, encoding="unicode").encode()


@dataclass
class Encrypted:
    envelope: bytes
    files: dict[str, bytes] = field(default_factory=dict)


def encrypt_submission(
    *,
    public_key_b64: str,
    form_id: str,
    version: str,
    instance_id: str,
    xml: bytes,
    media: dict[str, bytes] | None = None,
) -> Encrypted:
    """Encrypt a filled form and its media as Collect does on finalising it."""
    public = serialization.load_der_public_key(base64.b64decode(public_key_b64))
    assert isinstance(public, rsa.RSAPublicKey)
    key = os.urandom(32)
    sealed_key = base64.b64encode(public.encrypt(key, _oaep())).decode()
    seed = bytearray(hashlib.md5(instance_id.encode() + key, usedforsecurity=False).digest())
    files: dict[str, bytes] = {}
    signature_lines = (
        [form_id, version, sealed_key, instance_id]
        if version
        else [
            form_id,
            sealed_key,
            instance_id,
        ]
    )
    order = [*(media or {}).items(), ("submission.xml", xml)]
    for index, (name, content) in enumerate(order):
        seed[index % 16] = (seed[index % 16] + 1) % 256
        padder = padding.PKCS7(128).padder()
        padded = padder.update(content) + padder.finalize()
        encryptor = Cipher(algorithms.AES(key), CFB(bytes(seed))).encryptor()
        files[f"{name}.enc"] = encryptor.update(padded) + encryptor.finalize()
        signature_lines.append(f"{name}::{hashlib.md5(content, usedforsecurity=False).hexdigest()}")
    digest = hashlib.md5(
        "".join(f"{line}\n" for line in signature_lines).encode(), usedforsecurity=False
    ).digest()
    signature = base64.b64encode(public.encrypt(digest, _oaep())).decode()
    media_xml = "".join(f"<file>{name}.enc</file>" for name in (media or {}))
    envelope = (
        f'<data id="{form_id}" version="{version}" encrypted="yes" '
        f'xmlns="http://www.opendatakit.org/xforms/encrypted">'
        f"<base64EncryptedKey>{sealed_key}</base64EncryptedKey>"
        f'<orx:meta xmlns:orx="http://openrosa.org/xforms"><orx:instanceID>{instance_id}'
        f"</orx:instanceID></orx:meta>"
        f"<media>{media_xml}</media>"
        f"<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>"
        f"<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature>"
        f"</data>"
    ).encode()
    return Encrypted(envelope=envelope, files=files)


def submission_body(sealed: Encrypted) -> tuple[bytes, str]:
    """Return the multipart body and its content type that Collect posts for an encrypted
    submission: the envelope as `xml_submission_file`, each sealed file as `fileN`."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    data = {
        "xml_submission_file": SimpleUploadedFile("submission.xml", sealed.envelope, "text/xml"),
        **{
            f"file{n}": SimpleUploadedFile(name, content, "application/octet-stream")
            for n, (name, content) in enumerate(sealed.files.items())
        },
    }
    return encode_multipart(BOUNDARY, data), MULTIPART_CONTENT
