"""The OpenRosa documents: the form list, a manifest, the submission response, and reading
what a phone sent (an encrypted envelope, or a form's XML once opened).

Phones' XML is parsed with defusedxml (no entities, no external references).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring  # noqa: S405 - writing only

from defusedxml import ElementTree as SafeTree

from kinga.collect.encryption import Envelope

OPENROSA_VERSION = "1.0"
XFORMS_LIST = "http://openrosa.org/xforms/xformsList"
MANIFEST = "http://openrosa.org/xforms/xformsManifest"
RESPONSE = "http://openrosa.org/http/response"
ENCRYPTED = "http://www.opendatakit.org/xforms/encrypted"
MAX_ID = 100


class NotASubmission(Exception):
    """What was sent is not a form's XML, or names no instanceID."""


@dataclass(frozen=True)
class ListedForm:
    form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str


def form_list(forms: Iterable[ListedForm]) -> bytes:
    """Return the `xforms` list of the OpenRosa form list API."""
    root = Element("xforms", xmlns=XFORMS_LIST)
    for form in forms:
        item = SubElement(root, "xform")
        for tag, text in (
            ("formID", form.form_id),
            ("name", form.name),
            ("version", form.version),
            ("hash", f"md5:{form.md5}"),
            ("downloadUrl", form.download_url),
            ("manifestUrl", form.manifest_url),
        ):
            SubElement(item, tag).text = text
    return _document(root)


def manifest() -> bytes:
    """Return an empty manifest: Kinga's forms need no media files."""
    return _document(Element("manifest", xmlns=MANIFEST))


def response(message: str, *, nature: str = "submit_success") -> bytes:
    """Return an `OpenRosaResponse` carrying one message for the person holding the phone."""
    root = Element("OpenRosaResponse", xmlns=RESPONSE)
    SubElement(root, "message", nature=nature).text = message
    return _document(root)


def _document(root: Element) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode")
    ).encode()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse(data: bytes) -> Element:
    try:
        root: Element = SafeTree.fromstring(data)
    except Exception as error:  # ParseError and defusedxml's refusals alike
        raise NotASubmission(type(error).__name__) from None
    return root


def _instance_id(root: Element) -> str:
    for element in root.iter():
        if _local(element.tag) == "instanceID" and (element.text or "").strip():
            value = (element.text or "").strip()
            if len(value) > MAX_ID:
                raise NotASubmission("instanceID too long")
            return value
    raise NotASubmission("no instanceID")


@dataclass(frozen=True)
class Sent:
    """What the submission file says of itself: its form, instance, and (when encrypted)
    its envelope."""

    form_id: str
    version: str
    instance_id: str
    envelope: Envelope | None


def sent_read(data: bytes) -> Sent:
    """Read a submission file: an encrypted envelope, or a form's plain XML.

    Raise NotASubmission when it is not XML or names no instanceID.
    """
    root = _parse(data)
    form_id = (root.get("id") or "")[:64]
    version = (root.get("version") or "")[:64]
    instance_id = _instance_id(root)
    if root.get("encrypted") != "yes":
        return Sent(form_id=form_id, version=version, instance_id=instance_id, envelope=None)
    texts: dict[str, str] = {}
    media: list[str] = []
    for element in root:
        tag = _local(element.tag)
        if tag == "media":
            media += [(file.text or "").strip() for file in element if _local(file.tag) == "file"]
        else:
            texts[tag] = (element.text or "").strip()
    envelope = Envelope(
        form_id=form_id,
        version=root.get("version") or "",
        instance_id=instance_id,
        encrypted_key=texts.get("base64EncryptedKey", ""),
        media=tuple(name for name in media if name),
        xml_file=texts.get("encryptedXmlFile", ""),
        signature=texts.get("base64EncryptedElementSignature", ""),
    )
    return Sent(form_id=form_id, version=version, instance_id=instance_id, envelope=envelope)


@dataclass(frozen=True)
class Answers:
    """A form's answers: each question's text by its name (groups flattened)."""

    form_id: str
    instance_id: str
    values: dict[str, str]


def answers_read(data: bytes) -> Answers:
    """Read a form's XML (once opened) into its answers. Raise NotASubmission."""
    root = _parse(data)
    values: dict[str, str] = {}
    for element in root.iter():
        if len(element) == 0 and element is not root:
            values[_local(element.tag)] = (element.text or "").strip()
    return Answers(form_id=root.get("id") or "", instance_id=_instance_id(root), values=values)
