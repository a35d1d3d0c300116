"""Integrations as principals: registration, the second person for content scopes, tokens
shown once and stored hashed, rotation, revocation, and the pages that do it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from conftest import Personas
from kinga.accounts.models import User
from kinga.api import services
from kinga.api.models import Integration, Scope, Token
from kinga.api.tests.conftest import Connected
from kinga.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_content_scopes_wait_for_a_second_person(personas: Personas, second_admin: User) -> None:
    integration = services.integration_register(
        actor=personas.admin,
        agency=personas.shelter,
        name="Salama case system",
        scopes=[Scope.REFERRAL_READ, Scope.DIRECTORY_READ],
    )
    assert integration.scopes == [Scope.DIRECTORY_READ]
    assert integration.scopes_pending == [Scope.REFERRAL_READ]
    # the one who asked may not approve
    with pytest.raises(PermissionDenied):
        services.integration_scopes_approve(actor=personas.admin, integration=integration)
    # nor anyone without authority over the shelter
    with pytest.raises(PermissionDenied):
        services.integration_scopes_approve(actor=personas.supervisor, integration=integration)
    approved = services.integration_scopes_approve(actor=second_admin, integration=integration)
    assert approved.scopes == [Scope.REFERRAL_READ, Scope.DIRECTORY_READ]
    assert approved.scopes_pending == []
    assert AuditEvent.objects.filter(
        record_type="api.integration", actor=second_admin, action="permission_change"
    ).exists()


def test_a_supervisor_of_the_agency_approves_before_other_administrators(
    personas: Personas, second_admin: User
) -> None:
    integration = services.integration_register(
        actor=personas.admin,
        agency=personas.ngo,
        name="Pwani case system",
        scopes=[Scope.REFERRAL_READ],
    )
    assert services.scope_approvers(integration=integration) == [personas.supervisor]
    services.integration_scopes_approve(actor=personas.supervisor, integration=integration)


def test_only_helpline_agencies_may_file_reports(personas: Personas) -> None:
    with pytest.raises(ValidationError) as refused:
        services.integration_register(
            actor=personas.admin,
            agency=personas.shelter,
            name="Shelter system",
            scopes=[Scope.REPORT_WRITE],
        )
    assert "scopes" in refused.value.message_dict
    assert not Integration.objects.exists()
    # and no system account was left behind by the refusal
    assert not User.objects.filter(username__startswith="integration-").exists()


def test_only_administrators_register_and_issue(personas: Personas) -> None:
    for person in (personas.supervisor, personas.caseworker, personas.helpline):
        with pytest.raises(PermissionDenied):
            services.integration_register(
                actor=person, agency=personas.helpline_centre, name="X", scopes=[]
            )


def test_the_system_account_has_no_role_and_cannot_sign_in(
    helpline_system: Connected,
) -> None:
    account = User.objects.get(pk=helpline_system.integration.account_id)
    assert not account.has_usable_password()
    assert account.roles.count() == 0
    client = Client()
    assert not client.login(username=account.username, password="")


def test_a_token_is_stored_only_as_a_keyed_hash(helpline_system: Connected) -> None:
    token = Token.objects.get()
    assert helpline_system.secret not in (token.secret_hash, token.prefix)
    assert helpline_system.secret.startswith(token.prefix)
    assert len(token.prefix) < 16
    for event in AuditEvent.objects.all():
        assert helpline_system.secret not in str(event.detail)


def test_a_token_only_carries_scopes_the_integration_was_registered_for(
    personas: Personas, helpline_system: Connected
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.token_issue(
            actor=personas.admin,
            integration=helpline_system.integration,
            scopes=[Scope.REFERRAL_WRITE],
        )
    assert "scopes" in refused.value.message_dict


def test_a_token_lives_at_most_a_year(personas: Personas, helpline_system: Connected) -> None:
    with pytest.raises(ValidationError) as refused:
        services.token_issue(
            actor=personas.admin,
            integration=helpline_system.integration,
            scopes=[Scope.REPORT_WRITE],
            expires_at=timezone.now() + timedelta(days=400),
        )
    assert "expires_at" in refused.value.message_dict


def _directory(secret: str) -> int:
    return (
        Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/directory/services/").status_code
    )


def test_a_revoked_token_is_refused_at_once(personas: Personas, helpline_system: Connected) -> None:
    assert _directory(helpline_system.secret) == 200
    services.token_revoke(actor=personas.admin, token=Token.objects.get())
    response = helpline_system.client().get("/api/v1/directory/services/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/unauthorised")
    assert AuditEvent.objects.filter(
        action="denied",
        record_type="api.token",
        actor_id=helpline_system.integration.account_id,
    ).exists()


def test_an_expired_token_is_refused(personas: Personas, helpline_system: Connected) -> None:
    Token.objects.update(
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert _directory(helpline_system.secret) == 401


def test_a_stopped_integration_is_refused(personas: Personas, helpline_system: Connected) -> None:
    services.integration_deactivate(actor=personas.admin, integration=helpline_system.integration)
    assert _directory(helpline_system.secret) == 401


def test_rotation_gives_a_new_token_and_the_old_one_stops_a_day_later(
    personas: Personas, helpline_system: Connected
) -> None:
    old = Token.objects.get()
    issued = services.token_rotate(actor=personas.admin, token=old)
    old.refresh_from_db()
    assert issued.token.replaces_id == old.pk
    assert issued.token.scopes == old.scopes
    assert old.expires_at <= timezone.now() + timedelta(hours=24)
    assert _directory(helpline_system.secret) == 200
    assert _directory(issued.secret) == 200
    Token.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now()
    )
    assert _directory(helpline_system.secret) == 401
    assert _directory(issued.secret) == 200


# --- the pages --------------------------------------------------------------------------


def test_an_administrator_registers_and_issues_a_token_shown_once(
    personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(personas.admin)
    assert client.get("/integrations/").status_code == 200
    response = client.post(
        "/integrations/new/",
        {
            "name": "116 call system",
            "agency": personas.helpline_centre.pk,
            "scopes": [Scope.REPORT_WRITE, Scope.REPORT_READ],
            "rate_per_minute": 60,
        },
    )
    integration = Integration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/integrations/{integration.pk}/"
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    page = client.post(
        f"/integrations/{integration.pk}/tokens/",
        {"scopes": [Scope.REPORT_WRITE], "expires_on": expires},
    )
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    secret = page.context["issued"].secret
    assert secret in page.content.decode()
    again = client.get(f"/integrations/{integration.pk}/")
    assert secret not in again.content.decode()
    assert Token.objects.get().prefix in again.content.decode()


def test_a_bad_registration_keeps_what_was_typed_and_says_what_to_fix(
    personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(personas.admin)
    response = client.post(
        "/integrations/new/",
        {
            "name": "Shelter system",
            "agency": personas.shelter.pk,
            "scopes": [Scope.REPORT_WRITE],
            "rate_per_minute": 60,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Shelter system" in body
    assert "may not hold report:write" in body
    assert not Integration.objects.exists()


def test_outsiders_get_404_from_the_integration_pages(
    personas: Personas,
    helpline_system: Connected,
    client_for: Callable[[User | None], Client],
) -> None:
    pk = helpline_system.integration.pk
    for person in (
        personas.caseworker,
        personas.helpline,
        personas.analyst,
        personas.supervisor,  # a supervisor of another agency
        personas.service_provider,
    ):
        client = client_for(person)
        assert client.get(f"/integrations/{pk}/").status_code == 404, person
        token = Token.objects.get()
        assert client.post(f"/integrations/tokens/{token.pk}/revoke/").status_code == 404
    assert Token.objects.get().revoked_at is None
    assert client_for(None).get("/integrations/").status_code == 302


def test_the_page_revokes_and_rotates(
    personas: Personas,
    helpline_system: Connected,
    client_for: Callable[[User | None], Client],
) -> None:
    client = client_for(personas.admin)
    token = Token.objects.get()
    rotated = client.post(f"/integrations/tokens/{token.pk}/rotate/")
    assert rotated.status_code == 200
    new_secret = rotated.context["issued"].secret
    assert _directory(new_secret) == 200
    new = Token.objects.get(replaces=token)
    client.post(f"/integrations/tokens/{new.pk}/revoke/")
    assert _directory(new_secret) == 401
