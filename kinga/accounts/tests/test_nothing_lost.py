"""Issue 13 point 6: nothing typed is lost. A form posted after the session expired is saved
after sign-in; a code used a moment ago says to wait and throttles nothing; an administrator
unlocks an account and resets two-factor, audited and approved by a second person; refusal
and missing pages use the page shell, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, Personas
from kinga.accounts import services
from kinga.accounts.models import (
    AccessChangeRequest,
    AccessChangeState,
    Authenticator,
    LoginAttempt,
    User,
)
from kinga.accounts.tests.test_sign_in import code_of, confirmed_device, sign_in
from kinga.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

TWO_FACTOR = "/accounts/two-factor/"
NOTE = "She said the man at the ferry takes the girls to a house in Likoni."


def full_sign_in(client: Client, user: User, device: Authenticator, **next_: str) -> None:
    token = client.get(reverse("accounts:login")).context["csrf_token"]
    response = client.post(
        reverse("accounts:login"),
        {"csrfmiddlewaretoken": token, "username": user.username, "password": PASSWORD, **next_},
    )
    assert response.status_code == 302
    token = client.get(response["Location"]).context["csrf_token"]
    response = client.post(
        response["Location"], {"csrfmiddlewaretoken": token, "code": code_of(device)}
    )
    assert response.status_code == 302


# --- a form posted after the session expired ------------------------------------------------


def test_a_note_posted_after_the_session_expired_is_saved_after_sign_in(
    personas: Personas,
) -> None:
    from kinga.cases.models import Note
    from kinga.cases.tests.conftest import open_case

    case = open_case(personas)
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client(enforce_csrf_checks=True)
    full_sign_in(client, user, device)
    page = client.get(reverse("cases:note_add", args=[case.pk]))
    token = page.context["csrf_token"]
    # The session ends (idle too long) while the note is being typed.
    client.session.flush()
    client.cookies.pop("kinga_session", None)
    posted = timezone.now()
    response = client.post(
        reverse("cases:note_add", args=[case.pk]),
        {"csrfmiddlewaretoken": str(token), "sensitivity": "general", "text": NOTE},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Note.objects.filter(case=case).exists()
    login_page = client.get(response["Location"])
    assert "What you typed is kept" in login_page.content.decode()
    # Kept encrypted: the session store never holds the words in clear.
    from django.contrib.sessions.models import Session

    assert all(NOTE not in str(row.get_decoded()) for row in Session.objects.all())

    login = client.post(
        response["Location"],
        {
            "csrfmiddlewaretoken": login_page.context["csrf_token"],
            "username": user.username,
            "password": PASSWORD,
            "next": reverse("accounts:resume"),
        },
    )
    two_factor = client.get(login["Location"])
    # Half an hour later: a new code (the one used this morning is long gone).
    Authenticator.objects.filter(pk=device.pk).update(last_t=-1)
    done = client.post(
        login["Location"],
        {"csrfmiddlewaretoken": two_factor.context["csrf_token"], "code": code_of(device)},
    )
    assert done["Location"] == reverse("accounts:resume")
    resume = client.get(done["Location"])
    body = resume.content.decode()
    assert NOTE in body and "Save it now" in body
    # It says when it was typed: anyone at this browser after the session ended could have.
    from django.utils.formats import date_format

    minutes = {date_format(timezone.localtime(at), "j M Y, H:i") for at in (posted, timezone.now())}
    assert any(f"This was sent from this browser on {typed}" in body for typed in minutes)
    assert "If you did not type it, discard it." in body
    # The save goes through the note's own view, with a fresh CSRF token.
    saved = client.post(
        reverse("cases:note_add", args=[case.pk]),
        {
            "csrfmiddlewaretoken": resume.context["csrf_token"],
            "sensitivity": "general",
            "text": NOTE,
        },
    )
    assert saved.status_code == 302
    assert Note.objects.get(case=case).text == NOTE
    # Offered once.
    assert client.get(reverse("accounts:resume"))["Location"] == reverse("home")


def test_a_kept_post_is_never_shown_to_another_account(personas: Personas) -> None:
    author, other = personas.caseworker, personas.supervisor
    author_device, other_device = confirmed_device(author), confirmed_device(other)
    client = Client()
    full_sign_in(client, author, author_device)
    client.session.flush()
    client.cookies.pop("kinga_session", None)
    kept = client.post("/cases/1/add/note/", {"sensitivity": "general", "text": NOTE})
    assert kept["Location"].startswith(reverse("accounts:login"))
    full_sign_in(client, other, other_device, next=reverse("accounts:resume"))
    response = client.get(reverse("accounts:resume"))
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_a_post_without_a_valid_csrf_token_is_not_kept(personas: Personas) -> None:
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client(enforce_csrf_checks=True)
    full_sign_in(client, user, device)
    client.session.flush()
    client.cookies.pop("kinga_session", None)
    response = client.post("/cases/1/add/note/", {"sensitivity": "general", "text": NOTE})
    assert response.status_code == 403
    assert "kinga_pending_post" not in client.session


def test_the_session_warning_script_and_its_fallback_are_on_staff_pages(
    personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    body = client_for(personas.caseworker).get(reverse("home")).content.decode()
    assert 'id="session-warning"' in body and "hidden" in body
    assert "/static/kinga/session.js" in body
    assert "<noscript>" in body and "30 minutes without activity" in body
    assert 'data-session-seconds="1800"' in body
    assert client_for(personas.caseworker).get(reverse("accounts:keepalive")).status_code == 204
    assert "session-warning" not in Client().get(reverse("accounts:login")).content.decode()


# --- a code used a moment ago ------------------------------------------------------------------


def test_a_code_already_used_says_wait_and_throttles_nothing(
    personas: Personas, settings: object
) -> None:
    settings.KINGA_SIGNIN_ACCOUNT_FREE_FAILURES = 1  # type: ignore[attr-defined]
    user = personas.caseworker
    device = confirmed_device(user)
    first = Client()
    sign_in(first, user.username)
    code = code_of(device)
    assert first.post(TWO_FACTOR, {"code": code}).status_code == 302
    second = Client()
    sign_in(second, user.username)
    failures_before = LoginAttempt.objects.filter(succeeded=False).count()
    for _ in range(4):
        response = second.post(TWO_FACTOR, {"code": code})
        body = response.content.decode()
        assert response.status_code == 200
        assert "Wait for the next code" in body
        assert "before trying again" not in body
    assert LoginAttempt.objects.filter(succeeded=False).count() == failures_before
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.TWO_FACTOR_FAILED, detail__code="code_already_used"
        ).count()
        == 4
    )
    # A wrong code still counts.
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert "not right" in second.post(TWO_FACTOR, {"code": wrong}).content.decode()
    assert LoginAttempt.objects.filter(succeeded=False).count() == failures_before + 1


def test_a_used_code_is_in_kiswahili_too(personas: Personas) -> None:
    user = personas.counsellor
    device = confirmed_device(user)
    first = Client()
    sign_in(first, user.username)
    code = code_of(device)
    first.post(TWO_FACTOR, {"code": code})
    second = Client(HTTP_ACCEPT_LANGUAGE="sw")
    second.cookies["django_language"] = "sw"
    sign_in(second, user.username)
    body = second.post(TWO_FACTOR, {"code": code}).content.decode()
    assert "Wait for the next code" not in body
    assert "Subiri" in body


# --- unlock and two-factor reset ----------------------------------------------------------------


def test_unlocking_also_clears_the_devices_own_count(
    personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    officer = personas.investigator
    device = confirmed_device(officer)
    Authenticator.objects.filter(pk=device.pk).update(throttling_failure_count=7)
    response = client_for(personas.admin).post(
        "/admin/accounts/user/",
        {"action": "lift_sign_in_throttle", "_selected_action": [officer.pk]},
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert AuditEvent.objects.filter(
        actor=personas.admin, detail__code="sign_in_throttle_lifted"
    ).exists()


def test_resetting_a_caseworkers_two_factor_waits_for_a_second_person(
    personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    worker = personas.caseworker
    confirmed_device(worker)
    services.backup_codes_replace(user=worker)
    response = client_for(personas.admin).post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [worker.pk]}
    )
    assert response.status_code == 302
    change = AccessChangeRequest.objects.get(subject=worker, two_factor_reset=True)
    assert change.state == AccessChangeState.PENDING
    assert Authenticator.objects.filter(user=worker).exists()  # not yet
    assert AuditEvent.objects.filter(
        actor=personas.admin, detail__code="two_factor_reset_requested"
    ).exists()
    # The administrator who asked cannot approve it; the agency's supervisor can.
    with pytest.raises(PermissionDenied):
        services.access_change_approve(change=change, actor=personas.admin)
    page = client_for(personas.supervisor).get(reverse("accounts:access_changes"))
    assert "Reset two-factor" in page.content.decode()
    client_for(personas.supervisor).post(
        reverse("accounts:access_change_approve", args=[change.pk])
    )
    change.refresh_from_db()
    assert change.state == AccessChangeState.APPROVED
    assert not Authenticator.objects.filter(user=worker).exists()
    event = AuditEvent.objects.get(detail__code="two_factor_reset")
    assert event.actor_id == personas.supervisor.pk and event.record_id == str(worker.pk)
    # At the next sign-in the caseworker sets up a new authenticator.
    client = Client()
    response = sign_in(client, worker.username)
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))


def test_resetting_an_account_without_case_roles_is_immediate_and_audited(
    personas: Personas,
) -> None:
    trainer = personas.trainer
    confirmed_device(trainer)
    assert services.two_factor_reset(user=trainer, actor=personas.admin) is None
    assert not Authenticator.objects.filter(user=trainer).exists()
    assert AuditEvent.objects.filter(actor=personas.admin, detail__code="two_factor_reset").exists()


# --- refusal and missing pages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading", "back"),
    [
        ("en", "This page is not here", "Back to the start page"),
        ("sw", "Ukurasa huu haupo", "Rudi kwenye ukurasa wa mwanzo"),
    ],
)
def test_a_missing_page_uses_the_shell_with_a_way_back(
    personas: Personas,
    client_for: Callable[[User | None], Client],
    language: str,
    heading: str,
    back: str,
) -> None:
    client = client_for(personas.caseworker)
    client.cookies["django_language"] = language
    response = client.get("/cases/999999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert heading in body and back in body
    assert 'class="site-header"' in body and 'class="main-nav"' in body
    assert f'<html lang="{language}">' in body


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "You may not do this"), ("sw", "Huruhusiwi kufanya hivi")]
)
def test_a_refusal_uses_the_shell(
    personas: Personas,
    client_for: Callable[[User | None], Client],
    language: str,
    heading: str,
) -> None:
    client = client_for(personas.analyst)
    client.cookies["django_language"] = language
    response = client.post(reverse("accounts:access_change_approve", args=[1]))
    assert response.status_code in (403, 404)
    from django.test import RequestFactory
    from django.utils import translation
    from django.views.defaults import permission_denied

    request = RequestFactory().get("/")
    request.user = personas.analyst
    request.user.is_verified = lambda: True  # type: ignore[attr-defined]  # as OTPMiddleware
    with translation.override(language):
        page = permission_denied(request, PermissionError())
    assert page.status_code == 403
    body = page.content.decode()
    assert heading in body and 'class="site-header"' in body


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Something went wrong on our side"), ("sw", "Hitilafu imetokea upande wetu")],
)
def test_the_server_error_page_needs_no_database(
    language: str, heading: str, django_assert_num_queries: Callable[..., object]
) -> None:
    from django.test import RequestFactory
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override(language), django_assert_num_queries(0):  # type: ignore[attr-defined]
        page = server_error(RequestFactory().get("/"))
    assert page.status_code == 500
    body = page.content.decode()
    assert heading in body and "116" in body and 'class="site-header"' in body
