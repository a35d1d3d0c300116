"""Reads of the link graph, always given the viewer, through the policy.

A viewer's graph is the links of the matters whose `INTEL_SECTION` they may
`INTEL_ACTION` (with `intel.network`): an investigator's incidents, the incidents their
unit's supervisor oversees. Networks, brokers, paths and changes are computed on that graph
alone, so nothing they are not on shapes what they see, not even a count. A node's name,
number or handle comes from the sources they may see. Every page that shows identity is
audited on the trail of each matter it showed.

Analysts get counts over the whole graph (`intel.patterns`), each below k hidden with what
would give it back, and never a node.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_append_many, audit_prepare, audit_record
from kinga.cases.models import Case
from kinga.intake.models import Platform
from kinga.intel.cache import CACHE, LinkRow, ScopeGraph, empty_links, scope_build, scope_of
from kinga.intel.graph import (
    betweenness,
    components,
    graph_from_pairs,
    nearest,
    parts_without,
    shortest_path,
)
from kinga.intel.layout import force_layout
from kinga.intel.models import (
    CHILD_ROLE,
    CONTEXT_KINDS,
    Appearance,
    Edge,
    LinkKind,
    Node,
    NodeKind,
)
from kinga.justice.models import Incident, PersonRole, Relationship
from kinga.people.models import Person
from kinga.places.models import County, Ward

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import Agency, User

    Viewer = User | AnonymousUser | None

# A network larger than this is drawn from the chosen node outwards, this many nodes.
MAX_DRAWN = 300
TOP = 10
# Colours follow the role (a person's most telling one) or the kind of node.
ROLE_ORDER = [
    CHILD_ROLE,
    PersonRole.RECRUITER,
    PersonRole.AGENT,
    PersonRole.PIMP,
    PersonRole.EXPLOITER,
    PersonRole.TRANSPORTER,
    PersonRole.HARBOURER,
    PersonRole.VENUE_OWNER,
    PersonRole.FINANCIER,
    PersonRole.FACILITATOR,
    PersonRole.BUYER,
    PersonRole.OTHER,
]


def may_see_networks(viewer: Viewer) -> bool:
    return policy.can_do(viewer, "intel.network")


def may_export(viewer: Viewer) -> bool:
    return policy.can_do(viewer, "intel.export")


def may_see_patterns(viewer: Viewer) -> bool:
    return policy.can_do(viewer, "intel.patterns")


def _matters(viewer: Viewer, section: str, action: str) -> Q:
    """Return the condition on (matter_type, matter_id) the viewer may take the action on."""
    condition = Q(pk__in=[])
    grants = policy.live_grants(viewer, section, action)
    if grants is None:
        return condition
    # as `policy.visible_matter_ids` for each type, from one reading of the viewer's grants
    for matter_type in MatterType.values:
        condition |= Q(
            matter_type=matter_type,
            matter_id__in=grants.filter(matter_type=matter_type).values("matter_id"),
        )
    return condition


def visible_edges(viewer: Viewer) -> QuerySet[Edge]:
    """Return the links the viewer may see (none without `intel.network`)."""
    if not may_see_networks(viewer):
        return Edge.objects.none()
    return Edge.objects.filter(_matters(viewer, policy.INTEL_SECTION, policy.INTEL_ACTION))


def exportable_edges(viewer: Viewer) -> QuerySet[Edge]:
    """Return the links the viewer may put in a file for a partner (none without
    `intel.export`): those of matters whose investigation file they may export."""
    if not may_export(viewer):
        return Edge.objects.none()
    return Edge.objects.filter(
        _matters(viewer, policy.INTEL_EXPORT_SECTION, policy.INTEL_EXPORT_ACTION)
    )


def _matter_of_row(viewer: Viewer, section: str, action: str) -> Q:
    """Return the condition that a row's own matter (its matter_type and matter_id) is one
    the viewer may take the action on: the same grants as `_matters`, asked per row.

    For reads of a few nodes' rows (a page's labels): the database probes the grants'
    index once per row instead of hashing every grant of a supervisor's ten thousand
    matters first, as `_matters` (one type at a time, for reading all links) makes it do.
    """
    grants = policy.live_grants(viewer, section, action)
    if grants is None:
        return Q(pk__in=[])
    return Q(
        Exists(grants.filter(matter_type=OuterRef("matter_type"), matter_id=OuterRef("matter_id")))
    )


def visible_appearances(viewer: Viewer, node_ids: Iterable[int]) -> QuerySet[Appearance]:
    if not may_see_networks(viewer):
        return Appearance.objects.none()
    return Appearance.objects.filter(
        _matter_of_row(viewer, policy.INTEL_SECTION, policy.INTEL_ACTION),
        node_id__in=list(node_ids),
    )


def viewer_graph(viewer: Viewer) -> ScopeGraph:
    """Return the viewer's graph: the links of what they may see, and their networks.

    Kept in the process for the viewer's exact scope (`kinga.intel.cache`) until links
    change; the scope itself is asked of the policy on every call.
    """
    if not may_see_networks(viewer):
        return scope_build(empty_links(), 0)
    scope = scope_of(viewer, policy.INTEL_SECTION, policy.INTEL_ACTION)
    return CACHE.graph(scope, partial(_matters, viewer, policy.INTEL_SECTION, policy.INTEL_ACTION))


def _rows(queryset: QuerySet[Edge]) -> list[LinkRow]:
    return [
        LinkRow(*row)
        for row in queryset.values_list(
            "a_id", "b_id", "kind", "matter_type", "matter_id", "occurred_on", "first_seen"
        )
    ]


# --- labels ---------------------------------------------------------------------------------


@dataclass
class NodeFacts:
    """What the viewer's sources say about a node: its label, roles and matters."""

    id: int
    kind: str
    label: str = ""
    platform: str = ""
    roles: set[str] = field(default_factory=set)
    matters: set[tuple[str, int]] = field(default_factory=set)
    first_seen: datetime.datetime | None = None

    @property
    def role(self) -> str:
        """The role a picture colours the node by: a person's most telling, else the kind."""
        for role in ROLE_ORDER:
            if role in self.roles:
                return str(role)
        return self.kind

    @property
    def is_child(self) -> bool:
        return CHILD_ROLE in self.roles

    def role_labels(self, words: Mapping[str, str] | None = None) -> list[str]:
        labels = words if words is not None else _role_words()
        return [str(labels.get(role, role)) for role in ROLE_ORDER if role in self.roles]


