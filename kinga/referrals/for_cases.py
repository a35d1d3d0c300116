"""The referrals of a case, supplied to `cases` through the protocol it declares.

`cases` sits below `referrals` and never imports it; `ReferralsConfig.ready` registers
`ReferralsOfCase` with `kinga.cases.seams.register_referrals`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kinga.cases.seams import REFERRALS_READ
from kinga.referrals import selectors, services

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User
    from kinga.cases.models import Case
    from kinga.cases.seams import ReferralRow
    from kinga.cases.selectors import TimelineEntry
    from kinga.referrals.models import Referral


# The case page asks twice for the same referrals (the timeline, then the panel) with the
# same viewer and case instance: the rows read for the first are kept on that instance.
_READ = REFERRALS_READ


def _referrals(viewer: User | AnonymousUser | None, case: Case) -> list[Referral]:
    key = (getattr(viewer, "pk", None), case.pk)
    kept = case.__dict__.get(_READ)
    if kept is not None and kept[0] == key:
        return list(kept[1])
    referrals = selectors.referrals_of_case(viewer=viewer, case_id=case.pk)
    case.__dict__[_READ] = (key, referrals)
    return list(referrals)


class ReferralsOfCase:
    """Answer `kinga.cases.seams.CaseReferrals` from the referrals app's selectors and services."""

    def timeline_entries(
        self, *, viewer: User | AnonymousUser | None, case: Case
    ) -> list[TimelineEntry]:
        return selectors.referrals_for_case_timeline(
            viewer=viewer, case=case, referrals=_referrals(viewer, case)
        )

    def promise_texts(self, *, viewer: User | AnonymousUser | None, case: Case) -> dict[str, str]:
        return selectors.referral_promise_texts(viewer=viewer, case=case)

    def at_safe_place(self, *, case: Case) -> bool:
        return selectors.case_at_safe_place(case_id=case.pk)

    def attach_from_report(self, *, case: Case, actor: User) -> None:
        services.referrals_attach_from_report(case=case, actor=actor)

    def panel_rows(self, *, viewer: User | AnonymousUser | None, case: Case) -> list[ReferralRow]:
        return selectors.referral_panel_rows(
            viewer=viewer, case=case, referrals=_referrals(viewer, case)
        )
