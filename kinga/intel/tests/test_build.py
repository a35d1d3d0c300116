"""The graph follows the records: built by the worker, links gone with their sources."""

from __future__ import annotations

from typing import Any

import pytest

from kinga.intake import services as intake_services
from kinga.intel.build import account_key, phone_key, reports_sweep
from kinga.intel.graph import components, graph_from_pairs
from kinga.intel.models import AccountAlert, Appearance, Edge, LinkKind, Node, NodeKind
from kinga.intel.tests.conftest import (
    ACCOUNT,
    BUYER,
    PHONE,
    RECRUITER,
    TRANSPORTER,
    VENUE,
    incident_with,
    merge,
    run_worker,
    unmerge,
)
from kinga.justice.models import IncidentLead
from kinga.notifications.models import Notification
from kinga.places.models import County

pytestmark = pytest.mark.django_db


def person_node(person_id: int) -> Node:
    """The node of a person record (the merge group's lowest record names it)."""
    appearance = Appearance.objects.filter(person_record=person_id).select_related("node").first()
    assert appearance is not None
    return appearance.node


def networks() -> dict[int, int]:
    """Node id -> network number, over the links that say who (not where)."""
    rows = Edge.objects.exclude(kind=LinkKind.PLACE).values_list("a_id", "b_id")
    graph = graph_from_pairs([a for a, _ in rows], [b for _, b in rows])
    return dict(zip(graph.ids.tolist(), components(graph).tolist(), strict=True))


def test_an_incident_becomes_people_leads_and_their_links_in_the_worker(personas: Any) -> None:
    incident, (recruiter, buyer) = incident_with(
        personas,
        [("Hamisi", "Mwakio", RECRUITER), ("Klaus", "Berger", BUYER)],
        leads=[(PHONE, "0712 345 678", "", 0), (VENUE, "Tropicana Bar", "", None)],
    )
    assert not Edge.objects.exists()  # nothing is built in the request
    run_worker()
    a = person_node(recruiter.person_id)
    b = person_node(buyer.person_id)
    phone = Node.objects.get(key=phone_key("+254712345678"))
    venue = Node.objects.get(kind=NodeKind.VENUE)
    pairs = set(Edge.objects.values_list("a_id", "b_id", "kind"))
    assert (min(a.pk, b.pk), max(a.pk, b.pk), LinkKind.SAME_INCIDENT) in pairs
    assert (min(a.pk, phone.pk), max(a.pk, phone.pk), LinkKind.USES) in pairs
    # a venue no one is named as using links everyone in the incident
    assert (min(b.pk, venue.pk), max(b.pk, venue.pk), LinkKind.LEAD) in pairs
    edge = Edge.objects.filter(kind=LinkKind.USES).first()
    assert edge is not None
    assert (edge.matter_type, edge.matter_id) == ("incident", incident.pk)
    assert edge.source_type == "justice.incidentlead"
    assert edge.occurred_on == incident.reported_on
    # no number or name in clear: the node is a keyed hash, the value is encrypted
    assert "712345678" not in phone.key
    shown = Appearance.objects.get(node=phone, source_type="justice.incidentlead")
    assert shown.value == "0712 345 678"


def test_the_same_number_written_two_ways_joins_two_incidents(personas: Any) -> None:
    _first, (hamisi,) = incident_with(
        personas, [("Hamisi", "Mwakio", RECRUITER)], leads=[(PHONE, "0722 000 111", "", 0)]
    )
    _second, (juma,) = incident_with(
        personas, [("Juma", "Kombo", TRANSPORTER)], leads=[(PHONE, "+254 722 000111", "", 0)]
    )
    run_worker()
    assert Node.objects.filter(kind=NodeKind.PHONE).count() == 1
    net = networks()
    assert net[person_node(hamisi.person_id).pk] == net[person_node(juma.person_id).pk]


def test_a_merge_joins_two_incidents_and_undoing_it_parts_them(personas: Any) -> None:
    _first, (first, girl_one) = incident_with(
        personas, [("Omar", "Bakari", RECRUITER), ("Tom", "Otieno", BUYER)]
    )
    _second, (second, other) = incident_with(
        personas, [("Omari", "Bakar", RECRUITER), ("Ali", "Said", BUYER)]
    )
    run_worker()
    net = networks()
    assert net[person_node(girl_one.person_id).pk] != net[person_node(other.person_id).pk]
    done = merge(personas, first.person, second.person)
    run_worker()
    assert person_node(first.person_id) == person_node(second.person_id)
    net = networks()
    assert net[person_node(girl_one.person_id).pk] == net[person_node(other.person_id).pk]
    unmerge(personas, done)
    run_worker()
    assert person_node(first.person_id) != person_node(second.person_id)
    net = networks()
    assert net[person_node(girl_one.person_id).pk] != net[person_node(other.person_id).pk]
    # nothing is left of the joined person's links to the other incident
    joined = person_node(first.person_id)
    assert not Edge.objects.filter(a=joined, b=person_node(other.person_id)).exists()
    assert not Edge.objects.filter(b=joined, a=person_node(other.person_id)).exists()


