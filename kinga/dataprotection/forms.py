from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import Agency
from kinga.dataprotection.models import (
    CLOCK_SLACK,
    FUTURE_MOMENT,
    BreachKind,
    BreachRisk,
    BreachStep,
    IdentityCheck,
    OnBehalf,
    RefusalGround,
    RequestKind,
    RequestStatus,
)
from kinga.lib.dates import not_in_future as not_in_future_day
from kinga.lib.reasons import MIN_REASON_LENGTH
from kinga.people.models import Sex

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    Label = str | _StrPromise

_MOMENT = {"type": "datetime-local"}


def not_in_future(value: datetime.datetime | None) -> None:
    """Refuse a moment after now, by the same rule as the model's `clean`."""
    if value is not None and value > timezone.now() + CLOCK_SLACK:
        raise ValidationError(FUTURE_MOMENT, code="future")


def _moment(label: Label, *, required: bool = True, help_text: Label = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        validators=[not_in_future],
        widget=forms.DateTimeInput(attrs=_MOMENT, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


def _text(
    label: Label, *, rows: int = 4, required: bool = True, help_text: Label = ""
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        min_length=MIN_REASON_LENGTH if required else None,
        max_length=5000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class BreachForm(forms.Form):
    kind = forms.ChoiceField(label=_("What kind of breach"), choices=BreachKind.choices)
    description = _text(
        _("What happened"),
        help_text=_(
            "What was exposed and how, as far as you know. Name records by their codes, "
            "never by a child's name."
        ),
    )
    discovered_at = _moment(
        _("When did you become aware of it?"),
        help_text=_("The 72 hours to notify the Data Commissioner run from this moment."),
    )
    occurred_from = _moment(_("It happened from"), required=False)
    occurred_until = _moment(_("It happened until"), required=False)
    agency = forms.ModelChoiceField(
        label=_("Agency where it happened"), queryset=Agency.objects.all(), required=False
    )
    children_affected = forms.IntegerField(
        label=_("Children affected (estimate)"), min_value=0, initial=0
    )
    people_affected = forms.IntegerField(
        label=_("People affected, children included (estimate)"), min_value=0, initial=0
    )
    records_affected = forms.IntegerField(
        label=_("Records affected (estimate)"), min_value=0, initial=0
    )


class BreachMatterForm(forms.Form):
    reference = forms.CharField(
        label=_("Case code, incident code or report number"),
        max_length=32,
        help_text=_("For a report, write “report” and its number, e.g. report 123."),
    )


class BreachAssessForm(forms.Form):
    risk = forms.ChoiceField(
        label=_("Risk to the people affected"),
        choices=[c for c in BreachRisk.choices if c[0] != BreachRisk.UNASSESSED],
        widget=forms.RadioSelect,
    )
    assessment = _text(
        _("Assessment"),
        help_text=_("Why this risk: what could happen to the children and others affected."),
    )
    commissioner_notice_required = forms.BooleanField(
        label=_("The Data Commissioner must be notified"), required=False, initial=True
    )
    subjects_notice_required = forms.BooleanField(
        label=_("The people affected must be told"), required=False
    )


class BreachNoteForm(forms.Form):
    step = forms.ChoiceField(
        label=_("Step"),
        choices=[
            (BreachStep.CONTAINED, BreachStep.CONTAINED.label),
            (BreachStep.DECISION, BreachStep.DECISION.label),
        ],
    )
    note = _text(_("What was done or decided, and why"), rows=3)


class CommissionerNotifiedForm(forms.Form):
    notified_at = _moment(_("When was the notice sent?"))
    reference = forms.CharField(
        label=_("The Commissioner's reference"), max_length=64, required=False
    )
    delay_reason = _text(
        _("Why was it later than 72 hours?"),
        rows=3,
        required=False,
        help_text=_("Needed only when the notice went after the 72 hours."),
    )


class SubjectsNotifiedForm(forms.Form):
    notified_at = _moment(_("When were they told?"))
    note = _text(
        _("How and through whom"),
        rows=3,
        help_text=_(
            "For a child: through which parent, guardian or caseworker, chosen so that telling "
            "them does not put the child at risk."
        ),
    )


class BreachCloseForm(forms.Form):
    note = _text(_("Why it can be closed"), rows=3)


class ScopeForm(forms.Form):
    since = _moment(_("From"))
    until = forms.DateTimeField(
        label=_("Until"),
        widget=forms.DateTimeInput(attrs=_MOMENT, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end of the period cannot be before its start."))
        elif isinstance(until, datetime.datetime):
            # the field is to the minute: "until 08:40" includes what happened at 08:40:30
            data["until"] = until + datetime.timedelta(seconds=59, microseconds=999999)
        return data


class RetentionRuleForm(forms.Form):
    keep_days = forms.IntegerField(
        label=_("Keep for (days)"),
        min_value=30,
        max_value=36500,
        help_text=_("From the day the period starts: a report's decision, a case's closure."),
    )
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=300)


class LegalHoldForm(forms.Form):
    reference = forms.CharField(
        label=_("Case code, incident code or report number"),
        max_length=32,
        required=False,
        help_text=_(
            "For a report, write “report” and its number, e.g. report 123. To hold one "
            "person's record, find them by name or phone first."
        ),
    )
    person_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = _text(
        _("Why it is held"),
        rows=3,
        help_text=_("The court, the file or the investigation that needs it."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("reference") or "").strip() and cleaned.get("person_id") is None:
            self.add_error(
                "reference", _("Enter the reference of the record to hold, or find the person.")
            )
        return cleaned


class LegalHoldLiftForm(forms.Form):
    reason = _text(_("Why the hold can be lifted"), rows=2)


class SubjectRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is asked"), choices=RequestKind.choices)
    case_code = forms.CharField(
        label=_("Case code of the child it is about"),
        max_length=20,
        required=False,
        help_text=_(
            "The request is about the child of this case. Without a case code, find the "
            "person by name or phone first."
        ),
    )
    person_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    requester_name = forms.CharField(label=_("Who asked"), max_length=200)
    on_behalf = forms.ChoiceField(label=_("Asking as"), choices=OnBehalf.choices)
    requester_contact = forms.CharField(
        label=_("How to reach them safely"), max_length=200, required=False
    )
    details = forms.CharField(
        label=_("What they ask"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    received_at = _moment(
        _("When was it received?"), help_text=_("The answer is due a set number of days after.")
    )


class IdentityCheckForm(forms.Form):
    check = forms.ChoiceField(
        label=_("How were identity and authority checked?"),
        choices=IdentityCheck.choices,
        widget=forms.RadioSelect,
    )


class RequestDecisionForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (RequestStatus.GRANTED, RequestStatus.GRANTED.label),
            (RequestStatus.PARTLY_GRANTED, RequestStatus.PARTLY_GRANTED.label),
            (RequestStatus.REFUSED, RequestStatus.REFUSED.label),
            (RequestStatus.WITHDRAWN, RequestStatus.WITHDRAWN.label),
        ],
        widget=forms.RadioSelect,
    )
    refusal_ground = forms.ChoiceField(
        label=_("Legal ground for refusing (refused or partly granted)"),
        choices=RefusalGround.choices,
        required=False,
    )
    note = _text(_("The decision, as told to the requester"), rows=3)


class SubjectFindForm(forms.Form):
    name = forms.CharField(
        label=_("The person's name, as the requester gives it"), max_length=200, required=False
    )
    phone = forms.CharField(label=_("Or a phone number of theirs"), max_length=30, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("name") or "").strip() and not (cleaned.get("phone") or "").strip():
            raise forms.ValidationError(_("Write a name or a phone number to look for."))
        return cleaned


class CorrectionForm(forms.Form):
    """What the record should say; a field left empty stays as it is."""

    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    other_names = forms.CharField(label=_("Other names"), max_length=200, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[not_in_future_day],
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", _("(unchanged)")), *Sex.choices], required=False
    )

    def changes(self) -> dict[str, object]:
        """Return the fields the officer filled: those the correction changes."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
