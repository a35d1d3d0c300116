"""The graph a page keeps: one per visibility scope, never shown outside it, and never
older than the links: an unmerge, a deleted source or a new link shows on the next page."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.db.models import Q
from django.test import override_settings
from django.urls import reverse
from scipy.sparse.csgraph import breadth_first_order

from conftest import make_agency, make_user
from kinga.access.models import AccessGrant
from kinga.accounts.models import AgencyKind, Role
from kinga.intel import selectors
from kinga.intel.build import links_check_job
from kinga.intel.cache import CACHE, links_check, links_stamp
from kinga.intel.graph import graph_from_pairs, nearest
from kinga.intel.models import Appearance, Edge
from kinga.intel.tests.conftest import (
    BUYER,
    PHONE,
    RECRUITER,
    TRANSPORTER,
    incident_with,
    merge,
    run_worker,
    unmerge,
)
from kinga.justice import services as justice
from kinga.tasks.registry import PERIODIC

pytestmark = pytest.mark.django_db


def node_of(person_id: int) -> int:
    row = Appearance.objects.filter(person_record=person_id).first()
    assert row is not None
    return row.node_id


def drawn(viewer: Any, node_id: int, **asked: Any) -> set[int]:
    return {
        view.id for view in selectors.network_page(viewer=viewer, node_id=node_id, **asked).nodes
    }


def test_two_viewers_of_different_matters_never_share_a_graph(personas: Any) -> None:
    """One process, one viewer after the other: each sees only their own incident's links,
    though the first's graph is kept when the second asks."""
    ours, (hamisi,) = incident_with(
        personas, [("Hamisi", "Mwakio", RECRUITER)], leads=[(PHONE, "0722 000 111", "", 0)]
    )
    kilifi = make_agency("Kilifi AHTCPU", AgencyKind.POLICE_UNIT, "Kilifi")
    other = make_user("kahindi_investigator", kilifi, Role.INVESTIGATOR)
    theirs = justice.incident_open(actor=other, facts=_facts())
    juma = justice.person_of_interest_add(
        incident=theirs,
        actor=other,
        role=TRANSPORTER,
        relationship="community",
        new_person=justice.NewPerson(given_name="Juma", family_name="Kombo"),
    )
    justice.lead_add(
        incident=theirs, actor=other, kind=PHONE, value="0733 222 444", platform="", person=juma
    )
    run_worker()
    CACHE.clear()
    mine = selectors.viewer_graph(personas.investigator)
    hers = selectors.viewer_graph(other)
    assert len(CACHE) == 2
    assert set(mine.links.matter_id.tolist()) == {ours.pk}
    assert set(hers.links.matter_id.tolist()) == {theirs.pk}
    assert not set(mine.graph.ids.tolist()) & set(hers.graph.ids.tolist())
    # and the other way round, each from the kept graphs
    builds = CACHE.builds
    assert node_of(juma.person_id) not in selectors.viewer_graph(personas.investigator).graph.ids
    assert node_of(hamisi.person_id) not in selectors.viewer_graph(other).graph.ids
    assert CACHE.builds == builds
    # a node of the other's network is the same 404 as one that does not exist
    with pytest.raises(Exception) as refused:
        selectors.network_page(viewer=other, node_id=node_of(hamisi.person_id))
    assert refused.value.__class__.__name__ == "Http404"
    # two people seeing exactly the same matters share one graph
    colleague = make_user("second_investigator", kilifi, Role.INVESTIGATOR)
    for grant in AccessGrant.objects.filter(user=other):
        grant.pk = None
        grant.user = colleague
        grant.save()
    assert selectors.viewer_graph(colleague) is selectors.viewer_graph(other)
    assert CACHE.builds == builds


def _facts() -> Any:
    from kinga.justice.tests.conftest import facts
    from kinga.places.models import County

    return facts(county=County.objects.get(name="Kilifi"))


def test_a_grant_taken_away_hides_its_links_at_once(personas: Any) -> None:
    first, (hamisi,) = incident_with(
        personas, [("Hamisi", "Mwakio", RECRUITER)], leads=[(PHONE, "0722 000 111", "", 0)]
    )
    second, (juma,) = incident_with(
        personas, [("Juma", "Kombo", TRANSPORTER)], leads=[(PHONE, "+254722000111", "", 0)]
    )
    run_worker()
    assert node_of(juma.person_id) in drawn(personas.investigator, node_of(hamisi.person_id))
    AccessGrant.objects.filter(matter_type="incident", matter_id=second.pk).delete()
    assert node_of(juma.person_id) not in drawn(personas.investigator, node_of(hamisi.person_id))
    assert set(selectors.viewer_graph(personas.investigator).links.matter_id.tolist()) == {first.pk}


