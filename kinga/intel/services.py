"""Writes of intel: the one thing people type here is another handle of an account.

Everything else in the graph is derived by the worker (`kinga.intel.build`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kinga.access import policy
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intel.build import account_key, refresh_enqueue
from kinga.intel.models import AccountAlias, Appearance, Node, NodeKind
from kinga.intel.selectors import visible_appearances

if TYPE_CHECKING:
    from kinga.accounts.models import User


@transaction.atomic(durable=True)
def account_alias_add(*, actor: User, node_id: int, handle: str) -> AccountAlias:
    """Record that `handle` (on the account's platform) is the same account as the node.

    The actor must see the account through a matter they may record people in; the
    sources naming the alias are refreshed by the worker, so both handles become one node.
    """
    node = Node.objects.filter(pk=node_id, kind=NodeKind.ONLINE_ACCOUNT).first()
    matters = (
        set(visible_appearances(actor, [node_id]).values_list("matter_type", "matter_id"))
        if node is not None
        else set()
    )
    if node is None or not any(
        policy.can(actor, policy.PERSON_MERGE_ACTION, policy.Matter(kind, pk), "identity")
        for kind, pk in matters
    ):
        raise policy.deny(actor, record_type="intel.node", record_id=node_id, action="change")
    try:
        key = account_key(node.platform, handle)
    except ValueError as error:
        raise ValidationError({"handle": _("Write the handle, for example @name.")}) from error
    if key == node.key:
        raise ValidationError({"handle": _("This is the account's own handle.")})
    if AccountAlias.objects.filter(key=key).exists():
        raise ValidationError({"handle": _("This handle is already recorded as an alias.")})
    alias = AccountAlias(
        node=node, platform=node.platform, key=key, value=handle.strip(), added_by=actor
    )
    alias.full_clean()
    alias.save(force_insert=True)
    # the sources that named the alias as an account of its own now name this one
    for origin_type, origin_id in (
        Appearance.objects.filter(node__key=key).values_list("origin_type", "origin_id").distinct()
    ):
        refresh_enqueue(origin=origin_type, origin_id=origin_id)
    matter_type, matter_id = sorted(matters)[0]
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="intel.accountalias",
        record_id=alias.pk,
        matter_type=matter_type,
        matter_id=matter_id,
        fields=["value"],
        detail={"node": node.pk},
    )
    return alias
