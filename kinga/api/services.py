"""Writes of the api app: integrations, their tokens, and reports filed through the API.

An administrator registers an integration (a named system of an agency) and issues its
tokens; scopes that reveal case content wait for a second person with authority over the
agency (`integration_scopes_approve`). A token is shown once and stored as a keyed hash.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.accounts.models import Agency, Role, User
from kinga.accounts.services import administrators
from kinga.api.models import (
    CONTENT_SCOPES,
    Integration,
    Scope,
    Subscription,
    Token,
    WebhookEvent,
)
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.directory.models import ServiceType
from kinga.intake.models import Channel, Report
from kinga.intake.services import CallInput, ReportInput, report_log_call
from kinga.intake.services.reports import by_reference
from kinga.lib.crypto import keyed_hash
from kinga.places.models import County, SubCounty, Ward

INTEGRATION_RECORD = "api.integration"
TOKEN_RECORD = "api.token"  # noqa: S105  # a record type, not a secret
TOKEN_PREFIX = "kinga_"  # noqa: S105  # the public start of every token
# How long a token lives unless the administrator says otherwise, and at most.
TOKEN_LIFETIME = timedelta(days=90)
TOKEN_LIFETIME_MAX = timedelta(days=366)
# When a token is rotated, the old one keeps working this long so the system can switch.
ROTATION_OVERLAP = timedelta(hours=24)
CALL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def token_hash(secret: str) -> str:
    """Return the keyed hash a token is stored and looked up by."""
    return keyed_hash(secret, purpose="api-token")


def _account_for(name: str, agency: Agency) -> User:
    """Create the integration's system account: no password, no role, cannot sign in."""
    username = f"integration-{secrets.token_hex(6)}"
    account = User(username=username, agency=agency, first_name=name[:150], is_active=True)
    account.set_unusable_password()
    account.full_clean()
    account.save()
    return account


def _require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied(_("Only an administrator registers integrations."))


def _clean_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise ValidationError({"scopes": _("Unknown scopes: %s") % ", ".join(unknown)})
    return [scope for scope in Scope.values if scope in scopes]


def _audit_integration(
    integration: Integration, actor: User, action: str, fields: list[str], code: str
) -> None:
    audit_record(
        action=action,
        actor=actor,
        record_type=INTEGRATION_RECORD,
        record_id=integration.pk,
        fields=fields,
        detail={
            "code": code,
            "agency": integration.agency_id,
            "scopes": list(integration.scopes),
            "scopes_pending": list(integration.scopes_pending),
        },
    )


@transaction.atomic(durable=True)
def integration_register(
    *,
    actor: User,
    agency: Agency,
    name: str,
    scopes: list[str],
    rate_per_minute: int = 120,
) -> Integration:
    """Register a named system of an agency with the scopes it asks for.

    Scopes that reveal case content wait for a second person's approval; the others are in
    force at once.
    """
    _require_admin(actor)
    wanted = _clean_scopes(scopes)
    integration = Integration(
        name=name.strip(),
        agency=agency,
        scopes=[scope for scope in wanted if scope not in CONTENT_SCOPES],
        scopes_pending=[scope for scope in wanted if scope in CONTENT_SCOPES],
        requested_by=actor,
        rate_per_minute=rate_per_minute,
    )
    # the account first: the integration's check needs it; a refusal rolls both back
    integration.account = _account_for(name.strip(), agency)
    integration.full_clean()
    integration.save()
    _audit_integration(
        integration, actor, AuditAction.CREATE, ["name", "agency", "scopes"], "registered"
    )
    return integration


def scope_approvers(*, integration: Integration) -> list[User]:
    """Return who may approve the integration's pending scopes: never the one who asked.

    The active supervisors of its agency; when it has none besides the requester, the
    other administrators.
    """
    supervisors = list(
        User.objects.filter(
            is_active=True, agency_id=integration.agency_id, roles__role=Role.SUPERVISOR
        )
        .exclude(pk=integration.requested_by_id)
        .distinct()
    )
    if supervisors:
        return supervisors
    return list(administrators().exclude(pk=integration.requested_by_id))


