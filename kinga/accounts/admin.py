"""Admin pages for agencies and users.

An administrator (the `admin` role) manages agencies, users and their roles here. Roles,
agency and activity are changed only through `user_access_change`: what takes access away
happens at once, what would reveal case content waits for a second person (separation of
duties), and the administrator flag (staff status and the Administrators group) follows
the role. Superuser status, groups and single permissions are not editable here: they
would let an administrator widen their own reach to case content.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kinga.accounts import services
from kinga.accounts.models import (
    AccessChangeRequest,
    AccessChangeState,
    Agency,
    RoleAssignment,
    User,
)


def _actor(request: HttpRequest) -> User:
    # The admin site serves only signed-in staff, so the user is never anonymous here.
    return cast(User, request.user)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["name", "kind", "county", "is_active"]
    list_filter = ["kind", "county", "is_active"]
    search_fields = ["name"]
    ordering = ["name"]

    def save_model(self, request: HttpRequest, obj: Agency, form: Any, change: bool) -> None:
        services.admin_record_save(
            record=obj, actor=_actor(request), fields=list(form.changed_data), created=not change
        )


class RoleFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Refuse, on the form, an administrator who would also hold a case role."""

    def clean(self) -> None:
        super().clean()
        roles = {
            row.cleaned_data["role"]
            for row in self.forms
            if getattr(row, "cleaned_data", None)
            and row.cleaned_data.get("role")
            and not row.cleaned_data.get("DELETE")
        }
        services.roles_validate(roles)


class RoleInline(admin.StackedInline[RoleAssignment, User]):
    # Stacked, not tabular: Django's tabular inline heads each column once and leaves the
    # role's select and the delete box without a label of their own (axe: select-name,
    # label); the stacked one labels every field.
    model = RoleAssignment
    formset = RoleFormSet
    extra = 1
    fields = ["role", "granted_at"]
    readonly_fields = ["granted_at"]
    verbose_name = _("role")
    verbose_name_plural = _("roles")


class KingaUserCreationForm(AdminUserCreationForm[User]):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "first_name", "last_name", "email", "agency")


class KingaUserChangeForm(UserChangeForm[User]):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    form = KingaUserChangeForm
    add_form = KingaUserCreationForm
    inlines = [RoleInline]
    list_display = ["username", "first_name", "last_name", "agency", "is_active", "last_login"]
    list_filter = ["is_active", "agency", "roles__role"]
    search_fields = ["username", "first_name", "last_name", "email"]
    list_select_related = ["agency"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email", "phone")}),
        (
            _("Work"),
            {"fields": ("agency", "on_call", "preferred_language", "is_active")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "agency",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ()
    actions = ["lift_sign_in_throttle", "reset_two_factor"]

    @admin.action(description=_("Lift the sign-in throttle"), permissions=["change"])
    def lift_sign_in_throttle(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Let the chosen accounts sign in now, whatever failures were made against them."""
        for user in queryset:
            services.sign_in_throttle_lift(user=user, actor=_actor(request))
        self.message_user(request, _("Sign-in throttle lifted."))

    @admin.action(description=_("Reset two-factor (lost phone)"), permissions=["change"])
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Remove the chosen accounts' authenticators; a second person approves it where
        the account sees case content."""
        waiting = 0
        for user in queryset:
            try:
                if services.two_factor_reset(user=user, actor=_actor(request)) is not None:
                    waiting += 1
            except PermissionDenied:
                self.message_user(
                    request, _("Nobody resets their own two-factor here."), messages.ERROR
                )
                return
        if waiting:
            self.message_user(
                request,
                _(
                    "The reset takes effect when a second person with authority over the "
                    'agency approves it, on "Access changes to approve".'
                ),
                messages.WARNING,
            )
        else:
            self.message_user(
                request, _("Two-factor reset: the user sets up a new authenticator app.")
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        # An administrator must not take over a superuser's account (its password is here).
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        fields = list(form.changed_data)
        if change:
            # Agency and activity change who sees what: `save_related` hands them, with
            # the roles, to `user_access_change`, which may hold them for approval.
            stored = User.objects.get(pk=obj.pk)
            request._kinga_access = (obj.agency, obj.is_active)  # type: ignore[attr-defined]
            obj.agency, obj.is_active = stored.agency, stored.is_active
            fields = [name for name in fields if name not in services.ACCESS_FIELDS]
        services.admin_record_save(
            record=obj, actor=_actor(request), fields=fields, created=not change
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleAssignment:
            super().save_formset(request, form, formset, change)
            return
        request._kinga_roles = {  # type: ignore[attr-defined]
            row.cleaned_data["role"]
            for row in formset.forms
            if row.cleaned_data.get("role") and not row.cleaned_data.get("DELETE")
        }
        # The admin's change message reads these; the service does the saving.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        roles = getattr(request, "_kinga_roles", None)
        if roles is None:
            roles = set(user.roles.values_list("role", flat=True))
        agency, is_active = getattr(request, "_kinga_access", (user.agency, user.is_active))
        pending = services.user_access_change(
            user=user, actor=_actor(request), roles=roles, agency=agency, is_active=is_active
        )
        if pending is not None:
            self.message_user(
                request,
                _(
                    "Part of this change would reveal case content: it takes effect when a "
                    "second person with authority over the agency approves it."
                ),
                messages.WARNING,
            )


@admin.register(AccessChangeRequest)
class AccessChangeRequestAdmin(admin.ModelAdmin[AccessChangeRequest]):
    """The approval queue for administrators: decided through the services, never edited."""

    list_display = [
        "subject",
        "requested_by",
        "requested_at",
        "roles_before",
        "roles_after",
        "agency_before",
        "agency_after",
        "reactivate",
        "two_factor_reset",
        "state",
        "decided_by",
    ]
    list_filter = ["state"]
    list_select_related = ["subject", "requested_by", "agency_before", "agency_after", "decided_by"]
    actions = ["approve", "refuse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[AccessChangeRequest], approve: bool
    ) -> None:
        for change in queryset.filter(state=AccessChangeState.PENDING):
            try:
                if approve:
                    services.access_change_approve(change=change, actor=_actor(request))
                else:
                    services.access_change_refuse(change=change, actor=_actor(request))
            except PermissionDenied:
                self.message_user(
                    request,
                    _("You may not decide the change of %(user)s: a second person must.")
                    % {"user": change.subject},
                    messages.ERROR,
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)

    @admin.action(description=_("Approve the selected changes"), permissions=["view"])
    def approve(self, request: HttpRequest, queryset: QuerySet[AccessChangeRequest]) -> None:
        """Approve each selected change the administrator may decide."""
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Refuse the selected changes"), permissions=["view"])
    def refuse(self, request: HttpRequest, queryset: QuerySet[AccessChangeRequest]) -> None:
        """Refuse each selected change the administrator may decide."""
        self._decide(request, queryset, approve=False)
