"""What a case needs from the apps above it, declared here and supplied by them.

`cases` sits below `referrals` (see CONTRIBUTING, "Layers"), yet the case page shows the
case's referrals, says whether the child is at a safe place, and a case opened from a report
takes over the emergency referrals made from it. So `cases` declares the `CaseReferrals`
protocol, and the referrals app registers its implementation in `ReferralsConfig.ready`.
Likewise a case opened from a report shows what the report said (`CaseSourceReports`, which
intake supplies from `IntakeConfig.ready`), and its timeline the home visits volunteers sent
from the field (`CaseFieldVisits`, from `CollectConfig.ready`).
Without one (an installation without referrals, or a test that unregisters it) a case has no
referrals, which is what the page and the opening then show.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User
    from kinga.cases.models import Case
    from kinga.cases.selectors import TimelineEntry


class CaseReferrals(Protocol):
    """The referrals of a case, as the case sees them."""

    def timeline_entries(
        self, *, viewer: User | AnonymousUser | None, case: Case
    ) -> list[TimelineEntry]:
        """Return the case timeline's referral entries that the viewer may see."""

    def promise_texts(self, *, viewer: User | AnonymousUser | None, case: Case) -> dict[str, str]:
        """Return referral id -> what its promise to the child says, for the viewer."""

    def at_safe_place(self, *, case: Case) -> bool:
        """Return whether the child is placed at a confidential place now (never which)."""

    def attach_from_report(self, *, case: Case, actor: User) -> None:
        """Move the emergency referrals made from the case's source report onto the case."""

    def panel_rows(self, *, viewer: User | AnonymousUser | None, case: Case) -> list[ReferralRow]:
        """Return the case's referrals the viewer may list, for the case page's panel."""


@dataclass(frozen=True)
class ReferralRow:
    """One referral of a case as its panel shows it: no child's details, only the promise."""

    id: int
    reference: str
    service: str
    organisation: str
    status: str
    status_label: str
    urgency: str
    urgency_label: str
    sent_at: datetime.datetime
    due_at: datetime.datetime
    overdue: bool
    url: str


@dataclass(frozen=True)
class SourceReport:
    """What the report a case was opened from said, as far as the viewer may know.

    The facts (channel, what, where, how many children, their ages, danger, the platform)
    come with the case's summary; the reporter's words (the narrative, the exact place, the
    online accounts, what they added later) only with the case's identity section.
    """

    reference: str
    url: str
    received_at: datetime.datetime
    channel: str
    categories: list[str]
    place: str
    children_count: int | None
    age_bands: list[str]
    danger: str
    online_platform: str
    identity_shown: bool
    narrative: str = ""
    place_detail: str = ""
    online_handle: str = ""
    additions: list[tuple[datetime.datetime, str]] = field(default_factory=list)


class CaseSourceReports(Protocol):
    """The report a case was opened from, as the case team sees it (intake supplies it)."""

    def source_report(
        self, *, viewer: User | AnonymousUser | None, case: Case, identity: bool
    ) -> SourceReport | None:
        """Return the case's source report for a viewer of the case; audit the read."""


class CaseFieldVisits(Protocol):
    """The home visits field volunteers sent on a case (`kinga.collect` supplies them)."""

    def timeline_entries(self, *, case: Case) -> list[TimelineEntry]:
        """Return the case's home visits as care entries of its timeline (the caller has
        decided that the viewer sees the case's care section)."""


_referrals: CaseReferrals | None = None
_source_reports: CaseSourceReports | None = None
_field_visits: CaseFieldVisits | None = None


def register_field_visits(provider: CaseFieldVisits | None) -> None:
    """Set the provider of a case's home visits from the field (the collect app, at
    start-up); None unsets."""
    global _field_visits
    _field_visits = provider


def case_field_visits() -> CaseFieldVisits | None:
    """Return the registered provider of a case's home visits, if there is one."""
    return _field_visits


def register_source_reports(provider: CaseSourceReports | None) -> None:
    """Set the provider of a case's source report (the intake app, at start-up); None unsets."""
    global _source_reports
    _source_reports = provider


def case_source_reports() -> CaseSourceReports | None:
    """Return the registered provider of a case's source report, if there is one."""
    return _source_reports


def register_referrals(provider: CaseReferrals | None) -> None:
    """Set the provider of a case's referrals (the referrals app, at start-up); None unsets."""
    global _referrals
    _referrals = provider


def case_referrals() -> CaseReferrals | None:
    """Return the registered provider of a case's referrals, if there is one."""
    return _referrals


# --- the path to verdict ---------------------------------------------------------------------
# The justice app (above cases) answers for the child's case: where each incident the child
# is in stands, how long each step took, the next court dates with the measures granted to
# the child. Dates, places, measures and outcomes only: never the evidence, never the
# accused. `kinga.justice.for_cases.JusticeOfCase` implements it.


# Where a case page's referrals, read once for the timeline and the panel, are kept on the
# case instance until the page is built (`kinga.referrals.for_cases`).
REFERRALS_READ = "_kinga_referrals_read"


@dataclass(frozen=True)
class PathStep:
    """One step from report to verdict: when it was reached, and the days it took.

    `earlier` marks a step reached before the latest step above it (a child already in
    care when the report came): it took no time of this path, so it has no days.
    """

    label: str
    reached_on: datetime.date | None
    days: int | None
    earlier: bool = False


@dataclass(frozen=True)
class CourtDate:
    """A date the child's case is in court: when, where, for what, with which measures."""

    when: datetime.datetime
    court: str
    courtroom: str
    purpose: str
    child_attends: bool
    accompanied_by: str
    measures: list[str]


@dataclass(frozen=True)
class CourtPath:
    """What the child's supporters see of one incident on the way to a verdict."""

    incident_code: str
    stage: str
    steps: list[PathStep]
    next_dates: list[CourtDate]
    measures: list[str]
    outcomes: list[str]
    adjournments: int
    testimonies: int
    wasted_trips: int
    adjournment_warning: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class CaseJustice(Protocol):
    """The justice side of a case, as the case sees it."""

    def court_paths(self, *, viewer: User | AnonymousUser | None, case: Case) -> list[CourtPath]:
        """Return the path to verdict of each incident the child is in, if the viewer may
        see the case's justice section; an empty list otherwise."""


_justice: CaseJustice | None = None


def register_justice(provider: CaseJustice | None) -> None:
    """Set the provider of a case's path to verdict (the justice app, at start-up)."""
    global _justice
    _justice = provider


def case_justice() -> CaseJustice | None:
    """Return the registered provider of a case's path to verdict, if there is one."""
    return _justice