def scope_may_approve(*, integration: Integration, user: User) -> bool:
    """Return whether the user may approve the integration's pending scopes."""
    return any(person.pk == user.pk for person in scope_approvers(integration=integration))


@transaction.atomic(durable=True)
def integration_scopes_approve(*, actor: User, integration: Integration) -> Integration:
    """Put the pending scopes in force: a second person with authority over the agency."""
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    if not integration.scopes_pending:
        raise ValidationError(_("Nothing waits for approval."), code="decided")
    if not scope_may_approve(integration=integration, user=actor):
        raise PermissionDenied(_("Only a second person with authority over the agency approves."))
    integration.scopes = _clean_scopes([*integration.scopes, *integration.scopes_pending])
    integration.scopes_pending = []
    integration.approved_by = actor
    integration.full_clean()
    integration.save(update_fields=["scopes", "scopes_pending", "approved_by"])
    _audit_integration(
        integration, actor, AuditAction.PERMISSION_CHANGE, ["scopes"], "scopes_approved"
    )
    return integration


@transaction.atomic(durable=True)
def integration_deactivate(*, actor: User, integration: Integration) -> Integration:
    """Stop the integration: every token of it is refused from the next call on."""
    _require_admin(actor)
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    integration.is_active = False
    integration.save(update_fields=["is_active"])
    account = integration.account
    account.is_active = False
    account.save(update_fields=["is_active"])
    _audit_integration(integration, actor, AuditAction.PERMISSION_CHANGE, ["is_active"], "stopped")
    return integration


@dataclass(frozen=True)
class IssuedToken:
    """A token just issued: the secret is here once and never again."""

    token: Token
    secret: str


