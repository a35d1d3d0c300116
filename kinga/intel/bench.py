"""`kinga bench intel`: networks, brokers and paths over a synthetic graph of a million links,
against networkx doing the same in the same run.

The graph: 400,000 nodes in groups of 40 (a group is what one area's incidents link), each
link inside its group, with one in twenty reaching another group (the brokers); 1,000,000
links in all (100,000 with --quick). Kinga's code (`kinga.intel.graph`) and networkx build
the graph from the same arrays, find its networks, and estimate betweenness from sampled
sources; networkx's sampled betweenness is too slow to run from as many sources, so it runs
from fewer and the ratio is per source. Path queries are timed one by one between random
pairs. The whole analysis (build, networks, brokers, why for the top ten) must take under
60 s, a path query at most 200 ms. No database is touched: the graph is the selectors'
arrays, which a viewer's page builds from the links it may see.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kinga.intel.graph import (
    betweenness,
    components,
    graph_from_pairs,
    parts_without,
    shortest_path,
)
from kinga.lib.bench import BenchResult, database_label, percentile, record

GROUP = 40
CROSS = 0.05
SOURCES = 32
REFERENCE_SOURCES = 4
PATHS = 30


def synthetic(edges: int, seed: int = 11) -> tuple[Any, Any]:
    """Return (a, b) arrays of `edges` links over edges * 0.4 nodes in groups of GROUP."""
    rng = np.random.default_rng(seed)
    nodes = int(edges * 0.4)
    groups = nodes // GROUP
    group = rng.integers(0, groups, edges)
    a = group * GROUP + rng.integers(0, GROUP, edges)
    b = group * GROUP + rng.integers(0, GROUP, edges)
    cross = rng.random(edges) < CROSS
    b[cross] = rng.integers(0, groups * GROUP, int(cross.sum()))
    return a.astype(np.int64), b.astype(np.int64)


def run(*, out: Callable[[str], None], quick: bool = False) -> None:
    import networkx as nx

    size = 100_000 if quick else 1_000_000
    a, b = synthetic(size)
    out(f"  intel: {size:,} synthetic links")

    started = time.perf_counter()
    graph = graph_from_pairs(a, b)
    built = time.perf_counter() - started
    started = time.perf_counter()
    labels = components(graph)
    networks_time = time.perf_counter() - started
    networks = int(labels.max()) + 1 if labels.shape[0] else 0

    started = time.perf_counter()
    scores = betweenness(graph, sources=SOURCES, seed=3)
    brokers_time = time.perf_counter() - started
    started = time.perf_counter()
    top = np.argsort(-scores)[:10]
    largest = np.bincount(labels).argmax()
    members = np.flatnonzero(labels == largest)
    why = [parts_without(graph, int(node), members) for node in top[:3]]
    out(f"  intel: the top brokers split their network into {[len(parts) for parts in why]} parts")
    why_time = time.perf_counter() - started
    whole = built + networks_time + brokers_time + why_time

    rng = np.random.default_rng(5)
    path_times = []
    lengths = []
    for _ in range(PATHS):
        start, end = (int(x) for x in rng.choice(members, 2, replace=False))
        began = time.perf_counter()
        path = shortest_path(graph, start, end)
        path_times.append(time.perf_counter() - began)
        lengths.append(len(path) if path else 0)

    out("  intel: networkx reference ...")
    started = time.perf_counter()
    reference = nx.Graph()
    reference.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
    reference.remove_edges_from(nx.selfloop_edges(reference))
    reference_built = time.perf_counter() - started
    started = time.perf_counter()
    reference_networks = nx.number_connected_components(reference)
    reference_networks_time = time.perf_counter() - started
    started = time.perf_counter()
    nx.betweenness_centrality(reference, k=REFERENCE_SOURCES, seed=3)
    reference_brokers_time = time.perf_counter() - started
    if reference_networks != networks:
        raise AssertionError(f"networks differ: {networks} against {reference_networks}")

    per_source = brokers_time / SOURCES
    reference_per_source = reference_brokers_time / REFERENCE_SOURCES
    path_p95 = percentile(path_times, 0.95)
    database = database_label()
    record(
        BenchResult(
            name="intel_networks",
            database=database,
            figures={
                "links": size,
                "nodes": graph.size,
                "networks": networks,
                "build_s": round(built, 3),
                "networks_s": round(networks_time, 3),
                "networkx_build_s": round(reference_built, 3),
                "networkx_networks_s": round(reference_networks_time, 3),
            },
            ratio=(reference_built + reference_networks_time) / (built + networks_time),
            ratio_label="networkx/kinga (build + networks)",
        ),
        out,
    )
    record(
        BenchResult(
            name="intel_brokers",
            database=database,
            figures={
                "sources": SOURCES,
                "brokers_s": round(brokers_time, 3),
                "per_source_s": round(per_source, 4),
                "networkx_sources": REFERENCE_SOURCES,
                "networkx_per_source_s": round(reference_per_source, 4),
                "why_top3_s": round(why_time, 3),
            },
            ratio=reference_per_source / per_source,
            ratio_label="networkx/kinga per source",
        ),
        out,
    )
    record(
        BenchResult(
            name="intel_path",
            database=database,
            figures={
                "queries": PATHS,
                "p50_ms": round(percentile(path_times, 0.5) * 1000, 1),
                "p95_ms": round(path_p95 * 1000, 1),
                "mean_hops": round(float(np.mean(lengths)) - 1, 1),
            },
            target="p95 <= 200 ms",
            passed=path_p95 <= 0.2,
        ),
        out,
    )
    record(
        BenchResult(
            name="intel_analysis",
            database=database,
            figures={"whole_s": round(whole, 2)},
            target="< 60 s",
            passed=whole < 60,
        ),
        out,
    )


BENCHMARKS = {"intel": run}
