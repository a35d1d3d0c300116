"""The home visits volunteers sent on a case, on its timeline (`kinga.cases.seams`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext

from kinga.collect.models import HomeVisit, VisitNeed, Volunteer
from kinga.intake.models import Danger

if TYPE_CHECKING:
    from kinga.cases.models import Case
    from kinga.cases.selectors import TimelineEntry

# The newest visits a timeline shows (each links to its page, where the notes are read).
TIMELINE_VISITS = 100


class HomeVisitsOfCase:
    """A case's home visits as care entries: whether the child was seen, in danger, and
    what they need; the volunteer's code; a link to the visit. Never the notes (read, and
    audited, on the visit's own page)."""

    def timeline_entries(self, *, case: Case) -> list[TimelineEntry]:
        from kinga.cases.selectors import TimelineEntry

        rows = (
            HomeVisit.objects.filter(case=case)
            .order_by("-received_at")
            .values_list(
                "pk",
                "received_at",
                "visited_on",
                "child_seen",
                "danger_now",
                "needs",
                "volunteer_id",
            )[:TIMELINE_VISITS]
        )
        danger = dict(Danger.choices)
        needs = dict(VisitNeed.choices)
        label = gettext("Home visit from the field")
        entries = []
        for pk, received_at, visited_on, seen, danger_now, wanted, volunteer_id in rows:
            parts = [
                gettext("child seen") if seen else gettext("child not seen"),
                gettext("in danger now: %(answer)s")
                % {"answer": str(danger.get(danger_now, danger_now))},
            ]
            if wanted:
                parts.append(", ".join(str(needs.get(need, need)) for need in wanted))
            entries.append(
                TimelineEntry(
                    at=received_at,
                    kind="home_visit",
                    label=label,
                    summary=" · ".join(parts),
                    section="care",
                    actor=Volunteer(pk=volunteer_id).code,
                    url=reverse("collect:home_visit", args=[pk]),
                    on=visited_on,
                )
            )
        return entries
