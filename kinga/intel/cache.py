"""The viewer's graph, built once per visibility scope and kept while the links stand still.

A network page needs the graph of every link its viewer may see: for a supervisor
overseeing thousands of incidents that is a million rows, seconds to read and to build, far
over the 200 ms a path query may take. So the arrays are kept in the process, under the
viewer's *scope*: the exact set of matters (by type and id) the policy lets them see the
links of, computed afresh on every request. Two viewers share an entry only when they see
exactly the same matters; a grant given or taken changes the scope, so the next request
builds another. What is kept is ids, kinds, matters and dates, never a name, number or
handle (those are read per page, through the policy, for the nodes shown); the analysts'
counts keep only the size of each network.

Every write of links (`kinga.intel.build.origin_apply`) sets a new stamp in the database
in the same transaction (`links_changed`); each request reads the stamp (one indexed row)
and drops every entry built at another stamp, in whichever process it runs. So a link removed
by an unmerge or a deleted source is gone from the next page after the worker's refresh
commits, and a new link shows on it, never later. The worker checks every few minutes
that the links still match the stamp's fingerprint (`links_check`), so a write made
around the build (a restore, a hand repair) also renews every entry.

Memory is bounded: entries are dropped, least recently used first, while their arrays
hold more than `KINGA_INTEL_GRAPH_CACHE_MB` (256 MB by default, about three scopes of a
million links: some 80 bytes a link); a scope larger than the bound alone is built for its
request and not kept.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, Case, Func, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.intel.graph import Graph, components, graph_from_pairs
from kinga.intel.models import CONTEXT_KINDS, BuildMark, Edge, LinkKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User

    Viewer = User | AnonymousUser | None

IntArray = npt.NDArray[np.int64]

STAMP = "links.version"
FINGERPRINT = "links.fingerprint"
CHUNK = 50_000
KINDS = [str(kind) for kind in LinkKind.values]
MATTER_TYPES = [str(kind) for kind in MatterType.values]
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
_MATTER_CODE = {kind: code for code, kind in enumerate(MATTER_TYPES)}
_CONTEXT_CODES = np.array(sorted(_KIND_CODE[str(kind)] for kind in CONTEXT_KINDS), dtype=np.int8)
# Drawings kept per scope, and what one holds at most (MAX_DRAWN nodes: places, scores,
# degrees and their links' ends), counted against the bound.
DRAWINGS_KEPT = 64
DRAWING_BYTES = 64 * 1024
_NO_DATE = np.iinfo(np.int64).min
_EPOCH = datetime.date(1970, 1, 1)


def _day(days: int) -> datetime.date:
    return _EPOCH + datetime.timedelta(days=days)


@dataclass(frozen=True)
class LinkRow:
    a: int
    b: int
    kind: str
    matter_type: str
    matter_id: int
    occurred_on: datetime.date | None
    first_seen: datetime.datetime


@dataclass(frozen=True)
class Links:
    """Link rows as columns: ends, kind and matter as codes, days and microseconds."""

    a: IntArray
    b: IntArray
    kind: npt.NDArray[np.int8]
    matter_type: npt.NDArray[np.int8]
    matter_id: IntArray
    occurred_on: IntArray  # days since 1970-01-01, _NO_DATE when not known
    first_seen: IntArray  # microseconds since the epoch, UTC

    @property
    def size(self) -> int:
        return int(self.a.shape[0])

    @property
    def nbytes(self) -> int:
        return sum(int(getattr(self, name).nbytes) for name in self.__dataclass_fields__)

    def take(self, which: Any) -> Links:
        return Links(
            **{name: getattr(self, name)[which] for name in self.__dataclass_fields__},
        )

    @staticmethod
    def micros_of(day: datetime.date) -> int:
        """Return the first microsecond of the day (UTC), to compare with `first_seen`."""
        return _micros(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC))

    def spans(self, labels: IntArray) -> dict[int, tuple[datetime.date, datetime.date]]:
        """Return label -> the first and last day of its links that have one."""
        known = self.occurred_on != _NO_DATE
        if not known.any():
            return {}
        label, day = labels[known], self.occurred_on[known]
        order = np.lexsort((day, label))
        label, day = label[order], day[order]
        starts = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
        ends = np.r_[starts[1:], label.shape[0]] - 1
        return {
            int(label[start]): (_day(int(day[start])), _day(int(day[end])))
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
        }

    def rows(self) -> list[LinkRow]:
        """Return the links as rows (for a few: one network's drawn part)."""
        return [
            LinkRow(
                a=int(a),
                b=int(b),
                kind=KINDS[int(kind)],
                matter_type=MATTER_TYPES[int(matter_type)],
                matter_id=int(matter_id),
                occurred_on=None if int(day) == _NO_DATE else _day(int(day)),
                first_seen=datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
                + datetime.timedelta(microseconds=int(seen)),
            )
            for a, b, kind, matter_type, matter_id, day, seen in zip(
                self.a.tolist(),
                self.b.tolist(),
                self.kind.tolist(),
                self.matter_type.tolist(),
                self.matter_id.tolist(),
                self.occurred_on.tolist(),
                self.first_seen.tolist(),
                strict=True,
            )
        ]


def empty_links() -> Links:
    none = np.zeros(0, dtype=np.int64)
    codes = np.zeros(0, dtype=np.int8)
    return Links(none, none, codes, codes, none, none, none)


@dataclass
class ScopeGraph:
    """A scope's links, its graph (links that say who), its networks, and each network's
    links in one slice (`order[starts[n]:starts[n + 1]]`)."""

    stamp: int
    links: Links
    context: Links
    graph: Graph
    networks: IntArray
    a_index: IntArray  # each link's ends as positions in the graph
    b_index: IntArray
    order: IntArray
    starts: IntArray
    # node id -> the drawing of its network's part around it (`kinga.intel.selectors`)
    drawings: OrderedDict[int, object] = field(default_factory=OrderedDict)

    def keep_drawing(self, node_id: int, drawing: object) -> None:
        """Keep a drawing, the least recently made dropped past DRAWINGS_KEPT."""
        self.drawings[node_id] = drawing
        while len(self.drawings) > DRAWINGS_KEPT:
            self.drawings.popitem(last=False)

    @property
    def nbytes(self) -> int:
        arrays = (self.graph.ids, self.graph.indptr, self.graph.indices, self.networks)
        more = (self.a_index, self.b_index, self.order, self.starts)
        return (
            self.links.nbytes
            + self.context.nbytes
            + sum(int(array.nbytes) for array in (*arrays, *more))
            + len(self.drawings) * DRAWING_BYTES
        )

    def network_links(self, label: int) -> IntArray:
        """Return the positions (in `links`) of the links of one network."""
        return self.order[int(self.starts[label]) : int(self.starts[label + 1])]

    def links_among(self, within: IntArray, nodes: IntArray) -> Links:
        """Return the links (of these positions in `links`) with both ends among the nodes
        (positions in the graph)."""
        chosen = np.zeros(self.graph.size, dtype=bool)
        chosen[nodes] = True
        keep = within[chosen[self.a_index[within]] & chosen[self.b_index[within]]]
        return self.links.take(keep)

    def links_between(self, here: int, there: int) -> Links:
        """Return the links between two nodes (positions in the graph), by bisection: the
        links are kept in order of their ends, and `a` is the lower id, so the lower
        position."""
        low, high = min(here, there), max(here, there)
        start = int(np.searchsorted(self.a_index, low, side="left"))
        stop = int(np.searchsorted(self.a_index, low, side="right"))
        ends = self.b_index[start:stop]
        first = start + int(np.searchsorted(ends, high, side="left"))
        last = start + int(np.searchsorted(ends, high, side="right"))
        return self.links.take(slice(first, last))

    def positions(self, ids: IntArray) -> IntArray:
        """Return each id's position in the graph, or -1 where it has none."""
        found = np.searchsorted(self.graph.ids, ids)
        found = np.minimum(found, max(self.graph.size - 1, 0))
        hit = self.graph.size > 0
        if not hit:
            return np.full(ids.shape[0], -1, dtype=np.int64)
        result: IntArray = np.where(self.graph.ids[found] == ids, found, -1).astype(np.int64)
        return result


def scope_build(links: Links, stamp: int) -> ScopeGraph:
    """Build the graph, networks and per-network order of these links."""
    context_mask = np.isin(links.kind, _CONTEXT_CODES)
    who = links.take(~context_mask)
    # links in order of their ends (a, then b): the links between two nodes are then found
    # by bisection (`links_between`), not by a pass over every link
    who = who.take(np.lexsort((who.b, who.a)))
    graph = graph_from_pairs(who.a, who.b)
    networks = components(graph)
    a_index = np.searchsorted(graph.ids, who.a).astype(np.int64)
    b_index = np.searchsorted(graph.ids, who.b).astype(np.int64)
    link_network = networks[a_index] if who.size else np.zeros(0, dtype=np.int64)
    order = np.argsort(link_network, kind="stable").astype(np.int64)
    count = int(networks.max()) + 1 if networks.shape[0] else 0
    starts = np.zeros(count + 1, dtype=np.int64)
    if who.size:
        np.cumsum(np.bincount(link_network, minlength=count), out=starts[1:])
    return ScopeGraph(
        stamp=stamp,
        links=who,
        context=links.take(context_mask),
        graph=graph,
        networks=networks,
        a_index=a_index,
        b_index=b_index,
        order=order,
        starts=starts,
    )


# --- reading links --------------------------------------------------------------------------


def _micros(moment: datetime.datetime) -> int:
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class EpochDays(Func):
    """A date as whole days since 1970-01-01, computed by the database (an integer)."""

    output_field = BigIntegerField()

    def as_sql(  # type: ignore[override]  # the stubs name function= and template= too
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, Any]:
        return super().as_sql(
            compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        # julianday of midnight is a whole number plus a half, so the difference is exact
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)",
            **extra,
        )


