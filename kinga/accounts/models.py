"""Agencies, users and their roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class User(AbstractUser):
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
