"""No dead ends in the menu: every entry a role sees opens for that role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kinga.accounts.models import Role, User
from kinga.accounts.navigation import NAVIGATION, navigation_for


@pytest.mark.django_db
def test_every_menu_link_opens_for_every_role_that_sees_it(
    personas: Any, client_for: Callable[[User | None], Client]
) -> None:
    failures: list[str] = []
    roles_seen: set[str] = set()
    for user in personas.all_users():
        roles_seen |= user.role_set
        client = client_for(user)
        links = navigation_for(user)
        assert links, f"{user.username} has no menu at all"
        for url, label in links:
            status = client.get(url).status_code
            if status != 200:
                failures.append(
                    f"{user.username} ({sorted(user.role_set)}) {url} {label}: {status}"
                )
    # the personas hold every role, so every role's menu was walked
    assert roles_seen == set(Role.values)
    assert failures == []


def test_every_menu_entry_names_a_page() -> None:
    from django.urls import reverse

    for item in NAVIGATION:
        assert reverse(item.url_name).startswith("/")
