"""The alert chain in the admin: who a danger alert reaches, in which order, how long each
step waits. No report content is shown or reachable here."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import Role, User
from kinga.intake.models import ALERT_ROLE_CHOICES, AlertStep
from kinga.intake.services.alerts import alert_step_delete, alert_step_save


class AlertStepForm(forms.ModelForm[AlertStep]):
    roles = forms.MultipleChoiceField(
        label=_("roles"),
        choices=[(role, label) for role, label in Role.choices if role in ALERT_ROLE_CHOICES],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AlertStep
        fields = ["order", "agency_kind", "roles", "scope", "on_call_only", "wait_minutes"]


@admin.register(AlertStep)
class AlertStepAdmin(admin.ModelAdmin[AlertStep]):
    form = AlertStepForm
    list_display = ["order", "reaches", "wait_minutes"]
    ordering = ["order"]

    @admin.display(description=_("who it reaches"))
    def reaches(self, step: AlertStep) -> str:
        return step.describe()

    def save_model(self, request: HttpRequest, obj: AlertStep, form: Any, change: bool) -> None:
        alert_step_save(
            step=obj,
            actor=cast(User, request.user),
            fields=list(form.changed_data),
            created=not change,
        )

    def delete_model(self, request: HttpRequest, obj: AlertStep) -> None:
        alert_step_delete(step=obj, actor=cast(User, request.user))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for step in queryset:
            alert_step_delete(step=step, actor=cast(User, request.user))
