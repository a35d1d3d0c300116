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
from functools import partial
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

    page_path(out=out, quick=quick, reference_path_p95=path_p95)


# --- the page's own path, over the database -------------------------------------------------

MATTER_BASE = 800_000_000  # the bench's incidents, far above any real one
KEY_PREFIX = "bench-intel:"


def _scratch() -> bool:
    import os

    from django.conf import settings

    name = str(settings.DATABASES["default"].get("NAME", ""))
    return "bench" in name.lower() or os.environ.get("KINGA_BENCH_SCRATCH") == "1"


def _insert(model: Any, names: list[str], rows: list[list[Any]]) -> None:
    """Insert rows into the model's table as the ORM would store them (each value through
    its field: encrypted, dates adapted), with one prepared statement for many rows."""
    from django.db import connection

    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - names from the model
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    prepared = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def _seed(size: int, out: Callable[[str], None]) -> tuple[int, int]:
    """Store the synthetic graph as the app stores links: a node per end, a link per pair
    (lower id first), each from an incident (one per group of GROUP nodes), and one
    appearance per node naming it (encrypted) in its incident. Kept between runs; return
    (links, nodes)."""
    import datetime

    from django.db import transaction
    from django.utils import timezone

    from kinga.intel.cache import links_changed
    from kinga.intel.models import Appearance, Edge, LinkKind, Node, NodeKind, Origin

    have = Edge.objects.filter(matter_id__gte=MATTER_BASE).count()
    if have:
        nodes = Node.objects.filter(key__startswith=KEY_PREFIX).count()
        out(f"  intel page: {have:,} links and {nodes:,} nodes kept from an earlier run")
        return have, nodes
    a, b = synthetic(size)
    keep = a != b
    a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    ends = np.unique(np.concatenate([a, b]))
    started = time.perf_counter()
    now = timezone.now()
    rng = np.random.default_rng(17)
    roles = ["recruiter", "transporter", "buyer", "pimp", "agent", "child"]
    batch = 20_000
    with transaction.atomic():
        _insert(
            Node,
            ["kind", "key", "platform", "first_seen"],
            [[NodeKind.PERSON, f"{KEY_PREFIX}{end}", "", now] for end in ends.tolist()],
        )
        ids = {
            int(key[len(KEY_PREFIX) :]): pk
            for key, pk in Node.objects.filter(key__startswith=KEY_PREFIX).values_list("key", "pk")
        }
        out(f"  intel page: {len(ids):,} nodes stored ({time.perf_counter() - started:.0f} s)")
        columns = [
            "origin_type",
            "origin_id",
            "matter_type",
            "matter_id",
            "source_type",
            "source_id",
            "first_seen",
        ]
        rows: list[list[Any]] = []
        for end in ends.tolist():
            matter = MATTER_BASE + end // GROUP
            rows.append(
                [Origin.INCIDENT, matter, "incident", matter, "justice.personofinterest", end, now]
                + [ids[end], roles[end % len(roles)], "", f"Bench person {end}"]
            )
            if len(rows) >= batch:
                _insert(Appearance, [*columns, "node", "role", "relationship", "value"], rows)
                rows = []
        _insert(Appearance, [*columns, "node", "role", "relationship", "value"], rows)
        out(f"  intel page: appearances stored ({time.perf_counter() - started:.0f} s)")
        days = rng.integers(0, 3 * 365, a.shape[0])
        today = timezone.localdate()
        rows = []
        for position, (left, right) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
            matter = MATTER_BASE + left // GROUP
            x, y = sorted((ids[left], ids[right]))
            ago = datetime.timedelta(days=int(days[position]))
            kind = LinkKind.SAME_INCIDENT if position % 4 else LinkKind.USES
            rows.append(
                [Origin.INCIDENT, matter, "incident", matter, "justice.personofinterest"]
                + [position, now - ago, today - ago, x, y, kind]
            )
            if len(rows) >= batch:
                _insert(Edge, [*columns, "occurred_on", "a", "b", "kind"], rows)
                rows = []
        _insert(Edge, [*columns, "occurred_on", "a", "b", "kind"], rows)
        links_changed()
    out(f"  intel page: {a.shape[0]:,} links stored ({time.perf_counter() - started:.0f} s)")
    return int(a.shape[0]), len(ids)


