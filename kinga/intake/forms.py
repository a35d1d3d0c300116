"""Forms of the public report, the follow-up, the helpline call and the triage decision."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django import forms
from django.core import signing
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.intake.models import (
    AgeBand,
    CallLanguage,
    CallOutcome,
    Category,
    ChildSex,
    Danger,
    Decision,
    Platform,
    ReporterRelation,
    SupportGiven,
    campaign_code_normalise,
)
from kinga.intake.services import CallInput, ReportInput
from kinga.intake.submission import submission_token_check, submission_token_new

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Choices = list[tuple[Any, Any]]


@dataclass(frozen=True)
class CoastPlaces:
    """The places of the coast as the form offers them, with what checks a choice."""

    counties: Choices
    sub_counties: Choices
    wards: Choices
    # the ids each list offers, as the submitted text, for a one-look-up check
    ids: tuple[frozenset[str], frozenset[str], frozenset[str]]


@lru_cache(maxsize=1)
def _coast_choices() -> CoastPlaces:
    """Return county, sub-county and ward choices of the coast, grouped for plain selects.

    Grouped options (sub-counties by county, wards by "county / sub-county") let a browser
    without JavaScript pick a ward in one page; `intake/places.js` hides the groups of
    other counties where scripts run. A choice that does not add up is flagged, not refused.
    """
    from kinga.places.models import SubCounty, Ward
    from kinga.places.selectors import coastal_counties

    counties = list(coastal_counties().order_by("name"))
    county_choices: Choices = [("", "—")] + [(c.pk, c.name) for c in counties]
    sub_choices: Choices = [("", "—")]
    ward_choices: Choices = [("", "—")]
    sub_county_of_ward: dict[int, int] = {}
    county_of_sub: dict[int, int] = {}
    subs = SubCounty.objects.filter(county__coastal=True).select_related("county")
    for county in counties:
        group = [(s.pk, s.name) for s in subs if s.county_id == county.pk]
        sub_choices.append((county.name, group))
        for s in subs:
            if s.county_id == county.pk:
                county_of_sub[s.pk] = county.pk
    wards = Ward.objects.filter(sub_county__county__coastal=True).select_related(
        "sub_county__county"
    )
    by_sub: dict[int, list[tuple[int, str]]] = {}
    for ward in wards:
        by_sub.setdefault(ward.sub_county_id, []).append((ward.pk, ward.name))
        sub_county_of_ward[ward.pk] = ward.sub_county_id
    for sub in sorted(subs, key=lambda s: (s.county.name, s.name)):
        ward_choices.append((f"{sub.county.name} / {sub.name}", by_sub.get(sub.pk, [])))
    return CoastPlaces(
        counties=county_choices,
        sub_counties=sub_choices,
        wards=ward_choices,
        ids=(
            frozenset(str(c.pk) for c in counties),
            frozenset(str(pk) for pk in county_of_sub),
            frozenset(str(pk) for pk in sub_county_of_ward),
        ),
    )


def _county_choices() -> Choices:
    return _coast_choices().counties


def _sub_county_choices() -> Choices:
    return _coast_choices().sub_counties


def _ward_choices() -> Choices:
    return _coast_choices().wards


class PlaceField(forms.TypedChoiceField):
    """A county, sub-county or ward of the coast.

    The choices are the cached lists, given as a callable so that a form does not copy
    hundreds of wards each time it is made (a public form is made on every post); a
    submitted value is checked with one set look-up instead of a walk through them.
    """

    def __init__(self, *, level: int, choices: Callable[[], Choices], **kwargs: Any) -> None:
        self.level = level
        super().__init__(choices=choices, coerce=int, empty_value=None, required=False, **kwargs)

    def valid_value(self, value: Any) -> bool:
        return str(value) in _coast_choices().ids[self.level]


class PlaceMixin(forms.Form):
    county = PlaceField(label=_("County"), level=0, choices=_county_choices)
    sub_county = PlaceField(label=_("Sub-county"), level=1, choices=_sub_county_choices)
    ward = PlaceField(label=_("Ward"), level=2, choices=_ward_choices)
    place_detail = forms.CharField(
        label=_("Place: village, street, beach, bar or hotel"), required=False, max_length=300
    )

    # No check that the county, sub-county and ward agree: a place that does not add up
    # never blocks a report; it is kept as said and flagged for triage (`fill_report`).


class ReportFields(PlaceMixin):
    categories = forms.MultipleChoiceField(
        label=_("What is happening?"),
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    narrative = forms.CharField(
        label=_("Tell us what you saw or know"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=4000,
        help_text=_("Write only what you are comfortable sharing. You do not need to give names."),
    )
    danger_now = forms.ChoiceField(
        label=_("Is a child in danger right now?"),
        choices=Danger.choices,
        widget=forms.RadioSelect,
        initial=Danger.UNKNOWN,
    )
    children_count = forms.IntegerField(
        label=_("How many children?"), required=False, min_value=1, max_value=99
    )
    age_bands = forms.MultipleChoiceField(
        label=_("How old are they?"),
        choices=AgeBand.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    online_platform = forms.ChoiceField(
        label=_("Is it happening online? Where?"), choices=Platform.choices, required=False
    )
    online_handle = forms.CharField(
        label=_("Account, page or group name"), required=False, max_length=200
    )
    reporter_relation = forms.ChoiceField(
        label=_("Who are you to the child?"),
        choices=ReporterRelation.choices,
        initial=ReporterRelation.UNKNOWN,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("categories") and not (data.get("narrative") or "").strip():
            raise forms.ValidationError(_("Choose what is happening, or tell us in your words."))
        return data

    def report_input(self, *, language: str) -> ReportInput:
        """Return what was said, each form field into the `ReportInput` field of its name
        (a place's `county` into `county_id`); what the form does not ask stays unsaid."""
        data = self.cleaned_data
        values: dict[str, Any] = {}
        for item in dataclasses.fields(ReportInput):
            name = item.name.removesuffix("_id")
            if name in data and item.name != "language":
                value = data[name]
                values[item.name] = list(value) if isinstance(value, list) else value
        return ReportInput(**values, language=language)


class PublicReportForm(ReportFields):
    reporter_contact = forms.CharField(
        label=_("How can we reach you? (optional)"),
        required=False,
        max_length=200,
        help_text=_("A phone number or email. Leave it empty to stay anonymous."),
    )
    callback_consent = forms.BooleanField(label=_("You may contact me"), required=False)
    # Left empty by people; bots fill it. Hidden by CSS and from screen readers.
    website = forms.CharField(required=False, label=_("Leave this empty"))
    submission = forms.CharField(widget=forms.HiddenInput, max_length=128)
    # The campaign the reporter came through (`?c=` on a poster's address), carried through
    # the form's posts; an unknown or malformed code is dropped, never an error.
    campaign_code = forms.CharField(widget=forms.HiddenInput, required=False)

    field_order = [
        "categories",
        "narrative",
        "danger_now",
        "county",
        "sub_county",
        "ward",
        "place_detail",
        "children_count",
        "age_bands",
        "online_platform",
        "online_handle",
        "reporter_relation",
        "reporter_contact",
        "callback_consent",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if not self.is_bound:
            self.initial["submission"] = submission_token_new()

    def clean_campaign_code(self) -> str:
        return campaign_code_normalise(self.cleaned_data.get("campaign_code") or "")

    def clean_submission(self) -> str:
        """Return the token's one-time value; refuse a token the server did not issue."""
        try:
            return submission_token_check(self.cleaned_data["submission"])
        except signing.SignatureExpired:
            raise forms.ValidationError(
                _(
                    "This form was open for too long. What you wrote is kept below: "
                    "check it and send it again."
                ),
                code="expired",
            ) from None
        except signing.BadSignature:
            raise forms.ValidationError(
                _(
                    "We could not check this form. What you wrote is kept below: "
                    "check it and send it again."
                ),
                code="forged",
            ) from None

    def refused(self, message: StrOrPromise) -> None:
        """Show the form again with an error, the reporter's words and a fresh token."""
        self.add_error(None, message)
        self.renew()

    def renew(self) -> None:
        """Give a bound form a fresh token, so that sending it again can succeed."""
        data = QueryDict(mutable=True)
        data.update(self.data)
        data["submission"] = submission_token_new()
        self.data = data

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class CallFields(forms.Form):
    """What a helpline keeps about each call, besides what the caller reports."""

    duration_minutes = forms.IntegerField(
        label=_("How long was the call? (minutes)"), required=False, min_value=0, max_value=600
    )
    child_sex = forms.ChoiceField(
        label=_("Sex of the child"),
        choices=ChildSex.choices,
        initial=ChildSex.UNKNOWN,
        widget=forms.RadioSelect,
        required=False,
    )
    call_language = forms.ChoiceField(
        label=_("Language of the call"),
        choices=CallLanguage.choices,
        initial=CallLanguage.KISWAHILI,
        required=False,
    )
    support_given = forms.MultipleChoiceField(
        label=_("What did you give the caller?"),
        choices=SupportGiven.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    support_note = forms.CharField(
        label=_("Counselling or information given (short note)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome of the call"),
        choices=CallOutcome.choices,
        initial=CallOutcome.REPORTED,
        required=False,
    )
    follow_up_due = forms.DateField(
        label=_("Follow-up due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("When you or the desk should call back or check."),
    )

    def clean_follow_up_due(self) -> date | None:
        due: date | None = self.cleaned_data.get("follow_up_due")
        if due is not None and due < timezone.localdate():
            raise forms.ValidationError(_("A follow-up cannot be due in the past."))
        return due

    def call_input(self, *, caller_relation: str) -> CallInput:
        """Return the call's record as the service takes it (what was left out keeps its
        default: a report passed on, a child of unknown sex, a call in Kiswahili)."""
        data = self.cleaned_data
        return CallInput(
            outcome=data.get("outcome") or CallOutcome.REPORTED,
            duration_minutes=data.get("duration_minutes"),
            caller_relation=caller_relation,
            child_sex=data.get("child_sex") or ChildSex.UNKNOWN,
            language=data.get("call_language") or CallLanguage.KISWAHILI,
            support_given=list(data.get("support_given") or []),
            support_note=data.get("support_note") or "",
            follow_up_due=data.get("follow_up_due"),
        )


class HelplineForm(ReportFields, CallFields):
    reporter_phone = forms.CharField(label=_("Caller's number"), required=False, max_length=32)
    callback_consent = forms.BooleanField(
        label=_("Caller agrees to be called back"), required=False
    )

    field_order = [
        "danger_now",
        "categories",
        "county",
        "sub_county",
        "ward",
        "place_detail",
        "narrative",
        "children_count",
        "age_bands",
        "online_platform",
        "online_handle",
        "child_sex",
        "reporter_relation",
        "reporter_phone",
        "callback_consent",
        "call_language",
        "duration_minutes",
        "support_given",
        "support_note",
        "outcome",
        "follow_up_due",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["danger_now"].widget.attrs["autofocus"] = True
        self.fields["narrative"].help_text = ""
        self.fields["reporter_relation"].label = _("Who is the caller to the child?")

    def clean_reporter_phone(self) -> str:
        from kinga.lib.phones import normalise_phone

        raw: str = self.cleaned_data["reporter_phone"].strip()
        if not raw:
            return ""
        try:
            return normalise_phone(raw)
        except ValueError:
            raise forms.ValidationError(_("This is not a phone number.")) from None


class FollowUpCallForm(CallFields):
    """A later call about a report already logged: the call's record and what is new."""

    caller_relation = forms.ChoiceField(
        label=_("Who is the caller to the child?"),
        choices=ReporterRelation.choices,
        initial=ReporterRelation.UNKNOWN,
    )
    addition = forms.CharField(
        label=_("What is new since the first call?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
        help_text=_("Added to the report, so those who triage it see it."),
    )

    field_order = [
        "caller_relation",
        "addition",
        "call_language",
        "duration_minutes",
        "child_sex",
        "support_given",
        "support_note",
        "outcome",
        "follow_up_due",
    ]


class FollowUpForm(forms.Form):
    code = forms.CharField(label=_("Your follow-up code"), max_length=20)
    text = forms.CharField(
        label=_("Anything to add? (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[c for c in Decision.choices if c[0]],
        widget=forms.RadioSelect,
    )
    case_code = forms.CharField(
        label=_("Case code (to add to an existing case)"), required=False, max_length=32
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), min_length=10
    )
