"""The demo holds networks that make sense: a recruiter linked to several girls through a
bar in Malindi, a transporter shared by two incidents, a handle seen in a public report."""

from __future__ import annotations

import pytest

from kinga.accounts.models import User
from kinga.intel import selectors
from kinga.intel.models import AccountAlert, Appearance, Node, NodeKind

pytestmark = pytest.mark.django_db


def test_the_demo_network_of_malindi_loads_once() -> None:
    from kinga.accounts import demo as accounts_demo
    from kinga.cases import demo as cases_demo
    from kinga.intel import demo
    from kinga.justice import demo as justice_demo

    lines: list[str] = []
    accounts_demo.load(out=lines.append)
    cases_demo.load(out=lines.append)
    justice_demo.load(out=lines.append)
    demo.load(out=lines.append)
    investigator = User.objects.get(username="investigator")
    bar = Node.objects.get(kind=NodeKind.VENUE)
    page = selectors.network_page(viewer=investigator, node_id=bar.pk)
    labels = {view.label for view in page.nodes}
    assert {"Casablanca Bar", "Salim Chengo", "Bakari Mwinyi", "Rehema Kadzo"} <= labels
    # several girls, each by her case code, through the bar
    girls = [view for view in page.nodes if view.role == "child"]
    assert len(girls) >= 2
    # the transporter is in two incidents; the handle is in an incident and a report
    bakari = next(view for view in page.nodes if view.label == "Bakari Mwinyi")
    assert len(bakari.matters) == 2
    account = Node.objects.get(kind=NodeKind.ONLINE_ACCOUNT)
    kinds = set(Appearance.objects.filter(node=account).values_list("matter_type", flat=True))
    assert kinds == {"incident", "report"}
    assert AccountAlert.objects.filter(node=account).exists()
    # the recruiter is the network's broker: without him the girls fall apart
    assert page.brokers and page.brokers[0].label in {"Salim Chengo", "Casablanca Bar"}
    count = Node.objects.count()
    demo.load(out=lines.append)
    assert Node.objects.count() == count
