"""Admin pages for agencies and users.

An administrator (the `admin` role) manages agencies, users and their roles here. Roles are
changed only through `user_roles_set`, so every change is audited and the administrator
flag (staff status and the Administrators group) follows the role. Superuser status, groups
and single permissions are not editable here: they would let an administrator widen their
own reach to case content.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kinga.accounts import services
from kinga.accounts.models import Agency, RoleAssignment, User


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


class RoleInline(admin.TabularInline[RoleAssignment, User]):
    model = RoleAssignment
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
    actions = ["lift_sign_in_throttle"]

    @admin.action(description=_("Lift the sign-in throttle"), permissions=["change"])
    def lift_sign_in_throttle(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Let the chosen accounts sign in now, whatever failures were made against them."""
        for user in queryset:
            services.sign_in_throttle_lift(user=user, actor=_actor(request))
        self.message_user(request, _("Sign-in throttle lifted."))

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        # An administrator must not take over a superuser's account (its password is here).
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        services.admin_record_save(
            record=obj, actor=_actor(request), fields=list(form.changed_data), created=not change
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleAssignment:
            super().save_formset(request, form, formset, change)
            return
        roles = {
            row.cleaned_data["role"]
            for row in formset.forms
            if row.cleaned_data.get("role") and not row.cleaned_data.get("DELETE")
        }
        services.user_roles_set(user=form.instance, roles=roles, actor=_actor(request))
        # The admin's change message reads these; the service did the saving.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
