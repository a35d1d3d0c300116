"""The page shell: navigation per role, security headers, the language switch."""

from __future__ import annotations

from django.test import Client
from django.urls import NoReverseMatch, reverse

from conftest import Personas
from kinga.accounts.models import Role, User
from kinga.accounts.navigation import NAVIGATION, NavItem, navigation_for


def existing(item: NavItem) -> str | None:
    try:
        return reverse(item.url_name)
    except NoReverseMatch:
        return None


def expected_for(user: User) -> list[str]:
    return [
        url
        for item in NAVIGATION
        if (user.role_set & item.roles or (item.superuser and user.is_superuser))
        and (url := existing(item)) is not None
    ]


def test_navigation_for_follows_the_table(personas: Personas) -> None:
    for user in personas.all_users():
        urls = [url for url, _label in navigation_for(user)]
        assert urls == expected_for(user), user.username
        for item in NAVIGATION:
            url = existing(item)
            if url is not None and not user.role_set & item.roles:
                assert url not in urls, (user.username, item.url_name)


def test_navigation_skips_pages_that_do_not_exist_yet(monkeypatch, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    import kinga.accounts.navigation as navigation

    table = [
        NavItem("no_such_app:page", "Nowhere", frozenset({Role.CASEWORKER})),
        NavItem("home", "Start", frozenset({Role.CASEWORKER})),
        NavItem("admin:index", "Administration", frozenset({Role.ADMIN}), superuser=True),
    ]
    monkeypatch.setattr(navigation, "NAVIGATION", table)
    assert navigation_for(personas.caseworker) == [("/", "Start")]
    assert navigation_for(personas.admin) == [("/admin/", "Administration")]
    assert navigation_for(personas.analyst) == []
    personas.analyst.is_superuser = True
    assert navigation_for(personas.analyst) == [("/admin/", "Administration")]


def test_each_persona_sees_only_its_menu_on_the_page(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    every_url = {url for item in NAVIGATION if (url := existing(item))}
    for user in personas.all_users():
        body = client_for(user).get("/").content.decode()
        mine = set(expected_for(user))
        for url in every_url:
            assert (f'href="{url}"' in body) == (url in mine), (user.username, url)


def test_admin_entry_only_for_administrators(personas: Personas) -> None:
    for user in personas.all_users():
        urls = [url for url, _ in navigation_for(user)]
        assert ("/admin/" in urls) == (user == personas.admin), user.username


def test_security_headers_on_every_page(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    anonymous = Client().get("/")
    csp = anonymous["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert anonymous["X-Frame-Options"] == "DENY"
    assert anonymous["X-Content-Type-Options"] == "nosniff"
    assert anonymous["Referrer-Policy"] == "same-origin"
    assert "no-store" not in anonymous.get("Cache-Control", "")
    signed_in = client_for(personas.caseworker).get("/")
    assert "no-store" in signed_in["Cache-Control"]
    assert signed_in["Content-Security-Policy"] == csp


def test_sign_in_page_is_never_cached() -> None:
    response = Client().get(reverse("accounts:login"))
    # max-age=0 alone would still let a shared browser keep the page; no-store does not
    assert "no-store" in response["Cache-Control"]


def test_language_switch_renders_kiswahili(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "sw", "next": "/"})
    assert response.status_code == 302
    body = client.get("/").content.decode()
    assert 'lang="sw"' in body
    assert "Ripoti wasiwasi" in body and "Ingia" in body
    assert "Report a concern" not in body
    login = client.get(reverse("accounts:login")).content.decode()
    assert "Jina la mtumiaji" in login and "Nenosiri" in login
    staff = client_for(personas.admin)
    staff.post("/i18n/setlang/", {"language": "sw", "next": "/"})
    home = staff.get("/").content.decode()
    # Django's own admin catalogue comes first in INSTALLED_APPS, so its "Utawala" wins.
    assert "Karibu" in home and "Ungependa kuanzia wapi?" in home
    assert "Administration" not in home


def test_english_is_the_default() -> None:
    body = Client().get("/").content.decode()
    assert 'lang="en"' in body and "Report a concern" in body
