"""Writes about accounts: sign-in attempts, throttling, two-factor, roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.policy import POLICY
from kinga.accounts.models import (
    AccessChangeRequest,
    AccessChangeState,
    Agency,
    Authenticator,
    BackupCode,
    BackupCodes,
    LoginAttempt,
    Role,
    RoleAssignment,
    SignInStage,
    User,
    backup_code_digest,
)
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.lib.crypto import keyed_hash
from kinga.notifications.services import notify

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


# Enough failures to reach the longest delay; the count never needs more.
_FAILURES_COUNTED = 64


def _last_full_sign_in(since: datetime, **who: str) -> datetime:
    """Return the later of `since` and the last full sign-in (password and code) by `who`."""
    last_ok = (
        LoginAttempt.objects.filter(succeeded=True, stage=SignInStage.TWO_FACTOR, at__gte=since)
        .filter(**who)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return last_ok if last_ok is not None else since


def _failures_since(*, since: datetime, **who: str) -> list[datetime]:
    """Return the times of `who`'s failed attempts after `since`, newest first."""
    return list(
        LoginAttempt.objects.filter(succeeded=False, at__gt=since)
        .filter(**who)
        .order_by("-at")
        .values_list("at", flat=True)[:_FAILURES_COUNTED]
    )


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
    if device:
        seen = _failures_since(since=_last_full_sign_in(since, device=device), device=device)
        return _hold(seen, settings.KINGA_SIGNIN_DEVICE_FREE_FAILURES, "device", now)
    lifted = (
        User.objects.filter(username__iexact=name)
        .values_list("sign_in_throttle_lifted_at", flat=True)
        .first()
    )
    if lifted is not None and lifted > since:
        since = lifted
    account_since = _last_full_sign_in(since, username=name)
    holds = [
        _hold(
            _failures_since(since=account_since, username=name, device=""),
            settings.KINGA_SIGNIN_ACCOUNT_FREE_FAILURES,
            "account",
            now,
        )
    ]
    if address:
        holds.append(
            _hold(
                _failures_since(since=since, address=address, device=""),
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
    """Audit that a sign-in was refused because it must wait (its code says which count)."""
    audit_record(
        action=AuditAction.LOCKED_OUT,
        actor=None,
        actor_label=username[:150],
        detail={"code": f"throttled:{hold.scope}"},
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
        detail={"code": "sign_in_throttle_lifted"},
    )


def totp_device_for(*, user: User) -> Authenticator | None:
    """Return the user's confirmed authenticator, if they have one."""
    device: Authenticator | None = Authenticator.objects.filter(user=user, confirmed=True).first()
    return device


@transaction.atomic
def totp_enrolment_start(*, user: User) -> Authenticator:
    """Return the user's unconfirmed authenticator, making one with a new secret if needed."""
    device: Authenticator | None = Authenticator.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = Authenticator.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def totp_enrolment_confirm(*, user: User, device: Authenticator) -> list[str]:
    """Confirm the authenticator, replace old ones, and return fresh backup codes."""
    Authenticator.objects.filter(user=user).exclude(pk=device.pk).delete()
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
def authenticator_ensure(*, user: User) -> Authenticator:
    """Return the user's confirmed authenticator, making one (demo data, benchmarks, tests)."""
    device = totp_device_for(user=user)
    if device is None:
        device = Authenticator.objects.create(user=user, name="authenticator", confirmed=True)
    return device


@transaction.atomic
def backup_codes_replace(*, user: User) -> list[str]:
    """Replace the user's backup codes with new single-use ones and return them (shown once).

    Only their keyed hashes are stored.
    """
    device, _created = BackupCodes.objects.get_or_create(user=user, name="backup")
    device.codes.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(
        [
            BackupCode(device=device, digest=backup_code_digest(user_id=user.pk, code=code))
            for code in codes
        ]
    )
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
# apps' records (or, as "app.model", one model of an app) and read the audit log; nothing
# else. Case content never appears here: a new app's models stay out of the Administrators
# group unless added to this table.
ADMINISTRATORS_GROUP = "Administrators"
ADMINISTRATOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "accounts": ("add", "change", "delete", "view"),
    "places": ("add", "change", "delete", "view"),
    "audit": ("view",),
    # the fallback chain of danger alerts: who is alerted, in which order (no report content)
    "intake.alertstep": ("add", "change", "delete", "view"),
}


def administrators_group() -> Group:
    """Return the Administrators group, its permissions set to exactly the table above."""
    group, _ = Group.objects.get_or_create(name=ADMINISTRATORS_GROUP)
    wanted = Q(pk__in=[])
    for scope, actions in ADMINISTRATOR_PERMISSIONS.items():
        app_label, _dot, model = scope.partition(".")
        where = Q(content_type__app_label=app_label)
        if model:
            where &= Q(content_type__model=model)
        for action in actions:
            wanted |= where & Q(codename__startswith=f"{action}_")
    group.permissions.set(Permission.objects.filter(wanted))
    return group


# Roles that open case content: every role with a row in the access policy. Giving one,
# moving its holder to another agency, or re-activating its holder needs a second person.
CASE_ROLES: frozenset[str] = frozenset(role for role, _relation in POLICY)
# Giving the administrator role also waits for another administrator: otherwise one
# administrator could make a second administrator account and approve their own requests
# with it wherever an agency has no supervisor.
APPROVED_ROLES: frozenset[str] = CASE_ROLES | {Role.ADMIN}


def roles_validate(roles: set[str]) -> None:
    """Refuse a set of roles that combines administration with a role that opens cases."""
    mixed = sorted(set(roles) & CASE_ROLES)
    if Role.ADMIN in roles and mixed:
        raise ValidationError(
            _(
                "An administrator holds no case role while they administer: remove the "
                "administrator role or %(roles)s."
            )
            % {"roles": ", ".join(str(Role(role).label) for role in mixed)},
            code="admin_with_case_role",
        )


def _change_detail(
    *,
    roles: tuple[set[str], set[str]] | None = None,
    agency: tuple[int | None, int | None] | None = None,
    active: tuple[bool, bool] | None = None,
) -> dict[str, Any]:
    """Return the old and new values of what changed: role slugs, agency ids, flags."""
    detail: dict[str, Any] = {}
    if roles is not None and roles[0] != roles[1]:
        detail["roles"] = {"old": sorted(roles[0]), "new": sorted(roles[1])}
    if agency is not None and agency[0] != agency[1]:
        detail["agency"] = {"old": agency[0], "new": agency[1]}
    if active is not None and active[0] != active[1]:
        detail["is_active"] = {"old": active[0], "new": active[1]}
    return detail


def _roles_apply(*, user: User, roles: set[str], actor: User | None) -> set[str]:
    """Make the user's roles exactly `roles` (no checks, no audit); return the old ones."""
    current = set(user.roles.values_list("role", flat=True))
    RoleAssignment.objects.filter(user=user, role__in=current - roles).delete()
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=role) for role in sorted(roles - current)]
    )
    if hasattr(user, "_role_cache"):
        del user._role_cache
    _admin_access_sync(user=user, is_admin=Role.ADMIN in roles, actor=actor)
    return current


