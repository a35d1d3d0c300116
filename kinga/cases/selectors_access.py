"""Reads the case pages need beside `kinga.cases.selectors`: one page of the case list
(audited as the list read it is), and who decides a transfer.

Kept apart from `selectors.py` so each rule has one home: the views ask here, and the
transfer services check through the same function.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from kinga.accounts.models import Role, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import Case, CaseTransfer
from kinga.cases.selectors import CaseSearch, case_list, case_search

PAGE_SIZE = 25


@dataclass(frozen=True)
class ListPage:
    """One page of a list, found without counting every row the viewer may see (counting
    tens of thousands of visible cases costs as much as the page itself)."""

    object_list: list[Case]
    number: int
    has_previous: bool
    has_next: bool

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _page_of(cases: QuerySet[Case], raw: str) -> ListPage:
    number = int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
    start = (number - 1) * PAGE_SIZE
    rows = list(cases[start : start + PAGE_SIZE + 1])
    return ListPage(rows[:PAGE_SIZE], number, number > 1, len(rows) > PAGE_SIZE)


def case_list_page(
    *, viewer: User, status: str = "", risk_level: str = "", mine: bool = False, page: str = ""
) -> ListPage:
    """Return one page of the cases the viewer may list, and audit the list read."""
    cases = case_list(viewer=viewer, status=status, risk_level=risk_level, mine=mine)
    found = _page_of(cases, page)
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="cases.case",
        fields=["code", "status", "risk_level"],
    )
    return found


def case_search_page(
    *,
    viewer: User,
    text: str,
    status: str = "",
    risk_level: str = "",
    mine: bool = False,
    page: str = "",
) -> tuple[ListPage, CaseSearch]:
    """Return one page of the cases a search finds, and the search (audited as one)."""
    search = case_search(viewer=viewer, text=text, status=status, risk_level=risk_level, mine=mine)
    return _page_of(search.cases, page), search


def transfer_receiver_is(*, viewer: User, transfer: CaseTransfer | None) -> bool:
    """Return whether the viewer decides this transfer: a supervisor of the receiving agency."""
    return (
        transfer is not None
        and viewer.agency_id is not None
        and viewer.agency_id == transfer.to_agency_id
        and viewer.has_role(Role.SUPERVISOR)
    )
