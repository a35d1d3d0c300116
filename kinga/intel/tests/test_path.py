"""The path between two, answered with the path alone: its steps, the links between each two,
their kinds and the matters they come from; on each shown matter's trail; never through a
matter the viewer may not see."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import make_agency, make_user
from kinga.access.models import AccessGrant
from kinga.access.policy import Matter
from kinga.access.selectors import matter_trail
from kinga.accounts.models import AgencyKind, Role
from kinga.audit.models import AuditEvent
from kinga.intel import selectors
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


def last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def node_of(person_id: int) -> int:
    row = Appearance.objects.filter(person_record=person_id).first()
    assert row is not None
    return row.node_id


@pytest.fixture
def linked(personas: Any) -> dict[str, Any]:
    """Two incidents of the investigator joined by one phone, and a third of theirs apart."""
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
    apart, (baraka,) = incident_with(
        personas, [("Baraka", "Tsuma", RECRUITER)], leads=[(PHONE, "0733 555 666", "", 0)]
    )
    run_worker()
    return {
        "first": first,
        "second": second,
        "apart": apart,
        "hamisi": node_of(hamisi.person_id),
        "klaus": node_of(klaus.person_id),
        "juma": node_of(juma.person_id),
        "baraka": node_of(baraka.person_id),
        "phone": Node.objects.get(key=phone_key("0722000111")).pk,
    }


def test_the_answer_is_the_path_its_links_kinds_and_sources_and_nothing_else(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    answer = selectors.network_path(
        viewer=personas.investigator, node_id=linked["klaus"], to=linked["juma"]
    )
    assert answer is not None and not answer.missing
    assert [hop.node.label for hop in answer.hops] == [
        "Klaus Berger",
        "Hamisi Mwakio",
        "0722 000 111",
        "Juma Kombo",
    ]
    first, second = linked["first"].code, linked["second"].code
    assert [[(link.kind, link.source) for link in hop.links] for hop in answer.hops] == [
        [("In the same incident", first)],
        [("Uses", first)],
        [("Uses", second)],
        [],
    ]
    assert [hop.node.on_path for hop in answer.hops] == [True] * 4
    assert len(answer.lines) == 3

    response = client_for(personas.investigator).get(
        reverse("intel:network", args=[linked["klaus"]]), {"to": linked["juma"]}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "intel/path.html" in [template.name for template in response.templates]
    steps = body.split('id="path"')[1].split("</section>")[0]
    order = [steps.index(name) for name in ("Klaus Berger", "Hamisi Mwakio", "0722 000 111")]
    assert order == sorted(order) and steps.index("Juma Kombo") > order[-1]
    assert steps.count(first) == 2 and steps.count(second) == 1
    # the path alone: the bar and the account are in the network, not on the path
    for off_path in ("Tropicana Bar", "juma_safari", "Baraka"):
        assert off_path not in body
    table = body.split('id="members"')[1].split("</table>")[0]
    assert table.count("<tr") == 5  # the head and the four steps
    assert body.count('class="link on-path"') == 3


def test_the_answer_is_on_the_trail_of_each_matter_it_shows_and_no_other(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    before = last_event()
    client_for(personas.investigator).get(
        reverse("intel:network", args=[linked["klaus"]]), {"to": linked["juma"]}
    )
    made = AuditEvent.objects.filter(record_type="intel.network", pk__gt=before)
    shown = {(event.matter_type, event.matter_id) for event in made}
    assert shown == {("incident", linked["first"].pk), ("incident", linked["second"].pk)}
    assert len(made) == 2  # one event per matter shown
    supervisor = make_user("mwanaisha_supervisor", personas.police, Role.SUPERVISOR)
    for incident in (linked["first"], linked["second"]):
        trail = matter_trail(viewer=supervisor, matter=Matter(type="incident", id=incident.pk))
        seen = [
            event
            for event in trail
            if event.record_type == "intel.network" and event.action == "view"
        ]
        assert len(seen) == 1
        assert seen[0].actor_id == personas.investigator.pk
        assert seen[0].detail["to"] == linked["juma"]
        assert seen[0].detail["nodes"] == 4
    apart = matter_trail(viewer=supervisor, matter=Matter(type="incident", id=linked["apart"].pk))
    assert not [event for event in apart if event.record_type == "intel.network"]


def test_two_networks_apart_have_no_path_and_the_answer_says_so(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    response = client_for(personas.investigator).get(
        reverse("intel:network", args=[linked["hamisi"]]), {"to": linked["baraka"]}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "No path links these two in the records you may see." in body
    assert "Hamisi Mwakio" in body and "Baraka Tsuma" in body
    assert "Klaus" not in body and "0722 000 111" not in body


def test_a_path_never_runs_through_a_matter_the_viewer_may_not_see(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    """Another unit's incident names both Hamisi's and Baraka's numbers: for its unit and a
    supervisor over both it joins the two networks; for the investigator it does not exist."""
    kilifi = make_agency("Kilifi AHTCPU", AgencyKind.POLICE_UNIT, "Kilifi")
    stranger = make_user("kahindi_investigator", kilifi, Role.INVESTIGATOR)
    hidden, (kahindi,) = incident_with(
        personas,
        [("Kahindi", "Ngala", TRANSPORTER)],
        leads=[(PHONE, "0722 000 111", "", 0), (PHONE, "0733 555 666", "", 0)],
    )
    AccessGrant.objects.filter(matter_type="incident", matter_id=hidden.pk).delete()
    AccessGrant.objects.create(
        matter_type="incident", matter_id=hidden.pk, relation="team_member", user=stranger
    )
    run_worker()
    before = last_event()
    body = (
        client_for(personas.investigator)
        .get(reverse("intel:network", args=[linked["hamisi"]]), {"to": linked["baraka"]})
        .content.decode()
    )
    assert "No path links these two in the records you may see." in body
    assert "Kahindi" not in body and hidden.code not in body
    made = AuditEvent.objects.filter(pk__gt=before)
    assert ("incident", hidden.pk) not in {(event.matter_type, event.matter_id) for event in made}
    # the other unit sees its own incident's part, never the investigator's people
    answer = selectors.network_path(
        viewer=stranger, node_id=node_of(kahindi.person_id), to=linked["phone"]
    )
    assert answer is not None and [hop.node.label for hop in answer.hops] == [
        "Kahindi Ngala",
        "0722 000 111",
    ]
    assert answer.hops[0].links[0].source == hidden.code
    refused = (
        client_for(stranger)
        .get(reverse("intel:network", args=[node_of(kahindi.person_id)]), {"to": linked["hamisi"]})
        .content.decode()
    )
    assert "Hamisi" not in refused and 'id="path"' not in refused and "errorlist" in refused
    assert AuditEvent.objects.filter(
        action="denied", record_type="intel.node", record_id=str(linked["hamisi"])
    ).exists()


def test_roles_without_the_graph_get_404_for_a_path(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    for user in (personas.counsellor, personas.analyst, personas.admin, personas.caseworker):
        response = client_for(user).get(
            reverse("intel:network", args=[linked["klaus"]]), {"to": linked["juma"]}
        )
        assert response.status_code == 404, user.username
        assert "Juma" not in response.content.decode()


def test_a_path_to_oneself_or_a_word_instead_of_a_person_loses_nothing(
    personas: Any, client_for: Any, linked: dict[str, Any]
) -> None:
    client = client_for(personas.investigator)
    url = reverse("intel:network", args=[linked["hamisi"]])
    body = client.get(url, {"to": "klaus", "since": "2026-01-01"}).content.decode()
    assert "errorlist" in body and 'id="path"' not in body
    assert 'value="2026-01-01"' in body  # the date typed is kept
    alone = selectors.network_path(
        viewer=personas.investigator, node_id=linked["hamisi"], to=linked["hamisi"]
    )
    assert alone is not None and [hop.node.label for hop in alone.hops] == ["Hamisi Mwakio"]


def test_the_links_between_two_are_found_by_bisection_as_by_a_pass_over_all() -> None:
    import numpy as np

    from kinga.intel.cache import Links, scope_build

    rng = np.random.default_rng(7)
    ends = rng.integers(1, 60, size=(600, 2))
    ends = ends[ends[:, 0] != ends[:, 1]]
    a, b = ends.min(axis=1), ends.max(axis=1)
    size = a.shape[0]
    links = Links(
        a=a.astype(np.int64),
        b=b.astype(np.int64),
        kind=rng.integers(0, 4, size).astype(np.int8),  # no place (context) link
        matter_type=np.full(size, 4, dtype=np.int8),
        matter_id=np.arange(size, dtype=np.int64),
        occurred_on=np.zeros(size, dtype=np.int64),
        first_seen=np.zeros(size, dtype=np.int64),
    )
    seen = scope_build(links, 1)
    checked = 0
    for here in range(seen.graph.size):
        for there in range(seen.graph.size):
            x, y = int(seen.graph.ids[here]), int(seen.graph.ids[there])
            wanted = set(
                np.flatnonzero((a == min(x, y)) & (b == max(x, y))).tolist()
            )  # the matter id is the link's number
            found = set(seen.links_between(here, there).matter_id.tolist())
            assert found == wanted
            checked += len(found)
    assert checked == 2 * size  # every link found from both ends


def test_a_pages_labels_are_read_through_the_same_grants_as_its_links(
    personas: Any, linked: dict[str, Any]
) -> None:
    """The per-row form of the policy's filter (for a page's few nodes) and the per-type
    form (for reading every link) keep the same appearances, for each kind of viewer."""
    from kinga.access import policy

    supervisor = make_user("mwanaisha_supervisor", personas.police, Role.SUPERVISOR)
    AccessGrant.objects.filter(matter_type="incident", matter_id=linked["second"].pk).filter(
        user=personas.investigator
    ).delete()
    for viewer in (personas.investigator, supervisor, personas.analyst, personas.counsellor):
        per_type = selectors._matters(viewer, policy.INTEL_SECTION, policy.INTEL_ACTION)
        per_row = selectors._matter_of_row(viewer, policy.INTEL_SECTION, policy.INTEL_ACTION)
        assert set(Appearance.objects.filter(per_type).values_list("pk", flat=True)) == set(
            Appearance.objects.filter(per_row).values_list("pk", flat=True)
        ), viewer.username
    seen = set(
        Appearance.objects.filter(
            selectors._matter_of_row(
                personas.investigator, policy.INTEL_SECTION, policy.INTEL_ACTION
            )
        ).values_list("matter_id", flat=True)
    )
    assert linked["first"].pk in seen and linked["second"].pk not in seen
