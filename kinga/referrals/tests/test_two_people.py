"""Issue 22 point 4: two people answering the same referral. A referral's content is fixed
once sent (to change it, withdraw and send again), so what two people can do to it at once
is move it; the state machine reads the state as stored, under the row's lock, so an answer
given from a page that showed an older state is refused, says what happened, changes
nothing and keeps the reason that was typed."""

# ruff: noqa: F811  # the fixtures imported below are the tests' parameters

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_user
from kinga.accounts.models import Role
from kinga.audit.models import AuditEvent
from kinga.referrals import services
from kinga.referrals.models import Referral, ReferralStatus
from kinga.referrals.tests.test_referrals import (  # noqa: F401  # the fixtures
    World,
    directory,
    referral,
    world,
)


def _body(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def test_accept_and_decline_from_the_same_state_cannot_both_happen(
    referral: Referral, world: World
) -> None:
    # two people loaded the referral while it was sent
    first = Referral.objects.get(pk=referral.pk)
    second = Referral.objects.get(pk=referral.pk)
    services.referral_accept(referral=first, actor=world.p.service_provider)
    changes = AuditEvent.objects.filter(record_type="referrals.referral", action="change").count()
    with pytest.raises(services.ReferralRefused) as refused:
        services.referral_decline(
            referral=second, actor=world.p.service_provider, reason="No bed free tonight."
        )
    message = " ".join(refused.value.messages)
    assert "Someone else moved this referral" in message and "Accepted" in message
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.decline_reason == ""
    assert (
        AuditEvent.objects.filter(record_type="referrals.referral", action="change").count()
        == changes
    )


def test_a_move_still_allowed_from_the_stored_state_goes_through(
    referral: Referral, world: World
) -> None:
    seen_sent = Referral.objects.get(pk=referral.pk)
    services.referral_accept(referral=referral, actor=world.p.service_provider)
    # the sender's page still showed "sent"; withdrawing is allowed from accepted too
    services.referral_withdraw(
        referral=seen_sent, actor=world.p.caseworker, reason="The family moved her to Kilifi."
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN


def test_the_second_provider_is_told_and_keeps_the_reason_typed(
    referral: Referral, world: World, client_for: Callable[..., Client]
) -> None:
    colleague = make_user("mariam_shelter", world.p.shelter, Role.SERVICE_PROVIDER)
    rehema, mariam = client_for(world.p.service_provider), client_for(colleague)
    page = mariam.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Decline</button>" in page and 'name="seen" value="sent"' in page
    accepted = rehema.post(reverse("referrals:accept", args=[referral.pk]))
    assert accepted.status_code == 302
    reason = "No bed free tonight; the Kilifi shelter has one."
    refused = mariam.post(
        reverse("referrals:decline", args=[referral.pk]), {"reason": reason, "seen": "sent"}
    )
    assert refused.status_code == 200
    body = _body(refused)
    assert "Someone else moved this referral after you opened it" in body
    assert reason in body  # the reason typed is still in the form
    assert '<details class="decline" id="decline" open>' not in body  # no longer answerable
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.decline_reason == ""
    # the page she is shown now is the accepted one: her next step starts from there
    assert 'name="seen" value="accepted"' in body
