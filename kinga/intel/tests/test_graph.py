"""The algorithms on small hand-made graphs whose answers are known."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from kinga.intel.graph import (
    betweenness,
    components,
    graph_from_pairs,
    parts_without,
    shortest_path,
)


def test_two_triangles_and_a_pair_are_three_networks() -> None:
    graph = graph_from_pairs([1, 2, 3, 10, 11, 12, 20], [2, 3, 1, 11, 12, 10, 21])
    labels = components(graph)
    by_id = dict(zip(graph.ids.tolist(), labels.tolist(), strict=True))
    assert by_id[1] == by_id[2] == by_id[3]
    assert by_id[10] == by_id[11] == by_id[12]
    assert by_id[20] == by_id[21]
    assert len({by_id[1], by_id[10], by_id[20]}) == 3


def test_repeated_links_and_loops_count_once() -> None:
    graph = graph_from_pairs([1, 2, 1, 3], [2, 1, 2, 3])
    assert graph.ids.tolist() == [1, 2, 3]
    assert graph.degree().tolist() == [1, 1, 0]


def test_betweenness_of_a_path_of_five() -> None:
    # a - b - c - d - e: b lies on 3 of the 6 paths between others, c on 4
    graph = graph_from_pairs([1, 2, 3, 4], [2, 3, 4, 5])
    scores = betweenness(graph)
    assert scores.tolist() == pytest.approx([0, 0.5, 4 / 6, 0.5, 0])


def test_the_centre_of_a_star_is_the_only_broker() -> None:
    graph = graph_from_pairs([1, 1, 1, 1], [2, 3, 4, 5])
    scores = betweenness(graph)
    assert scores[graph.index_of(1)] == pytest.approx(1.0)
    assert sum(scores) == pytest.approx(1.0)


def test_betweenness_equals_networkx_on_a_random_graph() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 60, 150)
    b = rng.integers(0, 60, 150)
    graph = graph_from_pairs(a, b)
    reference = nx.Graph()
    reference.add_nodes_from(int(x) for x in np.concatenate([a, b]))
    reference.add_edges_from((int(x), int(y)) for x, y in zip(a, b, strict=True) if x != y)
    expected = nx.betweenness_centrality(reference)
    mine = betweenness(graph)
    for index, node in enumerate(graph.ids.tolist()):
        assert mine[index] == pytest.approx(expected[node], abs=1e-9)


def test_sampled_betweenness_finds_the_bridge_of_a_barbell() -> None:
    # two cliques of 40 joined only through one node (999), which knows three on each side:
    # every path between them crosses it
    left = [(i, j) for i in range(40) for j in range(i + 1, 40)]
    right = [(i + 100, j + 100) for i in range(40) for j in range(i + 1, 40)]
    pairs = [*left, *right, *[(i, 999) for i in range(3)], *[(999, 100 + i) for i in range(3)]]
    graph = graph_from_pairs([p[0] for p in pairs], [p[1] for p in pairs])
    sampled = betweenness(graph, sources=20)
    assert int(graph.ids[int(np.argmax(sampled))]) == 999


def test_shortest_path_goes_through_the_shared_number() -> None:
    # suspect 1 uses phone 50; suspect 2 uses phone 50 too; suspect 3 knows only suspect 2
    graph = graph_from_pairs([1, 2, 2, 7], [50, 50, 3, 8])
    path = shortest_path(graph, graph.index_of(1), graph.index_of(3))
    assert path is not None
    assert [int(graph.ids[i]) for i in path] == [1, 50, 2, 3]
    assert shortest_path(graph, graph.index_of(1), graph.index_of(8)) is None


def test_removing_a_broker_splits_its_network() -> None:
    graph = graph_from_pairs([1, 2, 3, 4, 5, 6, 3], [2, 3, 1, 5, 6, 4, 4])
    members = np.arange(graph.size)
    assert parts_without(graph, graph.index_of(3), members) == [3, 2]
    assert parts_without(graph, graph.index_of(1), members) == [5]


def test_paths_are_as_short_as_networkx_finds_and_follow_links() -> None:
    rng = np.random.default_rng(9)
    a = rng.integers(0, 400, 700)
    b = rng.integers(0, 400, 700)
    graph = graph_from_pairs(a, b)
    reference = nx.Graph()
    reference.add_nodes_from(graph.ids.tolist())
    reference.add_edges_from((int(x), int(y)) for x, y in zip(a, b, strict=True) if x != y)
    for _ in range(60):
        x, y = (int(v) for v in rng.choice(graph.size, 2, replace=False))
        path = shortest_path(graph, x, y)
        source, target = int(graph.ids[x]), int(graph.ids[y])
        if not nx.has_path(reference, source, target):
            assert path is None
            continue
        assert path is not None and path[0] == x and path[-1] == y
        assert len(path) - 1 == nx.shortest_path_length(reference, source, target)
        for here, there in zip(path, path[1:], strict=False):
            assert there in graph.neighbours(here).tolist()
