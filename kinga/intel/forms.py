from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kinga.lib.dates import not_in_future


class NetworkQuery(forms.Form):
    """What to show on a network's page: a path to another person, changes since a date."""

    to = forms.TypedChoiceField(label=_("Path to"), coerce=int, required=False, empty_value=None)
    since = forms.DateField(
        label=_("What changed since"),
        required=False,
        validators=[not_in_future],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: object, people: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["to"].choices = [("", _("Choose a person")), *people]  # type: ignore[attr-defined]


class ExportForm(forms.Form):
    partner = forms.TypedChoiceField(label=_("For the partner agency"), coerce=int)

    def __init__(self, *args: object, partners: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["partner"].choices = partners  # type: ignore[attr-defined]


class AliasForm(forms.Form):
    handle = forms.CharField(
        label=_("Another handle of this account"),
        max_length=100,
        help_text=_("As written on the platform, for example @name."),
    )
