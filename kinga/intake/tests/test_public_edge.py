"""The public edge: submission tokens the server issued, posts from other sites, and the
gateway's callback key (in a header, compared in constant time, kept out of logs)."""

from __future__ import annotations

import io
import logging
import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from kinga.audit.models import AuditEvent
from kinga.intake.models import Channel, Report
from kinga.intake.submission import SUBMISSION_SALT, submission_token_check
from kinga.intake.tests.conftest import KEY
from kinga.lib.redaction import RedactCallbackKey, redact

pytestmark = pytest.mark.django_db

NARRATIVE = "Girls taken to a bar in Mtwapa at night"


def form_data(token: str, **extra: Any) -> dict[str, Any]:
    return {
        "lang": "en",
        "submission": token,
        "categories": ["sexual_exploitation"],
        "narrative": NARRATIVE,
        "danger_now": "no",
        "reporter_relation": "neighbour",
        **extra,
    }


def issued_token(client: Client) -> str:
    token: str = client.get("/report/?lang=en").context["form"].initial["submission"]
    return token


def assert_form_kept_with_fresh_token(response: Any, refused: str, message: str) -> None:
    """The form comes back with the reporter's words, the reason, and a token that works."""
    assert response.status_code == 200
    assert "code" not in response.context
    page = response.content.decode()
    assert NARRATIVE in page
    assert message in page
    fresh = response.context["form"]["submission"].value()
    assert fresh != refused
    submission_token_check(fresh)  # raises if the server did not issue it
    assert Report.objects.count() == 0


def test_a_made_up_token_is_refused_and_the_form_kept(client: Client) -> None:
    """Guards issue 11 hole 11: a report posted with a token the server never issued."""
    response = client.post("/report/?lang=en", form_data("made-up-token-0001"))
    assert_form_kept_with_fresh_token(response, "made-up-token-0001", "We could not check")
    # the fresh token is accepted
    fresh = response.context["form"]["submission"].value()
    accepted = client.post("/report/?lang=en", form_data(fresh))
    assert accepted.context["code"] and Report.objects.count() == 1


def test_a_token_signed_for_something_else_is_refused(client: Client) -> None:
    """Guards issue 11 hole 11: a value Django signed with another salt is not a token."""
    other = signing.TimestampSigner(salt="another-purpose").sign("abcdefghijklmnop")
    response = client.post("/report/?lang=en", form_data(other))
    assert_form_kept_with_fresh_token(response, other, "We could not check")