def _role_words() -> dict[str, str]:
    """Return role -> its label in the current language (made once per page)."""
    labels = {str(key): str(value) for key, value in PersonRole.choices}
    labels[CHILD_ROLE] = _("Child")
    return labels


def node_facts(viewer: Viewer, node_ids: Iterable[int]) -> dict[int, NodeFacts]:
    """Return node id -> what the viewer may know of it (names only through their sources)."""
    ids = list(node_ids)
    facts = {
        pk: NodeFacts(id=pk, kind=kind, platform=platform)
        for pk, kind, platform in Node.objects.filter(pk__in=ids).values_list(
            "pk", "kind", "platform"
        )
    }
    records: dict[int, int] = {}
    for row in visible_appearances(viewer, ids).order_by("pk"):
        fact = facts[row.node_id]
        fact.matters.add((row.matter_type, row.matter_id))
        if row.role:
            fact.roles.add(row.role)
        if fact.first_seen is None or row.first_seen < fact.first_seen:
            fact.first_seen = row.first_seen
        if fact.label:
            continue
        if row.role == CHILD_ROLE:
            fact.label = _("Child, case %(code)s") % {"code": row.value}
        elif row.person_record is not None:
            records.setdefault(row.node_id, row.person_record)
        elif row.value:
            fact.label = row.value
    people = Person.objects.in_bulk(list(records.values())) if records else {}
    for node_id, record in records.items():
        fact = facts[node_id]
        if not fact.label and record in people:
            fact.label = people[record].full_name or str(people[record])
    place_ids = [pk for pk, fact in facts.items() if fact.kind == NodeKind.PLACE]
    if place_ids:
        places = list(
            Node.objects.filter(pk__in=place_ids).values_list("pk", "ward_id", "county_id")
        )
        wards = dict(
            Ward.objects.filter(pk__in=[w for _p, w, _c in places if w]).values_list("pk", "name")
        )
        counties = dict(County.objects.values_list("pk", "name"))
        for pk, ward_id, county_id in places:
            facts[pk].label = wards.get(ward_id, "") if ward_id else counties.get(county_id, "")
    for fact in facts.values():
        if fact.kind == NodeKind.ONLINE_ACCOUNT and fact.platform and fact.label:
            fact.label = f"{fact.label} ({fact.platform})"
        if not fact.label:
            fact.label = _("Node %(number)s") % {"number": fact.id}
    return facts


