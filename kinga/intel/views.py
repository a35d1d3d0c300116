"""Pages of intel: the viewer's networks, one network drawn, its export, the patterns."""

from __future__ import annotations

import json
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.accounts.models import User
from kinga.intel import selectors, services
from kinga.intel.forms import AliasForm, ExportForm, NetworkQuery
from kinga.intel.models import NodeKind


def _viewer(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def networks(request: HttpRequest) -> HttpResponse:
    """List the networks in what the viewer may see, largest first, naming no one."""
    viewer = _viewer(request)
    if not selectors.may_see_networks(viewer):
        raise policy.deny(viewer, record_type="intel.network", record_id=None, action="list")
    return render(
        request, "intel/networks.html", {"networks": selectors.network_list(viewer=viewer)}
    )


@login_required
def network(request: HttpRequest, node_id: int) -> HttpResponse:
    """Draw the network of a node, with its table, brokers and what changed; or, asked the
    path to another, answer with that path alone (its steps, links and sources)."""
    viewer = _viewer(request)
    query = NetworkQuery(request.GET or None)
    asked = query.is_valid() if query.is_bound else False
    to = query.cleaned_data.get("to") if query.is_bound else None
    if to is not None and "to" not in query.errors:
        answer = selectors.network_path(viewer=viewer, node_id=node_id, to=to)
        if answer is not None:
            return render(request, "intel/path.html", {"answer": answer})
        query.add_error(
            "to", _("Choose a person from the list: that one is not in the records you may see.")
        )
    since = query.cleaned_data.get("since") if asked else None
    page = selectors.network_page(viewer=viewer, node_id=node_id, since=since)
    query.offer([(view.id, view.label) for view in page.people if view.id != node_id])
    return render(
        request,
        "intel/network.html",
        {
            "page": page,
            "query": query,
            "may_export": selectors.may_export(viewer),
            "export_form": ExportForm(partners=selectors.partner_choices(viewer=viewer)),
            "alias_form": AliasForm() if page.node.kind == NodeKind.ONLINE_ACCOUNT else None,
            "roles": sorted(
                {
                    (view.role, view.roles[0] if view.roles else view.kind_label)
                    for view in page.nodes
                }
            ),
        },
    )


@login_required
@require_POST
def export(request: HttpRequest, node_id: int) -> HttpResponse:
    """Give the network as a file for a partner agency: only what may be shared; audited."""
    viewer = _viewer(request)
    form = ExportForm(request.POST, partners=selectors.partner_choices(viewer=viewer))
    partner = (
        selectors.partner_get(viewer=viewer, agency_id=form.cleaned_data["partner"])
        if form.is_valid()
        else None
    )
    if partner is None:
        messages.error(request, _("Choose the partner agency the file is for."))
        return redirect("intel:network", node_id)
    document = selectors.network_export(viewer=viewer, node_id=node_id, partner=partner)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="network-{node_id}-{stamp}.json"'
    return response


@login_required
@require_POST
def alias_add(request: HttpRequest, node_id: int) -> HttpResponse:
    """Record another handle of an online account."""
    viewer = _viewer(request)
    form = AliasForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the other handle of this account."))
        return redirect("intel:network", node_id)
    try:
        services.account_alias_add(
            actor=viewer, node_id=node_id, handle=form.cleaned_data["handle"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The handle is recorded. The graph takes it in within a minute.")
        )
    return redirect("intel:network", node_id)


@login_required
def patterns(request: HttpRequest) -> HttpResponse:
    """Show the counts analysts may see, small numbers hidden."""
    viewer = _viewer(request)
    return render(
        request,
        "intel/patterns.html",
        {"tables": selectors.patterns(viewer=viewer), "k": selectors.k_threshold()},
    )
