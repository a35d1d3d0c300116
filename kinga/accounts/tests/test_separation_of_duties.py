"""Separation of duties: a change that would reveal case content waits for a second person."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from conftest import Personas, make_user
from kinga.access import services as access_services
from kinga.access.models import Relation
from kinga.access.policy import Matter, can
from kinga.accounts import demo
from kinga.accounts.models import AccessChangeRequest, AccessChangeState, Role, User
from kinga.accounts.services import (
    CASE_ROLES,
    access_change_approve,
    access_change_refuse,
    user_access_change,
    user_create,
    user_roles_set,
)
from kinga.audit.models import AuditAction, AuditEvent
from kinga.notifications.models import Notification

pytestmark = pytest.mark.django_db

QUEUE = "/accounts/access-changes/"


@pytest.fixture
def matter(personas: Personas) -> Matter:
    """A case on which the Pwani NGO is on the team (its supervisors oversee it)."""
    case = Matter("case", 4242)
    access_services.access_grant(
        matter=case, relation=Relation.TEAM_MEMBER, actor=None, user=personas.caseworker
    )
    access_services.access_grant(
        matter=case,
        relation=Relation.AGENCY_ON_TEAM,
        actor=None,
        agency=personas.ngo,
        via_role=Role.CASEWORKER,
    )
    return case


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def admin_form(
    user: User, roles: list[tuple[int | None, str, bool]], **fields: Any
) -> dict[str, Any]:
    """Return the admin change form's data: the user's fields and rows of (id, role, delete)."""
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": "",
        "phone": "",
        "agency": user.agency_id,
        "preferred_language": "en",
        "is_active": "on",
        "roles-TOTAL_FORMS": str(len(roles)),
        "roles-INITIAL_FORMS": str(sum(1 for pk, _role, _delete in roles if pk)),
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    for number, (pk, role, delete) in enumerate(roles):
        data[f"roles-{number}-user"] = user.pk
        data[f"roles-{number}-role"] = role
        if pk:
            data[f"roles-{number}-id"] = pk
        if delete:
            data[f"roles-{number}-DELETE"] = "on"
    data.update(fields)
    if data.get("is_active") is None:
        del data["is_active"]
    return data


def role_rows(user: User) -> list[tuple[int | None, str, bool]]:
    return [(row.pk, row.role, False) for row in user.roles.all()]


def test_case_roles_are_the_roles_of_the_policy() -> None:
    assert Role.SUPERVISOR in CASE_ROLES and Role.CASEWORKER in CASE_ROLES
    assert Role.ADMIN not in CASE_ROLES and Role.ANALYST not in CASE_ROLES


def test_admin_giving_itself_supervisor_waits_for_the_agency_supervisor(
    personas: Personas, matter: Matter, client_for
) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 2: an administrator adds supervisor to its own account.

    The change is asked, not made: the case of the agency stays closed to it until the
    agency's supervisor approves; then (and only then) the supervisor role opens it.
    """
    rogue = make_user("salim_admin", personas.ngo, Role.ADMIN)
    client = client_for(rogue)
    admin_row = rogue.roles.get()
    response = client.post(
        f"/admin/accounts/user/{rogue.pk}/change/",
        admin_form(rogue, [(admin_row.pk, Role.ADMIN, True), (None, Role.SUPERVISOR, False)]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Role.SUPERVISOR not in fresh(rogue).role_set
    assert not can(fresh(rogue), "view", matter, "summary")
    assert not can(fresh(rogue), "view", matter, "identity")
    change = AccessChangeRequest.objects.get(subject=rogue)
    assert change.state == AccessChangeState.PENDING
    assert change.requested_by_id == rogue.pk and change.roles_added == [Role.SUPERVISOR]
    assert change.approving_agency_id == personas.ngo.pk
    # Asking was audited with the roles before and after, as slugs.
    asked = AuditEvent.objects.get(
        record_type="accounts.accesschangerequest", record_id=str(change.pk)
    )
    assert asked.detail["roles"] == {"old": [], "new": [Role.SUPERVISOR]}
    # The agency's supervisor was told.
    assert Notification.objects.filter(recipient=personas.supervisor).count() == 1

    supervisor_client = client_for(personas.supervisor)
    queue = supervisor_client.get(QUEUE)
    assert queue.status_code == 200 and f'id="change-{change.pk}"' in queue.content.decode()
    response = supervisor_client.post(f"{QUEUE}{change.pk}/approve/")
    assert response.status_code == 302
    assert can(fresh(rogue), "view", matter, "summary")
    change.refresh_from_db()
    assert change.state == AccessChangeState.APPROVED
    assert change.decided_by_id == personas.supervisor.pk and change.decided_at is not None
    approved = AuditEvent.objects.get(detail__code="access_change_approved")
    assert approved.actor_id == personas.supervisor.pk
    assert approved.detail["roles"] == {"old": [], "new": [Role.SUPERVISOR]}


def test_requester_cannot_approve_its_own_request(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 2: self-approval is refused, in the service and on the page."""
    change = user_access_change(
        user=personas.analyst,
        actor=personas.admin,
        roles={Role.ANALYST, Role.CASEWORKER},
        agency=personas.analyst.agency,
        is_active=True,
    )
    assert change is not None
    # The programme office has no supervisor, so administrators decide, but not this one.
    with pytest.raises(PermissionDenied):
        access_change_approve(change=change, actor=personas.admin)
    response = client_for(personas.admin).post(f"{QUEUE}{change.pk}/approve/")
    assert response.status_code == 404
    assert Role.CASEWORKER not in fresh(personas.analyst).role_set
    # Another administrator may.
    second = make_user("second_admin", personas.programme, Role.ADMIN)
    access_change_approve(change=change, actor=second)
    assert Role.CASEWORKER in fresh(personas.analyst).role_set


def test_admin_cannot_approve_its_own_escalation(personas: Personas) -> None:
    """Guards issue 11 hole 2: an administrator asking for a case role for itself.

    Its agency has no supervisor, so administrators decide: never itself, always another.
    """
    change = user_access_change(
        user=personas.admin,
        actor=personas.admin,
        roles={Role.CASEWORKER},
        agency=personas.admin.agency,
        is_active=True,
    )
    assert change is not None
    with pytest.raises(PermissionDenied):
        access_change_approve(change=change, actor=personas.admin)
    with pytest.raises(PermissionDenied):
        access_change_refuse(change=change, actor=personas.admin)
    assert fresh(personas.admin).role_set == frozenset()


def test_subject_cannot_approve_a_change_of_itself(personas: Personas) -> None:
    """Guards issue 11 hole 2: the person whose access grows never decides it."""
    change = user_access_change(
        user=personas.supervisor,
        actor=personas.admin,
        roles={Role.SUPERVISOR, Role.CASEWORKER},
        agency=personas.ngo,
        is_active=True,
    )
    assert change is not None
    with pytest.raises(PermissionDenied):
        access_change_approve(change=change, actor=personas.supervisor)
    # An outsider supervisor (another agency) may not either.
    outsider = make_user("other_supervisor", personas.other_ngo, Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        access_change_approve(change=change, actor=outsider)


def test_moving_a_user_records_old_and_new_agency(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 2: a move leaves a trace of where from and where to."""
    receiving = make_user("tumaini_supervisor", personas.other_ngo, Role.SUPERVISOR)
    user = personas.caseworker
    response = client_for(personas.admin).post(
        f"/admin/accounts/user/{user.pk}/change/",
        admin_form(user, role_rows(user), agency=personas.other_ngo.pk),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    # A caseworker's move opens the other agency's cases: it waits for that agency.
    assert fresh(user).agency_id == personas.ngo.pk
    change = AccessChangeRequest.objects.get(subject=user, state=AccessChangeState.PENDING)
    assert change.approving_agency_id == personas.other_ngo.pk
    assert Notification.objects.filter(recipient=receiving).exists()
    assert Notification.objects.filter(recipient=personas.supervisor).exists()
    access_change_approve(change=change, actor=receiving)
    assert fresh(user).agency_id == personas.other_ngo.pk
    event = AuditEvent.objects.get(detail__code="access_change_approved")
    assert event.detail["agency"] == {"old": personas.ngo.pk, "new": personas.other_ngo.pk}

    # A user with no case role moves at once, and the event still says from where.
    analyst = personas.analyst
    response = client_for(personas.admin).post(
        f"/admin/accounts/user/{analyst.pk}/change/",
        admin_form(analyst, role_rows(analyst), agency=personas.ngo.pk),
    )
    assert response.status_code == 302
    assert fresh(analyst).agency_id == personas.ngo.pk
    moved = AuditEvent.objects.filter(
        action=AuditAction.ROLE_CHANGE, record_id=str(analyst.pk)
    ).latest("seq")
    assert moved.detail["agency"] == {"old": personas.programme.pk, "new": personas.ngo.pk}


def test_admin_with_a_case_role_is_refused(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    """Guards issue 11 hole 2: administrators hold no case role, in the service and the form."""
    with pytest.raises(ValidationError):
        user_roles_set(user=personas.caseworker, roles={Role.ADMIN, Role.CASEWORKER}, actor=None)
    with pytest.raises(ValidationError):
        user_access_change(
            user=personas.admin,
            actor=personas.admin,
            roles={Role.ADMIN, Role.CASEWORKER},
            agency=personas.admin.agency,
            is_active=True,
        )
    with pytest.raises(ValidationError):
        user_create(
            username="mixed",
            password="x" * 20,
            agency=personas.ngo,
            roles={Role.ADMIN, Role.SUPERVISOR},
            actor=None,
        )
    admin_user = personas.admin
    response = client_for(admin_user).post(
        f"/admin/accounts/user/{personas.caseworker.pk}/change/",
        admin_form(
            personas.caseworker,
            role_rows(personas.caseworker) + [(None, Role.ADMIN, False)],
        ),
    )
    assert response.status_code == 200
    assert "holds no case role" in response.content.decode()
    assert fresh(personas.caseworker).role_set == {Role.CASEWORKER}
    assert not AccessChangeRequest.objects.exists()


def test_taking_access_away_is_immediate(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    """Removing a role or deactivating needs nobody's approval."""
    user = personas.supervisor
    response = client_for(personas.admin).post(
        f"/admin/accounts/user/{user.pk}/change/",
        admin_form(user, [(row, role, True) for row, role, _d in role_rows(user)], is_active=None),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = fresh(user)
    assert stored.role_set == frozenset() and not stored.is_active
    assert not AccessChangeRequest.objects.exists()
    event = AuditEvent.objects.filter(
        action=AuditAction.ROLE_CHANGE, record_id=str(user.pk)
    ).latest("seq")
    assert event.detail["roles"] == {"old": [Role.SUPERVISOR], "new": []}
    assert event.detail["is_active"] == {"old": True, "new": False}


def test_reactivating_a_caseworker_waits_and_can_be_refused(personas: Personas) -> None:
    """Guards issue 11 hole 2: re-activating the holder of a case role is approved first."""
    user = personas.caseworker
    user_access_change(
        user=user,
        actor=personas.admin,
        roles={Role.CASEWORKER},
        agency=personas.ngo,
        is_active=False,
    )
    assert not fresh(user).is_active
    change = user_access_change(
        user=user,
        actor=personas.admin,
        roles={Role.CASEWORKER},
        agency=personas.ngo,
        is_active=True,
    )
    assert change is not None and change.reactivate
    assert not fresh(user).is_active
    access_change_refuse(change=change, actor=personas.supervisor)
    assert not fresh(user).is_active
    change.refresh_from_db()
    assert change.state == AccessChangeState.REFUSED
    # The requester was told of the decision.
    assert Notification.objects.filter(recipient=personas.admin).exists()
    with pytest.raises(ValidationError):
        access_change_approve(change=change, actor=personas.supervisor)


def test_bootstrap_without_actor_stays_direct(personas: Personas) -> None:
    user = user_create(
        username="bootstrap_cw",
        password="x" * 20,
        agency=personas.ngo,
        roles={Role.CASEWORKER},
        actor=None,
    )
    assert fresh(user).role_set == {Role.CASEWORKER}
    # With an actor, the same creation waits for approval.
    asked = user_create(
        username="asked_cw",
        password="x" * 20,
        agency=personas.ngo,
        roles={Role.CASEWORKER},
        actor=personas.admin,
    )
    assert fresh(asked).role_set == frozenset()
    assert AccessChangeRequest.objects.filter(subject=asked, state="pending").exists()
    # And no service gives a case role on an actor's word directly.
    with pytest.raises(PermissionDenied):
        user_roles_set(user=asked, roles={Role.CASEWORKER}, actor=personas.admin)


def test_queue_shows_only_what_the_viewer_may_decide(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    change = user_access_change(
        user=personas.counsellor,
        actor=personas.admin,
        roles={Role.COUNSELLOR, Role.CASEWORKER},
        agency=personas.ngo,
        is_active=True,
    )
    assert change is not None
    outsider = make_user("other_supervisor", personas.other_ngo, Role.SUPERVISOR)
    page = client_for(outsider).get(QUEUE)
    assert page.status_code == 200 and f'id="change-{change.pk}"' not in page.content.decode()
    assert client_for(outsider).post(f"{QUEUE}{change.pk}/approve/").status_code == 404
    assert client_for(personas.caseworker).get(QUEUE).status_code == 404
    assert Role.CASEWORKER not in fresh(personas.counsellor).role_set


def test_demo_accounts_respect_the_rule() -> None:
    """Guards issue 11 hole 2: the demo's administrator holds no case role."""
    for username, _first, _last, _agency, roles, _on_call in demo.ACCOUNTS:
        assert not (Role.ADMIN in roles and set(roles) & CASE_ROLES), username


def test_client_requests_do_not_reach_the_queue_without_two_factor(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.supervisor)
    assert client.get(QUEUE)["Location"].startswith("/accounts/two-factor/")


def test_a_second_administrator_account_waits_for_another_administrator(
    personas: Personas,
) -> None:
    """Guards issue 11 hole 2: no sock-puppet administrator to approve one's own request.

    An administrator creates a second account with the administrator role; it is not an
    administrator until another administrator approves, so it cannot approve the first
    one's request for a case role in an agency without a supervisor.
    """
    puppet = user_create(
        username="puppet_admin",
        password="x" * 20,
        agency=personas.programme,
        roles={Role.ADMIN},
        actor=personas.admin,
    )
    assert Role.ADMIN not in fresh(puppet).role_set and not fresh(puppet).is_staff
    escalation = user_access_change(
        user=personas.admin,
        actor=personas.admin,
        roles={Role.CASEWORKER},
        agency=personas.programme,
        is_active=True,
    )
    assert escalation is not None
    with pytest.raises(PermissionDenied):
        access_change_approve(change=escalation, actor=fresh(puppet))
    # The puppet's own promotion is for another administrator, not its maker.
    promotion = AccessChangeRequest.objects.get(subject=puppet, state="pending")
    with pytest.raises(PermissionDenied):
        access_change_approve(change=promotion, actor=personas.admin)
    # Not for a supervisor of its agency either: making administrators is administrators' call.
    supervisor = make_user("programme_supervisor", personas.programme, Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        access_change_approve(change=promotion, actor=supervisor)
    second = User.objects.create_superuser("operator", password="x" * 20)
    access_change_approve(change=promotion, actor=second)
    assert fresh(puppet).is_staff and Role.ADMIN in fresh(puppet).role_set