class EpochMicros(Func):
    """A moment as microseconds since the epoch (UTC), computed by the database."""

    output_field = BigIntegerField()

    def as_sql(  # type: ignore[override]  # the stubs name function= and template= too
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, Any]:
        # EXTRACT gives an exact numeric (PostgreSQL 14 on), so no microsecond is rounded
        return super().as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM %(expressions)s) * 1000000 AS BIGINT)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        # Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC: the whole seconds through
        # julianday (exact to some 50 microseconds, so rounding to the second is exact), and
        # the six digits after the point (none when the microsecond is 0) added as they are
        return super().as_sql(
            compiler,
            connection,
            template=(
                "(CAST(ROUND((julianday(substr(%(expressions)s, 1, 19)) - 2440587.5)"
                " * 86400.0) AS INTEGER) * 1000000"
                " + CAST(substr(%(expressions)s, 21, 6) AS INTEGER))"
            ),
            **extra,
        )


def _codes(column: str, codes: dict[str, int]) -> Case:
    return Case(
        *(When(**{column: name}, then=Value(code)) for name, code in codes.items()),
        default=Value(-1),
        output_field=IntegerField(),
    )


def links_select(condition: Q) -> tuple[str, tuple[Any, ...]]:
    """Return the one SELECT that reads the links matching the condition as integers only:
    ends, kind and matter type as codes, matter, the day it happened (days since the
    epoch, _NO_DATE when not known) and when it was first seen (microseconds)."""
    queryset = (
        Edge.objects.filter(condition)
        .annotate(
            kind_code=_codes("kind", _KIND_CODE),
            matter_code=_codes("matter_type", _MATTER_CODE),
            day=Coalesce(
                EpochDays("occurred_on"),
                Value(_NO_DATE, output_field=BigIntegerField()),
                output_field=BigIntegerField(),
            ),
            seen=EpochMicros("first_seen"),
        )
        .values_list("a_id", "b_id", "kind_code", "matter_code", "matter_id", "day", "seen")
        .order_by()
    )
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def links_read(condition: Q) -> Links:
    """Read the links matching the condition with one SELECT of integers, a chunk at a time
    into arrays (no model, no date object: what made a cold build slow)."""
    try:
        sql, params = links_select(condition)
    except EmptyResultSet:  # a condition nothing can match (no matter in scope)
        return empty_links()
    parts: list[IntArray] = []
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            parts.append(np.array(rows, dtype=np.int64).reshape(-1, 7))
    if not parts:
        return empty_links()
    table = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if (table[:, 2] < 0).any() or (table[:, 3] < 0).any():
        raise ValueError("a link of a kind or matter type this code does not know")
    return Links(
        a=np.ascontiguousarray(table[:, 0]),
        b=np.ascontiguousarray(table[:, 1]),
        kind=table[:, 2].astype(np.int8),
        matter_type=table[:, 3].astype(np.int8),
        matter_id=np.ascontiguousarray(table[:, 4]),
        occurred_on=np.ascontiguousarray(table[:, 5]),
        first_seen=np.ascontiguousarray(table[:, 6]),
    )


