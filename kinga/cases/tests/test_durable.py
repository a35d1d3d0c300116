"""Top-level services of cases and the referral workflow run in a durable transaction of
their own (issue 12 point 4): a caller cannot fold them into a larger transaction whose
rollback would take their audit event and side effects along."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.db.transaction import Atomic

from kinga.cases import services as case_services
from kinga.referrals import services as referral_services

# Services another service calls inside its own transaction, and who calls them.
NESTED = {
    "case_open_from_report": "intake's triage",
    "consent_override": "referral_send",
    "promise_make": "referral_send",
    "promise_keep": "the end of a referral",
    "promise_explain": "the end of a referral",
    "referrals_attach_from_report": "case_open_from_report",
    "plan_item_referral_link": "referral_send",
    "plan_items_follow_referral": "each step of a referral",
}
# The service directory's writes move to their own app in a parallel part of issue 12.
DIRECTORY = {
    "organization_create",
    "organization_update",
    "service_create",
    "service_update",
    "service_hours_set",
    "location_create",
    "location_update",
    "phone_add",
    "phone_remove",
}


def _atomic_of(function: Callable[..., Any]) -> Atomic | None:
    for cell in function.__closure__ or ():
        if isinstance(cell.cell_contents, Atomic):
            return cell.cell_contents
    return None


def _services() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for module in (case_services, referral_services):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            own = function.__module__.startswith(module.__name__)
            if not own or name.startswith("_") or name in DIRECTORY:
                continue
            if _atomic_of(function) is not None:
                found[name] = function
    return found


def test_every_top_level_service_is_durable() -> None:
    """Issue 12 point 4: atomic services are durable unless another service nests them."""
    found = _services()
    assert {"case_open", "plan_submit", "referral_send", "referral_decline"} <= set(found)
    for name, function in found.items():
        atomic = _atomic_of(function)
        assert atomic is not None
        assert atomic.durable is (name not in NESTED), name
    assert set(NESTED) <= set(found)


def test_a_durable_service_refuses_to_run_inside_another_transaction(personas, case) -> None:
    """Issue 12 point 4: folding a top-level service into a caller's transaction fails."""
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        case_services.case_risk_set(case=case, risk_level="high", actor=personas.caseworker)
    case.refresh_from_db()
    assert case.risk_level != "high"