@transaction.atomic
def user_roles_set(*, user: User, roles: set[str], actor: User | None) -> None:
    """Make the user's roles exactly `roles` at once, auditing the old and the new roles.

    For the bootstrap (`actor` None: the command line, demo data, tests) and for changes
    that reveal no case content. Giving a case role on someone's word goes through
    `user_access_change`, which waits for a second person.

    The administrator role is also what opens the Django admin: holding it makes the user
    staff and a member of the Administrators group; losing it takes both away.
    """
    roles = {str(role) for role in roles}
    roles_validate(roles)
    current = set(user.roles.values_list("role", flat=True))
    if actor is not None and (roles - current) & APPROVED_ROLES:
        raise PermissionDenied("This role is given through user_access_change, approved.")
    if roles == current:
        _admin_access_sync(user=user, is_admin=Role.ADMIN in roles, actor=actor)
        return
    _roles_apply(user=user, roles=roles, actor=actor)
    audit_record(
        action=AuditAction.ROLE_CHANGE,
        actor=actor,
        record_type="accounts.user",
        record_id=user.pk,
        fields=["roles"],
        detail={
            **_change_detail(roles=(current, roles)),
            "added": sorted(roles - current),
            "removed": sorted(current - roles),
        },
    )


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


def administrators() -> QuerySet[User]:
    """Return the active administrators: the admin role, or the operator's superusers."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(roles__role=Role.ADMIN) | Q(is_superuser=True))
        .distinct()
    )


def access_change_approvers(*, change: AccessChangeRequest) -> list[User]:
    """Return who may decide the change: never the person who asked, never its subject.

    The active supervisors of the agency it concerns (for a move, the agency the user
    moves to); when that agency has none besides those two, or when the change makes
    someone an administrator, the other administrators.
    """
    excluded = [change.requested_by_id, change.subject_id]
    if change.approving_agency_id is not None and Role.ADMIN not in change.roles_added:
        supervisors = list(
            User.objects.filter(
                is_active=True,
                agency_id=change.approving_agency_id,
                roles__role=Role.SUPERVISOR,
            )
            .exclude(pk__in=excluded)
            .distinct()
        )
        if supervisors:
            return supervisors
    return list(administrators().exclude(pk__in=excluded))


def access_change_may_decide(*, change: AccessChangeRequest, user: User) -> bool:
    """Return whether the user may approve or refuse the change."""
    return any(person.pk == user.pk for person in access_change_approvers(change=change))


def _agency_supervisors(agency_ids: set[int | None]) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            agency_id__in=[pk for pk in agency_ids if pk is not None],
            roles__role=Role.SUPERVISOR,
        ).distinct()
    )


def _tell(people: list[User], text: str, actor: User) -> None:
    # In-app notices only (no SMS or email leaves here), so they are written in the same
    # transaction as the change: a notice exists exactly when the change does.
    link = reverse("accounts:access_changes")
    notify(recipients=people, text=text, link=link, kind="access_change", actor=actor)


@transaction.atomic
def user_access_change(
    *,
    user: User,
    actor: User,
    roles: set[str],
    agency: Agency | None,
    is_active: bool,
) -> AccessChangeRequest | None:
    """Change a user's roles, agency and activity as an administrator asked.

    What only takes access away (removing a role, deactivating, a role that opens no case)
    takes effect at once. What would reveal case content (adding a role of the access
    policy, moving the holder of one to another agency, re-activating them) or make an
    administrator becomes an
    `AccessChangeRequest` that a second person decides; return it, or None if none was
    needed. A later request for the same user replaces a pending one.
    """
    roles = {str(role) for role in roles}
    roles_validate(roles)
    stored = User.objects.select_for_update().get(pk=user.pk)
    current = set(stored.roles.values_list("role", flat=True))
    agency_id = agency.pk if agency is not None else None
    case_roles_after = roles & CASE_ROLES
    added_case = (roles - current) & APPROVED_ROLES
    moves_with_case_role = (
        agency_id != stored.agency_id and agency_id is not None and bool(case_roles_after)
    )
    reactivates_case_role = is_active and not stored.is_active and bool(case_roles_after)

    # At once: everything but the revealing parts.
    now_roles = roles - added_case
    now_agency = stored.agency_id if moves_with_case_role else agency_id
    now_active = stored.is_active if reactivates_case_role else is_active
    detail = _change_detail(
        roles=(current, now_roles),
        agency=(stored.agency_id, now_agency),
        active=(stored.is_active, now_active),
    )
    if detail:
        if now_roles != current:
            _roles_apply(user=stored, roles=now_roles, actor=actor)
        stored.agency_id = now_agency
        stored.is_active = now_active
        stored.full_clean(exclude=["password"])
        stored.save(update_fields=["agency", "is_active"])
        audit_record(
            action=AuditAction.ROLE_CHANGE,
            actor=actor,
            record_type="accounts.user",
            record_id=stored.pk,
            fields=sorted(
                {"roles": "roles", "agency": "agency", "is_active": "is_active"}[key]
                for key in detail
            ),
            detail=detail,
        )
    user.agency_id, user.is_active = stored.agency_id, stored.is_active
    if hasattr(user, "_role_cache"):
        del user._role_cache

    if not (added_case or moves_with_case_role or reactivates_case_role):
        return None
    AccessChangeRequest.objects.filter(subject=stored, state=AccessChangeState.PENDING).update(
        state=AccessChangeState.SUPERSEDED, decided_at=timezone.now()
    )
    change = AccessChangeRequest(
        subject=stored,
        requested_by=actor,
        roles_before=sorted(now_roles),
        roles_after=sorted(now_roles | added_case),
        agency_before_id=stored.agency_id,
        agency_after_id=agency_id if moves_with_case_role else stored.agency_id,
        reactivate=reactivates_case_role,
        approving_agency_id=agency_id if moves_with_case_role else stored.agency_id,
    )
    change.full_clean()
    change.save()
    audit_record(
        action=AuditAction.ROLE_CHANGE,
        actor=actor,
        record_type="accounts.accesschangerequest",
        record_id=change.pk,
        fields=["roles", "agency", "is_active"],
        detail={
            "code": "access_change_requested",
            "subject": stored.pk,
            "state": AccessChangeState.PENDING,
            **_change_detail(
                roles=(set(change.roles_before), set(change.roles_after)),
                agency=(change.agency_before_id, change.agency_after_id),
                active=(stored.is_active, stored.is_active or change.reactivate),
            ),
        },
    )
    told = {person.pk: person for person in access_change_approvers(change=change)}
    for person in _agency_supervisors({change.agency_before_id, change.agency_after_id}):
        told.setdefault(person.pk, person)
    _tell(
        list(told.values()),
        _("A change of a user's roles or agency awaits a second person's approval."),
        actor,
    )
    return change


@transaction.atomic
def access_change_approve(*, change: AccessChangeRequest, actor: User) -> None:
    """Approve a pending change and apply it, if the actor may decide it and it still fits."""
    change = AccessChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.state != AccessChangeState.PENDING:
        raise ValidationError(_("This change has already been decided."), code="decided")
    if not access_change_may_decide(change=change, user=actor):
        raise PermissionDenied("Only a second person with authority over the agency decides.")
    subject = User.objects.select_for_update().get(pk=change.subject_id)
    if subject.agency_id != change.agency_before_id:
        raise ValidationError(
            _("The user's agency has changed since this was asked; ask again."), code="stale"
        )
    current = set(subject.roles.values_list("role", flat=True))
    roles = current | set(change.roles_added)
    roles_validate(roles)
    detail = _change_detail(
        roles=(current, roles),
        agency=(subject.agency_id, change.agency_after_id),
        active=(subject.is_active, subject.is_active or change.reactivate),
    )
    _roles_apply(user=subject, roles=roles, actor=actor)
    subject.agency_id = change.agency_after_id
    subject.is_active = subject.is_active or change.reactivate
    subject.save(update_fields=["agency", "is_active"])
    change.state = AccessChangeState.APPROVED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        action=AuditAction.ROLE_CHANGE,
        actor=actor,
        record_type="accounts.user",
        record_id=subject.pk,
        fields=sorted(
            {"roles": "roles", "agency": "agency", "is_active": "is_active"}[key] for key in detail
        ),
        detail={
            "code": "access_change_approved",
            "request": change.pk,
            "state": AccessChangeState.APPROVED,
            **detail,
        },
    )
    _tell_decided(change=change, actor=actor)


@transaction.atomic
def access_change_refuse(*, change: AccessChangeRequest, actor: User) -> None:
    """Refuse a pending change: nothing of it takes effect."""
    change = AccessChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.state != AccessChangeState.PENDING:
        raise ValidationError(_("This change has already been decided."), code="decided")
    if not access_change_may_decide(change=change, user=actor):
        raise PermissionDenied("Only a second person with authority over the agency decides.")
    change.state = AccessChangeState.REFUSED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        action=AuditAction.ROLE_CHANGE,
        actor=actor,
        record_type="accounts.accesschangerequest",
        record_id=change.pk,
        fields=["state"],
        detail={
            "code": "access_change_refused",
            "subject": change.subject_id,
            "state": AccessChangeState.REFUSED,
        },
    )
    _tell_decided(change=change, actor=actor)


def _tell_decided(*, change: AccessChangeRequest, actor: User) -> None:
    told = {
        person.pk: person
        for person in _agency_supervisors({change.agency_before_id, change.agency_after_id})
    }
    told.setdefault(change.requested_by_id, change.requested_by)
    text = (
        _("A change of a user's roles or agency was approved.")
        if change.state == AccessChangeState.APPROVED
        else _("A change of a user's roles or agency was refused.")
    )
    _tell([person for person in told.values() if person.pk != actor.pk], text, actor)


# User fields that change who sees what: edited only through `user_access_change`.
ACCESS_FIELDS = frozenset({"agency", "is_active"})


@transaction.atomic
def admin_record_save(
    *, record: Agency | User, actor: User, fields: list[str], created: bool
) -> None:
    """Save an agency or user edited in the admin, auditing which fields changed.

    A user's agency and activity are audited with their old and new values here; on an
    existing user they are changed through `user_access_change`, not here.
    """
    detail: dict[str, Any] = {}
    if isinstance(record, User) and not created:
        stored = User.objects.filter(pk=record.pk).values("agency_id", "is_active").get()
        detail = _change_detail(
            agency=(stored["agency_id"], record.agency_id),
            active=(stored["is_active"], record.is_active),
        )
    record.full_clean(exclude=["password"] if isinstance(record, User) else None)
    record.save()
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        actor=actor,
        record_type=f"accounts.{record._meta.model_name}",
        record_id=record.pk,
        fields=[name for name in fields if name not in {"password1", "password2"}],
        detail=detail or None,
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
    """Create a staff user in an agency with roles; the caller validated the password.

    With an actor, roles that open cases wait for approval (`user_access_change`); without
    one (the command line, demo data, tests) they are given at once.
    """
    roles = {str(role) for role in roles}
    roles_validate(roles)
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
        detail={"agency": {"old": None, "new": user.agency_id}},
    )
    if actor is None:
        user_roles_set(user=user, roles=roles, actor=None)
    else:
        user_access_change(user=user, actor=actor, roles=roles, agency=agency, is_active=True)
    return user
