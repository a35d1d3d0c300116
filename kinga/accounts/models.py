"""Agencies, users and their roles."""

from __future__ import annotations

import hmac
import time
from base64 import b32encode
from binascii import unhexlify
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP, hotp
from django_otp.util import random_hex

from kinga.lib.crypto import keyed_hash
from kinga.lib.fields import EncryptedTextField


class AgencyKind(models.TextChoices):
    POLICE_UNIT = "police_unit", _("Police unit")
    PROSECUTION_OFFICE = "prosecution_office", _("Prosecution office")
    CHILDRENS_SERVICES = "childrens_services", _("Children's services")
    NGO = "ngo", _("Non-governmental organisation")
    SHELTER = "shelter", _("Shelter")
    HOSPITAL = "hospital", _("Hospital")
    LEGAL_AID = "legal_aid", _("Legal aid")
    HELPLINE = "helpline", _("Helpline")
    TRAINING_INSTITUTION = "training_institution", _("Training institution")


class Role(models.TextChoices):
    """The roles of DESIGN.md section 1. `public` needs no account and so is not here."""

    HELPLINE = "helpline", _("Helpline operator")
    CASEWORKER = "caseworker", _("Caseworker")
    COUNSELLOR = "counsellor", _("Counsellor")
    INVESTIGATOR = "investigator", _("Investigator")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    SUPERVISOR = "supervisor", _("Supervisor")
    ANALYST = "analyst", _("Analyst")
    TRAINER = "trainer", _("Trainer")
    ADMIN = "admin", _("Administrator")
    # Kenya's Data Protection Act 2019 s.24: the breach register, retention and legal holds,
    # data subjects' requests; sees no case content but what a request it handles opens.
    DATA_PROTECTION_OFFICER = "data_protection_officer", _("Data protection officer")


