"""Keep the link graph in step with the records it comes from, in the worker.

A change to an incident (its people of interest, children, leads), to a person's
identifiers or links, or to a merge asks for `intel.refresh` of its *origin* (signals in
`kinga.intel.signals` write the task in the change's own transaction); reports are swept
every minute (`intel.sweep`), so the public channels' hot path gains nothing. A refresh
derives what the origin says now and replaces what the graph held from it: rows still
said keep their `first_seen` (so "what changed since" is true), rows no longer said are
deleted, so a link goes with its source.

A person is one node however many records the matching joined (`PersonMerge` rows not
undone): the node's key names the lowest record id of the joined group. A merge or its
undoing refreshes every origin that names a record of the group.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from kinga.access.models import MatterType
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intake.models import Report
from kinga.intel.cache import links_changed, links_check
from kinga.intel.models import (
    CHILD_ROLE,
    AccountAlert,
    AccountAlias,
    Appearance,
    BuildMark,
    Edge,
    LinkKind,
    Node,
    NodeKind,
    Origin,
)
from kinga.justice.models import (
    Incident,
    IncidentChild,
    IncidentLead,
    LeadKind,
    PersonOfInterest,
)
from kinga.justice.services import team_of
from kinga.lib.crypto import keyed_hash
from kinga.lib.phones import normalise_phone
from kinga.matching.models import PersonMerge
from kinga.notifications.services import notify
from kinga.people.models import IdentifierKind, PersonIdentifier, PersonLink
from kinga.tasks.models import Task, TaskState
from kinga.tasks.registry import periodic, task
from kinga.tasks.services import task_enqueue

REFRESH_TASK = "intel.refresh"
SWEEP_JOB = "intel.sweep"
CHECK_JOB = "intel.graph_check"
# The origin of a merge's refresh: not a row's origin, the group of records it joined.
MERGE = "merge"
# Reports swept per run: the rest wait a minute.
SWEEP_BATCH = 500

# A Kenyan number as people write it in a report: 07.., 01.., +254.., 254..
PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+?254|0)\s?[17](?:[\s-]?\d){8}(?!\d)")


# --- keys -----------------------------------------------------------------------------------


def person_key(root: int) -> str:
    return f"{NodeKind.PERSON}:{root}"


def phone_key(value: str) -> str:
    """Return a phone's key; raise ValueError when it is not a phone number."""
    return f"{NodeKind.PHONE}:" + keyed_hash(normalise_phone(value), purpose="intel:phone")


def handle_normal(handle: str) -> str:
    return handle.strip().lstrip("@").strip().casefold()


def account_key(platform: str, handle: str) -> str:
    """Return an online account's key: its platform and its handle without `@` or case."""
    normal = handle_normal(handle)
    if not normal:
        raise ValueError("An online handle is empty.")
    return f"{NodeKind.ONLINE_ACCOUNT}:" + keyed_hash(
        f"{platform.strip().casefold()}:{normal}", purpose="intel:online_account"
    )


def vehicle_key(plate: str) -> str:
    compact = re.sub(r"[^0-9A-Za-z]", "", plate).upper()
    if not compact:
        raise ValueError("A plate is empty.")
    return f"{NodeKind.VEHICLE}:" + keyed_hash(compact, purpose="intel:vehicle")


def venue_key(name: str, county_id: int) -> str:
    """Return a venue's key: its name in its county (two bars of one name are two bars)."""
    normal = " ".join(name.casefold().split())
    if not normal:
        raise ValueError("A venue is unnamed.")
    return f"{NodeKind.VENUE}:" + keyed_hash(f"{county_id}:{normal}", purpose="intel:venue")


# --- what an origin says --------------------------------------------------------------------


@dataclass(frozen=True)
class NodeRef:
    kind: str
    key: str
    platform: str = ""
    county_id: int | None = None
    ward_id: int | None = None


@dataclass(frozen=True)
class Source:
    matter_type: str
    matter_id: int
    source_type: str
    source_id: int
    occurred_on: datetime.date | None


@dataclass(frozen=True)
class Seen:
    node: NodeRef
    source: Source
    role: str = ""
    relationship: str = ""
    is_foreign: bool | None = None
    person_record: int | None = None
    value: str = ""


@dataclass(frozen=True)
class Link:
    a: NodeRef
    b: NodeRef
    kind: str
    source: Source


@dataclass
class Derivation:
    seen: list[Seen] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def link(self, a: NodeRef, b: NodeRef, kind: str, source: Source) -> None:
        if a.key != b.key:
            self.links.append(Link(a, b, kind, source))


