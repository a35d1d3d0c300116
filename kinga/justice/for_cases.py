"""The path to verdict of a child's case, supplied to `cases` through the protocol it declares.

`cases` sits below `justice` and never imports it; `JusticeConfig.ready` registers
`JusticeOfCase` with `kinga.cases.seams.register_justice`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kinga.justice import selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User
    from kinga.cases.models import Case
    from kinga.cases.seams import CourtPath


class JusticeOfCase:
    """Answer `kinga.cases.seams.CaseJustice` from the justice app's selectors."""

    def court_paths(self, *, viewer: User | AnonymousUser | None, case: Case) -> list[CourtPath]:
        return selectors.court_paths_for_case(viewer=viewer, case=case)
