"""Two-factor cannot be skipped: every staff page, for every persona, outside demo mode."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import Personas
from kinga.accounts.middleware import is_open_path


def all_paths() -> list[str]:
    """Return a concrete path for every URL pattern, with 1 for each argument."""
    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            else:
                found.append(route)

    walk(get_resolver().url_patterns, "")
    paths = []
    for route in found:
        path = re.sub(r"<(?:\w+:)?\w+>", "1", route)
        path = re.sub(r"\^|\$|\\Z|\(\?P<\w+>[^)]*\)", "1", path)
        if re.search(r"[()\[\]*+?\\]", path):
            continue  # an unusual regex route: covered by the catch-all below
        paths.append("/" + path)
    return sorted(set(paths))


STAFF_PATHS = [path for path in all_paths() if not is_open_path(path)]


def test_the_walk_finds_the_staff_pages() -> None:
    assert "/" in STAFF_PATHS
    assert "/admin/" in STAFF_PATHS
    assert "/accounts/two-factor/backup-codes/" in STAFF_PATHS


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_staff_page_needs_two_factor_for_every_persona(
    personas: Personas,
    settings,  # type: ignore[no-untyped-def]
    method: str,
) -> None:
    settings.DEMO_MODE = False
    for user in personas.all_users():
        client = Client()
        client.force_login(user)  # password passed, two-factor not yet
        for path in STAFF_PATHS + ["/no-such-page/"]:
            response = getattr(client, method)(path)
            assert response.status_code == 302, (user.username, path, response.status_code)
            assert response["Location"].startswith("/accounts/two-factor/?next="), (
                user.username,
                path,
            )


def test_demo_mode_does_not_open_the_gate(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    client = Client()
    client.force_login(personas.caseworker)
    assert client.get("/")["Location"].startswith("/accounts/two-factor/")


def test_a_forged_session_device_does_not_verify(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.caseworker)
    session = client.session
    session["otp_device_id"] = "accounts.authenticator/999999"
    session.save()
    assert client.get("/")["Location"].startswith("/accounts/two-factor/")


def test_verified_persona_reaches_the_start_page(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    for user in personas.all_users():
        assert client_for(user).get("/").status_code == 200
