"""Encrypted submissions, nothing lost and nothing doubled: driven as ODK Collect sends them."""

from __future__ import annotations

from typing import Any

import pytest
from defusedxml import ElementTree

from kinga.audit.models import AuditEvent
from kinga.collect import services
from kinga.collect.models import QuarantineReason, Submission, SubmissionFile, SubmissionStatus
from kinga.collect.tests.conftest import FIELD_REPORT
from kinga.collect.tests.odk import Collect, encrypt_submission, form_xml, public_key_of
from kinga.intake.models import Channel, Report
from kinga.tasks.models import Task

pytestmark = pytest.mark.django_db


def _sealed(collect: Collect, instance_id: str, answers: dict[str, str], **kw: Any) -> Any:
    xform = collect.download(f"{collect.server}/forms/kinga_field_report.xml").content

    version = (
        ElementTree.fromstring(xform).find(".//{http://www.w3.org/2002/xforms}data").get("version")
    )  # type: ignore[union-attr]
    return encrypt_submission(
        public_key_b64=public_key_of(xform),
        form_id="kinga_field_report",
        version=version,
        instance_id=instance_id,
        xml=form_xml("kinga_field_report", version, instance_id, answers),
        **kw,
    )


def test_an_encrypted_field_report_becomes_a_report_with_its_volunteer(
    phone: tuple[Collect, str], volunteer: Any
) -> None:
    collect, _secret = phone
    response, instance_id = collect.fill_and_send("kinga_field_report", FIELD_REPORT)
    assert response.status_code == 201
    assert response["X-OpenRosa-Version"] == "1.0"
    assert b"OpenRosaResponse" in response.content and b"submit_success" in response.content
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.status == SubmissionStatus.FILED
    assert submission.volunteer == volunteer
    assert submission.started_on_phone is not None and submission.finished_on_phone is not None
    report = submission.report
    assert report is not None
    assert report.channel == Channel.FIELD
    assert report.channel_reference == instance_id
    assert report.categories == ["sexual_exploitation", "online"]
    assert report.county is not None and report.county.code == 1
    assert report.narrative.startswith("Two girls")
    assert report.online_platform == "whatsapp"
    assert report.children_count == 2
    # routed like any public channel: a task stored with the report
    assert Task.objects.filter(name="intake.route_report", payload__report_id=report.pk).exists()
    # the envelope is kept encrypted (the phone's encryption, and the data keys at rest)
    assert "Two girls" not in submission.envelope
    actions = set(
        AuditEvent.objects.filter(
            record_type__in=["collect.submission", "intake.report"]
        ).values_list("record_type", "actor_label")
    )
    assert ("collect.submission", f"field:{volunteer.code}") in actions
    assert ("intake.report", f"field:{volunteer.code}") in actions


def test_the_same_submission_twice_is_one_report_answered_201_again(
    phone: tuple[Collect, str],
) -> None:
    collect, _secret = phone
    sealed = _sealed(collect, "uuid:twice", FIELD_REPORT)
    first = collect.post(sealed.envelope, sealed.files)
    second = collect.post(sealed.envelope, sealed.files)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert Submission.objects.count() == 1
    assert Report.objects.filter(channel=Channel.FIELD).count() == 1
    assert SubmissionFile.objects.count() == 1


def test_the_same_instance_with_other_content_is_kept_apart_and_refused_409(
    phone: tuple[Collect, str],
) -> None:
    collect, _secret = phone
    first = _sealed(collect, "uuid:clash", FIELD_REPORT)
    other = _sealed(collect, "uuid:clash", {**FIELD_REPORT, "narrative": "Something else"})
    assert collect.post(first.envelope, first.files).status_code == 201
    refused = collect.post(other.envelope, other.files)
    assert refused.status_code == 409
    assert b"OpenRosaResponse" in refused.content
    again = collect.post(other.envelope, other.files)
    assert again.status_code == 409
    kept = Submission.objects.filter(instance_id="uuid:clash", status=SubmissionStatus.CONFLICT)
    assert kept.count() == 1  # kept for review once, however often it comes
    assert kept.get().conflict_of is not None
    assert Report.objects.filter(channel=Channel.FIELD).count() == 1


