"""Issue 13 point 10: every message in its reader's language, with links under the
deployment's base URL."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from kinga.accounts.models import User
from kinga.audit.models import AuditEvent
from kinga.lib.messages import message_render
from kinga.messaging.models import OutboundMessage
from kinga.notifications.models import Notification
from kinga.notifications.services import notify
from kinga.tasks.services import run_due

pytestmark = pytest.mark.django_db

BASE_URL = "https://kinga.example.org"
REOPENED = gettext_noop("Case %(code)s was reopened.")


@pytest.fixture(autouse=True)
def _deployment(settings: Any, tmp_path: Path) -> None:
    settings.KINGA_SMS_BACKEND = "file"
    settings.KINGA_SMS_FILE_DIR = str(tmp_path / "sms")
    settings.KINGA_BASE_URL = BASE_URL


def sms_texts(settings: Any) -> list[str]:
    path = Path(settings.KINGA_SMS_FILE_DIR) / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["text"] for line in path.read_text().splitlines()]


def kiswahili_reader(user: User, phone: str = "0712345678") -> User:
    User.objects.filter(pk=user.pk).update(
        preferred_language="sw", phone=phone, email=f"{user.username}@example.org"
    )
    user.refresh_from_db()
    return user


def test_the_kiswahili_translation_exists_for_the_message_used_here() -> None:
    english = message_render(message=REOPENED, values={"code": "MSA-7"}, language="en")
    kiswahili = message_render(message=REOPENED, values={"code": "MSA-7"}, language="sw")
    assert english == "Case MSA-7 was reopened."
    assert kiswahili == "Kesi MSA-7 imefunguliwa upya."


def test_a_kiswahili_reader_reads_in_kiswahili_a_notice_an_english_user_caused(
    personas: Any, client_for: Callable[[User | None], Client]
) -> None:
    reader = kiswahili_reader(personas.supervisor)
    with translation.override("en"):  # the English-speaking caseworker's request
        notify(
            recipients=[reader],
            message=REOPENED,
            values={"code": "MSA-7"},
            link="/cases/7/",
            actor=personas.caseworker,
        )
    stored = Notification.objects.get(recipient=reader)
    assert stored.message == REOPENED and stored.values == {"code": "MSA-7"}
    client = client_for(reader)
    client.cookies["django_language"] = "sw"
    body = client.get(reverse("notifications:inbox")).content.decode()
    assert "Kesi MSA-7 imefunguliwa upya." in body
    assert "Case MSA-7 was reopened." not in body
    # The same notice reads in English to whoever reads it in English.
    client.cookies["django_language"] = "en"
    body = client.get(reverse("notifications:inbox")).content.decode()
    assert "Case MSA-7 was reopened." in body


def test_staff_sms_and_email_go_out_in_the_recipients_language_with_the_base_url(
    personas: Any, settings: Any
) -> None:
    reader = kiswahili_reader(personas.supervisor)
    english = kiswahili_reader(personas.caseworker, phone="0722000111")
    User.objects.filter(pk=english.pk).update(preferred_language="en")
    english.refresh_from_db()
    with translation.override("en"):
        notify(
            recipients=[reader, english],
            message=REOPENED,
            values={"code": "MSA-7"},
            link="/cases/7/",
            deliver_by=("sms", "email"),
        )
    # Stored as a key with its values, not as text in the sender's language.
    queued = OutboundMessage.objects.get(recipient=reader)
    assert queued.message == REOPENED and queued.values == {"code": "MSA-7"}
    assert queued.text == ""
    run_due(now=timezone.now())
    texts = sorted(sms_texts(settings))
    assert texts == sorted(
        [
            f"Kesi MSA-7 imefunguliwa upya. {BASE_URL}/cases/7/",
            f"Case MSA-7 was reopened. {BASE_URL}/cases/7/",
        ]
    )
    by_address = {message.to[0]: message for message in mail.outbox}
    swahili_mail = by_address[reader.email]
    assert "Kesi MSA-7 imefunguliwa upya." in swahili_mail.body
    assert f"{BASE_URL}/cases/7/" in swahili_mail.body
    assert swahili_mail.subject == message_render(
        message="Kinga: a notice for you", values=None, language="sw"
    )
    assert swahili_mail.subject != "Kinga: a notice for you"
    assert "Case MSA-7 was reopened." in by_address[english.email].body


def test_a_message_link_is_a_path_of_this_site_never_another_host(personas: Any) -> None:
    for link in ("https://elsewhere.example.com/cases/7/", "//elsewhere/x", "cases/7/"):
        with pytest.raises(ValueError):
            notify(recipients=[personas.supervisor], message=REOPENED, link=link)
    with pytest.raises(ValueError):  # values are codes and counts, nothing else
        notify(recipients=[personas.supervisor], message=REOPENED, values={"code": ["x"]})
    assert not Notification.objects.exists()


def test_a_danger_alert_sms_links_only_to_the_base_url(personas: Any, settings: Any) -> None:
    from kinga.intake.models import Alert
    from kinga.intake.tests.test_web_and_triage import make_report

    on_call = kiswahili_reader(personas.investigator)
    User.objects.filter(pk=on_call.pk).update(on_call=True)
    report = make_report(danger_now="yes")
    alert = Alert.objects.get(report=report)
    run_due(now=timezone.now())
    texts = [text for text in sms_texts(settings) if report.reference in text]
    assert len(texts) == 1
    addresses = re.findall(r"\w+://\S+", texts[0])
    assert addresses == [f"{BASE_URL}/intake/alerts/{alert.pk}/"]
    assert (
        texts[0]
        == message_render(
            message="Urgent: report %(reference)s says a child is in danger now.",
            values={"reference": report.reference},
            language="sw",
        )
        + f" {BASE_URL}/intake/alerts/{alert.pk}/"
    )
    notice = Notification.objects.get(recipient=on_call, kind="danger_alert")
    assert notice.link == f"/intake/alerts/{alert.pk}/"


def test_no_service_writes_a_host_into_a_message() -> None:
    """No code outside settings names a host or port for links."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts
        and path.name != "settings.py"
        and re.search(r"https?://(127\.0\.0\.1|localhost)", path.read_text())
        and "management" not in path.parts
    ]
    assert offenders == []


def test_the_language_switch_keeps_a_signed_in_users_preference(
    personas: Any, client_for: Callable[[User | None], Client]
) -> None:
    user = personas.counsellor
    assert user.preferred_language == "en"
    client = client_for(user)
    response = client.post(reverse("set_language"), {"language": "sw", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.preferred_language == "sw"
    assert AuditEvent.objects.filter(
        actor=user, record_type="accounts.user", fields=["preferred_language"]
    ).exists()
    # Anonymous visitors switch the page's language only.
    anonymous = Client()
    assert anonymous.post(reverse("set_language"), {"language": "sw"}).status_code == 302