def test_a_lead_deleted_takes_its_links_and_its_node(personas: Any) -> None:
    _incident, _people = incident_with(
        personas, [("Hamisi", "Mwakio", RECRUITER)], leads=[(VENUE, "Sunset Lodge", "", None)]
    )
    run_worker()
    assert Node.objects.filter(kind=NodeKind.VENUE).exists()
    IncidentLead.objects.all().delete()
    run_worker()
    assert not Node.objects.filter(kind=NodeKind.VENUE).exists()
    assert not Edge.objects.filter(source_type="justice.incidentlead").exists()


def test_a_refresh_keeps_when_a_link_was_first_seen(personas: Any) -> None:
    incident, _people = incident_with(
        personas,
        [("Hamisi", "Mwakio", RECRUITER), ("Klaus", "Berger", BUYER)],
    )
    run_worker()
    first = dict(Edge.objects.values_list("pk", "first_seen"))
    from kinga.intel.build import origin_refresh

    origin_refresh(origin_type="incident", origin_id=incident.pk)
    assert dict(Edge.objects.values_list("pk", "first_seen")) == first


def report_naming(handle: str, platform: str = "instagram", narrative: str = "") -> int:
    data = intake_services.ReportInput(
        categories=["online"],
        narrative=narrative or "A girl is offered on this account",
        county_id=County.objects.get(name="Kilifi").pk,
        online_platform=platform,
        online_handle=handle,
    )
    report, _code = intake_services.report_submit_web(
        data=data, submission=f"intel-{handle}", payload={}
    )
    return report.pk


def test_a_report_naming_an_incidents_account_alerts_its_investigators_once(
    personas: Any,
) -> None:
    incident, _people = incident_with(
        personas,
        [("Hamisi", "Mwakio", RECRUITER)],
        leads=[(ACCOUNT, "@Malkia_Pwani", "Instagram", 0)],
    )
    run_worker()
    report_id = report_naming("malkia_pwani", narrative="She calls from 0733 444 555 at night")
    reports_sweep(now=incident.opened_at)
    account = Node.objects.get(key=account_key("instagram", "malkia_pwani"))
    matters = set(Appearance.objects.filter(node=account).values_list("matter_type", flat=True))
    assert matters == {"incident", "report"}
    # the number the report names joins the account
    phone = Node.objects.get(key=phone_key("0733444555"))
    assert (
        Edge.objects.filter(kind=LinkKind.SAME_REPORT, matter_id=report_id)
        .filter(a__in=[account, phone], b__in=[account, phone])
        .exists()
    )
    notices = Notification.objects.filter(recipient=personas.investigator, kind="intel.account")
    assert notices.count() == 1
    assert notices.get().values == {"report": f"R-{report_id:06d}", "incident": incident.code}
    reports_sweep(now=incident.opened_at)
    run_worker()
    assert notices.count() == 1
    assert AccountAlert.objects.count() == 1


def test_the_reporters_own_number_is_never_a_node(personas: Any) -> None:
    data = intake_services.ReportInput(
        categories=["sexual_exploitation"],
        narrative="Nothing more",
        county_id=County.objects.get(name="Kilifi").pk,
        reporter_phone="0711 222 333",
    )
    intake_services.report_submit_web(data=data, submission="intel-reporter", payload={})
    run_worker()
    from django.utils import timezone

    reports_sweep(now=timezone.now())
    assert not Node.objects.filter(kind=NodeKind.PHONE).exists()


def test_an_alias_joins_a_renamed_account_and_its_report_alerts(
    personas: Any, client_for: Any
) -> None:
    from django.urls import reverse

    incident, _people = incident_with(
        personas,
        [("Juma", "Kombo", TRANSPORTER)],
        leads=[(ACCOUNT, "@juma_safari", "tiktok", 0)],
    )
    run_worker()
    account = Node.objects.get(key=account_key("tiktok", "juma_safari"))
    report_id = report_naming("Juma_Safari_2", platform="tiktok")
    reports_sweep(now=incident.opened_at)
    assert Node.objects.filter(key=account_key("tiktok", "juma_safari_2")).exists()
    assert not AccountAlert.objects.exists()
    # another investigator, not on the incident, may not say whose alias it is
    from conftest import make_user
    from kinga.accounts.models import Role

    outsider = make_user("kahindi_investigator", personas.police, Role.INVESTIGATOR)
    refused = client_for(outsider).post(
        reverse("intel:alias_add", args=[account.pk]), {"handle": "@juma_safari_2"}
    )
    assert refused.status_code == 404
    response = client_for(personas.investigator).post(
        reverse("intel:alias_add", args=[account.pk]), {"handle": "@juma_safari_2"}
    )
    assert response.status_code == 302
    run_worker()
    # the report's handle is now the incident's account: one node, and an alert
    assert not Node.objects.filter(key=account_key("tiktok", "juma_safari_2")).exists()
    assert Appearance.objects.filter(
        node=account, matter_type="report", matter_id=report_id
    ).exists()
    assert AccountAlert.objects.filter(report_id=report_id, incident_id=incident.pk).exists()
    # the same alias twice is refused with a message, nothing changes
    again = client_for(personas.investigator).post(
        reverse("intel:alias_add", args=[account.pk]), {"handle": "juma_safari_2"}, follow=True
    )
    assert "already recorded" in again.content.decode()