def _viewers() -> tuple[Any, Any]:
    """A police unit's supervisor overseeing every bench incident, and an analyst."""
    from django.db import transaction

    from kinga.access.models import AccessGrant
    from kinga.accounts.models import Agency, AgencyKind, RoleAssignment, User
    from kinga.intel.models import Edge
    from kinga.places.models import County

    mombasa = County.objects.get(name="Mombasa")
    police, _created = Agency.objects.get_or_create(
        name="Bench Intel Police", defaults={"kind": AgencyKind.POLICE_UNIT, "county": mombasa}
    )

    def user(username: str, role: str) -> Any:
        found, created = User.objects.get_or_create(username=username, defaults={"agency": police})
        if created:
            found.set_unusable_password()
            found.save(update_fields=["password"])
            RoleAssignment.objects.create(user=found, role=role)
        return found

    supervisor = user("bench_intel_supervisor", "supervisor")
    analyst = user("bench_intel_analyst", "analyst")
    matters = set(
        Edge.objects.filter(matter_id__gte=MATTER_BASE)
        .values_list("matter_id", flat=True)
        .distinct()
    )
    held = set(
        AccessGrant.objects.filter(agency=police, matter_type="incident").values_list(
            "matter_id", flat=True
        )
    )
    with transaction.atomic():
        AccessGrant.objects.bulk_create(
            [
                AccessGrant(
                    matter_type="incident",
                    matter_id=matter,
                    agency=police,
                    relation="agency_on_team",
                    via_role="investigator",
                    source_type="bench",
                )
                for matter in sorted(matters - held)
            ],
            batch_size=5000,
        )
    return supervisor, analyst


