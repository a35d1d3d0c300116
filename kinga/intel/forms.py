from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kinga.lib.dates import not_in_future


class NetworkQuery(forms.Form):
    """What to show from a network's page: the path to another person (answered with the
    path alone), or the network with what changed since a date."""

    to = forms.IntegerField(label=_("Path to"), required=False, widget=forms.Select)
    since = forms.DateField(
        label=_("What changed since"),
        required=False,
        validators=[not_in_future],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def offer(self, people: list[tuple[int, str]]) -> None:
        """Offer these people (id, label) to choose the path's other end from. Any node the
        viewer may see is taken (a link shared from another page); the selector decides."""
        self.fields["to"].widget.choices = [("", _("Choose a person")), *people]


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
