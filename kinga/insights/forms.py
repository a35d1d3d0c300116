"""The dashboards' filters: period, place, agency, age band, sex and type of exploitation."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import Agency
from kinga.insights.selectors import Filters, default_filters
from kinga.intake.models import Category
from kinga.people.models import AgeBand, Sex
from kinga.places.models import County, SubCounty, Ward

LONGEST_PERIOD = datetime.timedelta(days=5 * 366)


class FilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    county = forms.ModelChoiceField(
        label=_("County"), queryset=County.objects.filter(coastal=True), required=False
    )
    sub_county = forms.ModelChoiceField(
        label=_("Sub-county"),
        queryset=SubCounty.objects.filter(county__coastal=True).select_related("county"),
        required=False,
    )
    ward = forms.ModelChoiceField(
        label=_("Ward"),
        queryset=Ward.objects.filter(sub_county__county__coastal=True),
        required=False,
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.filter(is_active=True), required=False
    )
    age_band = forms.ChoiceField(
        label=_("Age band"), choices=[("", _("All ages")), *AgeBand.choices], required=False
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", _("All")), *Sex.choices], required=False)
    exploitation = forms.ChoiceField(
        label=_("Type of exploitation"),
        choices=[("", _("All types")), *Category.choices],
        required=False,
    )

    def __init__(self, *args: Any, county_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if county_id is not None:
            # a county scope: the viewer counts only their agency's county
            fields = self.fields
            fields["county"].queryset = County.objects.filter(pk=county_id)  # type: ignore[attr-defined]
            fields["sub_county"].queryset = SubCounty.objects.filter(county_id=county_id)  # type: ignore[attr-defined]
            fields["ward"].queryset = Ward.objects.filter(sub_county__county_id=county_id)  # type: ignore[attr-defined]
            fields["agency"].queryset = Agency.objects.filter(  # type: ignore[attr-defined]
                is_active=True, county_id=county_id
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the period comes before its start."))
            elif end - start > LONGEST_PERIOD:
                self.add_error("start", _("Choose a period of five years or less."))
            if end > timezone.localdate() + datetime.timedelta(days=1):
                self.add_error("end", _("The period cannot end after today."))
        county, sub_county, ward = data.get("county"), data.get("sub_county"), data.get("ward")
        if sub_county and county and sub_county.county_id != county.pk:
            self.add_error("sub_county", _("This sub-county is not in the county chosen."))
        if ward and sub_county and ward.sub_county_id != sub_county.pk:
            self.add_error("ward", _("This ward is not in the sub-county chosen."))
        if ward and county and not sub_county and ward.sub_county.county_id != county.pk:
            self.add_error("ward", _("This ward is not in the county chosen."))
        return data

    def filters(self) -> Filters:
        """Return the filters asked for; call after is_valid()."""
        data = self.cleaned_data
        county = data.get("county")
        sub_county = data.get("sub_county")
        ward = data.get("ward")
        agency = data.get("agency")
        return Filters(
            start=data["start"],
            end=data["end"],
            county_id=county.pk if county else None,
            sub_county_id=sub_county.pk if sub_county else None,
            ward_id=ward.pk if ward else None,
            agency_id=agency.pk if agency else None,
            age_band=data.get("age_band") or "",
            sex=data.get("sex") or "",
            exploitation=data.get("exploitation") or "",
        )


def filter_form(query: Any, *, county_id: int | None) -> tuple[FilterForm, Filters, bool]:
    """Return the form bound to the query, the filters to use, and whether they are the
    defaults because the query asked for none or for something invalid (said on the form)."""
    defaults = default_filters()
    initial = {"start": defaults.start, "end": defaults.end}
    if "start" not in query and "end" not in query:
        form = FilterForm(initial={**initial, "county": county_id}, county_id=county_id)
        return form, Filters(**{**defaults.__dict__, "county_id": county_id}), True
    form = FilterForm(query, county_id=county_id)
    if form.is_valid():
        return form, form.filters(), False
    return form, Filters(**{**defaults.__dict__, "county_id": county_id}), True
