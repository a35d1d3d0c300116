"""Issue 15: adding a person of interest searches first with the matcher, shows why each
person found may be the one, and adds a new person only once the likely ones are set aside."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kinga.audit.models import AuditAction, AuditEvent
from kinga.justice.models import PersonOfInterest
from kinga.justice.tests.conftest import World
from kinga.people.models import Person

pytestmark = pytest.mark.django_db


def _url(world: World) -> str:
    return reverse("justice:person_add", args=[world.incident.pk])


def _new(world: World, **fields: str) -> dict[str, str]:
    data = {
        "which": "new",
        "q": "Mohamad Saleem",
        "new-given_name": "Mohamad",
        "new-family_name": "Saleem",
        "new-sex": "",
        "new-age_estimate": "",
        "new-nationality": "",
        "new-phone": "",
        "new-role": "transporter",
        "new-relationship": "community",
    }
    data.update({f"new-{name}": value for name, value in fields.items()})
    return data


def test_the_search_shows_the_known_recruiter_with_why(world: World, client_for: Any) -> None:
    client = client_for(world.personas.investigator)
    page = client.get(_url(world), {"q": "Mohamad Saleem"}).content.decode()
    found = page.split('id="found"')[1].split("</section>")[0]
    assert "Mohamed Salim" in found
    assert "Why:" in found and "given name" in found and "family name" in found
    assert AuditEvent.objects.filter(
        action=AuditAction.SEARCH, actor=world.personas.investigator
    ).exists()


def test_the_page_reads_in_kiswahili(world: World, client_for: Any) -> None:
    client = client_for(world.personas.investigator)
    client.cookies["django_language"] = "sw"
    page = client.get(_url(world), {"q": "Mohamad Saleem"}).content.decode()
    found = page.split('id="found"')[1].split("</section>")[0]
    assert "Mohamed Salim" in found
    assert "Why:" not in found and "Kwa nini:" in found


def test_a_new_person_likely_known_waits_until_the_likely_ones_are_set_aside(
    world: World, client_for: Any
) -> None:
    client = client_for(world.personas.investigator)
    before = Person.objects.count()
    response = client.post(_url(world), _new(world))
    assert response.status_code == 200
    page = response.content.decode()
    assert Person.objects.count() == before
    assert "may be this person" in page
    found = page.split('id="found"')[1].split("</section>")[0]
    assert "Mohamed Salim" in found and "Why:" in found
    # what was typed is kept on the form
    assert 'value="Saleem"' in page
    response = client.post(_url(world), _new(world, none_of_these="on"))
    assert response.status_code == 302
    assert Person.objects.count() == before + 1
    added = PersonOfInterest.objects.get(incident=world.incident, role="transporter")
    assert added.person_id != world.recruiter.person_id


def test_a_likely_person_offered_after_the_typed_name_can_be_chosen(
    world: World, client_for: Any
) -> None:
    client = client_for(world.personas.investigator)
    # searched for one name, typed another: the matcher offers the recruiter on the post
    data = _new(world)
    data["q"] = "Klaus"
    page = client.post(_url(world), data).content.decode()
    person_id = world.recruiter.person_id
    assert f'name="existing-{person_id}-role"' in page
    response = client.post(
        _url(world),
        {
            "which": "existing",
            "q": "Mohamad Saleem",
            "person_id": person_id,
            f"existing-{person_id}-role": "transporter",
            f"existing-{person_id}-relationship": "community",
        },
    )
    assert response.status_code == 302
    assert PersonOfInterest.objects.filter(
        incident=world.incident, person_id=person_id, role="transporter"
    ).exists()


def test_nobody_likely_adds_the_new_person_at_once(world: World, client_for: Any) -> None:
    client = client_for(world.personas.investigator)
    before = Person.objects.count()
    response = client.post(
        _url(world), _new(world, given_name="Tsuma", family_name="Kazungu", sex="male")
    )
    assert response.status_code == 302
    assert Person.objects.count() == before + 1


def test_a_person_out_of_reach_is_never_offered_nor_chosen(world: World, client_for: Any) -> None:
    from kinga.access.policy import Matter
    from kinga.people.services import person_create, person_link

    # A person known only to another agency's case: the investigator may not see them.
    hidden_matter = Matter(type="case", id=990_001)
    hidden = person_create(
        actor=world.personas.caseworker_other,
        kind="suspect",
        given_name="Juma",
        family_name="Mwakio",
        matter=hidden_matter,
    )
    person_link(person=hidden, matter=hidden_matter, role="suspect", actor=None)
    client = client_for(world.personas.investigator)
    page = client.get(_url(world), {"q": "Juma Mwakio"}).content.decode()
    assert "Mwakio" not in page.split('id="found"')[1].split("</section>")[0]
    response = client.post(
        f"{_url(world)}?q=Juma+Mwakio",
        {
            "which": "existing",
            "q": "Juma Mwakio",
            "person_id": hidden.pk,
            f"existing-{hidden.pk}-role": "transporter",
            f"existing-{hidden.pk}-relationship": "community",
        },
    )
    assert response.status_code == 200
    assert "Choose a person the search found." in response.content.decode()
    assert not PersonOfInterest.objects.filter(person=hidden).exists()
    # a new person of that name is not held back by someone the investigator cannot see
    response = client.post(
        _url(world),
        _new(world, given_name="Juma", family_name="Mwakio") | {"q": "Juma Mwakio"},
    )
    assert response.status_code == 302