class Agency(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=AgencyKind.choices)
    county = models.ForeignKey(
        "places.County",
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]  # the two-factor devices' FK comes from untyped django-otp
    """A person who signs in. Each belongs to one agency and holds one or more roles."""

    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
        help_text=_("Every staff member belongs to one agency."),
    )
    phone = models.CharField(
        _("work phone"),
        max_length=20,
        blank=True,
        help_text=_("Work number in +254 form, for on-call alerts."),
    )
    on_call = models.BooleanField(
        _("on call"), default=False, help_text=_("Receives alerts of children in danger.")
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=2,
        choices=[("en", "English"), ("sw", "Kiswahili")],
        default="en",
    )
    sign_in_throttle_lifted_at = models.DateTimeField(
        _("sign-in throttle lifted"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Failed sign-ins before this time no longer slow this account down."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role_set(self) -> frozenset[str]:
        """Return the user's roles as slugs, cached on the instance."""
        cached: frozenset[str] | None = getattr(self, "_role_cache", None)
        if cached is None:
            cached = frozenset(self.roles.values_list("role", flat=True))
            self._role_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        """Return whether the user holds any of these roles."""
        return bool(self.role_set.intersection(roles))

    @property
    def is_staff_member(self) -> bool:
        """Return whether the user holds any role, so two-factor applies to them."""
        return bool(self.role_set) or self.is_superuser or self.is_staff


class RoleAssignment(models.Model):
    """One role held by one user. Changes go through services, which audit them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_role_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class SignInStage(models.TextChoices):
    PASSWORD = "password", _("Password")
    TWO_FACTOR = "two_factor", _("Two-factor")


class LoginAttempt(models.Model):
    """A sign-in attempt, kept to slow down guessing by account, by address and by device.

    `username` is stored lower-cased so "Amina" and "amina" share one count. `device` is a
    keyed hash of the device cookie's nonce when the attempt presented a valid device cookie
    for this account (OWASP's "slow down online guessing with device cookies"); such
    attempts count only against that cookie, never against the account or the address.
    """

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=32, blank=True, default="")
    stage = models.CharField(
        max_length=16, choices=SignInStage.choices, default=SignInStage.PASSWORD
    )
    succeeded = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            # throttling: recent failures for one address
            models.Index(fields=["address", "at"], name="accounts_attempt_addr_at"),
            # throttling: recent failures made with one device cookie
            models.Index(fields=["device", "at"], name="accounts_attempt_device_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {'ok' if self.succeeded else 'failed'} {self.at:%Y-%m-%d %H:%M}"


class AccessChangeState(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    SUPERSEDED = "superseded", _("Replaced by a later request")


class AccessChangeRequest(models.Model):
    """A change to a user's roles, agency or activity that would reveal case content.

    Separation of duties (DESIGN.md 3.1): it takes effect only when a second person with
    authority over the affected agency approves it, never the person who asked and never
    the subject. Roles are kept as slugs and agencies as references, so the trail says
    exactly what was asked and what it would have changed.
    """

    subject = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="access_change_requests",
    )
    requested_by = models.ForeignKey(
        User, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked"), auto_now_add=True)
    roles_before = models.JSONField(_("roles before"), default=list, blank=True)
    roles_after = models.JSONField(_("roles asked for"), default=list, blank=True)
    agency_before = models.ForeignKey(
        Agency,
        verbose_name=_("agency before"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    agency_after = models.ForeignKey(
        Agency,
        verbose_name=_("agency asked for"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reactivate = models.BooleanField(_("re-activate"), default=False)
    # A lost phone: the user's authenticator and backup codes are removed, and they enrol a
    # new one at their next sign-in. With the password an administrator can set, it would
    # open the account to them, so a second person approves it.
    two_factor_reset = models.BooleanField(_("reset two-factor"), default=False)
    approving_agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency whose supervisors decide"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # accounts_change_state_agency starts with state, then this
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=AccessChangeState.choices,
        default=AccessChangeState.PENDING,
    )
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("access change awaiting approval")
        verbose_name_plural = _("access changes awaiting approval")
        ordering = ["-requested_at"]
        indexes = [
            # the approval queue: pending changes of one agency
            models.Index(fields=["state", "approving_agency"], name="accounts_change_state_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.get_state_display()})"

    @property
    def roles_added(self) -> list[str]:
        """Return the role slugs this change would add."""
        return sorted(set(self.roles_after) - set(self.roles_before))

    @property
    def moves(self) -> bool:
        """Return whether this change moves the user to another agency."""
        return self.agency_before_id != self.agency_after_id


# Two-factor devices. django-otp's own TOTPDevice keeps the shared secret as clear hex in a
# CharField and its StaticToken keeps backup codes in clear, with no hook to change either;
# these models keep django-otp's Device base (so OTPMiddleware, `match_token`, session
# persistence and its throttling work unchanged) and its TOTP arithmetic, and store the
# secret encrypted with the data keys (re-encrypted by `kinga keys rotate`) and each
# backup code as a keyed hash.


def new_totp_key() -> str:
    """Return a new TOTP secret: 20 random bytes, hex encoded."""
    return str(random_hex(20))


class Authenticator(TimestampMixin, ThrottlingMixin, Device):  # type: ignore[misc]  # django-otp is untyped
    """An authenticator app (TOTP, RFC 6238) whose shared secret is stored encrypted."""

    key = EncryptedTextField(_("secret"), default=new_totp_key)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    # A code is accepted once: the next must be of a later time step.
    last_t = models.BigIntegerField(default=-1)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    @property
    def bin_key(self) -> bytes:
        """Return the secret as bytes."""
        return unhexlify(str(self.key).encode())

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        """Return whether the code is right now; remember it so it is not accepted twice."""
        allowed, _reason = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            code = int(token)
        except (TypeError, ValueError):
            self.throttle_increment(commit=True)
            return False
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        if not totp.verify(code, self.tolerance, self.last_t + 1):
            self.throttle_increment(commit=True)
            return False
        self.last_t = totp.t()
        self.drift = totp.drift
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    def code_was_used(self, token: Any) -> bool:
        """Return whether the code is one already accepted in its still-open time window.

        Such a code is no guess (it was right a moment ago) and the next code is seconds
        away: the person is told to wait for it, and the try counts toward no throttle.
        """
        try:
            code = int(token)
        except (TypeError, ValueError):
            return False
        if self.last_t < 0:
            return False
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        first = max(totp.t() - self.tolerance, self.last_t - 2 * self.tolerance, 0)
        return any(
            hotp(self.bin_key, step, self.digits) == code for step in range(first, self.last_t + 1)
        )

    @property
    def config_url(self) -> str:
        """Return the otpauth:// address an authenticator app reads from the QR code."""
        issuer = "Kinga"
        label = f"{issuer}:{self.user.get_username()}"
        params = urlencode(
            {
                "secret": b32encode(self.bin_key).decode(),
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        return f"otpauth://totp/{quote(label)}?{params}&issuer={quote(issuer)}"


def backup_code_digest(*, user_id: int, code: str) -> str:
    """Return the keyed hash a backup code is stored as (bound to its user)."""
    return keyed_hash(f"{user_id}:{code.strip()}", purpose="backup-code", length=64)


class BackupCodes(ThrottlingMixin, Device):  # type: ignore[misc]  # django-otp is untyped
    """The user's single-use backup codes; each is kept only as a keyed hash."""

    class Meta:
        verbose_name = _("backup codes")
        verbose_name_plural = _("backup codes")

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        """Accept a backup code once: compare every stored hash in constant time, then spend it."""
        allowed, _reason = self.verify_is_allowed()
        if not allowed:
            return False
        digest = backup_code_digest(user_id=self.user_id, code=str(token))
        with transaction.atomic():
            matched = None
            for code in self.codes.select_for_update():
                # No early exit: every code is compared, so timing says nothing of which.
                if hmac.compare_digest(code.digest, digest):
                    matched = code
            if matched is None:
                self.throttle_increment(commit=True)
                return False
            matched.delete()
            self.throttle_reset(commit=True)
        return True


class BackupCode(models.Model):
    """One unused backup code, as its keyed hash."""

    device = models.ForeignKey(BackupCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"backup code of {self.device.user_id}"
