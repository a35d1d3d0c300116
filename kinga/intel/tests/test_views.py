"""Each role's view of the graph: investigators their incidents, supervisors what they
oversee, analysts counts only, everyone else nothing; pictures, paths, export, audit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from conftest import make_agency, make_user
from kinga.accounts.models import AgencyKind, Role
from kinga.audit.models import AuditEvent
from kinga.intel.build import phone_key
from kinga.intel.models import Appearance, Node
from kinga.intel.tests.conftest import (
    ACCOUNT,
    BUYER,
    PHONE,
    RECRUITER,
    TRANSPORTER,
    VENUE,
    incident_with,
    run_worker,
)

pytestmark = pytest.mark.django_db


def node_of(person_id: int) -> int:
    row = Appearance.objects.filter(person_record=person_id).first()
    assert row is not None
    return row.node_id


@pytest.fixture
def linked(personas: Any) -> dict[str, Any]:
    """Two incidents of the investigator joined by one phone; a third of another unit."""
    first, (hamisi, klaus) = incident_with(
        personas,
        [("Hamisi", "Mwakio", RECRUITER), ("Klaus", "Berger", BUYER)],
        leads=[(PHONE, "0722 000 111", "", 0), (VENUE, "Tropicana Bar", "", None)],
    )
    second, (juma,) = incident_with(
        personas,
        [("Juma", "Kombo", TRANSPORTER)],
        leads=[(PHONE, "+254722000111", "", 0), (ACCOUNT, "@juma_safari", "tiktok", 0)],
    )
    other_unit = make_agency("Kilifi AHTCPU", AgencyKind.POLICE_UNIT, "Kilifi")
    stranger = make_user("kahindi_investigator", other_unit, Role.INVESTIGATOR)
    run_worker()
    return {
        "first": first,
        "second": second,
        "hamisi": node_of(hamisi.person_id),
        "klaus": node_of(klaus.person_id),
        "juma": node_of(juma.person_id),
        "phone": Node.objects.get(key=phone_key("0722000111")).pk,
        "stranger": stranger,
        "police_supervisor": make_user("mwanaisha_supervisor", personas.police, Role.SUPERVISOR),
    }


def test_the_investigator_sees_the_network_drawn_with_its_table(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    client = client_for(personas.investigator)
    listing = client.get(reverse("intel:networks"))
    assert listing.status_code == 200
    assert "Hamisi" not in listing.content.decode()  # the list names no one
    page = client.get(reverse("intel:network", args=[linked["hamisi"]]))
    body = page.content.decode()
    assert page.status_code == 200
    for name in ("Hamisi Mwakio", "Klaus Berger", "Juma Kombo", "0722 000 111", "Tropicana Bar"):
        assert name in body
    assert "<svg" in body and 'id="members"' in body
    assert linked["first"].code in body and linked["second"].code in body
    # the read is on each incident's trail
    for incident in (linked["first"], linked["second"]):
        assert AuditEvent.objects.filter(
            action="view",
            record_type="intel.network",
            matter_type="incident",
            matter_id=incident.pk,
        ).exists()


def test_the_path_between_two_suspects_goes_through_the_shared_phone(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    client = client_for(personas.investigator)
    url = reverse("intel:network", args=[linked["klaus"]])
    body = client.get(url, {"to": linked["juma"]}).content.decode()
    path = body.split('id="path"')[1].split("</section>")[0]
    order = [
        path.index(name) for name in ("Klaus Berger", "Hamisi Mwakio", "0722 000 111", "Juma Kombo")
    ]
    assert order == sorted(order)


def test_an_investigator_of_another_unit_sees_nothing_of_it(
    client_for: Any, linked: dict[str, Any]
) -> None:
    client = client_for(linked["stranger"])
    assert client.get(reverse("intel:networks")).status_code == 200
    assert "Network 1" not in client.get(reverse("intel:networks")).content.decode()
    for node in ("hamisi", "phone", "juma"):
        assert client.get(reverse("intel:network", args=[linked[node]])).status_code == 404
    assert AuditEvent.objects.filter(action="denied", record_type="intel.node").exists()


def test_roles_without_record_access_get_404_and_analysts_only_counts(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    for user in (
        personas.counsellor,
        personas.caseworker,
        personas.admin,
        personas.analyst,
        personas.prosecutor,
        personas.trainer,
    ):
        client = client_for(user)
        assert client.get(reverse("intel:networks")).status_code == 404, user.username
        assert client.get(reverse("intel:network", args=[linked["hamisi"]])).status_code == 404
    for user in (personas.counsellor, personas.investigator, personas.supervisor):
        assert client_for(user).get(reverse("intel:patterns")).status_code == 404
    page = client_for(personas.analyst).get(reverse("intel:patterns"))
    body = page.content.decode()
    assert page.status_code == 200
    for secret in ("Hamisi", "Klaus", "0722", "juma_safari", "Tropicana"):
        assert secret not in body
    # one recruiter, one buyer, one transporter: every such count is hidden
    assert "Recruiter or intermediary</td><td>–" in body


def test_the_units_supervisor_sees_what_it_oversees_but_cannot_export(
    client_for: Any, linked: dict[str, Any]
) -> None:
    client = client_for(linked["police_supervisor"])
    body = client.get(reverse("intel:network", args=[linked["hamisi"]])).content.decode()
    assert "Hamisi Mwakio" in body
    assert reverse("intel:export", args=[linked["hamisi"]]) not in body
    response = client.post(
        reverse("intel:export", args=[linked["hamisi"]]),
        {"partner": linked["stranger"].agency_id},
    )
    assert response.status_code == 404


def test_an_export_holds_only_what_may_be_shared_and_is_audited(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    client = client_for(personas.investigator)
    partner = linked["stranger"].agency
    response = client.post(
        reverse("intel:export", args=[linked["hamisi"]]), {"partner": partner.pk}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.content)
    assert document["for_agency"] == partner.name
    labels = {node["label"] for node in document["nodes"]}
    assert {"Hamisi Mwakio", "Juma Kombo", "0722 000 111"} <= labels
    assert {link["source"] for link in document["links"]} == {
        linked["first"].code,
        linked["second"].code,
    }
    events = AuditEvent.objects.filter(action="export", record_type="intel.network")
    assert events.count() == 2
    assert all(event.detail["partner"] == partner.pk for event in events)
    # a partner that is not a partner kind (an NGO) is refused, nothing exported
    refused = client.post(
        reverse("intel:export", args=[linked["hamisi"]]), {"partner": personas.ngo.pk}
    )
    assert refused.status_code == 302
    assert AuditEvent.objects.filter(action="export", record_type="intel.network").count() == 2


def test_an_investigator_on_one_incident_sees_only_its_part(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    from kinga.access.models import AccessGrant

    # the investigator leaves the second incident's team: its links go out of view
    AccessGrant.objects.filter(matter_type="incident", matter_id=linked["second"].pk).delete()
    body = (
        client_for(personas.investigator)
        .get(reverse("intel:network", args=[linked["hamisi"]]))
        .content.decode()
    )
    assert "Hamisi Mwakio" in body
    assert "Juma Kombo" not in body and "juma_safari" not in body
    assert linked["second"].code not in body
    response = client_for(personas.investigator).get(
        reverse("intel:network", args=[linked["juma"]])
    )
    assert response.status_code == 404


def test_changes_since_a_date_name_what_is_new(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    import datetime

    from kinga.intel.models import Edge

    Edge.objects.update(first_seen=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    Appearance.objects.update(first_seen=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    incident_with(
        personas,
        [("Said", "Omar", BUYER)],
        leads=[(PHONE, "0722 000 111", "", 0)],
    )
    run_worker()
    body = (
        client_for(personas.investigator)
        .get(reverse("intel:network", args=[linked["hamisi"]]), {"since": "2026-06-01"})
        .content.decode()
    )
    changes = body.split('id="changes"')[1].split("</section>")[0]
    assert "Said Omar" in changes
    assert "Hamisi Mwakio" not in changes.split("New links")[0]


def test_a_future_date_is_refused_with_a_message(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    body = (
        client_for(personas.investigator)
        .get(reverse("intel:network", args=[linked["hamisi"]]), {"since": "2999-01-01"})
        .content.decode()
    )
    assert 'id="changes"' not in body
    assert "errorlist" in body


def test_a_path_to_a_node_out_of_reach_is_refused_and_tells_nothing(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    """An attacker edits the form: a path to a node of another unit's incident."""
    other_unit = linked["stranger"]
    hidden, (kahindi,) = incident_with(personas, [("Kahindi", "Ngala", RECRUITER)])
    from kinga.access.models import AccessGrant

    # the incident is the other unit's: its investigator on the team, not ours
    AccessGrant.objects.filter(matter_type="incident", matter_id=hidden.pk).delete()
    AccessGrant.objects.create(
        matter_type="incident", matter_id=hidden.pk, relation="team_member", user=other_unit
    )
    run_worker()
    body = (
        client_for(personas.investigator)
        .get(
            reverse("intel:network", args=[linked["hamisi"]]),
            {"to": node_of(kahindi.person_id)},
        )
        .content.decode()
    )
    assert "Kahindi" not in body
    assert 'id="path"' not in body
    assert "errorlist" in body