def test_an_attachment_sent_in_a_later_request_joins_its_submission(
    phone: tuple[Collect, str],
) -> None:
    collect, _secret = phone
    photo = b"\x89PNG made-up sign of a venue" * 40
    sealed = _sealed(collect, "uuid:split", FIELD_REPORT, media={"sign.jpg": photo})
    xml_part = {"submission.xml.enc": sealed.files["submission.xml.enc"]}
    first = collect.post(sealed.envelope, xml_part)
    assert first.status_code == 201
    submission = Submission.objects.get(instance_id="uuid:split")
    assert submission.status == SubmissionStatus.WAITING
    assert not Report.objects.exists()
    second = collect.post(sealed.envelope, {"sign.jpg.enc": sealed.files["sign.jpg.enc"]})
    assert second.status_code == 201
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.FILED
    assert submission.report is not None
    assert sorted(
        SubmissionFile.objects.filter(submission=submission).values_list("name", flat=True)
    ) == [
        "sign.jpg.enc",
        "submission.xml.enc",
    ]
    # the photo is kept as the phone encrypted it, never in clear
    stored = SubmissionFile.objects.get(name="sign.jpg.enc")
    assert photo not in bytes(stored.content)
    # and the whole again changes nothing
    assert collect.post(sealed.envelope, sealed.files).status_code == 201
    assert Report.objects.count() == 1


def test_a_corrupt_submission_is_quarantined_not_dropped(phone: tuple[Collect, str]) -> None:
    collect, _secret = phone
    sealed = _sealed(collect, "uuid:corrupt", FIELD_REPORT)
    damaged = bytearray(sealed.files["submission.xml.enc"])
    damaged[5] ^= 0xFF
    response = collect.post(sealed.envelope, {"submission.xml.enc": bytes(damaged)})
    assert response.status_code == 201  # kept: the phone need not hold it any longer
    submission = Submission.objects.get(instance_id="uuid:corrupt")
    assert submission.status == SubmissionStatus.QUARANTINED
    assert submission.quarantine_reason in {QuarantineReason.CORRUPT, QuarantineReason.SIGNATURE}
    assert SubmissionFile.objects.filter(submission=submission).exists()
    assert not Report.objects.exists()


def test_what_is_not_xml_is_quarantined_by_its_digest(phone: tuple[Collect, str]) -> None:
    collect, _secret = phone
    assert collect.post(b"\x00\x01 not xml", {}).status_code == 201
    assert collect.post(b"\x00\x01 not xml", {}).status_code == 201
    submission = Submission.objects.get()
    assert submission.quarantine_reason == QuarantineReason.NOT_XML
    assert submission.instance_id.startswith("sha256:")


def test_a_submission_sent_without_encryption_is_quarantined_and_encrypted_at_rest(
    phone: tuple[Collect, str],
) -> None:
    collect, _secret = phone
    plain = form_xml("kinga_field_report", "v", "uuid:plain", FIELD_REPORT)
    response = collect.post(plain, {"sign.jpg": b"clear photo bytes"})
    assert response.status_code == 201
    submission = Submission.objects.get(instance_id="uuid:plain")
    assert submission.quarantine_reason == QuarantineReason.NOT_ENCRYPTED
    assert "Two girls" not in submission.envelope  # the model decrypts; the column does not hold it
    stored = SubmissionFile.objects.get(submission=submission)
    assert b"clear photo bytes" not in bytes(stored.content)
    assert services.file_content(stored, sealed=False) == b"clear photo bytes"
    assert not Report.objects.exists()


def test_a_submission_to_a_key_no_longer_held_is_quarantined(
    phone: tuple[Collect, str], settings: Any
) -> None:
    from kinga.collect.encryption import new_private_key_pem

    collect, _secret = phone
    sealed = _sealed(collect, "uuid:old-key", FIELD_REPORT)
    settings.KINGA_COLLECT_KEYS = new_private_key_pem()
    assert collect.post(sealed.envelope, sealed.files).status_code == 201
    assert Submission.objects.get().quarantine_reason == QuarantineReason.NO_KEY
    assert not Report.objects.exists()