def roots_of(person_ids: Iterable[int]) -> dict[int, int]:
    """Return person id -> the lowest id of the records the live merges join it with."""
    wanted = set(person_ids)
    roots: dict[int, int] = {}
    for start in wanted:
        if start in roots:
            continue
        group = {start}
        frontier = {start}
        while frontier:
            pairs = PersonMerge.objects.filter(
                Q(person_a_id__in=frontier) | Q(person_b_id__in=frontier), undone_at__isnull=True
            ).values_list("person_a_id", "person_b_id")
            found = {pk for pair in pairs for pk in pair} - group
            group |= found
            frontier = found
        root = min(group)
        for member in group:
            roots[member] = root
    return {pk: roots[pk] for pk in wanted}


def group_of(person_ids: Iterable[int]) -> set[int]:
    """Return the records joined (by live merges) with any of these, themselves included."""
    group = set(person_ids)
    frontier = set(group)
    while frontier:
        pairs = PersonMerge.objects.filter(
            Q(person_a_id__in=frontier) | Q(person_b_id__in=frontier), undone_at__isnull=True
        ).values_list("person_a_id", "person_b_id")
        found = {pk for pair in pairs for pk in pair} - group
        group |= found
        frontier = found
    return group


def _aliased(ref: NodeRef) -> NodeRef:
    """Return the account an alias names, or the reference itself."""
    if ref.kind != NodeKind.ONLINE_ACCOUNT:
        return ref
    alias = AccountAlias.objects.filter(key=ref.key).select_related("node").first()
    if alias is None:
        return ref
    return NodeRef(kind=NodeKind.ONLINE_ACCOUNT, key=alias.node.key, platform=alias.node.platform)


def place_ref(county_id: int | None, ward_id: int | None) -> NodeRef | None:
    if ward_id is not None:
        return NodeRef(
            NodeKind.PLACE, f"place:ward:{ward_id}", county_id=county_id, ward_id=ward_id
        )
    if county_id is not None:
        return NodeRef(NodeKind.PLACE, f"place:county:{county_id}", county_id=county_id)
    return None


def lead_ref(lead: IncidentLead, county_id: int) -> NodeRef | None:
    """Return the node a lead names, or None when its value cannot be read as its kind."""
    try:
        if lead.kind == LeadKind.PHONE:
            return NodeRef(NodeKind.PHONE, phone_key(lead.value))
        if lead.kind == LeadKind.ONLINE_ACCOUNT:
            return _aliased(
                NodeRef(
                    NodeKind.ONLINE_ACCOUNT,
                    account_key(lead.platform, lead.value),
                    platform=lead.platform.strip().casefold(),
                )
            )
        if lead.kind == LeadKind.VEHICLE:
            return NodeRef(NodeKind.VEHICLE, vehicle_key(lead.value))
        if lead.kind == LeadKind.VENUE:
            return NodeRef(NodeKind.VENUE, venue_key(lead.value, county_id), county_id=county_id)
    except ValueError:
        return None
    return None


