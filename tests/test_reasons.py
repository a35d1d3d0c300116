"""One rule for a written reason, everywhere (issue 12 point 4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from kinga.lib.reasons import MIN_REASON_LENGTH, reason_clean, reason_validator

PACKAGE = Path(__file__).resolve().parents[1] / "kinga"
SHORT = "x" * (MIN_REASON_LENGTH - 1)
ENOUGH = "y" * MIN_REASON_LENGTH

NOT_YET: tuple[str, ...] = ()


def test_the_rule_trims_and_counts_characters() -> None:
    """Issue 12 point 4: the one validator takes MIN_REASON_LENGTH characters, trimmed."""
    assert reason_clean(f"  {ENOUGH}  ") == ENOUGH
    with pytest.raises(ValidationError) as refused:
        reason_clean(f"   {SHORT}   ", field="note")
    assert set(refused.value.message_dict) == {"note"}
    with pytest.raises(ValidationError):
        reason_validator(SHORT)
    reason_validator(ENOUGH)


def test_no_module_keeps_a_minimum_of_its_own() -> None:
    """Issue 12 point 4: no other MIN_REASON_LENGTH and no private `_reason` checker."""
    own_rule = re.compile(r"^(MIN_REASON_LENGTH\s*=|def _reason\()", re.MULTILINE)
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts
        and path.relative_to(PACKAGE).parts[0] not in NOT_YET
        and path != PACKAGE / "lib" / "reasons.py"
        and own_rule.search(path.read_text())
    ]
    assert offenders == []


def test_cases_referrals_and_break_glass_refuse_the_same_short_reason(personas, db) -> None:
    """Issue 12 point 4: the same reason one character short is refused by every service
    that asks for one, and one of exactly MIN_REASON_LENGTH goes through break-glass."""
    from kinga.access.policy import Matter
    from kinga.access.services import break_glass_open
    from kinga.cases import services
    from kinga.cases.tests.conftest import open_case

    case = open_case(personas)
    with pytest.raises(ValidationError) as closing:
        services.closure_request(
            case=case, actor=personas.caseworker, closing_status="closed", reason=SHORT
        )
    with pytest.raises(ValidationError) as moving:
        services.transfer_request(
            case=case,
            actor=personas.caseworker,
            to_agency=personas.caseworker_other.agency,
            reason=SHORT,
        )
    assert "reason" in closing.value.message_dict
    assert "reason" in moving.value.message_dict
    matter = Matter(type="case", id=case.pk)
    with pytest.raises(ValidationError):
        break_glass_open(user=personas.caseworker_other, matter=matter, reason=SHORT)
    grant = break_glass_open(user=personas.caseworker_other, matter=matter, reason=ENOUGH)
    assert grant.pk is not None
