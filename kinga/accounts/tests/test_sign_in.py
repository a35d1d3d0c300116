"""Sign-in, throttling, two-factor (TOTP, backup codes, enrolment) and the demo code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from conftest import PASSWORD, Personas
from kinga.accounts.models import Authenticator, BackupCodes, LoginAttempt, User
from kinga.audit.models import AuditAction, AuditEvent

LOGIN = "/accounts/login/"
TWO_FACTOR = "/accounts/two-factor/"


def code_of(device: Authenticator) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def confirmed_device(user: User) -> Authenticator:
    return Authenticator.objects.create(user=user, name="authenticator", confirmed=True)


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
    device = Authenticator.objects.get(user=user, confirmed=False)
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
    assert Authenticator.objects.filter(user=user).count() == 1


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
    assert BackupCodes.objects.get(user=user).codes.count() == 9


def test_backup_codes_cannot_be_renewed_before_two_factor(personas: Personas) -> None:
    user = personas.investigator
    confirmed_device(user)
    client = Client()
    sign_in(client, user.username)
    response = client.post(reverse("accounts:backup_codes"))
    assert response.status_code == 302
    assert response["Location"].startswith(TWO_FACTOR)
    assert not BackupCodes.objects.filter(user=user).exists()


def fail_password(client: Client, username: str) -> None:
    response = sign_in(client, username, "wrong")
    assert "not right" in response.content.decode(), "the guess was held, not tried"


def full_sign_in(client: Client, user: User, device: Authenticator) -> None:
    """Sign in with password and code, so the browser gets its device cookie."""
    assert sign_in(client, user.username).status_code == 302
    response = client.post(TWO_FACTOR, {"code": code_of(device), "next": "/"})
    assert response["Location"] == "/"
    client.post(reverse("accounts:logout"))


def last_failures_age(minutes: float) -> None:
    LoginAttempt.objects.update(at=timezone.now() - timedelta(minutes=minutes))


def test_delays_grow_and_say_how_long(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 10: past the free failures each failure doubles the wait."""
    settings.KINGA_SIGNIN_ACCOUNT_FREE_FAILURES = 3
    settings.KINGA_SIGNIN_FIRST_DELAY_SECONDS = 60
    settings.KINGA_SIGNIN_MAX_DELAY_MINUTES = 8
    user = personas.caseworker
    for number in range(3):
        fail_password(Client(REMOTE_ADDR=f"10.0.0.{number + 1}"), user.username)
    # The third failure reaches the limit: one minute before the next try, from anywhere.
    response = sign_in(Client(REMOTE_ADDR="10.0.0.99"), user.username)
    assert response.status_code == 200
    assert "Wait 1 minute before trying again" in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.LOCKED_OUT, detail__code="throttled:account"
    ).exists()
    waits = []
    for _ in range(4):
        last_failures_age(30)  # every wait so far has passed
        fail_password(Client(REMOTE_ADDR="10.0.0.98"), user.username)
        body = sign_in(Client(REMOTE_ADDR="10.0.0.97"), user.username).content.decode()
        waits.append(int(re.search(r"Wait (\d+) minute", body).group(1)))  # type: ignore[union-attr]
    assert waits == [2, 4, 8, 8]  # doubling, then the cap


