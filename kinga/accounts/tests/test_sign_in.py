"""Sign-in, lockout, two-factor (TOTP, backup codes, enrolment) and the demo code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, Personas
from kinga.accounts.models import LoginAttempt, User
from kinga.audit.models import AuditAction, AuditEvent

LOGIN = "/accounts/login/"
TWO_FACTOR = "/accounts/two-factor/"


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_password_then_two_factor_then_home(personas: Personas) -> None:
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client()
    response = sign_in(client, user.username)
    assert response.status_code == 302
    assert response["Location"].startswith(TWO_FACTOR)
    # Signed in, but not yet verified: the start page sends them back.
    assert client.get("/")["Location"].startswith(TWO_FACTOR)
    response = client.post(TWO_FACTOR, {"code": code_of(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_totp_code_is_refused(personas: Personas) -> None:
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client()
    sign_in(client, user.username)
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
    response = client.post(TWO_FACTOR, {"code": wrong})
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert client.get("/")["Location"].startswith(TWO_FACTOR)


def test_user_without_device_is_sent_to_enrolment(personas: Personas) -> None:
    client = Client()
    response = sign_in(client, personas.caseworker.username)
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))


def test_enrolment_end_to_end(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a failed try otherwise holds the next one back
    user = personas.counsellor
    client = Client()
    sign_in(client, user.username)
    page = client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200
    assert "data:image/svg+xml;base64," in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # A wrong code keeps the device unconfirmed.
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
    client.post(reverse("accounts:two_factor_setup"), {"code": wrong})
    device.refresh_from_db()
    assert not device.confirmed
    response = client.post(reverse("accounts:two_factor_setup"), {"code": code_of(device)})
    assert response.status_code == 200
    codes = re.findall(r"<code>(\d{8})</code>", response.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.TWO_FACTOR_ENROL, actor=user).exists()


def test_enrolment_is_closed_once_a_device_exists(personas: Personas) -> None:
    user = personas.caseworker
    confirmed_device(user)
    client = Client()
    sign_in(client, user.username)
    response = client.get(reverse("accounts:two_factor_setup"))
    assert response["Location"].startswith(TWO_FACTOR)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_backup_code_works_once(personas: Personas) -> None:
    from kinga.accounts.services import backup_codes_replace

    user = personas.supervisor
    confirmed_device(user)
    code = backup_codes_replace(user=user)[0]
    first = Client()
    sign_in(first, user.username)
    assert first.post(TWO_FACTOR, {"code": code})["Location"] == "/"
    assert first.get("/").status_code == 200
    second = Client()
    sign_in(second, user.username)
    response = second.post(TWO_FACTOR, {"code": code})
    assert response.status_code == 200
    assert second.get("/")["Location"].startswith(TWO_FACTOR)
    assert StaticDevice.objects.get(user=user).token_set.count() == 9


def test_backup_codes_cannot_be_renewed_before_two_factor(personas: Personas) -> None:
    user = personas.investigator
    confirmed_device(user)
    client = Client()
    sign_in(client, user.username)
    response = client.post(reverse("accounts:backup_codes"))
    assert response.status_code == 302
    assert response["Location"].startswith(TWO_FACTOR)
    assert not StaticDevice.objects.filter(user=user).exists()


def test_lockout_per_account_says_when_to_retry(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KINGA_LOCKOUT_ACCOUNT_FAILURES = 3
    settings.KINGA_LOCKOUT_MINUTES = 15
    user = personas.caseworker
    for number in range(3):
        client = Client(REMOTE_ADDR=f"10.0.0.{number + 1}")
        assert "not right" in sign_in(client, user.username, "wrong").content.decode()
    # Even the right password is refused now, from yet another address.
    client = Client(REMOTE_ADDR="10.0.0.99")
    response = sign_in(client, user.username)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Try again in 15 minutes" in body
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).exists()


def test_lockout_ends_after_the_window(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KINGA_LOCKOUT_ACCOUNT_FAILURES = 2
    user = personas.caseworker
    for _ in range(2):
        sign_in(Client(), user.username, "wrong")
    LoginAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    response = sign_in(Client(), user.username)
    assert response.status_code == 302


def test_lockout_per_address(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KINGA_LOCKOUT_ACCOUNT_FAILURES = 100
    settings.KINGA_LOCKOUT_ADDRESS_FAILURES = 4
    for number in range(4):
        sign_in(Client(REMOTE_ADDR="192.0.2.7"), f"guess{number}", "wrong")
    response = sign_in(Client(REMOTE_ADDR="192.0.2.7"), personas.analyst.username)
    assert "Try again in" in response.content.decode()
    # Another address is not affected.
    assert sign_in(Client(REMOTE_ADDR="192.0.2.8"), personas.analyst.username).status_code == 302


def test_two_factor_failures_count_towards_lockout(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KINGA_LOCKOUT_ACCOUNT_FAILURES = 3
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client()
    sign_in(client, user.username)
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
    for _ in range(3):
        client.post(TWO_FACTOR, {"code": wrong})
    response = client.post(TWO_FACTOR, {"code": code_of(device)})
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_demo_code_shown_only_in_demo_mode(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client()
    sign_in(client, user.username)
    settings.DEMO_MODE = False
    assert 'data-testid="demo-code"' not in client.get(TWO_FACTOR).content.decode()
    settings.DEMO_MODE = True
    body = client.get(TWO_FACTOR).content.decode()
    assert 'data-testid="demo-code"' in body
    assert code_of(device) in body or "<strong>" in body


def test_sign_in_and_out_are_audited(personas: Personas) -> None:
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client()
    sign_in(client, user.username, "wrong")
    assert AuditEvent.objects.filter(
        action=AuditAction.LOGIN_FAILED, actor_label=user.username
    ).exists()
    sign_in(client, user.username)
    client.post(TWO_FACTOR, {"code": code_of(device)})
    client.post(reverse("accounts:logout"))
    actions = list(AuditEvent.objects.filter(actor=user).values_list("action", flat=True))
    assert {AuditAction.LOGIN, AuditAction.TWO_FACTOR, AuditAction.LOGOUT} <= set(actions)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_next_never_leaves_the_site(personas: Personas, target: str) -> None:
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client()
    sign_in(client, user.username)
    response = client.post(TWO_FACTOR, {"code": code_of(device), "next": target})
    assert response["Location"] == "/"