def matter_names(matters: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """Return the reference staff use for each matter: incident and case codes, R-numbers."""
    wanted = set(matters)
    names: dict[tuple[str, int], str] = {}
    incidents = [pk for kind, pk in wanted if kind == MatterType.INCIDENT]
    for pk, code in Incident.objects.filter(pk__in=incidents).values_list("pk", "code"):
        names[(MatterType.INCIDENT, pk)] = code
    cases = [pk for kind, pk in wanted if kind == MatterType.CASE]
    for pk, code in Case.objects.filter(pk__in=cases).values_list("pk", "code"):
        names[(MatterType.CASE, pk)] = code
    for kind, pk in wanted:
        if kind == MatterType.REPORT:
            names[(kind, pk)] = f"R-{pk:06d}"
        names.setdefault((kind, pk), f"{kind} {pk}")
    return names


def _audit_shown(
    viewer: Viewer,
    *,
    action: str,
    record_id: object,
    matters: Iterable[tuple[str, int]],
    **detail: Any,
) -> None:
    """Audit one event on the trail of each matter whose people the page showed."""
    actor = viewer if viewer is not None and viewer.is_authenticated else None
    # each event made ready before the chain is locked, then one commit for the page's
    # events, not one per matter
    prepared = [
        audit_prepare(
            action=action,
            actor=actor,
            record_type="intel.network",
            record_id=record_id,
            matter_type=matter_type,
            matter_id=matter_id,
            fields=["label", "links"],
            detail=detail or None,
        )
        for matter_type, matter_id in sorted(set(matters))
    ]
    with transaction.atomic():
        audit_append_many(prepared)


# --- networks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkSummary:
    node_id: int  # a node of it, to open it by
    size: int
    people: int
    children: int
    roles: list[tuple[str, int]]
    first: datetime.date | None
    last: datetime.date | None
    places: list[str]
    matters: int


def network_list(*, viewer: Viewer) -> list[NetworkSummary]:
    """Return the viewer's networks, largest first: size, roles, span in time and place.

    Names no one (kinds, roles and counts), so it is audited as a list, not a view.
    """
    if not may_see_networks(viewer):
        return []
    seen = viewer_graph(viewer)
    graph = seen.graph
    if graph.size == 0:
        return []
    facts = node_facts(viewer, graph.ids.tolist())
    members: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(seen.networks.tolist()):
        members[label].append(index)
    # each link's network, its span in time and the matters it comes from, as arrays
    link_labels = seen.networks[seen.a_index]
    spans = seen.links.spans(link_labels)
    matters = np.bincount(
        np.unique(
            np.stack([link_labels, seen.links.matter_type.astype(np.int64), seen.links.matter_id]),
            axis=1,
        )[0],
        minlength=int(seen.networks.max()) + 1,
    )
    places: dict[int, set[int]] = defaultdict(set)
    context = seen.context
    for ends, others in ((context.a, context.b), (context.b, context.a)):
        found = seen.positions(ends)
        inside = found >= 0
        for label, other in zip(
            seen.networks[found[inside]].tolist(), others[inside].tolist(), strict=True
        ):
            places[label].add(other)
    place_facts = node_facts(viewer, {pk for found in places.values() for pk in found})
    role_labels = dict(PersonRole.choices)
    summaries = []
    for label, indexes in members.items():
        ids = [int(graph.ids[i]) for i in indexes]
        persons = [facts[pk] for pk in ids if facts[pk].kind == NodeKind.PERSON]
        roles: Counter[str] = Counter(
            str(role_labels.get(fact.role, fact.role)) for fact in persons if not fact.is_child
        )
        summaries.append(
            NetworkSummary(
                node_id=min(ids, key=lambda pk: (facts[pk].kind != NodeKind.PERSON, pk)),
                size=len(ids),
                people=len(persons),
                children=sum(1 for fact in persons if fact.is_child),
                roles=sorted(roles.items(), key=lambda item: (-item[1], item[0])),
                first=spans.get(label, (None, None))[0],
                last=spans.get(label, (None, None))[1],
                places=sorted({place_facts[pk].label for pk in places[label]}),
                matters=int(matters[label]),
            )
        )
    summaries.sort(key=lambda item: (-item.size, item.node_id))
    audit_record(
        action=AuditAction.LIST,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="intel.network",
        detail={"networks": len(summaries)},
    )
    return summaries


@dataclass(frozen=True)
class NodeView:
    id: int
    kind: str
    kind_label: str
    label: str
    role: str
    roles: list[str]
    degree: int
    broker: float
    parts: list[int]
    matters: list[str]
    x: float
    y: float
    on_path: bool

    @property
    def radius(self) -> float:
        return 5.0 + min(self.degree, 12) * 0.6

    @property
    def label_y(self) -> float:
        return self.y - self.radius - 3


@dataclass(frozen=True)
class LinkView:
    a: NodeView
    b: NodeView
    kinds: list[str]
    sources: list[str]
    on_path: bool


@dataclass(frozen=True)
class Changes:
    since: datetime.date
    people: list[NodeView]
    nodes: list[NodeView]
    links: list[LinkView]
    places: list[str]


@dataclass
class NetworkPage:
    node: NodeView
    nodes: list[NodeView]
    links: list[LinkView]
    size: int
    drawn: int
    brokers: list[NodeView]
    connected: list[NodeView]
    people: list[NodeView]
    changes: Changes | None = None
    width: int = 1000
    height: int = 700


_LINK_WORDS: dict[str, dict[str, str]] = {}


def _link_words(
    kinds: Iterable[str], matters: Iterable[tuple[str, int]], names: Mapping[tuple[str, int], str]
) -> tuple[list[str], list[str]]:
    language = get_language() or ""
    labels = _LINK_WORDS.get(language)
    if labels is None:
        labels = _LINK_WORDS[language] = {str(k): str(v) for k, v in LinkKind.choices}
    return (
        sorted({labels.get(kind, kind) for kind in kinds}),
        sorted({names[matter] for matter in matters}),
    )


@dataclass(frozen=True)
class Drawing:
    """The part of a network drawn around a node, and what is worked out on it: where
    each node goes, its links, betweenness and why the top brokers are. Ids and numbers
    only; kept with the viewer's graph (`ScopeGraph.drawings`) until links change."""

    member_index: Any  # positions in the scope's graph
    coords: dict[int, tuple[float, float]]
    degree: dict[int, int]
    scores: dict[int, float]
    brokers: list[int]
    parts: dict[int, list[int]]


def _drawing(seen: ScopeGraph, start: int, node_id: int) -> Drawing:
    """Return the drawing of the node's network (at most MAX_DRAWN nodes around it)."""
    kept = seen.drawings.get(node_id)
    if isinstance(kept, Drawing):
        return kept
    whole = seen.graph
    label = int(seen.networks[start])
    member_index = np.flatnonzero(seen.networks == label)
    if member_index.shape[0] > MAX_DRAWN:
        member_index = np.sort(nearest(whole, start, MAX_DRAWN))
    links = seen.links_among(seen.network_links(label), member_index)
    graph = graph_from_pairs(links.a, links.b)
    scores = betweenness(graph)
    degree = graph.degree()
    networks_inside = components(graph)
    ids = [int(whole.ids[i]) for i in member_index]
    position = {pk: i for i, pk in enumerate(ids)}
    pairs = sorted(set(zip(links.a.tolist(), links.b.tolist(), strict=True)))
    placed = force_layout(len(ids), [(position[a], position[b]) for a, b in pairs], seed=node_id)
    in_graph = {int(pk): i for i, pk in enumerate(graph.ids.tolist())}
    score = {pk: float(scores[in_graph[pk]]) if pk in in_graph else 0.0 for pk in ids}
    ranked = [
        pk
        for pk in sorted(ids, key=lambda pk: (-round(score[pk], 3), pk))
        if round(score[pk], 3) > 0
    ]
    parts = {}
    for pk in ranked[:TOP]:
        index = in_graph[pk]
        inside = np.flatnonzero(networks_inside == networks_inside[index])
        parts[pk] = parts_without(graph, index, inside)
    drawing = Drawing(
        member_index=member_index,
        coords={
            pk: (round(float(placed[i][0]), 1), round(float(placed[i][1]), 1))
            for pk, i in position.items()
        },
        degree={pk: int(degree[in_graph[pk]]) if pk in in_graph else 0 for pk in ids},
        scores=score,
        brokers=ranked[:TOP],
        parts=parts,
    )
    seen.keep_drawing(node_id, drawing)
    return drawing


def network_page(
    *,
    viewer: Viewer,
    node_id: int,
    since: datetime.date | None = None,
) -> NetworkPage:
    """Return the network a node is in, as the viewer may see it, with its picture, brokers,
    most connected and what changed since a date; audited. (The path to another node is
    `network_path`: its steps alone, not this page redrawn.)

    A node the viewer may not see is the same audited 404 as one that does not exist.
    """
    if not may_see_networks(viewer):
        raise policy.deny(viewer, record_type="intel.node", record_id=node_id)
    seen = viewer_graph(viewer)
    whole = seen.graph
    start = whole.index_of(node_id)
    if start is None:
        raise policy.deny(viewer, record_type="intel.node", record_id=node_id)
    label = seen.networks[start]
    size = int(np.count_nonzero(seen.networks == label))
    drawing = _drawing(seen, start, node_id)
    in_network = seen.network_links(int(label))
    member_index = drawing.member_index
    member_ids = {int(whole.ids[i]) for i in member_index}
    links = seen.links_among(in_network, member_index).rows()

    ids = sorted(member_ids)
    facts = node_facts(viewer, ids)
    names = matter_names({m for fact in facts.values() for m in fact.matters})
    pairs: dict[tuple[int, int], tuple[set[str], set[tuple[str, int]]]] = {}
    for row in links:
        key = (row.a, row.b)
        kinds, matters = pairs.setdefault(key, (set(), set()))
        kinds.add(row.kind)
        matters.add((row.matter_type, row.matter_id))
    names.update(matter_names({m for _k, ms in pairs.values() for m in ms}))
    coords = drawing.coords
    kind_labels = dict(NodeKind.choices)
    role_words = _role_words()
    views: dict[int, NodeView] = {}
    for pk in ids:
        fact = facts[pk]
        views[pk] = NodeView(
            id=pk,
            kind=fact.kind,
            kind_label=str(kind_labels.get(fact.kind, fact.kind)),
            label=fact.label,
            role=fact.role,
            roles=fact.role_labels(role_words),
            degree=drawing.degree.get(pk, 0),
            broker=round(drawing.scores.get(pk, 0.0), 3),
            parts=drawing.parts.get(pk, []),
            matters=sorted(names[m] for m in fact.matters),
            x=coords[pk][0],
            y=coords[pk][1],
            on_path=False,
        )
    # why each broker is one: the parts its network falls into without it
    brokers = [views[pk] for pk in drawing.brokers]
    link_views = []
    for (a, b), (kinds, matters) in sorted(pairs.items()):
        kind_words, source_words = _link_words(kinds, matters, names)
        link_views.append(
            LinkView(
                a=views[a],
                b=views[b],
                kinds=kind_words,
                sources=source_words,
                on_path=False,
            )
        )
    connected = sorted(
        (view for view in views.values() if view.degree), key=lambda v: (-v.degree, v.id)
    )[:TOP]
    people = sorted(
        (view for view in views.values() if view.kind == NodeKind.PERSON),
        key=lambda v: (v.label.casefold(), v.id),
    )
    changes = None
    if since is not None:
        changes = _changes(seen, in_network, member_index, views, names, since, pairs)
    shown = {m for fact in facts.values() for m in fact.matters}
    _audit_shown(viewer, action=AuditAction.VIEW, record_id=node_id, matters=shown, nodes=len(ids))
    return NetworkPage(
        node=views[node_id],
        nodes=[views[pk] for pk in ids],
        links=link_views,
        size=size,
        drawn=len(ids),
        brokers=brokers,
        connected=connected,
        people=people,
        changes=changes,
    )


# --- the path between two ---------------------------------------------------------------------

# The path's picture: its nodes in rows of this many, left to right then back (a snake),
# drawn narrower than a network so that its names stay readable on a phone.
PATH_ROW = 4
PATH_WIDTH = 640


@dataclass(frozen=True)
class PathLink:
    """One link between two steps of a path: its kind, the matter it comes from, when."""

    kind: str
    source: str
    occurred_on: datetime.date | None


@dataclass(frozen=True)
class PathHop:
    node: NodeView
    links: list[PathLink]  # to the next step's node (none after the last)

    @property
    def through(self) -> list[str]:
        """The kinds of link and their sources, in words (as the network page says them)."""
        return [
            *sorted({link.kind for link in self.links}),
            *sorted({link.source for link in self.links}),
        ]


@dataclass
class PathAnswer:
    """The shortest path between two nodes as the viewer may see it: its steps, the links
    between each two and the matters they come from; nothing of the rest of the network."""

    start: NodeView
    end: NodeView
    hops: list[PathHop]  # empty when no path links the two
    lines: list[LinkView]
    width: int = PATH_WIDTH
    height: int = 160

    @property
    def missing(self) -> bool:
        return not self.hops

    @property
    def nodes(self) -> list[NodeView]:
        return [hop.node for hop in self.hops]


def _path_places(count: int) -> tuple[list[tuple[float, float]], int]:
    """Return where each of a path's nodes goes (a snake of rows) and the picture's height."""
    per_row = max(min(count, PATH_ROW), 2)
    gap = (PATH_WIDTH - 2 * 80) / (per_row - 1)
    places = []
    for number in range(count):
        row, column = divmod(number, per_row)
        if row % 2:
            column = per_row - 1 - column
        places.append((round(80 + column * gap, 1), float(60 + row * 110)))
    rows = (count + per_row - 1) // per_row
    return places, 60 + max(rows - 1, 0) * 110 + 50


def network_path(*, viewer: Viewer, node_id: int, to: int) -> PathAnswer | None:
    """Return the shortest path from a node to another in what the viewer may see: each
    step's node (named through the policy, only these), the links between each two, their
    kinds and the matters they come from; audited on the trail of each matter shown.

    The start out of reach is the audited 404 of the network page. An end out of reach
    (not in the viewer's graph, or no such node) is audited as denied and answered None,
    the same for both; an end in reach with no path between is an answer with no steps.
    """
    if not may_see_networks(viewer):
        raise policy.deny(viewer, record_type="intel.node", record_id=node_id)
    seen = viewer_graph(viewer)
    whole = seen.graph
    start = whole.index_of(node_id)
    if start is None:
        raise policy.deny(viewer, record_type="intel.node", record_id=node_id)
    end = whole.index_of(to)
    if end is None:
        policy.deny(viewer, record_type="intel.node", record_id=to, action="path")
        return None
    found = shortest_path(whole, start, end) if seen.networks[start] == seen.networks[end] else None
    path_index = np.asarray(found if found is not None else [start, end], dtype=np.int64)
    ids = [int(whole.ids[i]) for i in path_index.tolist()]
    facts = node_facts(viewer, ids)
    # the links between each two steps, from the start's network only (the path is in it)
    hop_links: dict[tuple[int, int], list[tuple[str, tuple[str, int], datetime.date | None]]] = (
        defaultdict(list)
    )
    if found is not None:
        for here, there in zip(found, found[1:], strict=False):
            for row in seen.links_between(here, there).rows():
                hop_links[(row.a, row.b)].append(
                    (row.kind, (row.matter_type, row.matter_id), row.occurred_on)
                )
    link_matters = {matter for rows in hop_links.values() for _kind, matter, _day in rows}
    fact_matters = {matter for fact in facts.values() for matter in fact.matters}
    names = matter_names(fact_matters | link_matters)
    kind_labels = dict(NodeKind.choices)
    role_words = _role_words()
    degree = whole.degree()
    places, height = _path_places(len(ids) if found is not None else 0)

    def view_of(number: int, pk: int, on_path: bool) -> NodeView:
        fact = facts[pk]
        x, y = places[number] if on_path else (0.0, 0.0)
        return NodeView(
            id=pk,
            kind=fact.kind,
            kind_label=str(kind_labels.get(fact.kind, fact.kind)),
            label=fact.label,
            role=fact.role,
            roles=fact.role_labels(role_words),
            degree=int(degree[int(path_index[number])]),
            broker=0.0,
            parts=[],
            matters=sorted(names[m] for m in fact.matters),
            x=x,
            y=y,
            on_path=on_path,
        )

    link_words = {str(key): str(value) for key, value in LinkKind.choices}
    hops: list[PathHop] = []
    lines: list[LinkView] = []
    if found is not None:
        views = [view_of(number, pk, True) for number, pk in enumerate(ids)]
        for number, view in enumerate(views):
            links: list[PathLink] = []
            if number + 1 < len(views):
                here, there = view.id, views[number + 1].id
                rows = hop_links.get((min(here, there), max(here, there)), [])
                links = sorted(
                    {
                        PathLink(
                            kind=link_words.get(kind, kind),
                            source=names[matter],
                            occurred_on=day,
                        )
                        for kind, matter, day in rows
                    },
                    key=lambda link: (
                        link.source,
                        link.kind,
                        link.occurred_on or datetime.date.min,
                    ),
                )
                lines.append(
                    LinkView(
                        a=view,
                        b=views[number + 1],
                        kinds=sorted({link.kind for link in links}),
                        sources=sorted({link.source for link in links}),
                        on_path=True,
                    )
                )
            hops.append(PathHop(node=view, links=links))
        first, last = views[0], views[-1]
    else:
        first, last = view_of(0, ids[0], False), view_of(1, ids[1], False)
    _audit_shown(
        viewer,
        action=AuditAction.VIEW,
        record_id=node_id,
        matters=fact_matters | link_matters,
        to=to,
        nodes=len(ids) if found is not None else 0,
    )
    return PathAnswer(start=first, end=last, hops=hops, lines=lines, height=height)


def _changes(
    seen: ScopeGraph,
    in_network: Any,
    member_index: Any,
    views: Mapping[int, NodeView],
    names: Mapping[tuple[str, int], str],
    since: datetime.date,
    pairs: Mapping[tuple[int, int], tuple[set[str], set[tuple[str, int]]]],
) -> Changes:
    """Return what the network gained since the date: people, other nodes, links, places."""
    member_ids = {int(seen.graph.ids[i]) for i in member_index}
    cut = seen.links.micros_of(since)
    among = seen.links_among(in_network, member_index)
    new_pairs = {(row.a, row.b) for row in among.take(among.first_seen >= cut).rows()}
    # a node is old if any link of its network named it before the date
    network = seen.links.take(in_network)
    before = network.first_seen < cut
    old_nodes = set(network.a[before].tolist()) | set(network.b[before].tolist())
    new_nodes = [views[pk] for pk in sorted(member_ids) if pk not in old_nodes]
    links = []
    for pair in sorted(new_pairs):
        kinds, matters = pairs[pair]
        kind_words, source_words = _link_words(kinds, matters, names)
        links.append(LinkView(views[pair[0]], views[pair[1]], kind_words, source_words, False))
    context = seen.context
    members = np.asarray(sorted(member_ids), dtype=np.int64)
    a_in = np.isin(context.a, members)
    b_in = np.isin(context.b, members)
    touching = a_in | b_in
    place = np.where(a_in, context.b, context.a)
    recent = context.first_seen >= cut
    new_places = set(place[touching & recent].tolist())
    old_places = set(place[touching & ~recent].tolist())
    place_names = Node.objects.filter(pk__in=new_places - old_places)
    labels = []
    for node in place_names.select_related("ward", "county"):
        labels.append(node.ward.name if node.ward else node.county.name if node.county else "")
    return Changes(
        since=since,
        people=[view for view in new_nodes if view.kind == NodeKind.PERSON],
        nodes=[view for view in new_nodes if view.kind != NodeKind.PERSON],
        links=links,
        places=sorted(label for label in labels if label),
    )


# --- sharing a lead -------------------------------------------------------------------------


def network_export(*, viewer: Viewer, node_id: int, partner: Agency) -> dict[str, Any]:
    """Return the network of a node as a file for a partner agency: only the links of
    matters whose investigation file the viewer may export, and what those say; audited.
    """
    if not may_export(viewer):
        raise policy.deny(viewer, record_type="intel.node", record_id=node_id, action="export")
    seen = viewer_graph(viewer)
    start = seen.graph.index_of(node_id)
    if start is None:
        raise policy.deny(viewer, record_type="intel.node", record_id=node_id, action="export")
    label = seen.networks[start]
    member_ids = {int(seen.graph.ids[i]) for i in np.flatnonzero(seen.networks == label)}
    shareable = exportable_edges(viewer).exclude(kind__in=list(CONTEXT_KINDS))
    rows = [row for row in _rows(shareable.filter(a_id__in=member_ids, b_id__in=member_ids))]
    exportable = {(row.matter_type, row.matter_id) for row in rows}
    ids = sorted({end for row in rows for end in (row.a, row.b)})
    facts = node_facts(viewer, ids)
    # a label only from a source that may be shared, else the node is named by its kind
    shareable_seen = Appearance.objects.filter(
        _matters(viewer, policy.INTEL_EXPORT_SECTION, policy.INTEL_EXPORT_ACTION),
        node_id__in=ids,
    ).values_list("node_id", flat=True)
    labelled = set(shareable_seen)
    names = matter_names(exportable)
    kind_labels = dict(NodeKind.choices)
    link_labels = dict(LinkKind.choices)
    document = {
        "format": "kinga-network/1",
        "exported_at": datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds"),
        "from_agency": getattr(getattr(viewer, "agency", None), "name", ""),
        "for_agency": partner.name,
        "handling": _(
            "Confidential: the identities of children and witnesses are protected by law "
            "(Counter-Trafficking in Persons Act s.11, Children Act 2022 s.27). Do not copy "
            "beyond the investigation it was shared for."
        ),
        "nodes": [
            {
                "id": f"n{pk}",
                "kind": str(kind_labels.get(facts[pk].kind, facts[pk].kind)),
                "label": facts[pk].label if pk in labelled else "",
                "roles": facts[pk].role_labels() if pk in labelled else [],
            }
            for pk in ids
        ],
        "links": [
            {
                "from": f"n{row.a}",
                "to": f"n{row.b}",
                "kind": str(link_labels.get(row.kind, row.kind)),
                "source": names[(row.matter_type, row.matter_id)],
                "when": row.occurred_on.isoformat() if row.occurred_on else None,
            }
            for row in rows
        ],
    }
    _audit_shown(
        viewer,
        action=AuditAction.EXPORT,
        record_id=node_id,
        matters=exportable,
        partner=partner.pk,
        nodes=len(ids),
        links=len(rows),
    )
    return document


# --- the pattern without the people ---------------------------------------------------------


def k_threshold() -> int:
    return int(getattr(settings, "KINGA_INSIGHTS_K", 5))


def suppress_line(counts: Mapping[str, int], k: int) -> dict[str, int | None]:
    """Return the counts of one line (parts of a shown total) with small ones hidden (None).

    A count from 1 to k-1 could point at one child, so it is hidden; and so that the total
    minus the shown parts does not give it back, more parts are hidden (the smallest shown
    first) until at least two are and the hidden ones add up to k or more.
    """
    hidden = {key for key, value in counts.items() if 0 < value < k}

    def unsafe() -> bool:
        total = sum(counts[key] for key in hidden)
        return bool(hidden) and (len(hidden) == 1 or 0 < total < k)

    while unsafe():
        shown = sorted(
            (value, key) for key, value in counts.items() if key not in hidden and value > 0
        )
        if not shown:
            break
        hidden.add(shown[0][1])
    return {key: (None if key in hidden else value) for key, value in counts.items()}


@dataclass(frozen=True)
class CountTable:
    title: str
    rows: list[tuple[str, int | None]]
    total: int | None


def _table(title: str, counts: Mapping[str, int], labels: Mapping[str, str], k: int) -> CountTable:
    shown = suppress_line(counts, k)
    total = sum(counts.values())
    return CountTable(
        title=title,
        rows=[(str(labels.get(key, key)), shown[key]) for key in counts],
        total=None if 0 < total < k else total,
    )


def patterns(*, viewer: Viewer) -> list[CountTable]:
    """Return the counts analysts see: facilitators by role and relationship, buyers local
    and foreign, where exploitation recurs, how recruitment happens, networks by size.
    Every count below k is hidden with what would give it back; audited as a search of
    counts (no record is named)."""
    if not may_see_patterns(viewer):
        raise policy.deny(viewer, record_type="intel.patterns", record_id="")
    k = k_threshold()
    facilitators = Appearance.objects.filter(matter_type=MatterType.INCIDENT).exclude(
        role__in=["", CHILD_ROLE]
    )
    by_role = Counter(
        role for role, _node in facilitators.values_list("role", "node_id").distinct()
    )
    by_relationship = Counter(
        relationship
        for relationship, _node in facilitators.values_list("relationship", "node_id").distinct()
    )
    buyers = Counter(
        "foreign" if foreign else "local"
        for foreign, _node in facilitators.filter(role=PersonRole.BUYER)
        .values_list("is_foreign", "node_id")
        .distinct()
    )
    # where it recurs: per county, the incidents, and the venues named in two or more
    incident_counties = Counter(
        county for county in Incident.objects.values_list("county__name", flat=True)
    )
    venue_incidents: dict[int, set[int]] = defaultdict(set)
    for node_id, matter_id in Appearance.objects.filter(
        matter_type=MatterType.INCIDENT, node__kind=NodeKind.VENUE
    ).values_list("node_id", "matter_id"):
        venue_incidents[node_id].add(matter_id)
    venue_county = dict(
        Node.objects.filter(pk__in=list(venue_incidents)).values_list("pk", "county__name")
    )
    recurring = Counter(
        venue_county[node_id] or "" for node_id, found in venue_incidents.items() if len(found) > 1
    )
    # how recruitment happens: incidents with an online account, and accounts per platform
    online_incidents = set(
        Appearance.objects.filter(
            matter_type=MatterType.INCIDENT, node__kind=NodeKind.ONLINE_ACCOUNT
        ).values_list("matter_id", flat=True)
    )
    all_incidents = Incident.objects.count()
    recruitment = {
        "online": len(online_incidents),
        "in_person": max(all_incidents - len(online_incidents), 0),
    }
    platforms = Counter(
        Node.objects.filter(kind=NodeKind.ONLINE_ACCOUNT).values_list("platform", flat=True)
    )
    # networks by size, over the whole graph (kept as sizes only until links change)
    sizes = CACHE.sizes()
    bands = {"2": 0, "3-5": 0, "6-10": 0, "11+": 0}
    for size in sizes.tolist():
        band = "2" if size <= 2 else "3-5" if size <= 5 else "6-10" if size <= 10 else "11+"
        bands[band] += 1
    role_labels = {str(key): str(value) for key, value in PersonRole.choices}
    relation_labels = {str(key): str(value) for key, value in Relationship.choices}
    tables = [
        _table(_("Facilitators by role"), dict(sorted(by_role.items())), role_labels, k),
        _table(
            _("Facilitators by relationship to the child"),
            dict(sorted(by_relationship.items())),
            relation_labels,
            k,
        ),
        _table(
            _("Buyers, local and foreign"),
            {"local": buyers["local"], "foreign": buyers["foreign"]},
            {"local": _("Local"), "foreign": _("Foreign")},
            k,
        ),
        _table(_("Incidents by county"), dict(sorted(incident_counties.items())), {}, k),
        _table(
            _("Venues named in two or more incidents, by county"),
            dict(sorted(recurring.items())),
            {"": _("County not known")},
            k,
        ),
        _table(
            _("How recruitment happened"),
            recruitment,
            {"online": _("Online account involved"), "in_person": _("In person only")},
            k,
        ),
        _table(
            _("Online accounts by platform"),
            dict(sorted(platforms.items())),
            {str(key): str(value) for key, value in Platform.choices},
            k,
        ),
        _table(
            _("Networks by number of members"),
            bands,
            {key: _("%(band)s members") % {"band": key} for key in bands},
            k,
        ),
    ]
    audit_record(
        action=AuditAction.SEARCH,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type="intel.patterns",
        detail={"tables": len(tables), "k": k},
    )
    return tables


def node_choices(*, viewer: Viewer, node_ids: Iterable[int]) -> list[tuple[int, str]]:
    """Return (id, label) of these nodes as the viewer may name them (for a path's form)."""
    facts = node_facts(viewer, node_ids)
    return sorted(((pk, fact.label) for pk, fact in facts.items()), key=lambda item: item[1])


# Who a lead may be shared with: agencies that investigate, prosecute or protect children.
PARTNER_KINDS = ("police_unit", "prosecution_office", "childrens_services")


def partner_choices(*, viewer: Viewer) -> list[tuple[int, str]]:
    """Return (id, name) of the agencies a network may be exported for (not one's own)."""
    from kinga.accounts.models import Agency

    own = getattr(viewer, "agency_id", None)
    return list(
        Agency.objects.filter(kind__in=PARTNER_KINDS)
        .exclude(pk=own or 0)
        .order_by("name")
        .values_list("pk", "name")
    )


def partner_get(*, viewer: Viewer, agency_id: int) -> Agency | None:
    from kinga.accounts.models import Agency

    if agency_id not in {pk for pk, _name in partner_choices(viewer=viewer)}:
        return None
    return Agency.objects.get(pk=agency_id)