def test_an_unmerge_parts_the_kept_graph_as_soon_as_the_worker_has_run(personas: Any) -> None:
    _first, (omar, tom) = incident_with(
        personas, [("Omar", "Bakari", RECRUITER), ("Tom", "Otieno", BUYER)]
    )
    _second, (omari, ali) = incident_with(
        personas, [("Omari", "Bakar", RECRUITER), ("Ali", "Said", BUYER)]
    )
    run_worker()
    done = merge(personas, omar.person, omari.person)
    run_worker()
    tom_node, ali_node = node_of(tom.person_id), node_of(ali.person_id)
    answer = selectors.network_path(viewer=personas.investigator, node_id=tom_node, to=ali_node)
    assert answer is not None and len(answer.hops) == 3  # Tom, Omar (one person), Ali
    stamp = links_stamp()
    unmerge(personas, done)
    run_worker()
    assert links_stamp() != stamp
    # no clearing by hand: the next page is built from the links as they are now
    answer = selectors.network_path(viewer=personas.investigator, node_id=tom_node, to=ali_node)
    assert answer is not None and answer.missing and answer.hops == []
    page = selectors.network_page(viewer=personas.investigator, node_id=tom_node)
    assert ali_node not in {view.id for view in page.nodes}


def test_a_new_link_shows_on_the_next_page_after_the_worker(personas: Any) -> None:
    incident, (hamisi,) = incident_with(
        personas, [("Hamisi", "Mwakio", RECRUITER)], leads=[(PHONE, "0722 000 111", "", 0)]
    )
    run_worker()
    start = node_of(hamisi.person_id)
    before = drawn(personas.investigator, start)
    builds = CACHE.builds
    assert drawn(personas.investigator, start) == before
    assert CACHE.builds == builds  # kept
    juma = justice.person_of_interest_add(
        incident=incident,
        actor=personas.investigator,
        role=TRANSPORTER,
        relationship="community",
        new_person=justice.NewPerson(given_name="Juma", family_name="Kombo"),
    )
    # the request stores the record; the graph is the worker's (within its next run)
    assert drawn(personas.investigator, start) == before
    run_worker()
    assert node_of(juma.person_id) in drawn(personas.investigator, start)
    assert CACHE.builds == builds + 1


def test_a_link_deleted_around_the_build_is_caught_by_the_workers_check(personas: Any) -> None:
    _incident, (hamisi, juma) = incident_with(
        personas, [("Hamisi", "Mwakio", RECRUITER), ("Juma", "Kombo", TRANSPORTER)]
    )
    run_worker()
    start = node_of(hamisi.person_id)
    links_check()  # the fingerprint as the worker last saw it
    assert node_of(juma.person_id) in drawn(personas.investigator, start)
    # a hand repair that bypasses the build: the kept graph cannot know ...
    Edge.objects.all().delete()
    assert node_of(juma.person_id) in drawn(personas.investigator, start)
    # ... until the worker's periodic check, which renews it
    assert "intel.graph_check" in PERIODIC
    links_check_job({}, None)  # type: ignore[arg-type]
    with pytest.raises(Exception) as refused:
        drawn(personas.investigator, start)
    assert refused.value.__class__.__name__ == "Http404"
    assert not links_check()  # nothing more to renew


def test_an_analysts_counts_keep_no_node_and_no_link(personas: Any, client_for: Any) -> None:
    incident_with(
        personas,
        [("Hamisi", "Mwakio", RECRUITER), ("Klaus", "Berger", BUYER)],
        leads=[(PHONE, "0722 000 111", "", 0)],
    )
    run_worker()
    CACHE.clear()
    assert client_for(personas.analyst).get(reverse("intel:patterns")).status_code == 200
    assert len(CACHE) == 0  # no scope graph: the analyst has none
    sizes = CACHE.sizes()
    assert sizes.dtype == np.int64 and sizes.tolist() == [3]  # two people and a phone
    assert selectors.viewer_graph(personas.analyst).graph.size == 0


def test_memory_is_bounded_and_a_graph_over_the_bound_is_not_kept(personas: Any) -> None:
    _incident, (hamisi,) = incident_with(
        personas, [("Hamisi", "Mwakio", RECRUITER)], leads=[(PHONE, "0722 000 111", "", 0)]
    )
    run_worker()
    CACHE.clear()
    with override_settings(KINGA_INTEL_GRAPH_CACHE_MB=0):
        assert drawn(personas.investigator, node_of(hamisi.person_id))
        assert len(CACHE) == 0 and CACHE.held() == 0
    assert drawn(personas.investigator, node_of(hamisi.person_id))
    assert len(CACHE) == 1 and 0 < CACHE.held() < 1024 * 1024