def test_the_wait_ends_and_the_right_password_works(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 10: a throttle is a delay, never a lock that outlasts it."""
    settings.KINGA_SIGNIN_ACCOUNT_FREE_FAILURES = 2
    settings.KINGA_SIGNIN_FIRST_DELAY_SECONDS = 30
    user = personas.caseworker
    for _ in range(2):
        fail_password(Client(), user.username)
    assert "Wait 30 seconds" in sign_in(Client(), user.username).content.decode()
    last_failures_age(1)
    assert sign_in(Client(), user.username).status_code == 302


def test_attacker_address_does_not_hold_other_accounts_elsewhere(
    personas: Personas,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    """Guards issue 11 hole 10: one address failing against many accounts holds only itself."""
    settings.KINGA_SIGNIN_ADDRESS_FREE_FAILURES = 4
    for user in personas.all_users():
        sign_in(Client(REMOTE_ADDR="192.0.2.7"), user.username, "wrong")
    # The attacker's address is held now...
    held = sign_in(Client(REMOTE_ADDR="192.0.2.7"), personas.analyst.username)
    assert "before trying again" in held.content.decode()
    # ...but the on-call officer signing in from her own address is not.
    officer = personas.investigator
    assert sign_in(Client(REMOTE_ADDR="198.51.100.20"), officer.username).status_code == 302


def test_officer_with_device_cookie_signs_in_while_account_is_guessed(
    personas: Personas,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    """Guards issue 11 hole 10: guessing at her account does not keep her browser out.

    The attacker fails from many addresses (and from her office's address) until the
    account and the address are throttled; her own browser, which has signed in before,
    still gets in with the right password and code, at once.
    """
    settings.KINGA_SIGNIN_ACCOUNT_FREE_FAILURES = 3
    settings.KINGA_SIGNIN_ADDRESS_FREE_FAILURES = 3
    officer = personas.investigator
    device = confirmed_device(officer)
    browser = Client(REMOTE_ADDR="198.51.100.20")
    full_sign_in(browser, officer, device)
    for number in range(10):
        sign_in(Client(REMOTE_ADDR=f"203.0.113.{number}"), officer.username, "wrong")
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="198.51.100.20"), officer.username, "wrong")
    # Without the cookie, even from her office, the account is held.
    stranger = sign_in(Client(REMOTE_ADDR="198.51.100.20"), officer.username)
    assert "before trying again" in stranger.content.decode()
    # Her browser is not.
    assert sign_in(browser, officer.username).status_code == 302
    # A code is accepted once; she types the next one, 30 seconds on.
    Authenticator.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    response = browser.post(TWO_FACTOR, {"code": code_of(device), "next": "/"})
    assert response["Location"] == "/"
    assert browser.get("/").status_code == 200


def test_device_cookie_is_held_by_its_own_failures_only(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 10: a stolen device cookie buys no unthrottled guessing."""
    settings.KINGA_SIGNIN_DEVICE_FREE_FAILURES = 2
    officer = personas.investigator
    device = confirmed_device(officer)
    browser = Client()
    full_sign_in(browser, officer, device)
    cookie_names = [name for name in browser.cookies if name.startswith("kinga_device_")]
    assert len(cookie_names) == 1
    morsel = browser.cookies[cookie_names[0]]
    assert morsel["httponly"] and morsel["path"] == "/accounts/"
    for _ in range(2):
        fail_password(browser, officer.username)
    assert "before trying again" in sign_in(browser, officer.username).content.decode()
    # Those failures were the cookie's: a new browser is not held by them.
    assert sign_in(Client(), officer.username).status_code == 302


def test_device_cookie_names_one_account(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 10: a cookie for one account does not pass another's throttle."""
    settings.KINGA_SIGNIN_ACCOUNT_FREE_FAILURES = 2
    officer, target = personas.investigator, personas.supervisor
    device = confirmed_device(officer)
    browser = Client()
    full_sign_in(browser, officer, device)
    # Copy the officer's cookie under the target's cookie name: it names the officer.
    from kinga.accounts.services import device_cookie_name

    value = browser.cookies[device_cookie_name(username=officer.username)].value
    browser.cookies[device_cookie_name(username=target.username)] = value
    for _ in range(2):
        fail_password(Client(), target.username)
    assert "before trying again" in sign_in(browser, target.username).content.decode()


def test_admin_lifts_a_throttle_audited(personas: Personas, settings, client_for) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 10: an administrator lets a throttled officer in at once."""
    settings.KINGA_SIGNIN_ACCOUNT_FREE_FAILURES = 2
    settings.KINGA_SIGNIN_MAX_DELAY_MINUTES = 15
    officer = personas.investigator
    for _ in range(6):
        sign_in(Client(), officer.username, "wrong")
    assert "before trying again" in sign_in(Client(), officer.username).content.decode()
    admin_client = client_for(personas.admin)
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "lift_sign_in_throttle", "_selected_action": [officer.pk]},
    )
    assert response.status_code == 302
    assert sign_in(Client(), officer.username).status_code == 302
    event = AuditEvent.objects.get(detail__code="sign_in_throttle_lifted")
    assert event.actor_id == personas.admin.pk and event.record_id == str(officer.pk)
    # Later failures count again from zero.
    for _ in range(2):
        fail_password(Client(), officer.username)
    assert "before trying again" in sign_in(Client(), officer.username).content.decode()


def test_two_factor_failures_count_towards_the_throttle(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KINGA_SIGNIN_ACCOUNT_FREE_FAILURES = 3
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client()
    sign_in(client, user.username)
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
    for _ in range(3):
        client.post(TWO_FACTOR, {"code": wrong})
    response = client.post(TWO_FACTOR, {"code": code_of(device)})
    assert response.status_code == 200
    assert "before trying again" in response.content.decode()
    assert client.get("/")["Location"].startswith(TWO_FACTOR)


def test_demo_code_shown_only_in_demo_mode(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    user = personas.caseworker
    device = confirmed_device(user)
    client = Client()
    sign_in(client, user.username)
    settings.DEMO_MODE = False
    assert 'data-testid="demo-code"' not in client.get(TWO_FACTOR).content.decode()
    settings.DEMO_MODE = True
    before = code_of(device)
    body = client.get(TWO_FACTOR).content.decode()
    after = code_of(device)
    assert 'data-testid="demo-code"' in body
    shown = re.search(r"<strong>(\d{6})</strong>", body)
    assert shown is not None
    # the code of the 30-second step the page was drawn in (it may turn during the request)
    assert shown.group(1) in {before, after}


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