def test_an_expired_token_is_refused_and_the_form_kept(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards issue 11 hole 11: a token older than its lifetime is not accepted."""
    settings.KINGA_REPORT_FORM_HOURS = 6
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 7 * 3600)
    old = signing.TimestampSigner(salt=SUBMISSION_SALT).sign("issued-seven-hours-ago")
    monkeypatch.setattr(time, "time", real_time)
    response = client.post("/report/?lang=en", form_data(old))
    assert_form_kept_with_fresh_token(response, old, "open for too long")


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://attacker.example"},
        {"HTTP_ORIGIN": "null"},  # a sandboxed frame of another site
        {"HTTP_REFERER": "https://attacker.example/page.html"},
    ],
    ids=["origin", "null-origin", "referer"],
)
def test_a_post_from_another_site_is_refused_and_the_form_kept(
    client: Client, headers: dict[str, str]
) -> None:
    """Guards issue 11 hole 11: a valid token posted from a foreign Origin (or Referer)."""
    token = issued_token(client)
    response = client.post("/report/?lang=en", form_data(token), **headers)  # type: ignore[arg-type]
    assert_form_kept_with_fresh_token(response, token, "sent from another website")


def test_a_post_from_this_site_or_a_trusted_origin_is_accepted(
    client: Client, settings: Any
) -> None:
    token = issued_token(client)
    same = client.post("/report/?lang=en", form_data(token), HTTP_ORIGIN="http://testserver")
    assert same.context["code"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.kinga.example"]
    trusted = client.post(
        "/report/?lang=en",
        form_data(issued_token(client)),
        HTTP_ORIGIN="https://report.kinga.example",
    )
    assert trusted.context["code"]
    assert Report.objects.count() == 2


def test_the_public_form_keeps_sending_its_origin(client: Client) -> None:
    """Under "no-referrer" a browser posts the form with `Origin: null`, which is refused."""
    response = client.get("/report/?lang=en")
    assert response["Referrer-Policy"] == "same-origin"
    page = response.content.decode()
    assert '<meta name="referrer" content="same-origin">' in page
    assert "no-referrer" not in page


def test_the_same_token_twice_is_one_report_with_the_same_code(client: Client) -> None:
    token = issued_token(client)
    first = client.post("/report/?lang=en", form_data(token))
    second = client.post("/report/?lang=en", form_data(token, narrative="changed my mind"))
    assert first.context["code"] and second.context["code"] == first.context["code"]
    report = Report.objects.get(channel=Channel.WEB)
    assert report.narrative == NARRATIVE
    assert AuditEvent.objects.filter(record_type="intake.report").count() == 1
    # the database holds neither the token nor its one-time value
    assert token not in report.channel_reference
    assert submission_token_check(token) not in report.channel_reference


def test_a_follow_up_from_another_site_adds_nothing(client: Client) -> None:
    """Guards issue 11 hole 11: the follow-up form refuses a foreign Origin too."""
    token = issued_token(client)
    code = client.post("/report/?lang=en", form_data(token)).context["code"]
    response = client.post(
        "/report/follow-up/?lang=en",
        {"lang": "en", "code": code, "text": "planted by another site"},
        HTTP_ORIGIN="https://attacker.example",
    )
    assert "sent from another website" in response.content.decode()
    assert not Report.objects.get().additions.exists()


# --- the gateway's callback key ------------------------------------------------------


USSD = "/channels/africastalking/ussd/"


def test_the_callback_key_is_accepted_in_a_header(client: Client) -> None:
    response = client.post(
        USSD, {"sessionId": "header-1", "text": ""}, HTTP_X_KINGA_CALLBACK_KEY=KEY
    )
    assert response.status_code == 200 and response.content.startswith(b"CON ")


def test_a_wrong_key_in_the_header_is_refused_even_with_the_right_one_in_the_url(
    client: Client,
) -> None:
    response = client.post(
        f"{USSD}?key={KEY}",
        {"sessionId": "header-2", "text": ""},
        HTTP_X_KINGA_CALLBACK_KEY="wrong",
    )
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_no_key_at_all_is_refused(client: Client) -> None:
    assert client.post(USSD, {"sessionId": "s", "text": ""}).status_code == 403


def test_the_callback_key_never_reaches_a_log() -> None:
    """Guards issue 11 hole 11: the request line with `?key=` as the server logs it."""
    handlers = {
        handler
        for name in ("", "django.server", "django.request")
        for handler in logging.getLogger(name).handlers
        if any(isinstance(each, RedactCallbackKey) for each in handler.filters)
    }
    assert handlers  # the configured console handler carries the filter
    written = io.StringIO()
    streams = {handler: handler.setStream(written) for handler in handlers}  # type: ignore[attr-defined]
    try:
        logging.getLogger("django.server").info(
            '"%s %s HTTP/1.1" %s %s', "POST", f"{USSD}?key={KEY}&x=1", "200", "12"
        )
        logging.getLogger("django.request").warning("Forbidden: %s", f"{USSD}?x=1&key={KEY}")
    finally:
        for handler, stream in streams.items():
            handler.setStream(stream)  # type: ignore[attr-defined]
    text = written.getvalue()
    assert "key=[redacted]&x=1" in text and "x=1&key=[redacted]" in text
    assert KEY not in text


def test_the_filter_redacts_the_key_wherever_it_appears() -> None:
    record = logging.LogRecord(
        "gunicorn", logging.INFO, __file__, 1, "body %s", (f"text=1&secret={KEY}",), None
    )
    assert RedactCallbackKey().filter(record)
    assert KEY not in record.getMessage()
    assert redact("/report/?lang=en") == "/report/?lang=en"


def test_production_warns_while_the_gateway_allow_list_is_empty(settings: Any) -> None:
    from kinga.intake.checks import gateway_allow_list

    settings.KINGA_SMS_BACKEND = "africastalking"
    settings.KINGA_AT_ALLOWED_IPS = []
    assert [message.id for message in gateway_allow_list()] == ["kinga.W001"]
    settings.KINGA_AT_ALLOWED_IPS = ["203.0.113.0/24"]
    assert gateway_allow_list() == []