def test_the_stamp_is_one_indexed_read_per_page(personas: Any) -> None:
    """A kept graph costs a page the stamp and the viewer's grants, not the links."""
    from django.test.utils import CaptureQueriesContext

    _incident, (hamisi,) = incident_with(
        personas, [("Hamisi", "Mwakio", RECRUITER)], leads=[(PHONE, "0722 000 111", "", 0)]
    )
    run_worker()
    selectors.viewer_graph(personas.investigator)
    with CaptureQueriesContext(connection) as queries:
        selectors.viewer_graph(personas.investigator)
    assert not any("intel_edge" in query["sql"] for query in queries.captured_queries)
    assert len(queries.captured_queries) <= 3


def test_nearest_is_the_start_of_a_breadth_first_order() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.integers(0, 400, 1200), rng.integers(0, 400, 1200)
    graph = graph_from_pairs(a, b)
    expected = breadth_first_order(graph.matrix(), 0, directed=True, return_predecessors=False)
    for limit in (1, 7, 50, 300, 10_000):
        assert nearest(graph, 0, limit).tolist() == expected[:limit].tolist()


def test_the_one_select_reads_every_link_as_the_orm_stores_it() -> None:
    """The build's raw SELECT (integers only: codes, epoch days and microseconds computed by
    the database) gives, link for link, what the ORM reads of the same rows."""
    import datetime
    import zoneinfo

    from kinga.intel.cache import _KIND_CODE, _MATTER_CODE, _NO_DATE, _micros, links_read
    from kinga.intel.models import LinkKind, Node, NodeKind, Origin

    nodes = [Node.objects.create(kind=NodeKind.PERSON, key=f"raw-read:{n}") for n in range(4)]
    nairobi = zoneinfo.ZoneInfo("Africa/Nairobi")
    moments = [
        datetime.datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=nairobi),
        datetime.datetime(2026, 3, 2, 0, 0, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(1969, 12, 31, 23, 0, 0, 50_000, tzinfo=datetime.UTC),
        datetime.datetime(2024, 2, 29, 12, 30, 15, 1, tzinfo=nairobi),
    ]
    days = [
        None,
        datetime.date(1970, 1, 1),
        datetime.date(1969, 12, 31),
        datetime.date(2024, 2, 29),
    ]
    kinds = [LinkKind.SAME_INCIDENT, LinkKind.USES, LinkKind.PLACE, LinkKind.SAME_REPORT]
    matters = ["incident", "report", "case", "incident"]
    made = []
    for number, (moment, day, kind, matter) in enumerate(
        zip(moments, days, kinds, matters, strict=True)
    ):
        first, second = nodes[number], nodes[(number + 1) % 4]
        low, high = sorted((first, second), key=lambda node: node.pk)
        made.append(
            Edge.objects.create(
                origin_type=Origin.INCIDENT,
                origin_id=1,
                matter_type=matter,
                matter_id=700 + number,
                source_type="test",
                source_id=number,
                occurred_on=day,
                first_seen=moment,
                a=low,
                b=high,
                kind=kind,
            )
        )
    links = links_read(Q(pk__in=[edge.pk for edge in made]))
    read = sorted(
        zip(
            links.a.tolist(),
            links.b.tolist(),
            links.kind.tolist(),
            links.matter_type.tolist(),
            links.matter_id.tolist(),
            links.occurred_on.tolist(),
            links.first_seen.tolist(),
            strict=True,
        )
    )
    stored = Edge.objects.filter(pk__in=[edge.pk for edge in made]).values_list(
        "a_id", "b_id", "kind", "matter_type", "matter_id", "occurred_on", "first_seen"
    )
    expected = sorted(
        (
            a,
            b,
            _KIND_CODE[kind],
            _MATTER_CODE[matter],
            matter_id,
            _NO_DATE if day is None else (day - datetime.date(1970, 1, 1)).days,
            _micros(seen),
        )
        for a, b, kind, matter, matter_id, day, seen in stored
    )
    assert read == expected
    assert len(read) == 4
    # and the values themselves, not only agreement: the day before the epoch is -1
    assert sorted(links.occurred_on.tolist()) == [_NO_DATE, -1, 0, 19782]
    assert _micros(moments[1]) in links.first_seen.tolist()
    assert links_read(Q(pk__in=[])).size == 0
