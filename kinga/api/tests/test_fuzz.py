"""Fuzzing the API from its own served schema (schemathesis): no server error, no answer
that breaks the schema, no invalid input accepted. Bounded here (`KINGA_FUZZ_EXAMPLES`, 5
per operation unless set); `make fuzz` runs it longer. Each example is called as a helpline
system, as a shelter's system and as the caseworker's agency's system, each holding every
scope their agencies may hold, with a case and a referral in place; the shelter's and the
partner's systems also refer children in (`referral:send`), and the partner may subscribe
to `hearing.set`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from kinga.api import auth
from kinga.api.models import Scope
from kinga.api.tests.conftest import Connected
from kinga.referrals.tests.test_referrals import World, consent_to, send

EXAMPLES = int(os.environ.get("KINGA_FUZZ_EXAMPLES", "5"))

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def _keep_the_test_connection() -> Iterator[None]:
    """Keep the test's database connection open across the WSGI requests, as Django's test
    client does: a request's end would otherwise close it, and the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_tokens(
    world: World,
    connect: Callable[..., Connected],
    _keep_the_test_connection: None,
    monkeypatch: pytest.MonkeyPatch,
) -> list[str]:
    # thousands of calls without a token from one address are what the limit is for; here
    # they are the fuzzer's, and each must get its 401
    monkeypatch.setattr(auth, "ANONYMOUS_PER_MINUTE", 10**9)
    p = world.p
    consent_to(world, p.shelter)
    send(world)
    helpline = connect(
        p.helpline_centre,
        [Scope.REPORT_WRITE, Scope.REPORT_READ, Scope.DIRECTORY_READ, Scope.WEBHOOK_MANAGE],
        name="Fuzz desk",
        rate=6000,
    )
    shelter = connect(
        p.shelter,
        [
            Scope.REFERRAL_READ,
            Scope.REFERRAL_WRITE,
            Scope.DIRECTORY_READ,
            Scope.WEBHOOK_MANAGE,
            Scope.REFERRAL_SEND,
            Scope.REPORT_READ,
        ],
        name="Fuzz shelter",
        rate=6000,
    )
    # the caseworker's agency: on the case's team, reading its summary, court dates, figures
    partner = connect(
        p.ngo,
        [
            Scope.CASE_READ,
            Scope.JUSTICE_READ,
            Scope.FIGURES_READ,
            Scope.DIRECTORY_READ,
            Scope.REFERRAL_SEND,
            Scope.WEBHOOK_MANAGE,
        ],
        name="Fuzz partner",
        rate=6000,
    )
    return [helpline.secret, shelter.secret, partner.secret]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_survives_its_own_schema(case: schemathesis.Case, fuzz_tokens: list[str]) -> None:
    for secret in fuzz_tokens:
        # Every check but "schema-valid data is accepted": a cursor this list never gave, an
        # event the token may not see, a place not in the gazetteer are valid JSON and still
        # refused, by design, with a problem naming the field.
        case.call_and_validate(
            headers={"Authorization": f"Bearer {secret}"},
            excluded_checks=[positive_data_acceptance],
        )
