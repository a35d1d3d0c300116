"""Writes about accounts: sign-in attempts, lockout, two-factor, roles."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinga.accounts.models import Agency, LoginAttempt, Role, RoleAssignment, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record

BACKUP_CODE_COUNT = 10


def lockout_minutes_left(*, username: str, address: str | None) -> int:
    """Return the minutes until sign-in is allowed again for this account or address (0: now).

    An account locks after KINGA_LOCKOUT_ACCOUNT_FAILURES failures within the window, an
    address after KINGA_LOCKOUT_ADDRESS_FAILURES, whichever comes first.
    """
    window = timedelta(minutes=settings.KINGA_LOCKOUT_MINUTES)
    since = timezone.now() - window
    checks: list[tuple[dict[str, object], int]] = [
        ({"username__iexact": username}, settings.KINGA_LOCKOUT_ACCOUNT_FAILURES)
    ]
    if address:
        checks.append(({"address": address}, settings.KINGA_LOCKOUT_ADDRESS_FAILURES))
    latest_lock_start = None
    for where, limit in checks:
        failures = list(
            LoginAttempt.objects.filter(succeeded=False, at__gte=since, **where)
            .order_by("-at")
            .values_list("at", flat=True)[:limit]
        )
        if len(failures) >= limit:
            oldest_counted = failures[-1]
            if latest_lock_start is None or oldest_counted > latest_lock_start:
                latest_lock_start = oldest_counted
    if latest_lock_start is None:
        return 0
    left = latest_lock_start + window - timezone.now()
    return max(1, int(left.total_seconds() // 60) + 1)


@transaction.atomic
def login_attempt_record(
    *, username: str, address: str | None, succeeded: bool, user: User | None, stage: str
) -> None:
    """Store a sign-in attempt (password or two-factor stage) and audit it."""
    LoginAttempt.objects.create(username=username[:150], address=address, succeeded=succeeded)
    if stage == "password":
        action = AuditAction.LOGIN if succeeded else AuditAction.LOGIN_FAILED
    else:
        action = AuditAction.TWO_FACTOR if succeeded else AuditAction.TWO_FACTOR_FAILED
    audit_record(
        action=action,
        actor=user,
        actor_label=username[:150],
        record_type="accounts.user",
        record_id=user.pk if user else "",
    )


def lockout_record(*, username: str) -> None:
    """Audit that a sign-in was refused because the account or address is locked."""
    audit_record(action=AuditAction.LOCKED_OUT, actor=None, actor_label=username[:150])


def totp_device_for(*, user: User) -> TOTPDevice | None:
    """Return the user's confirmed authenticator, if they have one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """Return the user's unconfirmed authenticator, making one with a new secret if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def totp_enrolment_confirm(*, user: User, device: TOTPDevice) -> list[str]:
    """Confirm the authenticator, replace old ones, and return fresh backup codes."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_replace(user=user)
    audit_record(
        action=AuditAction.TWO_FACTOR_ENROL,
        actor=user,
        record_type="accounts.user",
        record_id=user.pk,
    )
    return codes


@transaction.atomic
def backup_codes_replace(*, user: User) -> list[str]:
    """Replace the user's backup codes with new single-use ones and return them (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup")
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def backup_codes_renew(*, user: User) -> list[str]:
    """Replace the backup codes at the user's request, auditing it, and return the new ones."""
    codes = backup_codes_replace(user=user)
    audit_record(
        action=AuditAction.TWO_FACTOR_ENROL,
        actor=user,
        record_type="accounts.user",
        record_id=user.pk,
        fields=["backup_codes"],
    )
    return codes


def logout_record(*, user: User) -> None:
    """Audit that the user signed out."""
    audit_record(
        action=AuditAction.LOGOUT, actor=user, record_type="accounts.user", record_id=user.pk
    )


# The Django admin is for reference data and accounts. An administrator may manage these
# apps' records and read the audit log; nothing else. Case content never appears here: a
# new app's models stay out of the Administrators group unless added to this table.
ADMINISTRATORS_GROUP = "Administrators"
ADMINISTRATOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "accounts": ("add", "change", "delete", "view"),
    "places": ("add", "change", "delete", "view"),
    "audit": ("view",),
}


def administrators_group() -> Group:
    """Return the Administrators group, its permissions set to exactly the table above."""
    group, _ = Group.objects.get_or_create(name=ADMINISTRATORS_GROUP)
    wanted = Q(pk__in=[])
    for app_label, actions in ADMINISTRATOR_PERMISSIONS.items():
        for action in actions:
            wanted |= Q(content_type__app_label=app_label, codename__startswith=f"{action}_")
    group.permissions.set(Permission.objects.filter(wanted))
    return group


@transaction.atomic
def user_roles_set(*, user: User, roles: set[str], actor: User | None) -> None:
    """Make the user's roles exactly `roles`, auditing the change (role names, never secrets).

    The administrator role is also what opens the Django admin: holding it makes the user
    staff and a member of the Administrators group; losing it takes both away.
    """
    roles = {str(role) for role in roles}
    current = set(user.roles.values_list("role", flat=True))
    added = roles - current
    removed = current - roles
    if added or removed:
        RoleAssignment.objects.filter(user=user, role__in=removed).delete()
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, role=role) for role in sorted(added)]
        )
        if hasattr(user, "_role_cache"):
            del user._role_cache
        audit_record(
            action=AuditAction.ROLE_CHANGE,
            actor=actor,
            record_type="accounts.user",
            record_id=user.pk,
            fields=["roles"],
            detail={"added": sorted(added), "removed": sorted(removed)},
        )
    _admin_access_sync(user=user, is_admin=Role.ADMIN in roles, actor=actor)


def _admin_access_sync(*, user: User, is_admin: bool, actor: User | None) -> None:
    group = administrators_group()
    in_group = user.groups.filter(pk=group.pk).exists()
    if user.is_staff == is_admin and in_group == is_admin:
        return
    if is_admin:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    user.is_staff = is_admin
    user.save(update_fields=["is_staff"])
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        record_type="accounts.user",
        record_id=user.pk,
        fields=["is_staff", "groups"],
        detail={"administrator": is_admin},
    )


@transaction.atomic
def admin_record_save(
    *, record: Agency | User, actor: User, fields: list[str], created: bool
) -> None:
    """Save an agency or user edited in the admin, auditing which fields changed."""
    record.full_clean(exclude=["password"] if isinstance(record, User) else None)
    record.save()
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        actor=actor,
        record_type=f"accounts.{record._meta.model_name}",
        record_id=record.pk,
        fields=[name for name in fields if name not in {"password1", "password2"}],
    )


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    agency: Agency | None,
    roles: set[str],
    actor: User | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> User:
    """Create a staff user in an agency with roles; the caller validated the password."""
    user = User(
        username=username,
        agency=agency,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="accounts.user",
        record_id=user.pk,
        fields=["username", "agency"],
    )
    user_roles_set(user=user, roles=roles, actor=actor)
    return user
