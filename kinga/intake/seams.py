"""What the triage page needs from the apps above intake, declared here and supplied by them.

A report from a field volunteer (`Channel.FIELD`) is sent by someone the collect app knows:
the triage page shows who (a volunteer's code and agency; their name and the phone's own
times only to those who may see the report's identity section). `kinga.collect` registers
its `ReportOrigins` from `CollectConfig.ready`; without it a report shows no origin.

A report by SMS or USSD may come through an awareness campaign (its keyword, its USSD
code): `kinga.awareness` registers its `CampaignCodes` from `AwarenessConfig.ready`; without
it such a report carries no campaign.

A report a partner agency's system referred in (`Channel.PARTNER`) is marked with the agency,
its own reference and the services it asks for by `kinga.api`, which registers its
`ReportOrigins` from `ApiConfig.ready`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kinga.intake.models import campaign_code_normalise

if TYPE_CHECKING:
    from kinga.intake.models import Report


@dataclass(frozen=True)
class ReportOrigin:
    """Who sent a report from the field, as far as the viewer may know.

    A report of another kind of sender (a partner agency's referral in, `kinga.api`) says
    so in `heading` and `detail`, already in the reader's language; the page shows those
    instead of a volunteer's line.
    """

    sender: str
    agency: str
    name: str = ""
    started: str = ""
    finished: str = ""
    heading: str = ""
    detail: str = ""


class ReportOrigins(Protocol):
    """Who sent a report, for the channels whose sender another app knows."""

    def origin_of(self, *, report: Report, identity: bool) -> ReportOrigin | None:
        """Return who sent the report (with their name when `identity`), or None."""


_origins: list[ReportOrigins] = []


def register_report_origins(origins: ReportOrigins) -> None:
    """Register the app that knows who sent field reports (once per process)."""
    if not any(type(known) is type(origins) for known in _origins):
        _origins.append(origins)


def report_origin(*, report: Report, identity: bool) -> ReportOrigin | None:
    """Return who sent the report, from the first registered app that knows."""
    for origins in _origins:
        found = origins.origin_of(report=report, identity=identity)
        if found is not None:
            return found
    return None


class CampaignCodes(Protocol):
    """Which awareness campaign a report by SMS or USSD came through (awareness sits above).

    A campaign's reporting code is also its SMS keyword (the first word of the message), and
    a campaign may have a USSD code of its own (its channel's service code); the report then
    carries the campaign's code (`Report.campaign_code`), as the web form's `?c=` does.
    """

    def code_of_keyword(self, *, word: str) -> str:
        """Return the code of the campaign whose keyword this (normalised) word is, or ""."""

    def code_of_service_code(self, *, service_code: str) -> str:
        """Return the code of the campaign whose USSD code this is, or ""."""


_campaign_codes: list[CampaignCodes] = []
# The keyword is the message's first run of letters and digits ("PWANI24, watoto..." too).
_FIRST_WORD = re.compile(r"\s*([A-Za-z0-9]{2,16})(?![A-Za-z0-9])")


def register_campaign_codes(codes: CampaignCodes) -> None:
    """Register the app that knows the campaigns' keywords and USSD codes (once per process)."""
    if not any(type(known) is type(codes) for known in _campaign_codes):
        _campaign_codes.append(codes)


def campaign_of_sms(text: str) -> str:
    """Return the code of the campaign whose keyword opens the message, or "" (never an
    error: a report is never refused for its campaign)."""
    first = _FIRST_WORD.match(text)
    word = campaign_code_normalise(first.group(1)) if first else ""
    if not word:
        return ""
    for codes in _campaign_codes:
        found = codes.code_of_keyword(word=word)
        if found:
            return found
    return ""


def campaign_of_ussd(service_code: str) -> str:
    """Return the code of the campaign whose USSD code was dialled, or ""."""
    dialled = "".join(service_code.split())
    if not dialled or len(dialled) > 32:
        return ""
    for codes in _campaign_codes:
        found = codes.code_of_service_code(service_code=dialled)
        if found:
            return found
    return ""
