"""The typed seams through which cases gets what the apps above it hold (issue 12 point 1).

`cases` sits below `referrals` and never imports it: the referrals app registers a
`CaseReferrals` in its `AppConfig.ready`, and the case page asks that, not a module name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone

from kinga.cases import seams, selectors
from kinga.cases.models import Case
from kinga.cases.selectors import TimelineEntry
from kinga.referrals.for_cases import ReferralsOfCase


class FakeReferrals:
    """A provider that is not the referrals app's: what the case shows must come from it."""

    def __init__(self) -> None:
        self.safe = True

    def timeline_entries(self, *, viewer: object, case: Case) -> list[TimelineEntry]:
        return [
            TimelineEntry(
                at=timezone.now(),
                kind="referral",
                label="Referral",
                summary=f"REF-SEAM for {case.code}",
                section="referral",
                url="/referrals/7/",
            )
        ]

    def promise_texts(self, *, viewer: object, case: Case) -> dict[str, str]:
        return {}

    def at_safe_place(self, *, case: Case) -> bool:
        return self.safe

    def attach_from_report(self, *, case: Case, actor: object) -> None:
        return None

    def panel_rows(self, *, viewer: object, case: Case) -> list[seams.ReferralRow]:
        now = timezone.now()
        return [
            seams.ReferralRow(
                id=7,
                reference="RF-SEAM-PANEL",
                service="Seam shelter",
                organisation="Seam home",
                status="accepted",
                status_label="Accepted",
                urgency="urgent",
                urgency_label="Urgent",
                sent_at=now,
                due_at=now,
                overdue=False,
                url="/referrals/7/",
            )
        ]


@pytest.fixture
def fake_referrals() -> Iterator[FakeReferrals]:
    registered = seams.case_referrals()
    fake = FakeReferrals()
    seams.register_referrals(fake)
    try:
        yield fake
    finally:
        seams.register_referrals(registered)


def test_the_referrals_app_supplies_the_referrals_of_a_case_at_start_up() -> None:
    """Issue 12 point 1: the higher app fills the lower app's typed registry in `ready`, so
    the case page shows referrals and "at a safe place" without importing referrals."""
    assert isinstance(seams.case_referrals(), ReferralsOfCase)


def test_the_case_page_shows_the_referrals_the_registered_provider_gives(
    personas, case, client_for, fake_referrals
) -> None:
    """Issue 12 point 1: the timeline's referral entries come through the seam, to those
    who may see the referral section only."""
    body = client_for(personas.caseworker).get(f"/cases/{case.pk}/").content.decode()
    assert f'<a href="/referrals/7/">REF-SEAM for {case.code}</a>' in body
    # the referrals panel comes through the same seam
    assert '<a href="/referrals/7/">RF-SEAM-PANEL</a> · Seam shelter (Seam home)' in body
    body = client_for(personas.investigator).get(f"/cases/{case.pk}/").content.decode()
    assert "REF-SEAM" not in body


def test_without_a_provider_a_case_has_no_referrals_and_no_safe_place(personas, case) -> None:
    """Issue 12 point 1: with no referrals app registered the case page still builds, with
    no referral entries and nobody told the child is at a safe place."""
    registered = seams.case_referrals()
    seams.register_referrals(None)
    try:
        page = selectors.case_page(viewer=personas.caseworker, case=case)
        assert [entry for entry in page.timeline if entry.kind == "referral"] == []
        assert selectors._at_safe_place(case) is False
    finally:
        seams.register_referrals(registered)


def test_at_a_safe_place_is_asked_of_the_registered_provider(case, fake_referrals) -> None:
    """Issue 12 point 1: "at a safe place" (shown under break-glass) comes through the seam."""
    assert selectors._at_safe_place(case) is True
    fake_referrals.safe = False
    assert selectors._at_safe_place(case) is False


def test_person_candidates_search_people_with_real_types(personas, case) -> None:
    """Issue 12 point 1: cases calls people's search directly (no dynamic import) and gets
    `Person` rows back; an empty search finds nobody."""
    found = selectors.person_candidates(viewer=personas.caseworker, text="Mwanaisha")
    assert case.child in found
    assert selectors.person_candidates(viewer=personas.caseworker, text="  ") == []