def derive_incident(incident_id: int) -> Derivation:
    """Return what an incident says: its people, children, leads, and where it happened."""
    out = Derivation()
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return out
    when = incident.began_on or incident.reported_on

    def source(record_type: str, record_id: int) -> Source:
        return Source(MatterType.INCIDENT, incident_id, record_type, record_id, when)

    people = list(PersonOfInterest.objects.filter(incident_id=incident_id).order_by("pk"))
    children = list(
        IncidentChild.objects.filter(incident_id=incident_id).select_related("case").order_by("pk")
    )
    roots = roots_of([poi.person_id for poi in people] + [c.case.child_id for c in children])
    by_poi: dict[int, NodeRef] = {}
    suspects: list[tuple[NodeRef, Source]] = []
    for poi in people:
        ref = NodeRef(NodeKind.PERSON, person_key(roots[poi.person_id]))
        by_poi[poi.pk] = ref
        src = source("justice.personofinterest", poi.pk)
        out.seen.append(
            Seen(
                ref,
                src,
                role=poi.role,
                relationship=poi.relationship,
                is_foreign=poi.is_foreign,
                person_record=poi.person_id,
            )
        )
        suspects.append((ref, src))
    kids: list[tuple[NodeRef, Source]] = []
    for child in children:
        ref = NodeRef(NodeKind.PERSON, person_key(roots[child.case.child_id]))
        src = source("justice.incidentchild", child.pk)
        # a child is named by the case code: the incident never carries a child's identity
        out.seen.append(
            Seen(
                ref, src, role=CHILD_ROLE, person_record=child.case.child_id, value=child.case.code
            )
        )
        kids.append((ref, src))
    for index, (ref, src) in enumerate(suspects):
        for other, _other_src in suspects[index + 1 :]:
            out.link(ref, other, LinkKind.SAME_INCIDENT, src)
        for kid, _kid_src in kids:
            out.link(ref, kid, LinkKind.SAME_INCIDENT, src)
    place = place_ref(incident.county_id, incident.ward_id)
    for lead in IncidentLead.objects.filter(incident_id=incident_id).order_by("pk"):
        named = lead_ref(lead, incident.county_id)
        if named is None:
            continue
        ref = named
        src = source("justice.incidentlead", lead.pk)
        out.seen.append(Seen(ref, src, value=lead.value))
        if lead.person_id is not None and lead.person_id in by_poi:
            out.link(by_poi[lead.person_id], ref, LinkKind.USES, src)
        else:
            for person, _src in [*suspects, *kids]:
                out.link(person, ref, LinkKind.LEAD, src)
        if place is not None and ref.kind == NodeKind.VENUE:
            out.link(ref, place, LinkKind.PLACE, src)
    if place is not None:
        incident_source = source("justice.incident", incident_id)
        out.seen.append(Seen(place, incident_source))
        for person, _src in suspects:
            out.link(person, place, LinkKind.PLACE, incident_source)
    return out


IDENTIFIER_NODES = {
    IdentifierKind.PHONE: NodeKind.PHONE,
    IdentifierKind.ONLINE_HANDLE: NodeKind.ONLINE_ACCOUNT,
    IdentifierKind.VEHICLE_PLATE: NodeKind.VEHICLE,
}


def identifier_ref(identifier: PersonIdentifier) -> NodeRef | None:
    try:
        if identifier.kind == IdentifierKind.PHONE:
            return NodeRef(NodeKind.PHONE, phone_key(identifier.value))
        if identifier.kind == IdentifierKind.ONLINE_HANDLE:
            return _aliased(
                NodeRef(
                    NodeKind.ONLINE_ACCOUNT,
                    account_key(identifier.platform, identifier.value),
                    platform=identifier.platform.casefold(),
                )
            )
        if identifier.kind == IdentifierKind.VEHICLE_PLATE:
            return NodeRef(NodeKind.VEHICLE, vehicle_key(identifier.value))
    except ValueError:
        return None
    return None


def derive_person(person_id: int) -> Derivation:
    """Return what a person record says: its numbers, accounts and plates, in each matter
    it is linked to (each matter's identity section decides who sees the link)."""
    out = Derivation()
    links = list(PersonLink.objects.filter(person_id=person_id).order_by("pk"))
    if not links:
        return out
    root = roots_of([person_id])[person_id]
    person = NodeRef(NodeKind.PERSON, person_key(root))
    identifiers = [
        (identifier, identifier_ref(identifier))
        for identifier in PersonIdentifier.objects.filter(
            person_id=person_id, kind__in=list(IDENTIFIER_NODES)
        ).order_by("pk")
    ]
    for link in links:
        for identifier, ref in identifiers:
            if ref is None:
                continue
            src = Source(
                link.matter_type,
                link.matter_id,
                "people.personidentifier",
                identifier.pk,
                identifier.created_at.date(),
            )
            out.seen.append(Seen(ref, src, value=identifier.value))
            out.seen.append(Seen(person, src, role=link.role, person_record=person_id))
            out.link(person, ref, LinkKind.USES, src)
    return out


def phones_in(text: str) -> list[str]:
    """Return the phone numbers written in a text, as written, each once."""
    found: list[str] = []
    for match in PHONE_IN_TEXT.finditer(text or ""):
        value = match.group(0)
        try:
            normalise_phone(value)
        except ValueError:
            continue
        if value not in found:
            found.append(value)
    return found


