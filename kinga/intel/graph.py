"""Graph algorithms over arrays: networks, brokers, the most connected, shortest paths.

Pure functions of edge lists (no database, no Django), so the selectors, the benchmark and
the tests run the very same code. The graph is undirected and unweighted; each pair of
nodes counts once however many sources link them. Built on scipy's compressed sparse
graphs (`scipy.sparse.csgraph`) for components and breadth-first search, and numpy for
betweenness (Brandes' algorithm, level by level, exact on small graphs and estimated from
sampled sources on large ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Betweenness is exact up to this many nodes; above it, estimated from this many sources.
EXACT_UP_TO = 3000
SAMPLED_SOURCES = 32


@dataclass(frozen=True)
class Graph:
    """A simple undirected graph on nodes 0..n-1; `ids[i]` is node i's id outside."""

    ids: IntArray
    indptr: IntArray
    indices: IntArray

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])

    def matrix(self) -> csr_matrix:
        data = np.ones(self.indices.shape[0], dtype=np.int8)
        return csr_matrix((data, self.indices, self.indptr), shape=(self.size, self.size))

    def degree(self) -> IntArray:
        return np.diff(self.indptr).astype(np.int64)

    def neighbours(self, node: int) -> IntArray:
        return self.indices[self.indptr[node] : self.indptr[node + 1]]

    def index_of(self, node_id: int) -> int | None:
        position = int(np.searchsorted(self.ids, node_id))
        if position < self.size and int(self.ids[position]) == node_id:
            return position
        return None


