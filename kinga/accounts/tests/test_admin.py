"""The Django admin: administrators manage agencies and users, and see nothing else."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory

from conftest import Personas
from kinga.accounts.models import AccessChangeRequest, Agency, AgencyKind, Role, User
from kinga.accounts.services import ADMINISTRATORS_GROUP, user_roles_set
from kinga.audit.models import AuditAction, AuditEvent
from kinga.places.models import County

OWN_APPS = {"accounts", "places", "audit"}
# single models of other apps an administrator manages: reference data, no case content
OWN_MODELS = {("intake", "alertstep")}


def test_admin_role_makes_staff_and_administrator(personas: Personas) -> None:
    admin_user = User.objects.get(pk=personas.admin.pk)
    assert admin_user.is_staff
    assert admin_user.groups.filter(name=ADMINISTRATORS_GROUP).exists()
    user_roles_set(user=admin_user, roles={Role.ANALYST}, actor=None)
    admin_user = User.objects.get(pk=admin_user.pk)
    assert not admin_user.is_staff
    assert not admin_user.groups.exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_CHANGE, record_id=str(admin_user.pk)
    ).exists()


def test_other_personas_are_not_staff(personas: Personas) -> None:
    for user in personas.all_users():
        if user != personas.admin:
            assert not user.is_staff and not user.groups.exists(), user.username


def test_administrators_group_holds_only_its_permissions(personas: Personas) -> None:
    group = Group.objects.get(name=ADMINISTRATORS_GROUP)
    labels = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert labels == OWN_APPS | {app for app, _model in OWN_MODELS}
    beyond = group.permissions.exclude(content_type__app_label__in=OWN_APPS)
    assert set(beyond.values_list("content_type__app_label", "content_type__model")) == OWN_MODELS
    audit = group.permissions.filter(content_type__app_label="audit")
    assert {perm.codename.split("_")[0] for perm in audit} == {"view"}


def test_admin_sees_no_other_apps_models(personas: Personas) -> None:
    """The seam for "an admin cannot read case content": every other app stays hidden."""
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(pk=personas.admin.pk)
    for model, model_admin in admin.site._registry.items():
        allowed = (
            model._meta.app_label in OWN_APPS
            or (model._meta.app_label, model._meta.model_name) in OWN_MODELS
        )
        assert model_admin.has_module_permission(request) == allowed, model
        assert model_admin.has_view_permission(request) == allowed, model


def test_admin_pages_for_agencies_and_users(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(personas.admin)
    index = client.get("/admin/")
    assert index.status_code == 200
    body = index.content.decode()
    assert "/admin/accounts/agency/" in body and "/admin/accounts/user/" in body
    assert "/admin/accounts/authenticator/" not in body and "/admin/auth/group/" not in body
    assert "/admin/accounts/backupcodes/" not in body
    assert client.get("/admin/accounts/agency/").status_code == 200
    assert client.get(f"/admin/accounts/user/{personas.caseworker.pk}/change/").status_code == 200
    # Two-factor secrets have no admin page at all.
    assert client.get("/admin/accounts/authenticator/").status_code == 404
    assert client.get("/admin/accounts/backupcode/").status_code == 404
    assert client.get("/admin/auth/group/").status_code == 403


def test_admin_adds_an_agency_audited(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(personas.admin)
    county = County.objects.get(name="Lamu")
    response = client.post(
        "/admin/accounts/agency/add/",
        {
            "name": "Lamu Children's Desk",
            "kind": AgencyKind.CHILDRENS_SERVICES,
            "county": county.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    agency = Agency.objects.get(name="Lamu Children's Desk")
    event = AuditEvent.objects.get(record_type="accounts.agency", record_id=str(agency.pk))
    assert event.action == AuditAction.CREATE and event.actor_id == personas.admin.pk


def test_role_change_in_admin_goes_through_the_service(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(personas.admin)
    user = personas.caseworker
    url = f"/admin/accounts/user/{user.pk}/change/"
    role = user.roles.get()
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": "",
        "phone": "",
        "agency": user.agency_id,
        "preferred_language": "en",
        "is_active": "on",
        "roles-TOTAL_FORMS": "2",
        "roles-INITIAL_FORMS": "1",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "roles-0-id": role.pk,
        "roles-0-user": user.pk,
        "roles-0-role": Role.CASEWORKER,
        "roles-1-user": user.pk,
        "roles-1-role": Role.SUPERVISOR,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    # Supervisor opens case content: it waits for a second person (issue 11 hole 2).
    assert set(User.objects.get(pk=user.pk).role_set) == {Role.CASEWORKER}
    change = AccessChangeRequest.objects.get(subject=user)
    assert change.roles_added == [Role.SUPERVISOR] and change.requested_by_id == personas.admin.pk
    event = AuditEvent.objects.get(
        action=AuditAction.ROLE_CHANGE,
        record_type="accounts.accesschangerequest",
        record_id=str(change.pk),
    )
    assert event.detail == {
        "code": "access_change_requested",
        "subject": user.pk,
        "state": "pending",
        "roles": {"old": [Role.CASEWORKER], "new": [Role.CASEWORKER, Role.SUPERVISOR]},
    }
    assert event.actor_id == personas.admin.pk
    # A role that opens no case is given at once, through the same service.
    data["roles-1-role"] = Role.TRAINER
    assert client.post(url, data).status_code == 302
    assert set(User.objects.get(pk=user.pk).role_set) == {Role.CASEWORKER, Role.TRAINER}
    latest = (
        AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGE, record_id=str(user.pk))
        .order_by("-seq")
        .first()
    )
    assert latest is not None and latest.actor_id == personas.admin.pk
    assert latest.detail == {
        "roles": {"old": [Role.CASEWORKER], "new": [Role.CASEWORKER, Role.TRAINER]}
    }


def test_admin_cannot_make_superusers_or_touch_them(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    root = User.objects.create_superuser("root", password="x" * 20)
    client = client_for(personas.admin)
    assert client.get(f"/admin/accounts/user/{root.pk}/change/").status_code == 302
    body = client.get(f"/admin/accounts/user/{personas.caseworker.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in body and 'name="user_permissions"' not in body
    assert 'name="groups"' not in body and 'name="is_staff"' not in body


def test_non_admin_cannot_open_the_admin(personas: Personas, client_for) -> None:  # type: ignore[no-untyped-def]
    for user in personas.all_users():
        if user != personas.admin:
            response = client_for(user).get("/admin/")
            assert response.status_code == 302, user.username
            assert "/admin/login/" in response["Location"]
