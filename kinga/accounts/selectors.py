"""Reads about accounts: the access changes a viewer may decide."""

from __future__ import annotations

from kinga.accounts.models import AccessChangeRequest, AccessChangeState, Role, User
from kinga.accounts.services import access_change_may_decide


def access_changes_to_decide(*, viewer: User) -> list[AccessChangeRequest]:
    """Return the pending changes the viewer may approve or refuse, oldest first."""
    pending = AccessChangeRequest.objects.filter(state=AccessChangeState.PENDING).select_related(
        "subject", "requested_by", "agency_before", "agency_after"
    )
    if not (viewer.has_role(Role.ADMIN) or viewer.is_superuser):
        # A supervisor decides only for their own agency: narrow in the database first.
        pending = pending.filter(approving_agency_id=viewer.agency_id)
    return [
        change
        for change in pending.order_by("requested_at")
        if access_change_may_decide(change=change, user=viewer)
    ]