def _issue(
    *,
    integration: Integration,
    actor: User,
    scopes: list[str],
    expires_at: datetime,
    now: datetime,
    replaces: Token | None = None,
) -> IssuedToken:
    wanted = _clean_scopes(scopes)
    if not wanted:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    asked = set(integration.scopes) | set(integration.scopes_pending)
    outside = sorted(set(wanted) - asked)
    if outside:
        raise ValidationError(
            {"scopes": _("The integration was not registered for: %s") % ", ".join(outside)}
        )
    if expires_at <= now:
        raise ValidationError({"expires_at": _("A token must expire in the future.")})
    if expires_at > now + TOKEN_LIFETIME_MAX:
        raise ValidationError({"expires_at": _("A token may live at most a year.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = Token(
        integration=integration,
        secret_hash=token_hash(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        scopes=wanted,
        created_by=actor,
        created_at=now,
        expires_at=expires_at,
        replaces=replaces,
    )
    token.full_clean()
    token.save()
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        record_type=TOKEN_RECORD,
        record_id=token.pk,
        fields=["scopes", "expires_at"],
        detail={
            "code": "token_rotated" if replaces is not None else "token_issued",
            "integration": integration.pk,
            "scopes": wanted,
            "replaces": replaces.pk if replaces is not None else None,
        },
    )
    return IssuedToken(token=token, secret=secret)


@transaction.atomic(durable=True)
def token_issue(
    *,
    actor: User,
    integration: Integration,
    scopes: list[str],
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Issue a token with some of the integration's scopes; return it with its secret."""
    _require_admin(actor)
    if not integration.is_active:
        raise ValidationError(_("This integration is stopped."), code="stopped")
    now = now or timezone.now()
    return _issue(
        integration=integration,
        actor=actor,
        scopes=scopes,
        expires_at=expires_at or now + TOKEN_LIFETIME,
        now=now,
    )


@transaction.atomic(durable=True)
def token_rotate(*, actor: User, token: Token, now: datetime | None = None) -> IssuedToken:
    """Issue a token to replace this one; the old one works for a day more, then stops."""
    _require_admin(actor)
    now = now or timezone.now()
    old = Token.objects.select_for_update().select_related("integration").get(pk=token.pk)
    if not old.is_live(now):
        raise ValidationError(_("Only a live token is rotated; issue a new one."), code="dead")
    if not old.integration.is_active:
        raise ValidationError(_("This integration is stopped."), code="stopped")
    issued = _issue(
        integration=old.integration,
        actor=actor,
        scopes=list(old.scopes),
        expires_at=now + TOKEN_LIFETIME,
        now=now,
        replaces=old,
    )
    old.expires_at = min(old.expires_at, now + ROTATION_OVERLAP)
    old.save(update_fields=["expires_at"])
    return issued


@transaction.atomic(durable=True)
def token_revoke(*, actor: User, token: Token, now: datetime | None = None) -> Token:
    """Refuse the token from the next call on."""
    _require_admin(actor)
    token = Token.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = now or timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        record_type=TOKEN_RECORD,
        record_id=token.pk,
        fields=["revoked_at"],
        detail={"code": "token_revoked", "integration": token.integration_id},
    )
    return token


# Reports filed through the API -------------------------------------------------------


def call_reference(integration: Integration, call_id: str) -> str:
    """Return the report's channel reference for the integration's own call id."""
    return f"api:{integration.pk}:{call_id}"


def _check_places(data: ReportInput) -> None:
    """Refuse a place id the gazetteer does not hold, naming the field."""
    for name, model in (("county_id", County), ("sub_county_id", SubCounty), ("ward_id", Ward)):
        value = getattr(data, name)
        if value is not None and not model.objects.filter(pk=value).exists():
            raise ValidationError({name: _("No such place in the gazetteer.")})


@dataclass(frozen=True)
class FiledReport:
    """A report filed through the API; `follow_up_code` only the first time."""

    report: Report
    created: bool
    follow_up_code: str


def report_file(
    *,
    actor: User,
    integration: Integration,
    call_id: str,
    data: ReportInput,
    call: CallInput,
) -> FiledReport:
    """File a helpline call as a report through intake's pipeline, once per call id.

    The same call id again returns the report the first filing made (created False),
    however many times and however concurrently it is posted: the database's unique
    reference decides. Not atomic itself: intake's `report_log_call` is the one durable
    transaction, and a retry after a lost race only reads.
    """
    if not CALL_ID.match(call_id):
        raise ValidationError(
            {"call_id": _("Use 1 to 64 letters, digits, dots, colons, hyphens or underscores.")}
        )
    reference = call_reference(integration, call_id)
    existing = by_reference(Channel.HELPLINE, reference).first()
    if existing is not None:
        return FiledReport(report=existing, created=False, follow_up_code="")
    _check_places(data)
    try:
        report, code = report_log_call(operator=actor, data=data, call=call, reference=reference)
    except (IntegrityError, ValidationError):
        # a concurrent filing of the same call won the unique reference (the database's
        # refusal, or the model's check if it committed first): answer with its report
        existing = by_reference(Channel.HELPLINE, reference).first()
        if existing is None:
            raise
        return FiledReport(report=existing, created=False, follow_up_code="")
    return FiledReport(report=report, created=True, follow_up_code=code)


# Referrals a partner's system sends in -----------------------------------------------

# What a referral in keeps besides the report's own fields, in the report's channel
# payload (encrypted): the partner's reference and the services it asks for.
REFERRAL_IN_KEYS = ("reference", "services", "integration")


def referral_in_reference(integration: Integration, reference: str) -> str:
    """Return the report's channel reference for the partner's own reference: one per
    integration, so two partners' references never meet."""
    return f"api:{integration.pk}:{reference}"


@dataclass(frozen=True)
class ReferralIn:
    """A partner's referral in, as the report it became; `created` the first time only."""

    report: Report
    created: bool
    reference: str


def referral_receive(
    *,
    actor: User,
    integration: Integration,
    reference: str,
    services: list[str],
    data: ReportInput,
) -> ReferralIn:
    """Take a child a partner's system refers in as a report to triage, once per reference.

    The partner does not know Kinga's cases, so a referral in goes where every report goes:
    through intake's one pipeline (`report_log_call` on `Channel.PARTNER`: checked, routed to
    the county's triage, a danger alert raised in the same transaction), marked as from the
    integration's agency with the partner's own reference and the services it asks for;
    triage opens a case from it or links it to one. Its reason is the report's words. The
    same reference again returns the first report (created False), however concurrently
    it is posted: the database's unique reference decides, as for a helpline call. Not
    atomic itself: intake's `report_log_call` is the one durable transaction.
    """
    if not CALL_ID.match(reference):
        raise ValidationError(
            {"reference": _("Use 1 to 64 letters, digits, dots, colons, hyphens or underscores.")}
        )
    unknown = sorted(set(services) - set(ServiceType.values))
    if not services or unknown:
        raise ValidationError({"services": _("Name at least one service type of the directory.")})
    if not data.narrative.strip():
        raise ValidationError({"reason": _("Say why the child is referred.")})
    key = referral_in_reference(integration, reference)
    existing = by_reference(Channel.PARTNER, key).first()
    if existing is not None:
        return ReferralIn(report=existing, created=False, reference=reference)
    _check_places(data)
    payload = {
        "reference": reference,
        "services": [item for item in ServiceType.values if item in services],
        "integration": integration.pk,
    }
    try:
        report, _code = report_log_call(
            operator=actor, data=data, channel=Channel.PARTNER, reference=key, payload=payload
        )
    except (IntegrityError, ValidationError):
        # a concurrent post of the same reference won the unique reference: answer with it
        existing = by_reference(Channel.PARTNER, key).first()
        if existing is None:
            raise
        return ReferralIn(report=existing, created=False, reference=reference)
    return ReferralIn(report=report, created=True, reference=reference)


# Webhook subscriptions ----------------------------------------------------------------

SUBSCRIPTION_RECORD = "api.subscription"
SUBSCRIPTIONS_MAX = 20
# The read scope each event needs in force: a subscription is never wider than the reads.
EVENT_READ_SCOPE: dict[str, str] = {
    WebhookEvent.REFERRAL_SENT: Scope.REFERRAL_READ,
    WebhookEvent.REFERRAL_CHANGED: Scope.REFERRAL_READ,
    WebhookEvent.REPORT_CHANGED: Scope.REPORT_READ,
    WebhookEvent.HEARING_SET: Scope.JUSTICE_READ,
}


@dataclass(frozen=True)
class NewSubscription:
    """A subscription just made: its signing secret is here once and never again."""

    subscription: Subscription
    secret: str


@transaction.atomic(durable=True)
def subscription_create(
    *, actor: User, integration: Integration, event: str, url: str
) -> NewSubscription:
    """Subscribe the integration to an event it may see, at an https address."""
    if event not in WebhookEvent.values:
        raise ValidationError({"event": _("Unknown event.")})
    needed = EVENT_READ_SCOPE[event]
    if needed not in integration.scopes:
        raise ValidationError(
            {"event": _("This integration may not see these events: it lacks %s.") % needed}
        )
    if integration.subscriptions.filter(is_active=True).count() >= SUBSCRIPTIONS_MAX:
        raise ValidationError(_("End a subscription before adding another."), code="too_many")
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = Subscription(
        integration=integration, event=event, url=url.strip(), secret=secret
    )
    subscription.full_clean()
    subscription.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type=SUBSCRIPTION_RECORD,
        record_id=subscription.pk,
        fields=["event", "url"],
        detail={"event": event, "integration": integration.pk},
    )
    return NewSubscription(subscription=subscription, secret=secret)


@transaction.atomic(durable=True)
def subscription_end(*, actor: User, subscription: Subscription) -> Subscription:
    """End a subscription: nothing more is delivered to it, waiting deliveries included."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.is_active:
        subscription.is_active = False
        subscription.ended_at = timezone.now()
        subscription.save(update_fields=["is_active", "ended_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            record_type=SUBSCRIPTION_RECORD,
            record_id=subscription.pk,
            fields=["is_active"],
            detail={"code": "ended", "integration": subscription.integration_id},
        )
    return subscription
