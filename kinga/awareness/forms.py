"""Forms of awareness. They parse and check input; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kinga.awareness.models import Audience, Channel, EventType, Language
from kinga.places.models import Ward


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}))
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=Language.choices, widget=forms.CheckboxSelectMultiple
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    starts_on = forms.DateField(label=_("Starts"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends"), widget=DateInput(), required=False)
    reporting_code = forms.CharField(
        label=_("Reporting code"),
        max_length=20,
        required=False,
        help_text=_(
            "Printed on posters as ?c=CODE on the report form's address, and the keyword of "
            "an SMS (its first word): 2 to 16 capital letters and digits."
        ),
    )
    ussd_code = forms.CharField(
        label=_("USSD code"),
        max_length=32,
        required=False,
        help_text=_(
            "The campaign's own USSD code, e.g. *384*1234#: sessions dialled on it count "
            "for the campaign."
        ),
    )
    promoted_numbers = forms.CharField(
        label=_("Numbers promoted"),
        max_length=200,
        required=False,
        help_text=_("e.g. 116, the USSD code, an SMS keyword."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end is before the start."))
        return data


class WardChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.sub_county.name}, {obj.sub_county.county.name}"


class EventForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    event_type = forms.ChoiceField(label=_("Type"), choices=EventType.choices)
    ward = WardChoiceField(
        label=_("Ward"),
        queryset=Ward.objects.select_related("sub_county__county").order_by(
            "sub_county__county__name", "sub_county__name", "name"
        ),
    )
    audiences = forms.MultipleChoiceField(
        label=_("Audience"), choices=Audience.choices, widget=forms.CheckboxSelectMultiple
    )
    estimated_reach = forms.IntegerField(
        label=_("Estimated reach (people)"), min_value=0, max_value=5_000_000
    )
    materials = forms.CharField(
        label=_("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    facilitators = forms.CharField(label=_("Facilitators"), max_length=300, required=False)
