"""Each role's home: the work waiting for the signed-in user, with counts.

`accounts` sits below the apps that hold the work (cases, intake, referrals), so it cannot
ask them; instead each of them registers a `HomeWork` source in its `AppConfig.ready`
(CONTRIBUTING, "Layers"), and the home asks every registered source. A source counts
through the app's own selectors and the access policy, so a count covers only what the
viewer may see, and it returns nothing for a role it has no work for. What `accounts` and
the layers below it know (unread notifications, access changes to approve, break-glass
grants to review) is counted here.

Counts are aggregates: they reveal no record, so they are not audited as list reads; the
pages they link to audit what they show.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kinga.access.policy import can_do
from kinga.access.selectors import break_glass_for_review
from kinga.accounts.models import Role, User
from kinga.accounts.selectors import access_changes_to_decide
from kinga.notifications.selectors import unread_count


@dataclass(frozen=True)
class WorkCount:
    """One kind of work waiting for the viewer: how many, and the page where it is done."""

    label: str | Promise
    count: int
    url: str
    # Overdue or dangerous: shown first and marked.
    urgent: bool = False


# A source: given the viewer and today's date, return the work counts it knows of.
HomeWork = Callable[..., list[WorkCount]]

_sources: dict[str, HomeWork] = {}


def register_home_work(name: str, source: HomeWork | None) -> None:
    """Register (or, with None, remove) an app's source of work counts under its name."""
    if source is None:
        _sources.pop(name, None)
    else:
        _sources[name] = source


def _own_work(viewer: User) -> list[WorkCount]:
    work = [
        WorkCount(
            _("Unread notifications"),
            unread_count(user=viewer),
            reverse("notifications:inbox"),
        )
    ]
    if can_do(viewer, "break_glass.review"):
        work.append(
            WorkCount(
                _("Break-glass access to review"),
                break_glass_for_review(viewer=viewer).count(),
                reverse("access:break_glass_reviews"),
                urgent=True,
            )
        )
    if viewer.has_role(Role.SUPERVISOR, Role.ADMIN) or viewer.is_superuser:
        work.append(
            WorkCount(
                _("Access changes to approve"),
                len(access_changes_to_decide(viewer=viewer)),
                reverse("accounts:access_changes"),
            )
        )
    return work


def home_work(*, viewer: User, today: datetime.date | None = None) -> list[WorkCount]:
    """Return the work waiting for the viewer: urgent first, then as the sources list it."""
    today = today or timezone.localdate()
    work = _own_work(viewer)
    for name in sorted(_sources):
        work.extend(_sources[name](viewer=viewer, today=today))
    return sorted(work, key=lambda item: not (item.urgent and item.count))
