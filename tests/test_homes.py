"""Issue 13 point 5: every role has a home that shows its work with counts, only what the
user may see, in a bounded number of queries; the menu counts unread notifications."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Personas
from kinga.accounts.models import User
from kinga.cases import services as case_services
from kinga.cases.models import Promise, RoleOnCase, Task
from kinga.directory.tests.test_directory import directory, ward  # noqa: F401  # fixtures
from kinga.notifications.services import notify
from kinga.referrals.models import Referral
from kinga.referrals.tests.test_referrals import World, referral, world  # noqa: F401

pytestmark = pytest.mark.django_db

FIGURE = re.compile(
    r'<span class="figure">(\d+)</span> <span class="what">([^<]+)</span>', re.MULTILINE
)


def counts(client: Client) -> dict[str, int]:
    page = client.get(reverse("home"))
    assert page.status_code == 200
    return {label: int(number) for number, label in FIGURE.findall(page.content.decode())}


@pytest.fixture
def seeded(world: World, referral: Referral) -> World:  # noqa: F811
    """A case with an overdue task and an overdue promise (the referral's), the investigator
    on the team, a new referral waiting at the shelter, and a notice for the analyst."""
    p = world.p
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    task = case_services.task_create(
        case=world.case,
        actor=p.caseworker,
        title="Visit the family",
        assigned_to=p.caseworker,
        due_on=timezone.localdate(),
    )
    Task.objects.filter(pk=task.pk).update(due_on=yesterday)
    Promise.objects.filter(case=world.case).update(due_on=yesterday)
    case_services.case_team_add(
        case=world.case,
        user=p.investigator,
        role_on_case=RoleOnCase.INVESTIGATOR,
        actor=p.caseworker,
    )
    notify(recipients=[p.analyst], message="Case %(code)s was reopened.", values={"code": "X-1"})
    return world


def test_each_role_home_shows_its_own_counts(
    seeded: World, client_for: Callable[[User | None], Client]
) -> None:
    p = seeded.p
    caseworker = counts(client_for(p.caseworker))
    assert caseworker["Overdue tasks"] == 1
    assert caseworker["Open tasks"] == 1
    assert caseworker["Overdue promises to a child"] == 1
    assert caseworker["Open cases you work on or oversee"] == 1

    supervisor = counts(client_for(p.supervisor))
    assert supervisor["Overdue promises in cases you oversee"] == 1
    assert "Overdue tasks" not in supervisor  # the caseworker's task, not theirs

    shelter = counts(client_for(p.service_provider))
    assert shelter == {"New referrals to accept or decline": 1, "Unread notifications": 1}

    investigator = counts(client_for(p.investigator))
    assert investigator["Open cases you work on or oversee"] == 1
    assert investigator["Unread notifications"] == 1  # "You were added to the team"

    assert counts(client_for(p.analyst)) == {"Unread notifications": 1}


def test_nothing_foreign_reaches_another_agencys_home(
    seeded: World, client_for: Callable[[User | None], Client]
) -> None:
    p = seeded.p
    assert counts(client_for(p.caseworker_other)) == {}
    body = client_for(p.prosecutor).get(reverse("home")).content.decode()
    assert "Nothing waits for you now." in body
    # The hospital is another provider: the shelter's referral is not its work.
    hospital_user = User.objects.create_user(
        username="hospital-nurse", password="x" * 20, agency=p.hospital
    )
    from kinga.accounts.services import user_roles_set

    user_roles_set(user=hospital_user, roles={"service_provider"}, actor=None)
    assert counts(client_for(hospital_user)) == {}


def test_every_role_lands_on_a_home_without_error(
    seeded: World, client_for: Callable[[User | None], Client]
) -> None:
    for user in seeded.p.all_users():
        page = client_for(user).get(reverse("home"))
        assert page.status_code == 200, user.username
        assert "Waiting for you" in page.content.decode(), user.username


def test_the_home_takes_a_bounded_number_of_queries(
    seeded: World,
    client_for: Callable[[User | None], Client],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    for user in (seeded.p.supervisor, seeded.p.caseworker, seeded.p.service_provider):
        client = client_for(user)
        client.get(reverse("home"))
        with django_assert_max_num_queries(30):  # type: ignore[attr-defined]
            client.get(reverse("home"))


def test_the_menu_counts_unread_notifications(
    personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(personas.trainer)
    inbox = reverse("notifications:inbox")
    body = client.get(reverse("home")).content.decode()
    assert f'href="{inbox}">Notifications</a>' in body
    for number in range(3):
        notify(recipients=[personas.trainer], message="Course %(code)s", values={"code": number})
    body = client.get(reverse("home")).content.decode()
    assert re.search(rf'href="{inbox}"[^>]*>Notifications <span class="count"[^>]*>3</span>', body)
    client.post(reverse("notifications:mark_read"))
    body = client.get(reverse("home")).content.decode()
    assert f'href="{inbox}">Notifications</a>' in body
