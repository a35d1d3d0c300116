"""Gateway callbacks go through the lean handler; every other path through the full one."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from django.conf import settings

from kinga.wsgi import application, channel_application, full_application


def call(path: str, form: dict[str, str] | None = None) -> tuple[str, dict[str, str], bytes]:
    body = urlencode(form or {}).encode()
    route, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "POST" if form is not None else "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
    }
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: object) -> None:
        seen.append((status, headers))

    content = b"".join(application(environ, start_response))
    return seen[0][0], dict(seen[0][1]), content


def test_the_lean_stack_is_the_channel_setting_and_smaller() -> None:
    lean = channel_application._middleware_chain
    assert lean is not None and full_application._middleware_chain is not None
    assert len(settings.KINGA_CHANNEL_MIDDLEWARE) < len(settings.MIDDLEWARE)
    assert "django.contrib.sessions.middleware.SessionMiddleware" not in (
        settings.KINGA_CHANNEL_MIDDLEWARE
    )


@pytest.mark.django_db(transaction=True)
def test_a_ussd_screen_is_answered_through_the_lean_stack_with_security_headers() -> None:
    status, headers, content = call(
        f"/channels/africastalking/ussd/?key={settings.KINGA_AT_CALLBACK_KEY}",
        {
            "sessionId": "ATUid_wsgi_test",
            "serviceCode": "*384*1234#",
            "phoneNumber": "+254712345678",
            "networkCode": "63902",
            "text": "",
        },
    )
    assert status.startswith("200")
    assert content.startswith(b"CON ")
    assert "Content-Security-Policy" in headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Length"] == str(len(content))
    assert "Set-Cookie" not in headers


@pytest.mark.django_db(transaction=True)
def test_a_wrong_callback_key_is_still_refused_on_the_lean_stack() -> None:
    status, _headers, _content = call(
        "/channels/africastalking/ussd/?key=wrong",
        {"sessionId": "x", "serviceCode": "*1#", "phoneNumber": "+254712345678", "text": ""},
    )
    assert status.startswith("403")


@pytest.fixture
def warm_ups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the assist's warm-ups instead of training in the test process."""
    import kinga.wsgi
    from kinga.assist import learned

    started: list[str] = []
    monkeypatch.setattr(kinga.wsgi, "_warmed", False)
    monkeypatch.setattr(learned, "warm_up", lambda: started.append("warm") and None)
    return started


@pytest.mark.django_db
def test_staff_pages_still_take_the_full_stack(warm_ups: list[str]) -> None:
    status, headers, _content = call("/notifications/")
    assert status.startswith("302")
    assert "/accounts/login/" in headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_the_first_staff_request_warms_the_assist_and_the_channels_never_do(
    warm_ups: list[str],
) -> None:
    call(f"/channels/africastalking/ussd/?key={settings.KINGA_AT_CALLBACK_KEY}", {"text": ""})
    call("/report/?lang=en")
    assert warm_ups == []  # a burst of reports is never slowed by a training
    call("/notifications/")
    call("/notifications/")
    assert warm_ups == ["warm"]  # once per process


@pytest.mark.django_db(transaction=True)
def test_the_public_report_form_is_served_by_the_lean_stack_without_cookies() -> None:
    status, headers, content = call("/report/?lang=sw")
    assert status.startswith("200")
    assert b"Tuma ripoti" in content
    assert "Set-Cookie" not in headers
    assert headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in headers


@pytest.mark.django_db(transaction=True)
def test_the_public_form_cannot_be_framed_and_sets_no_cookie() -> None:
    status, headers, content = call("/report/?lang=en")
    assert status.startswith("200") and b"<form" in content
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "Set-Cookie" not in headers