def test_a_quarantined_submission_files_once_its_key_is_back(
    phone: tuple[Collect, str], settings: Any, collect_key_pem: str, personas: Any, client_for: Any
) -> None:
    from django.urls import reverse

    from kinga.collect.encryption import new_private_key_pem

    collect, _secret = phone
    sealed = _sealed(collect, "uuid:key-back", FIELD_REPORT)
    settings.KINGA_COLLECT_KEYS = new_private_key_pem()
    collect.post(sealed.envelope, sealed.files)
    submission = Submission.objects.get()
    retry = reverse("collect:quarantine_retry", args=[submission.pk])
    # still without the key: it stays, quarantined
    assert client_for(personas.admin).post(retry).status_code == 302
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.QUARANTINED
    # a supervisor may not retry; the administrator may, once the key is back
    assert client_for(personas.supervisor).post(retry).status_code == 404
    settings.KINGA_COLLECT_KEYS = collect_key_pem
    assert client_for(personas.admin).post(retry).status_code == 302
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.FILED
    assert submission.report is not None
    assert submission.report.received_at == submission.received_at


def test_after_rotation_the_old_key_still_opens_what_phones_made_with_it(
    phone: tuple[Collect, str], settings: Any, collect_key_pem: str
) -> None:
    from kinga.collect.encryption import new_private_key_pem

    collect, _secret = phone
    sealed = _sealed(collect, "uuid:rotated", FIELD_REPORT)
    settings.KINGA_COLLECT_KEYS = new_private_key_pem() + "\n" + collect_key_pem
    assert collect.post(sealed.envelope, sealed.files).status_code == 201
    assert Submission.objects.get().status == SubmissionStatus.FILED


def test_an_answer_the_form_does_not_offer_is_quarantined(phone: tuple[Collect, str]) -> None:
    collect, _secret = phone
    sealed = _sealed(collect, "uuid:bad-choice", {**FIELD_REPORT, "danger_now": "maybe"})
    assert collect.post(sealed.envelope, sealed.files).status_code == 201
    submission = Submission.objects.get()
    assert submission.quarantine_reason == QuarantineReason.INVALID
    assert not Report.objects.exists()


def test_a_crash_half_way_leaves_nothing_and_the_resend_files_it(
    phone: tuple[Collect, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    collect, _secret = phone
    sealed = _sealed(collect, "uuid:crash", FIELD_REPORT)
    events = AuditEvent.objects.count()

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the server died here")

    monkeypatch.setattr("kinga.intake.services.field.enter_triage", boom)
    with pytest.raises(RuntimeError):
        collect.post(sealed.envelope, sealed.files)
    assert not Submission.objects.exists()
    assert not SubmissionFile.objects.exists()
    assert not Report.objects.exists()
    assert AuditEvent.objects.count() == events
    monkeypatch.undo()
    assert collect.post(sealed.envelope, sealed.files).status_code == 201
    assert Report.objects.filter(channel=Channel.FIELD).count() == 1


def test_other_forms_are_filed_as_what_they_are_never_as_reports(
    phone: tuple[Collect, str], running_campaign: Any
) -> None:
    """An awareness event or a home visit is never a report in triage (issue 19: each is
    filed as itself; see test_filed_onward)."""
    collect, _secret = phone
    response, instance_id = collect.fill_and_send(
        "kinga_awareness_event",
        {
            "campaign": str(running_campaign.pk),
            "event_type": "beach_hotel",
            "held_on": "2026-12-01",
            "county": "1",
            "audience": "tourism",
            "adults": "40",
            "young_people": "0",
        },
    )
    assert response.status_code == 201
    # no ward given: an answer the form requires is missing, so it is kept for the office
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.status == SubmissionStatus.QUARANTINED
    assert not Report.objects.exists()