def graph_from_pairs(a: Sequence[int] | IntArray, b: Sequence[int] | IntArray) -> Graph:
    """Build the graph of these links (by outside ids), each pair once, no loops."""
    left = np.asarray(a, dtype=np.int64)
    right = np.asarray(b, dtype=np.int64)
    ids, inverse = np.unique(np.concatenate([left, right]), return_inverse=True)
    n = ids.shape[0]
    u = inverse[: left.shape[0]]
    v = inverse[left.shape[0] :]
    keep = u != v
    u, v = u[keep], v[keep]
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    # each pair once: sort by (row, col) and drop repeats
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    if rows.shape[0]:
        fresh = np.ones(rows.shape[0], dtype=bool)
        fresh[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols = rows[fresh], cols[fresh]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return Graph(ids=ids.astype(np.int64), indptr=indptr, indices=cols.astype(np.int64))


def components(graph: Graph) -> IntArray:
    """Return each node's network number (0.. in order of each network's first node)."""
    if graph.size == 0:
        return np.zeros(0, dtype=np.int64)
    _count, labels = connected_components(graph.matrix(), directed=False)
    result: IntArray = np.asarray(labels, dtype=np.int64)
    return result


def _expand(graph: Graph, frontier: IntArray) -> tuple[IntArray, IntArray]:
    """Return (from, to) of every link leaving the frontier."""
    starts = graph.indptr[frontier]
    counts = graph.indptr[frontier + 1] - starts
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    sources = np.repeat(frontier, counts)
    # positions starts[i] .. starts[i] + counts[i] - 1, for every i, in one array
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return sources, graph.indices[np.repeat(starts, counts) + offsets]


def _brandes_from(graph: Graph, source: int, scores: FloatArray, slot: IntArray) -> None:
    """Add the dependencies of every node on shortest paths from `source` to `scores`.

    Level by level; each level's sums run over that level's nodes only (`slot` maps a node
    to its place in its level), so a source costs in proportion to the links it reaches,
    not to the graph's size times its depth, and nothing is sorted.
    """
    n = graph.size
    distance = np.full(n, -1, dtype=np.int64)
    paths = np.zeros(n, dtype=np.float64)
    distance[source] = 0
    paths[source] = 1.0
    frontier = np.array([source], dtype=np.int64)
    levels: list[tuple[IntArray, IntArray, IntArray]] = []
    depth = 0
    while frontier.shape[0]:
        tails, heads = _expand(graph, frontier)
        unseen = heads[distance[heads] < 0]
        # each new node once: the first of its repeats claims its slot
        slot[unseen] = np.arange(unseen.shape[0])
        following = unseen[slot[unseen] == np.arange(unseen.shape[0])]
        distance[following] = depth + 1
        down = distance[heads] == depth + 1
        tails, heads = tails[down], heads[down]
        if heads.shape[0]:
            slot[following] = np.arange(following.shape[0])
            paths[following] += np.bincount(
                slot[heads], weights=paths[tails], minlength=following.shape[0]
            )
        levels.append((frontier, tails, heads))
        frontier = following
        depth += 1
    dependency = np.zeros(n, dtype=np.float64)
    for level, tails, heads in reversed(levels):
        if heads.shape[0]:
            share = paths[tails] / paths[heads] * (1.0 + dependency[heads])
            slot[level] = np.arange(level.shape[0])
            dependency[level] += np.bincount(slot[tails], weights=share, minlength=level.shape[0])
    dependency[source] = 0.0
    scores += dependency


def betweenness(graph: Graph, *, sources: int | None = None, seed: int = 7) -> FloatArray:
    """Return each node's betweenness: the share of shortest paths between others through it.

    Exact (every node a source) up to `EXACT_UP_TO` nodes; above, or when `sources` is
    given, estimated from that many sources drawn with `seed` and scaled up. Normalised to
    0..1 as for an undirected graph: 1 is the centre of a star.
    """
    n = graph.size
    scores = np.zeros(n, dtype=np.float64)
    if n < 3:
        return scores
    wanted = sources if sources is not None else (n if n <= EXACT_UP_TO else SAMPLED_SOURCES)
    if wanted >= n:
        chosen = np.arange(n, dtype=np.int64)
    else:
        chosen = np.random.default_rng(seed).choice(n, size=wanted, replace=False)
    slot = np.zeros(n, dtype=np.int64)
    for source in chosen:
        _brandes_from(graph, int(source), scores, slot)
    scores *= n / chosen.shape[0]
    # each path counted from both ends; normalise by the pairs of other nodes
    return scores / ((n - 1) * (n - 2))


def shortest_path(graph: Graph, start: int, end: int) -> list[int] | None:
    """Return the nodes of a shortest path from start to end (both included), or None.

    Breadth-first from both ends at once, always widening the smaller side by a whole level,
    until the two meet: it reaches far fewer nodes than a search from one end.
    """
    if start == end:
        return [start]
    n = graph.size
    sides = []
    for root in (start, end):
        distance = np.full(n, -1, dtype=np.int64)
        parent = np.full(n, -1, dtype=np.int64)
        distance[root] = 0
        sides.append((distance, parent, [np.array([root], dtype=np.int64)]))
    while sides[0][2][-1].shape[0] and sides[1][2][-1].shape[0]:
        this = 0 if sides[0][2][-1].shape[0] <= sides[1][2][-1].shape[0] else 1
        distance, parent, fronts = sides[this]
        other_distance = sides[1 - this][0]
        tails, heads = _expand(graph, fronts[-1])
        fresh = distance[heads] < 0
        tails, heads = tails[fresh], heads[fresh]
        depth = len(fronts)
        distance[heads] = depth
        parent[heads] = tails
        met = heads[other_distance[heads] >= 0]
        if met.shape[0]:
            middle = int(met[np.argmin(other_distance[met])])
            return _walk(sides[0][1], middle, start)[::-1] + _walk(sides[1][1], middle, end)[1:]
        following = np.unique(heads)
        fronts.append(following)
    return None


def nearest(graph: Graph, start: int, limit: int) -> IntArray:
    """Return the first `limit` nodes a breadth-first search from `start` reaches, in the
    order it reaches them (as scipy's `breadth_first_order` would), stopping as soon as it
    has them: a page draws the part of a large network around its node without walking
    the whole network."""
    seen = np.zeros(graph.size, dtype=bool)
    seen[start] = True
    order = [np.array([start], dtype=np.int64)]
    found = 1
    frontier = order[0]
    while frontier.shape[0] and found < limit:
        _tails, heads = _expand(graph, frontier)
        heads = heads[~seen[heads]]
        # each new node once, where it was first reached
        _unique, first = np.unique(heads, return_index=True)
        frontier = heads[np.sort(first)]
        seen[frontier] = True
        order.append(frontier)
        found += int(frontier.shape[0])
    result: IntArray = np.concatenate(order)[:limit]
    return result


def _walk(parent: IntArray, node: int, root: int) -> list[int]:
    """Return the nodes from `node` back to `root` along `parent`."""
    path = [node]
    while path[-1] != root:
        path.append(int(parent[path[-1]]))
    return path


def parts_without(graph: Graph, node: int, members: IntArray) -> list[int]:
    """Return the sizes of the parts a network falls into without this node, largest first.

    Why a node is a broker: more than one part means people reach each other only through it.
    """
    inside = np.zeros(graph.size, dtype=bool)
    inside[members] = True
    inside[node] = False
    keep = np.flatnonzero(inside)
    if keep.shape[0] == 0:
        return []
    sub = graph.matrix()[keep][:, keep]
    _count, labels = connected_components(sub, directed=False)
    sizes = np.bincount(labels)
    return sorted((int(size) for size in sizes), reverse=True)
