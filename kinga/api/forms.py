"""Forms of the integrations pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import Agency
from kinga.api.models import Scope


class IntegrationForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the system"),
        max_length=120,
        help_text=_("As the agency calls it, e.g. “116 call system”."),
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.filter(is_active=True).order_by("name")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Scopes that reveal case content (referrals, cases, court dates) take effect when "
            "a second person with authority over the agency approves them."
        ),
    )
    rate_per_minute = forms.IntegerField(
        label=_("Calls a minute per token"), min_value=1, max_value=6000, initial=120
    )


class TokenForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label=_("Scopes of this token"), widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("At most a year from today."),
    )

    def __init__(self, *args: Any, scopes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Scope.choices)
        field = self.fields["scopes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(scope, labels[scope]) for scope in scopes]
        field.initial = list(scopes)
        self.fields["expires_on"].initial = timezone.localdate() + timedelta(days=90)

    def clean_expires_on(self) -> date:
        value: date = self.cleaned_data["expires_on"]
        if value <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."))
        return value
