"""The OpenRosa endpoints, driven as ODK Collect drives them."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from defusedxml import ElementTree
from django.test import Client

from kinga.collect import services
from kinga.collect.models import Submission
from kinga.collect.selectors import token_live
from kinga.collect.tests.conftest import FIELD_REPORT
from kinga.collect.tests.odk import OPENROSA, Collect, encrypt_submission, form_xml, public_key_of
from kinga.intake.models import Report

pytestmark = pytest.mark.django_db
LIST_NS = {"x": "http://openrosa.org/xforms/xformsList"}


def test_form_list_names_each_form_with_its_version_hash_and_urls(
    phone: tuple[Collect, str], running_campaign: Any
) -> None:
    collect, secret = phone
    response = collect.form_list()
    assert response.status_code == 200
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    items = {
        item.findtext("x:formID", namespaces=LIST_NS): item
        for item in root.findall("x:xform", LIST_NS)
    }
    assert set(items) == {"kinga_field_report", "kinga_home_visit", "kinga_awareness_event"}
    report = items["kinga_field_report"]
    url = report.findtext("x:downloadUrl", namespaces=LIST_NS) or ""
    assert url == f"http://testserver/odk/key/{secret}/forms/kinga_field_report.xml"
    form = collect.download(url)
    assert form.status_code == 200
    assert form["X-OpenRosa-Version"] == "1.0"
    assert (
        report.findtext("x:hash", namespaces=LIST_NS)
        == f"md5:{hashlib.md5(form.content).hexdigest()}"
    )
    manifest = collect.download(report.findtext("x:manifestUrl", namespaces=LIST_NS) or "")
    assert manifest.status_code == 200
    assert b"xformsManifest" in manifest.content


def test_every_form_carries_the_public_key_and_says_never_a_picture_of_a_child(
    phone: tuple[Collect, str], settings: Any, running_campaign: Any
) -> None:
    collect, secret = phone
    for form_id in ("kinga_field_report", "kinga_home_visit", "kinga_awareness_event"):
        xform = collect.download(f"{collect.server}/forms/{form_id}.xml").content
        assert public_key_of(xform)
        text = xform.decode()
        assert "Kiswahili (sw)" in text and "English (en)" in text
    report = collect.download(f"{collect.server}/forms/kinga_field_report.xml").content.decode()
    assert "Never a picture of a child" in report
    assert "Kamwe si picha ya mtoto" in report
    # the same codes as the web form, and only the coast's places
    assert "<name>sexual_exploitation</name>" in report
    assert "<name>self</name>" not in report  # a child does not report through a volunteer
    visit = collect.download(f"{collect.server}/forms/kinga_home_visit.xml").content.decode()
    assert "[0-9]{4}-[0-9]{5}" in visit  # a case code as cases makes them: MSA-2026-00042


def test_head_answers_204_with_the_size_limit(phone: tuple[Collect, str], settings: Any) -> None:
    collect, _secret = phone
    response = collect.head()
    assert response.status_code == 204
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["X-OpenRosa-Accept-Content-Length"] == str(settings.KINGA_COLLECT_MAX_BYTES)


def test_unknown_token_gets_401_everywhere_and_nothing_is_stored(personas: Any) -> None:
    collect = Collect(Client(), "http://testserver/odk/key/not-a-token-anyone-was-given/")
    assert collect.form_list().status_code == 401
    assert collect.download(f"{collect.server}/forms/kinga_field_report.xml").status_code == 401
    assert collect.head().status_code == 401
    assert (
        collect.post(
            b"<data id='x'><meta><instanceID>uuid:1</instanceID></meta></data>", {}
        ).status_code
        == 401
    )
    assert not Submission.objects.exists()


def test_revoked_token_gets_401_at_once_and_nothing_is_stored(
    phone: tuple[Collect, str], personas: Any
) -> None:
    collect, secret = phone
    form = collect.download(f"{collect.server}/forms/kinga_field_report.xml")
    version = "v"
    sealed = encrypt_submission(
        public_key_b64=public_key_of(form.content),
        form_id="kinga_field_report",
        version=version,
        instance_id="uuid:revoked-1",
        xml=form_xml("kinga_field_report", version, "uuid:revoked-1", FIELD_REPORT),
    )
    token = token_live(secret=secret)
    assert token is not None
    services.token_revoke(actor=None, token=token)
    assert collect.form_list().status_code == 401
    assert collect.head().status_code == 401
    assert collect.post(sealed.envelope, sealed.files).status_code == 401
    assert not Submission.objects.exists()
    assert not Report.objects.exists()


def test_a_submission_larger_than_advertised_is_refused_unread(
    phone: tuple[Collect, str], settings: Any
) -> None:
    collect, _secret = phone
    settings.KINGA_COLLECT_MAX_BYTES = 2000
    response = collect.post(b"<data/>", {"big.jpg.enc": b"x" * 5000})
    assert response.status_code == 413
    assert b"OpenRosaResponse" in response.content
    assert not Submission.objects.exists()


def test_a_post_without_the_form_part_is_a_clear_400(phone: tuple[Collect, str]) -> None:
    collect, _secret = phone
    response = collect.client.post(f"{collect.server}/submission", {"other": "value"}, **OPENROSA)
    assert response.status_code == 400
    assert b"No form was found" in response.content
    assert not Submission.objects.exists()


def test_a_body_without_a_length_is_asked_for_one(phone: tuple[Collect, str]) -> None:
    collect, _secret = phone
    response = collect.client.generic(
        "POST",
        f"{collect.server}/submission",
        data=b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **OPENROSA,
    )
    assert response.status_code == 411
    assert not Submission.objects.exists()


def test_a_phone_over_its_rate_is_answered_429_and_nothing_is_stored(
    phone: tuple[Collect, str], settings: Any
) -> None:
    collect, _secret = phone
    settings.KINGA_COLLECT_RATE_LIMIT = "1/3600"
    plain = form_xml("kinga_field_report", "v", "uuid:r1", FIELD_REPORT)
    assert collect.post(plain, {}).status_code == 201
    refused = collect.post(form_xml("kinga_field_report", "v", "uuid:r2", FIELD_REPORT), {})
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert Submission.objects.count() == 1


def test_a_phones_token_never_reaches_the_logs() -> None:
    from kinga.lib.redaction import redact

    line = "Unauthorized: /odk/key/AbC-123_xyz/submission"
    assert redact(line) == "Unauthorized: /odk/key/[redacted]/submission"


def _chunked(collect: Collect, body: bytes, content_type: str) -> Any:
    """Post as a de-chunking server (gunicorn) hands Django a chunked upload: no length."""
    return collect.client.generic(
        "POST",
        f"{collect.server}/submission",
        data=b"",
        content_type=content_type,
        CONTENT_LENGTH="",
        CONTENT_TYPE=content_type,
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
        **OPENROSA,
    )


def test_a_chunked_upload_is_read_and_filed(phone: tuple[Collect, str]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    collect, _secret = phone
    form = collect.download(f"{collect.server}/forms/kinga_field_report.xml").content
    sealed = encrypt_submission(
        public_key_b64=public_key_of(form),
        form_id="kinga_field_report",
        version="v",
        instance_id="uuid:chunked",
        xml=form_xml("kinga_field_report", "v", "uuid:chunked", FIELD_REPORT),
    )
    body = encode_multipart(
        BOUNDARY,
        {
            "xml_submission_file": SimpleUploadedFile("submission.xml", sealed.envelope),
            "file0": SimpleUploadedFile("submission.xml.enc", sealed.files["submission.xml.enc"]),
        },
    )
    response = _chunked(collect, body, MULTIPART_CONTENT)
    assert response.status_code == 201
    assert Submission.objects.get().report is not None


def test_a_chunked_upload_larger_than_advertised_is_refused(
    phone: tuple[Collect, str], settings: Any
) -> None:
    collect, _secret = phone
    settings.KINGA_COLLECT_MAX_BYTES = 1000
    response = _chunked(collect, b"x" * 5000, "multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert not Submission.objects.exists()
