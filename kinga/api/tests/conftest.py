"""Fixtures of the API's tests: integrations of the personas' agencies, with tokens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from conftest import Personas, make_user
from kinga.accounts.models import Agency, Role, User
from kinga.api import services
from kinga.api.models import Integration, Scope
from kinga.referrals.tests.test_referrals import (  # noqa: F401  # fixtures: a case, a directory
    directory,
    world,
)


@dataclass
class Connected:
    """An integration with a live token."""

    integration: Integration
    secret: str

    def client(self, **extra: object) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.secret}", **extra)  # type: ignore[arg-type]


@pytest.fixture
def second_admin(personas: Personas) -> User:
    return make_user("second_admin", personas.programme, Role.ADMIN)


@pytest.fixture
def connect(personas: Personas, second_admin: User) -> Callable[..., Connected]:
    """Return a factory: register an integration of an agency with scopes (approved by the
    second administrator when they reveal content) and issue a token with them."""

    def make(
        agency: Agency, scopes: list[str], *, name: str = "System", rate: int = 120
    ) -> Connected:
        integration = services.integration_register(
            actor=personas.admin, agency=agency, name=name, scopes=scopes, rate_per_minute=rate
        )
        if integration.scopes_pending:
            approver = services.scope_approvers(integration=integration)[0]
            integration = services.integration_scopes_approve(
                actor=approver, integration=integration
            )
        issued = services.token_issue(actor=personas.admin, integration=integration, scopes=scopes)
        return Connected(integration=integration, secret=issued.secret)

    return make


@pytest.fixture
def helpline_system(personas: Personas, connect: Callable[..., Connected]) -> Connected:
    return connect(
        personas.helpline_centre,
        [Scope.REPORT_WRITE, Scope.REPORT_READ, Scope.DIRECTORY_READ],
        name="116 call system",
    )