def derive_report(report_id: int) -> Derivation:
    """Return what a report says: the account and the numbers it names, and where.

    The reporter's own number is never a node: a reporter is not a lead.
    """
    out = Derivation()
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        return out
    src = Source(
        MatterType.REPORT, report_id, "intake.report", report_id, report.received_at.date()
    )
    named: list[NodeRef] = []
    if report.online_handle:
        try:
            ref = _aliased(
                NodeRef(
                    NodeKind.ONLINE_ACCOUNT,
                    account_key(report.online_platform, report.online_handle),
                    platform=report.online_platform,
                )
            )
        except ValueError:
            ref = None
        if ref is not None:
            out.seen.append(Seen(ref, src, value=report.online_handle))
            named.append(ref)
    for value in phones_in(report.narrative):
        ref = NodeRef(NodeKind.PHONE, phone_key(value))
        out.seen.append(Seen(ref, src, value=value))
        named.append(ref)
    for index, ref in enumerate(named):
        for other in named[index + 1 :]:
            out.link(ref, other, LinkKind.SAME_REPORT, src)
    place = place_ref(report.county_id, report.ward_id)
    if place is not None and named:
        out.seen.append(Seen(place, src))
        for ref in named:
            out.link(ref, place, LinkKind.PLACE, src)
    return out


DERIVE = {
    Origin.INCIDENT: derive_incident,
    Origin.PERSON: derive_person,
    Origin.REPORT: derive_report,
}


# --- writing it -----------------------------------------------------------------------------


def _nodes_for(refs: Iterable[NodeRef], now: datetime.datetime) -> dict[str, int]:
    """Return key -> node id, making the nodes not yet known."""
    wanted = {ref.key: ref for ref in refs}
    known = dict(Node.objects.filter(key__in=list(wanted)).values_list("key", "pk"))
    missing = [
        Node(
            kind=ref.kind,
            key=key,
            platform=ref.platform,
            county_id=ref.county_id,
            ward_id=ref.ward_id,
            first_seen=now,
        )
        for key, ref in wanted.items()
        if key not in known
    ]
    if missing:
        Node.objects.bulk_create(missing, ignore_conflicts=True)
        known.update(
            Node.objects.filter(key__in=[node.key for node in missing]).values_list("key", "pk")
        )
    return known


def _source_key(src: Source) -> tuple[str, int, str, int]:
    return (src.matter_type, src.matter_id, src.source_type, src.source_id)


@dataclass(frozen=True)
class Outcome:
    added: int
    removed: int
    nodes: frozenset[int]


@transaction.atomic
def origin_apply(*, origin_type: str, origin_id: int, wanted: Derivation) -> Outcome:
    """Make the graph hold exactly what the origin says now; return what changed."""
    now = timezone.now()
    refs = [seen.node for seen in wanted.seen]
    refs += [end for link in wanted.links for end in (link.a, link.b)]
    ids = _nodes_for(refs, now)
    added = removed = 0
    touched: set[int] = set()

    # appearances, by (node, source, role)
    want_seen = {(ids[s.node.key], *_source_key(s.source), s.role): s for s in wanted.seen}
    have_seen = {
        (row.node_id, row.matter_type, row.matter_id, row.source_type, row.source_id, row.role): row
        for row in Appearance.objects.filter(origin_type=origin_type, origin_id=origin_id)
    }
    stale = [row.pk for key, row in have_seen.items() if key not in want_seen]
    touched |= {row.node_id for key, row in have_seen.items() if key not in want_seen}
    Appearance.objects.filter(pk__in=stale).delete()
    removed += len(stale)
    fresh: list[Appearance] = []
    for key, seen in want_seen.items():
        row = have_seen.get(key)
        if row is None:
            fresh.append(
                Appearance(
                    origin_type=origin_type,
                    origin_id=origin_id,
                    matter_type=seen.source.matter_type,
                    matter_id=seen.source.matter_id,
                    source_type=seen.source.source_type,
                    source_id=seen.source.source_id,
                    occurred_on=seen.source.occurred_on,
                    first_seen=now,
                    node_id=key[0],
                    role=seen.role,
                    relationship=seen.relationship,
                    is_foreign=seen.is_foreign,
                    person_record=seen.person_record,
                    value=seen.value,
                )
            )
            continue
        changes = {
            "relationship": seen.relationship,
            "is_foreign": seen.is_foreign,
            "person_record": seen.person_record,
            "occurred_on": seen.source.occurred_on,
            "value": seen.value,
        }
        changed = [name for name, value in changes.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, changes[name])
            row.save(update_fields=changed)
    Appearance.objects.bulk_create(fresh, batch_size=1000)
    added += len(fresh)

    # links, by (a, b, kind, source)
    want_links: dict[tuple[Any, ...], Link] = {}
    for link in wanted.links:
        a, b = sorted((ids[link.a.key], ids[link.b.key]))
        if a != b:
            want_links[(a, b, link.kind, *_source_key(link.source))] = link
    have_links: dict[tuple[Any, ...], Edge] = {
        (
            row.a_id,
            row.b_id,
            row.kind,
            row.matter_type,
            row.matter_id,
            row.source_type,
            row.source_id,
        ): row
        for row in Edge.objects.filter(origin_type=origin_type, origin_id=origin_id)
    }
    stale = [row.pk for key, row in have_links.items() if key not in want_links]
    for key, edge in have_links.items():
        if key not in want_links:
            touched |= {edge.a_id, edge.b_id}
    Edge.objects.filter(pk__in=stale).delete()
    removed += len(stale)
    links_moved = bool(stale)
    new_edges: list[Edge] = []
    for key, link in want_links.items():
        had = have_links.get(key)
        if had is None:
            new_edges.append(
                Edge(
                    origin_type=origin_type,
                    origin_id=origin_id,
                    matter_type=link.source.matter_type,
                    matter_id=link.source.matter_id,
                    source_type=link.source.source_type,
                    source_id=link.source.source_id,
                    occurred_on=link.source.occurred_on,
                    first_seen=now,
                    a_id=key[0],
                    b_id=key[1],
                    kind=link.kind,
                )
            )
        elif had.occurred_on != link.source.occurred_on:
            had.occurred_on = link.source.occurred_on
            had.save(update_fields=["occurred_on"])
            links_moved = True
    Edge.objects.bulk_create(new_edges, batch_size=1000)
    added += len(new_edges)
    if links_moved or new_edges:
        # every graph a page keeps is out of date from this commit on (`kinga.intel.cache`)
        links_changed()
    _drop_orphans(touched)
    if added or removed:
        audit_record(
            action=AuditAction.SYSTEM,
            actor=None,
            record_type="intel.origin",
            record_id=f"{origin_type}:{origin_id}",
            detail={"origin": origin_type, "id": origin_id, "added": added, "removed": removed},
        )
    return Outcome(added=added, removed=removed, nodes=frozenset(ids.values()))


