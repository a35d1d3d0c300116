"""Writes about accounts: sign-in attempts, throttling, two-factor, roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinga.accounts.models import (
    Agency,
    LoginAttempt,
    Role,
    RoleAssignment,
    SignInStage,
    User,
)
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.lib.crypto import keyed_hash

BACKUP_CODE_COUNT = 10


# Device cookies (OWASP "slow down online guessing with device cookies"): a browser that
# has fully signed in to an account (password and two-factor) gets a signed, HttpOnly
# cookie naming that account. Attempts that present one are held only by the failures made
# with that same cookie, so an attacker guessing at the account from elsewhere cannot keep
# its owner out; attempts without one are held per account and per address.
DEVICE_COOKIE_SALT = "kinga.accounts.device-cookie"
DEVICE_COOKIE_PREFIX = "kinga_device_"


@dataclass(frozen=True)
class SignInHold:
    """Why and for how long a sign-in attempt must wait."""

    seconds: int
    scope: str  # "account", "address" or "device": kept as the audit event's reason code


def _normal(username: str) -> str:
    return username.strip().lower()[:150]


def device_cookie_name(*, username: str) -> str:
    """Return the name of the device cookie for this account (a keyed hash, not the name)."""
    return DEVICE_COOKIE_PREFIX + keyed_hash(_normal(username), purpose="device-cookie", length=16)


def device_cookie_issue(*, username: str) -> str:
    """Return a new signed device-cookie value naming the account, with a fresh nonce."""
    return signing.dumps([_normal(username), secrets.token_urlsafe(16)], salt=DEVICE_COOKIE_SALT)


def device_cookie_check(*, username: str, value: str | None) -> str:
    """Return the cookie's device reference if it is valid for this account, else "".

    The reference is a keyed hash of the nonce, so the database does not hold a value that
    would pass as the cookie.
    """
    if not value:
        return ""
    try:
        named, nonce = signing.loads(
            value,
            salt=DEVICE_COOKIE_SALT,
            max_age=timedelta(days=settings.KINGA_DEVICE_COOKIE_DAYS),
        )
    except (signing.BadSignature, ValueError, TypeError):
        return ""
    if not isinstance(named, str) or not isinstance(nonce, str) or named != _normal(username):
        return ""
    return keyed_hash(nonce, purpose="device-cookie-nonce")


def _delay_seconds(failures: int, free: int) -> int:
    """Return the wait after the latest of `failures`: none for the free ones, then doubling."""
    if failures < free:
        return 0
    doublings = min(failures - free, 30)  # the cap is reached long before; keeps ints small
    return int(
        min(
            settings.KINGA_SIGNIN_FIRST_DELAY_SECONDS * 2**doublings,
            settings.KINGA_SIGNIN_MAX_DELAY_MINUTES * 60,
        )
    )


def _hold(failures: list[datetime], free: int, scope: str, now: datetime) -> SignInHold | None:
    if not failures:
        return None
    wait = _delay_seconds(len(failures), free)
    left = (max(failures) + timedelta(seconds=wait) - now).total_seconds()
    if left <= 0:
        return None
    return SignInHold(seconds=int(left) + 1, scope=scope)


def sign_in_hold(*, username: str, address: str | None, device: str) -> SignInHold | None:
    """Return how long this attempt must wait, or None if it may go ahead now.

    With a valid device cookie (`device`), only the failures made with that cookie since it
    last signed in fully count. Without one, the account's failures without a cookie (since
    its last full sign-in or an administrator lifting its throttle) and the address's
    failures without a cookie (since that lift) count, and the longer wait wins.
    """
    now = timezone.now()
    since = now - timedelta(minutes=settings.KINGA_SIGNIN_WINDOW_MINUTES)
    name = _normal(username)
    failures = LoginAttempt.objects.filter(succeeded=False)
    cap = 64  # enough to reach the longest delay; the count never needs more
    if device:
        device_since = since
        last_ok = (
            LoginAttempt.objects.filter(
                device=device, succeeded=True, stage=SignInStage.TWO_FACTOR, at__gte=since
            )
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        if last_ok is not None:
            device_since = last_ok
        seen = list(
            failures.filter(device=device, at__gt=device_since)
            .order_by("-at")
            .values_list("at", flat=True)[:cap]
        )
        return _hold(seen, settings.KINGA_SIGNIN_DEVICE_FREE_FAILURES, "device", now)
    lifted = (
        User.objects.filter(username__iexact=name)
        .values_list("sign_in_throttle_lifted_at", flat=True)
        .first()
    )
    if lifted is not None and lifted > since:
        since = lifted
    account_since = since
    last_ok = (
        LoginAttempt.objects.filter(
            username=name, succeeded=True, stage=SignInStage.TWO_FACTOR, at__gte=account_since
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if last_ok is not None:
        account_since = last_ok
    holds = [
        _hold(
            list(
                failures.filter(username=name, device="", at__gt=account_since)
                .order_by("-at")
                .values_list("at", flat=True)[:cap]
            ),
            settings.KINGA_SIGNIN_ACCOUNT_FREE_FAILURES,
            "account",
            now,
        )
    ]
    if address:
        address_since = since
        holds.append(
            _hold(
                list(
                    failures.filter(address=address, device="", at__gt=address_since)
                    .order_by("-at")
                    .values_list("at", flat=True)[:cap]
                ),
                settings.KINGA_SIGNIN_ADDRESS_FREE_FAILURES,
                "address",
                now,
            )
        )
    found = [hold for hold in holds if hold is not None]
    return max(found, key=lambda hold: hold.seconds) if found else None


@transaction.atomic
def login_attempt_record(
    *,
    username: str,
    address: str | None,
    succeeded: bool,
    user: User | None,
    stage: str,
    device: str = "",
) -> None:
    """Store a sign-in attempt (password or two-factor stage) and audit it."""
    LoginAttempt.objects.create(
        username=_normal(username),
        address=address,
        succeeded=succeeded,
        stage=stage,
        device=device,
    )
    if stage == SignInStage.PASSWORD:
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


def sign_in_held_record(*, username: str, hold: SignInHold) -> None:
    """Audit that a sign-in was refused because it must wait (the reason says which count)."""
    audit_record(
        action=AuditAction.LOCKED_OUT,
        actor=None,
        actor_label=username[:150],
        reason=f"throttled:{hold.scope}",
    )


@transaction.atomic
def sign_in_throttle_lift(*, user: User, actor: User) -> None:
    """Let the account sign in again now: earlier failures no longer slow it down.

    Lifts the account's own count and, for this account only, the counts of the addresses
    it was tried from; an attacker's later failures start a new count.
    """
    user.sign_in_throttle_lifted_at = timezone.now()
    user.save(update_fields=["sign_in_throttle_lifted_at"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="accounts.user",
        record_id=user.pk,
        fields=["sign_in_throttle_lifted_at"],
        reason="sign_in_throttle_lifted",
    )


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
