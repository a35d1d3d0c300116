"""Writes about accounts: sign-in attempts, lockout, two-factor, roles."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinga.accounts.models import Agency, LoginAttempt, RoleAssignment, User
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
def user_roles_set(*, user: User, roles: set[str], actor: User | None) -> None:
    """Make the user's roles exactly `roles`, auditing the change (role names, never secrets)."""
    current = set(user.roles.values_list("role", flat=True))
    added = roles - current
    removed = current - roles
    if not added and not removed:
        return
    RoleAssignment.objects.filter(user=user, role__in=removed).delete()
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=role) for role in added])
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
