"""Which campaign an SMS or a USSD session came through, for intake (`kinga.intake.seams`).

Every USSD session's first screen asks, so the campaigns' codes are held in the process
(one small query, again after `CODES_TTL` seconds): a USSD screen stays one statement.
A campaign saved in this process is seen at once (its service forgets the codes); another
process sees it within `CODES_TTL` seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from kinga.awareness.models import Campaign

CODES_TTL = 30.0


@dataclass(frozen=True)
class _Codes:
    loaded_at: float
    keywords: frozenset[str] = frozenset()
    ussd: dict[str, str] = field(default_factory=dict)


_held: list[_Codes] = []


def codes_forget() -> None:
    """Forget the held codes (a campaign's code changed in this process)."""
    _held.clear()


def _codes() -> _Codes:
    now = time.monotonic()
    if _held and now - _held[0].loaded_at < CODES_TTL:
        return _held[0]
    rows = list(
        Campaign.objects.exclude(reporting_code="").values_list("reporting_code", "ussd_code")
    )
    codes = _Codes(
        loaded_at=now,
        keywords=frozenset(code for code, _ussd in rows),
        ussd={ussd: code for code, ussd in rows if ussd},
    )
    _held[:] = [codes]
    return codes


class CampaignReportCodes:
    """A campaign's reporting code is its SMS keyword; its USSD code is its own channel's
    (a campaign with a USSD code always has a reporting code: `Campaign.clean`)."""

    def code_of_keyword(self, *, word: str) -> str:
        return word if word and word in _codes().keywords else ""

    def code_of_service_code(self, *, service_code: str) -> str:
        return _codes().ussd.get(service_code, "") if service_code else ""
