"""Forms of joint training. They parse and check input; services write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import Agency, User
from kinga.places.models import County
from kinga.training.models import (
    FEEDBACK_MAX,
    Audience,
    Course,
    RevokeReason,
    TrainingSession,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    objectives = forms.CharField(label=_("Objectives"), widget=forms.Textarea(attrs={"rows": 3}))
    modules = forms.CharField(
        label=_("Modules"),
        help_text=_("One module a line."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    duration_days = forms.IntegerField(label=_("Duration (days)"), min_value=1, max_value=30)
    audiences = forms.MultipleChoiceField(
        label=_("For"), choices=Audience.choices, widget=forms.CheckboxSelectMultiple
    )
    test_max_score = forms.IntegerField(
        label=_("Highest test score"), min_value=1, max_value=1000, initial=20
    )
    refresher_months = forms.IntegerField(
        label=_("Refresher due after (months)"), min_value=1, max_value=120, initial=24
    )


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    answer_key = forms.CharField(label=_("Answer key"), widget=forms.Textarea(attrs={"rows": 2}))
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=100, initial=1)


class SessionForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.all())
    starts_on = forms.DateField(label=_("First day"), widget=DateInput())
    ends_on = forms.DateField(label=_("Last day"), widget=DateInput())
    venue = forms.CharField(label=_("Venue"), max_length=200)
    county = forms.ModelChoiceField(label=_("County"), queryset=County.objects.order_by("name"))
    facilitators = forms.CharField(label=_("Facilitators"), max_length=300)
    audiences = forms.MultipleChoiceField(
        label=_("Taking part"),
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A joint session has more than one kind of participant."),
    )
    agencies = forms.ModelMultipleChoiceField(
        label=_("Agencies taking part"),
        queryset=Agency.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The last day is before the first day."))
        return data


class ParticipantForm(forms.Form):
    """A member of staff by username, or someone without an account by name."""

    username = forms.CharField(
        label=_("Kinga username (staff)"),
        max_length=150,
        required=False,
        help_text=_("Leave empty for someone without a Kinga account, and give their name."),
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    agency = forms.ModelChoiceField(
        label=_("Agency"),
        queryset=Agency.objects.filter(is_active=True).order_by("name"),
        required=False,
    )
    agency_name = forms.CharField(
        label=_("Agency (if not in the list)"), max_length=200, required=False
    )
    job_title = forms.CharField(label=_("Role or rank"), max_length=200, required=False)
    audience = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("From the agency"))] + list(Audience.choices),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        username = (data.get("username") or "").strip()
        data["user"] = None
        if username:
            user = User.objects.filter(username__iexact=username, is_active=True).first()
            if user is None:
                self.add_error("username", _("No active account has this username."))
            data["user"] = user
        elif not (data.get("name") or "").strip():
            self.add_error("name", _("Give a Kinga username or the participant's name."))
        if not username and not data.get("agency") and not data.get("audience"):
            self.add_error("audience", _("Choose an agency or the kind of participant."))
        return data


class RecordForm(forms.Form):
    """A participant's days present, scores and feedback."""

    days = forms.TypedMultipleChoiceField(
        label=_("Days present"),
        coerce=dt.date.fromisoformat,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    pre_score = forms.IntegerField(label=_("Pre-test score"), min_value=0, required=False)
    post_score = forms.IntegerField(label=_("Post-test score"), min_value=0, required=False)
    feedback_rating = forms.IntegerField(
        label=_("Feedback (1 to 5)"), min_value=1, max_value=5, required=False
    )
    feedback_text = forms.CharField(
        label=_("Written feedback"),
        required=False,
        max_length=FEEDBACK_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What the participant wrote after the session, as written. Trainers see it "
            "without the name."
        ),
    )

    def __init__(self, *args: Any, session: TrainingSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["days"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(day.isoformat(), day.strftime("%a %d %b %Y")) for day in session.days()]
        self.maximum = maximum = session.course.test_max_score
        for name in ("pre_score", "post_score"):
            score = self.fields[name]
            score.help_text = _("Out of %(max)s; leave empty if not sat.") % {"max": maximum}
            score.widget.attrs["max"] = maximum

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("pre_score", "post_score"):
            value = data.get(name)
            if value is not None and value > self.maximum:
                self.add_error(name, _("A score is at most %(max)s.") % {"max": self.maximum})
        return data


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why"), choices=RevokeReason.choices)


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=40)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Attendance or score sheet (CSV or XLSX)"),
        help_text=_(
            "First row: the column names, e.g. name, agency, kind, role, day 1, day 2, pre, "
            "post. Mark a day present with 1 or x."
        ),
    )
