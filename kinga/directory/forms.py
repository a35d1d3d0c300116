"""Forms of the directory pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kinga.directory import selectors
from kinga.directory.models import (
    EligibleSex,
    Location,
    Organization,
    Phone,
    Service,
    TaxonomyTerm,
)
from kinga.directory.selectors import DirectoryHit, service_types
from kinga.places.models import Ward

WEEKDAY_NAMES = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


def coastal_wards() -> QuerySet[Ward]:
    return Ward.objects.filter(sub_county__county__coastal=True).select_related(
        "sub_county__county"
    )


class WardChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.sub_county.name}, {obj.sub_county.county.name}"


class TermChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


class DirectorySearchForm(forms.Form):
    service_type = forms.ChoiceField(label=_("Type of service"), required=False)
    ward = WardChoiceField(
        label=_("Near ward"),
        queryset=Ward.objects.none(),
        required=False,
        empty_label=_("Anywhere"),
    )
    latitude = forms.FloatField(
        label=_("or near latitude"), required=False, min_value=-90, max_value=90
    )
    longitude = forms.FloatField(
        label=_("and longitude"), required=False, min_value=-180, max_value=180
    )
    age = forms.IntegerField(label=_("Child's age"), required=False, min_value=0, max_value=120)
    sex = forms.ChoiceField(
        label=_("Sex"),
        required=False,
        choices=[("", _("Any")), (EligibleSex.FEMALE, _("Girl")), (EligibleSex.MALE, _("Boy"))],
    )
    open_now = forms.BooleanField(label=_("Open now"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        type_field = self.fields["service_type"]
        assert isinstance(type_field, forms.ChoiceField)  # noqa: S101  # narrows for mypy
        type_field.choices = [("", _("Any type"))] + [
            (term.code, term.label) for term in service_types()
        ]
        ward_field = self.fields["ward"]
        assert isinstance(ward_field, forms.ModelChoiceField)
        ward_field.queryset = coastal_wards()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError(_("Give both latitude and longitude, or neither."))
        return data

    def hits(self, *, limit: int) -> list[DirectoryHit]:
        """Run the search of a valid form: a chosen ward stands for its centroid."""
        data = self.cleaned_data
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if data.get("ward") is not None and latitude is None:
            latitude, longitude = data["ward"].centroid
        return selectors.directory_search(
            service_type=data.get("service_type") or None,
            latitude=latitude,
            longitude=longitude,
            age=data.get("age"),
            sex=data.get("sex") or None,
            open_at=selectors.now() if data.get("open_now") else None,
            limit=limit,
        )


class OrganizationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Organization
        fields = ["name", "alternate_name", "description", "email", "website", "legal_status"]


class ServiceForm(forms.ModelForm):  # type: ignore[type-arg]
    service_types = TermChoiceField(
        label=_("Types of service"),
        queryset=TaxonomyTerm.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    locations = forms.ModelMultipleChoiceField(
        label=_("Delivered at"),
        queryset=Location.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Service
        fields = [
            "name",
            "alternate_name",
            "description",
            "status",
            "eligibility_description",
            "minimum_age",
            "maximum_age",
            "eligible_sex",
            "fees_description",
            "application_process",
            "interpretation_services",
            "wait_time",
            "alert",
            "url",
            "email",
        ]

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        terms = self.fields["service_types"]
        assert isinstance(terms, forms.ModelMultipleChoiceField)
        terms.queryset = service_types()
        locations = self.fields["locations"]
        assert isinstance(locations, forms.ModelMultipleChoiceField)
        locations.queryset = organization.locations.all()
        if self.instance.pk:
            self.initial["service_types"] = list(self.instance.service_types.all())
            self.initial["locations"] = [
                sal.location for sal in self.instance.service_at_locations.all()
            ]


class LocationForm(forms.ModelForm):  # type: ignore[type-arg]
    ward = WardChoiceField(label=_("Ward"), queryset=Ward.objects.none(), required=False)

    class Meta:
        model = Location
        fields = [
            "name",
            "location_type",
            "confidential",
            "ward",
            "latitude",
            "longitude",
            "address_1",
            "address_2",
            "city",
            "state_province",
            "postal_code",
            "description",
            "transportation",
        ]

    # The address lines are stored encrypted, as text without a length: the limits are here.
    LINE_LIMITS: ClassVar[dict[str, int]] = {
        "address_1": 200,
        "address_2": 200,
        "city": 100,
        "postal_code": 20,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ward_field = self.fields["ward"]
        assert isinstance(ward_field, forms.ModelChoiceField)
        ward_field.queryset = coastal_wards()
        for name, limit in self.LINE_LIMITS.items():
            field = self.fields[name]
            field.widget = forms.TextInput(attrs={"maxlength": limit})
            field.validators.append(MaxLengthValidator(limit))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("confidential") and not data.get("ward"):
            self.add_error("ward", _("A confidential location needs its ward."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError(_("Give both latitude and longitude, or neither."))
        return data


class PhoneForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Phone
        fields = ["number", "type", "description"]


class HoursForm(forms.Form):
    """A week of opening hours: blank means closed; 00:00 to 00:00 means all day."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, name in enumerate(WEEKDAY_NAMES):
            self.fields[f"opens_{day}"] = forms.TimeField(
                label=_("%(day)s opens") % {"day": name},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"closes_{day}"] = forms.TimeField(
                label=_("%(day)s closes") % {"day": name},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day, name in enumerate(WEEKDAY_NAMES):
            if (data.get(f"opens_{day}") is None) != (data.get(f"closes_{day}") is None):
                raise forms.ValidationError(
                    _("%(day)s: give both the opening and the closing time, or neither.")
                    % {"day": name}
                )
        return data

    def hours(self) -> dict[int, tuple[dt.time, dt.time] | None]:
        result: dict[int, tuple[dt.time, dt.time] | None] = {}
        for day in range(7):
            opens, closes = self.cleaned_data[f"opens_{day}"], self.cleaned_data[f"closes_{day}"]
            result[day] = (opens, closes) if opens is not None and closes is not None else None
        return result

    def day_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (str(name), self[f"opens_{day}"], self[f"closes_{day}"])
            for day, name in enumerate(WEEKDAY_NAMES)
        ]