def _signed_in(user: Any) -> Any:
    """Return a test client signed in as the user, two-factor passed (as a browser is)."""
    from django.test import Client

    from kinga.accounts.services import authenticator_ensure

    device = authenticator_ensure(user=user)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def page_path(*, out: Callable[[str], None], quick: bool, reference_path_p95: float) -> None:
    """Time the network page's own path: the selector its view calls, over the links it
    reads from the database through the policy, for a supervisor with every link in view.

    Cold is the first request after links change (what every request cost before the
    graph was kept); warm is every request after it. The reference is the same path
    query over the in-memory arrays above, in the same run.
    """
    from django.db import connection
    from django.urls import reverse

    from kinga.access import policy
    from kinga.audit.models import AuditEvent
    from kinga.intel import selectors
    from kinga.intel.cache import CACHE, links_read, scope_build

    if not _scratch():
        out("  intel page: skipped (the database's name lacks 'bench'; it writes rows)")
        return
    size = 100_000 if quick else 1_000_000
    links, nodes = _seed(size, out)
    supervisor, analyst = _viewers()
    database = database_label()

    CACHE.clear()
    cold_graph, seen = _timed(lambda: selectors.viewer_graph(supervisor))
    largest = int(np.bincount(seen.networks).argmax())
    members = seen.graph.ids[np.flatnonzero(seen.networks == largest)]
    rng = np.random.default_rng(23)
    pairs = [tuple(int(x) for x in rng.choice(members, 2, replace=False)) for _ in range(PATHS)]
    CACHE.clear()
    cold_page, _page = _timed(
        lambda: selectors.network_page(viewer=supervisor, node_id=pairs[0][0])
    )
    # as a user walks it: open a node's network page, then ask the path to another suspect
    # (the whole request: middleware, view, the path answer, its template), then the
    # selector alone, then the network page again
    client = _signed_in(supervisor)
    page_times = []
    again_times = []
    path_times = []
    selector_times = []
    hops = []
    events = []
    for start, end in pairs:
        elapsed, _page = _timed(partial(selectors.network_page, viewer=supervisor, node_id=start))
        page_times.append(elapsed)
        url = reverse("intel:network", args=[start])
        before = AuditEvent.objects.count()
        elapsed, response = _timed(partial(client.get, url, {"to": end}))
        events.append(AuditEvent.objects.count() - before)
        if response.status_code != 200 or b'id="path"' not in response.content:
            raise AssertionError(f"the path answer failed: {response.status_code}")
        path_times.append(elapsed)
        elapsed, answer = _timed(
            partial(selectors.network_path, viewer=supervisor, node_id=start, to=end)
        )
        selector_times.append(elapsed)
        hops.append(len(answer.hops) - 1 if answer is not None and answer.hops else 0)
        elapsed, _page = _timed(partial(selectors.network_page, viewer=supervisor, node_id=start))
        again_times.append(elapsed)
    path_p95 = percentile(path_times, 0.95)
    record(
        BenchResult(
            name="intel_page_path",
            database=database,
            figures={
                "links": links,
                "nodes": nodes,
                "viewer": "supervisor",
                "queries": PATHS,
                "request_p50_ms": round(percentile(path_times, 0.5) * 1000, 1),
                "request_p95_ms": round(path_p95 * 1000, 1),
                "selector_p50_ms": round(percentile(selector_times, 0.5) * 1000, 1),
                "selector_p95_ms": round(percentile(selector_times, 0.95) * 1000, 1),
                "mean_hops": round(float(np.mean(hops)), 1),
                "mean_audit_events": round(float(np.mean(events)), 1),
                "arrays_p95_ms": round(reference_path_p95 * 1000, 1),
            },
            ratio=path_p95 / reference_path_p95,
            ratio_label="request/arrays p95",
            target="p95 <= 200 ms",
            passed=path_p95 <= 0.2,
        ),
        out,
    )
    record(
        BenchResult(
            name="intel_page_load",
            database=database,
            figures={
                "cold_read_build_s": round(cold_graph, 2),
                "cold_page_s": round(cold_page, 2),
                "first_view_p50_ms": round(percentile(page_times, 0.5) * 1000, 1),
                "first_view_p95_ms": round(percentile(page_times, 0.95) * 1000, 1),
                "again_p50_ms": round(percentile(again_times, 0.5) * 1000, 1),
                "again_p95_ms": round(percentile(again_times, 0.95) * 1000, 1),
                "kept_mb": round(CACHE.held() / 1024 / 1024, 1),
            },
            ratio=cold_page / percentile(again_times, 0.5),
            ratio_label="cold/again p50",
        ),
        out,
    )

    # the cold read and the build apart, then the whole analysis through the page's path:
    # read and build, networks, brokers, why
    condition = selectors._matters(supervisor, policy.INTEL_SECTION, policy.INTEL_ACTION)
    read_only, read = _timed(lambda: links_read(condition))
    build_only, _built = _timed(partial(scope_build, read, 0))
    CACHE.clear()
    started = time.perf_counter()
    seen = selectors.viewer_graph(supervisor)
    read_build = time.perf_counter() - started
    scores = betweenness(seen.graph, sources=SOURCES, seed=3)
    top = np.argsort(-scores)[:3]
    inside = np.flatnonzero(seen.networks == int(np.bincount(seen.networks).argmax()))
    for node in top:
        parts_without(seen.graph, int(node), inside)
    whole = time.perf_counter() - started
    cold_patterns, _tables = _timed(lambda: selectors.patterns(viewer=analyst))
    warm_patterns, _tables = _timed(lambda: selectors.patterns(viewer=analyst))
    record(
        BenchResult(
            name="intel_page_analysis",
            database=database,
            figures={
                "read_s": round(read_only, 2),
                "build_s": round(build_only, 2),
                "read_build_s": round(read_build, 2),
                "whole_s": round(whole, 2),
                "analyst_patterns_cold_s": round(cold_patterns, 2),
                "analyst_patterns_warm_s": round(warm_patterns, 2),
                "vendor": connection.vendor,
            },
            target="< 60 s",
            passed=whole < 60,
        ),
        out,
    )
    CACHE.clear()


BENCHMARKS = {"intel": run}