def _drop_orphans(node_ids: set[int]) -> None:
    """Delete the nodes among these that nothing names any more (an alias keeps its node)."""
    if not node_ids:
        return
    named = (
        set(Appearance.objects.filter(node_id__in=node_ids).values_list("node_id", flat=True))
        | set(Edge.objects.filter(a_id__in=node_ids).values_list("a_id", flat=True))
        | set(Edge.objects.filter(b_id__in=node_ids).values_list("b_id", flat=True))
        | set(AccountAlias.objects.filter(node_id__in=node_ids).values_list("node_id", flat=True))
    )
    Node.objects.filter(pk__in=node_ids - named).delete()


@transaction.atomic
def origin_refresh(*, origin_type: str, origin_id: int) -> Outcome:
    """Derive the origin anew and write it; alert on accounts it shares with others."""
    outcome = origin_apply(
        origin_type=origin_type, origin_id=origin_id, wanted=DERIVE[Origin(origin_type)](origin_id)
    )
    if origin_type in (Origin.REPORT, Origin.INCIDENT):
        accounts_alert(node_ids=outcome.nodes)
    return outcome


def origins_of_persons(person_ids: Iterable[int]) -> list[tuple[str, int]]:
    """Return the origins that name any of these person records."""
    people = set(person_ids)
    incidents = set(
        PersonOfInterest.objects.filter(person_id__in=people).values_list("incident_id", flat=True)
    ) | set(
        IncidentChild.objects.filter(case__child_id__in=people).values_list(
            "incident_id", flat=True
        )
    )
    return [(str(Origin.INCIDENT), pk) for pk in sorted(incidents)] + [
        (str(Origin.PERSON), pk) for pk in sorted(people)
    ]


@transaction.atomic
def merge_refresh(*, merge_id: int) -> int:
    """Re-key everything the merge's records are named in (joined or parted); return how
    many origins were refreshed."""
    merge = PersonMerge.objects.filter(pk=merge_id).first()
    if merge is None:
        return 0
    group = group_of([merge.person_a_id, merge.person_b_id])
    origins = origins_of_persons(group)
    for origin_type, origin_id in origins:
        origin_refresh(origin_type=origin_type, origin_id=origin_id)
    return len(origins)


# --- the alert ------------------------------------------------------------------------------


ACCOUNT_ALERT = gettext_noop(
    "Report %(report)s names an online account linked to incident %(incident)s."
)


