"""Integrations: named systems of an agency that call the open API, and their tokens.

An integration is a principal of its own. It acts through a *system account* (a `User`
with no password, no role assignment and no way to sign in to the pages), so every service
and selector it reaches through the API applies the same policy and writes the same audit
events as for a person, naming that account. What the account may see is the policy's
`integration` row (`kinga.access.policy.INTEGRATION`), never a person's role, and within
it what the token's scopes allow.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import Agency, AgencyKind
from kinga.intake.models import EachOf
from kinga.lib.fields import EncryptedTextField


class Scope(models.TextChoices):
    """What a token may ask of the API. Each endpoint names the one it needs."""

    REPORT_WRITE = "report:write", _("File reports (helpline calls)")
    REPORT_READ = "report:read", _("Read the triage state of the reports it filed")
    REFERRAL_READ = "referral:read", _("Read the referrals made to its agency")
    REFERRAL_WRITE = "referral:write", _("Accept, decline and complete those referrals")
    DIRECTORY_READ = "directory:read", _("Read the service directory")
    WEBHOOK_MANAGE = "webhook:manage", _("Subscribe to events it may see")
    CASE_READ = "case:read", _("Read the summaries of the cases its agency is on the team of")
    JUSTICE_READ = "justice:read", _("Read the court dates of those cases")
    FIGURES_READ = "figures:read", _("Read aggregate figures, small counts hidden")
    REFERRAL_SEND = "referral:send", _("Refer a child in: it arrives in triage as a report")


# Scopes that reveal case content: they take effect only when a second person with
# authority over the agency approves them (DESIGN.md 3.1, separation of duties).
# `referral:send` is not one: it writes a report into triage and reads back only that
# report's triage state (with `report:read`), as `report:write` does; it shows no case.
CONTENT_SCOPES = frozenset(
    {Scope.REFERRAL_READ, Scope.REFERRAL_WRITE, Scope.CASE_READ, Scope.JUSTICE_READ}
)

# Scopes only some kinds of agency may hold, because only their people may do it on the
# pages: the API is never wider than the web. (`report:read` is not here: it reads only the
# reports the integration itself filed, a helpline's calls or a partner's referrals in.)
SCOPE_AGENCY_KINDS: dict[str, frozenset[str]] = {
    Scope.REPORT_WRITE: frozenset({AgencyKind.HELPLINE}),
}


def scope_allowed_for(scope: str, agency_kind: str) -> bool:
    """Return whether an integration of an agency of that kind may hold the scope."""
    kinds = SCOPE_AGENCY_KINDS.get(scope)
    return kinds is None or agency_kind in kinds


class Integration(models.Model):
    """A named system of one agency (its helpline's call system, a partner's case system)."""

    name = models.CharField(_("name"), max_length=120)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="integrations"
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("system account"),
        on_delete=models.PROTECT,
        related_name="integration",
    )
    # Scopes in force, and scopes asked for that wait for a second person's approval.
    scopes = models.JSONField(
        _("scopes"), default=list, blank=True, validators=[EachOf(Scope.values)]
    )
    scopes_pending = models.JSONField(
        _("scopes awaiting approval"),
        default=list,
        blank=True,
        validators=[EachOf(Scope.values)],
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rate_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=120,
        help_text=_("Each token of this integration may make this many calls a minute."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="api_integration_name_once"),
            models.CheckConstraint(
                condition=models.Q(rate_per_minute__gte=1, rate_per_minute__lte=6000),
                name="api_integration_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"

    def clean(self) -> None:
        kind = self.agency.kind if self.agency_id is not None else ""
        refused = [
            scope
            for scope in [*self.scopes, *self.scopes_pending]
            if not scope_allowed_for(scope, kind)
        ]
        if refused:
            raise ValidationError(
                {
                    "scopes": _(
                        "An agency of this kind may not hold %(scopes)s: its people cannot do "
                        "that on the pages either."
                    )
                    % {"scopes": ", ".join(sorted(refused))}
                }
            )

    @property
    def account_username(self) -> str:
        return self.account.username


class Token(models.Model):
    """A bearer token of an integration: shown once, stored as a keyed hash, expiring."""

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="tokens")
    # The keyed hash (HMAC under the index key) of the whole token: the lookup key.
    secret_hash = models.CharField(max_length=64, unique=True)
    # The first characters, shown to administrators so they can tell tokens apart.
    prefix = models.CharField(_("begins with"), max_length=16)
    scopes = models.JSONField(_("scopes"), default=list, validators=[EachOf(Scope.values)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("token")
        verbose_name_plural = _("tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.integration.name})"

    def is_live(self, now: datetime | None = None) -> bool:
        """Return whether the token opens the API now: not revoked, not expired."""
        return self.revoked_at is None and self.expires_at > (now or timezone.now())


class WebhookEvent(models.TextChoices):
    """What a subscription may ask to be told: only about records its integration may see."""

    REFERRAL_SENT = "referral.sent", _("A referral was made to the agency")
    REFERRAL_CHANGED = "referral.changed", _("A referral made to the agency changed state")
    REPORT_CHANGED = "report.changed", _("A report the integration filed was triaged")
    HEARING_SET = (
        "hearing.set",
        _("A hearing was set or moved in a case the agency is on the team of"),
    )


class Subscription(models.Model):
    """An integration's request to be told of an event, at a URL, signed with a secret."""

    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="subscriptions"
    )
    event = models.CharField(_("event"), max_length=32, choices=WebhookEvent.choices)
    url = models.URLField(_("address"), max_length=500)
    # The HMAC key deliveries are signed with; encrypted at rest, shown once on creation.
    secret = EncryptedTextField(_("signing secret"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]
        indexes = [
            # fan-out: the live subscriptions to one event
            models.Index(fields=["event", "is_active"], name="api_subscription_event"),
        ]

    def __str__(self) -> str:
        return f"{self.integration.name}: {self.event}"

    def clean(self) -> None:
        if self.url and not self.url.startswith("https://"):
            raise ValidationError({"url": _("Use an https:// address.")})


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Given up")


class Delivery(models.Model):
    """One event for one subscription, and how its delivery went: the delivery log."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=32, choices=WebhookEvent.choices)
    # What it is about: a record's type and id, and the audit event that said it changed.
    record_type = models.CharField(max_length=64)
    record_id = models.BigIntegerField()
    audit_seq = models.PositiveBigIntegerField()
    state = models.CharField(
        _("state"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    # A code (http_500, timeout, refused_address...), never a body or a message.
    last_error = models.CharField(_("last error"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        constraints = [
            # a rerun of the fan-out never delivers the same change twice
            models.UniqueConstraint(
                fields=["subscription", "audit_seq"], name="api_delivery_once_per_change"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.state})"


class FanOutMark(models.Model):
    """How far the fan-out has read the audit chain (one row)."""

    last_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"fan-out at {self.last_seq}"