# --- the stamp ------------------------------------------------------------------------------


def links_stamp() -> int:
    """Return the stamp the links are at now (one indexed row)."""
    value = BuildMark.objects.filter(name=STAMP).values_list("value", flat=True).first()
    return int(value or 0)


def links_changed() -> None:
    """Say, in the transaction that wrote links, that every kept graph is out of date.

    The stamp is a fresh random number, not a count: a database restored from a backup,
    or a test's rolled-back transaction, goes back to a stamp no kept graph of a later
    state can hold.
    """
    fresh = secrets.randbits(62) + 1
    now = timezone.now()
    if not BuildMark.objects.filter(name=STAMP).update(value=fresh, moved_at=now):
        mark, _created = BuildMark.objects.select_for_update().get_or_create(name=STAMP)
        BuildMark.objects.filter(pk=mark.pk).update(value=fresh, moved_at=now)


def _fingerprint() -> int:
    """Return a number that changes when links are added or removed however that was done."""
    with connection.cursor() as cursor:
        # the model's own table name, no input
        cursor.execute(f"SELECT COUNT(*), MAX(id), SUM(id) FROM {Edge._meta.db_table}")  # noqa: S608
        count, top, total = cursor.fetchone()
    digest = hashlib.sha256(f"{count}:{top}:{total}".encode()).digest()
    return int.from_bytes(digest[:7], "big")