def accounts_alert(*, node_ids: Iterable[int]) -> int:
    """Tell the investigators of each incident an account is linked to about each report
    that names it, once per report and incident; return how many alerts were made."""
    accounts = list(
        Node.objects.filter(pk__in=list(node_ids), kind=NodeKind.ONLINE_ACCOUNT).values_list(
            "pk", flat=True
        )
    )
    made = 0
    for node_id in accounts:
        rows = list(
            Appearance.objects.filter(
                node_id=node_id, matter_type__in=[MatterType.REPORT, MatterType.INCIDENT]
            ).values_list("matter_type", "matter_id")
        )
        reports = sorted({pk for kind, pk in rows if kind == MatterType.REPORT})
        incidents = sorted({pk for kind, pk in rows if kind == MatterType.INCIDENT})
        if not reports or not incidents:
            continue
        done = set(
            AccountAlert.objects.filter(node_id=node_id).values_list("report_id", "incident_id")
        )
        for incident in Incident.objects.filter(pk__in=incidents).order_by("pk"):
            for report_id in reports:
                if (report_id, incident.pk) in done:
                    continue
                AccountAlert.objects.create(
                    report_id=report_id, incident_id=incident.pk, node_id=node_id
                )
                notify(
                    recipients=team_of(incident),
                    message=ACCOUNT_ALERT,
                    values={"report": f"R-{report_id:06d}", "incident": incident.code},
                    link=reverse("intel:network", args=[node_id]),
                    kind="intel.account",
                )
                audit_record(
                    action=AuditAction.SYSTEM,
                    actor=None,
                    record_type="intel.accountalert",
                    record_id=f"{report_id}:{incident.pk}",
                    matter_type=MatterType.INCIDENT,
                    matter_id=incident.pk,
                    detail={"report": report_id, "node": node_id},
                )
                made += 1
    return made


# --- the worker -----------------------------------------------------------------------------


def refresh_enqueue(*, origin: str, origin_id: int) -> None:
    """Ask the worker to refresh an origin, in the caller's transaction (once while queued)."""
    payload = {"origin": origin, "id": origin_id}
    if Task.objects.filter(name=REFRESH_TASK, state=TaskState.QUEUED, payload=payload).exists():
        return
    task_enqueue(name=REFRESH_TASK, payload=payload)


@task(REFRESH_TASK)
def refresh_task(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Refresh one origin (or what a merge touched). Safe to run twice: it converges."""
    origin = str(payload["origin"])
    origin_id = int(payload["id"])
    if origin == MERGE:
        merge_refresh(merge_id=origin_id)
    else:
        origin_refresh(origin_type=origin, origin_id=origin_id)


def _mark(name: str) -> BuildMark:
    mark, _created = BuildMark.objects.select_for_update().get_or_create(name=name)
    return mark


@transaction.atomic
def reports_sweep(*, now: datetime.datetime) -> int:
    """Refresh the reports stored or changed since the last sweep; return how many."""
    by_id = _mark("reports.id")
    by_time = _mark("reports.updated")
    if by_time.value == 0:
        # the first sweep: every report so far is new by its id
        by_time.value = int(now.timestamp() * 1000)
        by_time.save(update_fields=["value"])
    since = datetime.datetime.fromtimestamp(by_time.value / 1000, tz=datetime.UTC)
    ids = list(
        Report.objects.filter(pk__gt=by_id.value)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    changed = list(
        Report.objects.filter(pk__lte=by_id.value, updated_at__gt=since)
        .order_by("updated_at")
        .values_list("pk", "updated_at")[:SWEEP_BATCH]
    )
    for report_id in ids:
        origin_refresh(origin_type=Origin.REPORT, origin_id=report_id)
    for report_id, _updated in changed:
        origin_refresh(origin_type=Origin.REPORT, origin_id=report_id)
    if ids:
        by_id.value = ids[-1]
        by_id.moved_at = now
        by_id.save(update_fields=["value", "moved_at"])
    if changed:
        by_time.value = int(changed[-1][1].timestamp() * 1000)
        by_time.moved_at = now
        by_time.save(update_fields=["value", "moved_at"])
    return len(ids) + len(changed)


@periodic(SWEEP_JOB, every=datetime.timedelta(minutes=1))
def sweep_job(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Take the reports stored or changed since the last minute into the graph."""
    reports_sweep(now=now)


@periodic(CHECK_JOB, every=datetime.timedelta(minutes=5))
@transaction.atomic
def links_check_job(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Renew the graphs pages keep if links changed by a way that did not say so."""
    links_check()


__all__ = [
    "account_key",
    "origin_refresh",
    "merge_refresh",
    "phone_key",
    "refresh_enqueue",
    "reports_sweep",
]
