"""A test client that speaks OpenRosa as ODK Collect does (it encrypts with `collect.phone`)."""

from __future__ import annotations

import uuid
from typing import Any

from defusedxml import ElementTree as SafeTree
from django.test import Client

from kinga.collect.phone import (
    Encrypted,
    encrypt_submission,
    form_xml,
    public_key_of,
    submission_body,
)

__all__ = ["OPENROSA", "Collect", "Encrypted", "encrypt_submission", "form_xml", "public_key_of"]

OPENROSA: dict[str, Any] = {
    "HTTP_X_OPENROSA_VERSION": "1.0",
    "HTTP_DATE": "Thu, 03 Dec 2026 07:00:00 GMT",
}


class Collect:
    """A phone running ODK Collect, configured with a Kinga token URL."""

    def __init__(self, client: Client, server_url: str) -> None:
        self.client = client
        self.server = server_url.rstrip("/")

    def form_list(self) -> Any:
        return self.client.get(f"{self.server}/formList", **OPENROSA)

    def download(self, url: str) -> Any:
        return self.client.get(url, **OPENROSA)

    def head(self) -> Any:
        return self.client.head(f"{self.server}/submission", **OPENROSA)

    def post(self, envelope: bytes, files: dict[str, bytes]) -> Any:
        body, content_type = submission_body(Encrypted(envelope, files))
        # `generic` sends the body as built (`post` would encode a multipart body again)
        return self.client.generic(
            "POST", f"{self.server}/submission", body, content_type=content_type, **OPENROSA
        )

    def fill_and_send(
        self,
        form_id: str,
        answers: dict[str, str],
        *,
        media: dict[str, bytes] | None = None,
        instance_id: str | None = None,
    ) -> tuple[Any, str]:
        """List the forms, download one, fill it, encrypt it and send it; return the answer
        and the instanceID."""
        listing = SafeTree.fromstring(self.form_list().content)
        ns = {"x": "http://openrosa.org/xforms/xformsList"}
        for item in listing.findall("x:xform", ns):
            if item.findtext("x:formID", namespaces=ns) == form_id:
                version = item.findtext("x:version", namespaces=ns) or ""
                xform = self.download(item.findtext("x:downloadUrl", namespaces=ns) or "").content
                break
        else:
            raise AssertionError(f"{form_id} is not listed")
        instance_id = instance_id or f"uuid:{uuid.uuid4()}"
        sealed = encrypt_submission(
            public_key_b64=public_key_of(xform),
            form_id=form_id,
            version=version,
            instance_id=instance_id,
            xml=form_xml(form_id, version, instance_id, answers),
            media=media,
        )
        assert self.head().status_code == 204
        return self.post(sealed.envelope, sealed.files), instance_id