def links_check() -> bool:
    """Renew every kept graph if the links changed without the stamp (return whether so)."""
    now = _fingerprint()
    mark, _created = BuildMark.objects.select_for_update().get_or_create(name=FINGERPRINT)
    if mark.value == now:
        return False
    changed = mark.value != 0
    mark.value = now
    mark.moved_at = timezone.now()
    mark.save(update_fields=["value", "moved_at"])
    if changed:
        links_changed()
    return changed


# --- the scopes -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Scope:
    """The matters a viewer may see the links of, by type (sorted ids, no repeats): the
    cache's key."""

    matters: tuple[tuple[str, IntArray], ...]

    @property
    def key(self) -> str:
        digest = hashlib.sha256()
        for matter_type, ids in self.matters:
            digest.update(matter_type.encode())
            digest.update(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
            digest.update(b";")
        return digest.hexdigest()

    @property
    def empty(self) -> bool:
        return not any(ids.shape[0] for _type, ids in self.matters)

    def holds(self, links: Links) -> Any:
        """Return the mask of links inside the scope (a guard on what the database gave)."""
        mask = np.zeros(links.size, dtype=bool)
        for matter_type, ids in self.matters:
            code = _MATTER_CODE[matter_type]
            mask |= (links.matter_type == code) & np.isin(links.matter_id, ids)
        return mask


def scope_of(viewer: Viewer, section: str, action: str) -> Scope:
    """Return the viewer's scope for taking the action on the section, from the policy now.

    Read as integers in one SELECT (a supervisor may oversee ten thousand matters, read on
    every request): the matter type as a code, then the ids sorted and unique per type.
    """
    grants = policy.live_grants(viewer, section, action)
    table = np.zeros((0, 2), dtype=np.int64)
    if grants is not None:
        rows = grants.annotate(code=_codes("matter_type", _MATTER_CODE)).values_list(
            "code", "matter_id"
        )
        try:
            sql, params = rows.order_by().query.sql_with_params()
        except EmptyResultSet:
            sql = ""
        if sql:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                found = cursor.fetchall()
            if found:
                table = np.array(found, dtype=np.int64).reshape(-1, 2)
    matters = []
    for matter_type in MATTER_TYPES:
        ids = np.unique(table[table[:, 0] == _MATTER_CODE[matter_type], 1])
        matters.append((matter_type, ids.astype(np.int64)))
    return Scope(matters=tuple(matters))


class GraphCache:
    """Scope key -> its graph, at one stamp; least recently used dropped past the bound."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, ScopeGraph] = OrderedDict()
        self._stamp: int | None = None
        self._sizes: tuple[int, IntArray] | None = None
        self.builds = 0

    @property
    def limit(self) -> int:
        return int(getattr(settings, "KINGA_INTEL_GRAPH_CACHE_MB", 256)) * 1024 * 1024

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._stamp = None
            self._sizes = None

    def held(self) -> int:
        with self._lock:
            return sum(entry.nbytes for entry in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def graph(self, scope: Scope, condition: Callable[[], Q]) -> ScopeGraph:
        """Return the scope's graph at the links' stamp now, building it if need be.

        `condition` gives the policy's own filter of the scope's links (made only when the
        graph is built); what it reads is held to the scope's matters again, so an entry
        never holds a link outside its key.
        """
        stamp = links_stamp()
        key = scope.key
        with self._lock:
            if self._stamp != stamp:
                self._entries.clear()
                self._stamp = stamp
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        if scope.empty:
            built = scope_build(empty_links(), stamp)
        else:
            links = links_read(condition())
            built = scope_build(links.take(scope.holds(links)), stamp)
        self.builds += 1
        with self._lock:
            if self._stamp == stamp and built.nbytes <= self.limit:
                self._entries[key] = built
                while sum(entry.nbytes for entry in self._entries.values()) > self.limit:
                    self._entries.popitem(last=False)
        return built

    def sizes(self) -> IntArray:
        """Return the size of every network of the whole graph (the analysts' counts keep
        nothing else: no node, no link), at the links' stamp now."""
        stamp = links_stamp()
        with self._lock:
            if self._sizes is not None and self._sizes[0] == stamp:
                return self._sizes[1]
        rows = Edge.objects.exclude(kind__in=list(CONTEXT_KINDS)).values_list("a_id", "b_id")
        sql, params = rows.order_by().query.sql_with_params()
        parts = [np.zeros((0, 2), dtype=np.int64)]
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(CHUNK):
                parts.append(np.array(chunk, dtype=np.int64).reshape(-1, 2))
        pairs = np.concatenate(parts)
        graph = graph_from_pairs(pairs[:, 0], pairs[:, 1])
        sizes: IntArray = (
            np.bincount(components(graph)).astype(np.int64)
            if graph.size
            else np.zeros(0, dtype=np.int64)
        )
        self.builds += 1
        with self._lock:
            self._sizes = (stamp, sizes)
        return sizes


CACHE = GraphCache()
