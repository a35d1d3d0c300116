"""Forms of the referral pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import User
from kinga.referrals.models import Urgency


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} — {obj.agency}" if obj.agency else str(name)


def _needs_field() -> forms.MultipleChoiceField:
    from kinga.cases.models import Need

    return forms.MultipleChoiceField(
        label=_("Needs"),
        choices=Need.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ReferralForm(forms.Form):
    """Refer the child of a case to the chosen service."""

    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    reason = forms.CharField(
        label=_("Reason for the referral"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the service should do for the child. At least 20 characters."),
    )
    child_told = forms.CharField(
        label=_("What the child was told"), widget=forms.Textarea(attrs={"rows": 2})
    )
    child_first_name = forms.CharField(
        label=_("Child's first name, as the service will see it"), required=False, max_length=100
    )
    childrens_officer = UserChoiceField(
        label=_("Children's Officer"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("A child's referral always includes a Children's Officer."),
    )
    override_reason = forms.CharField(
        label=_("Override consent: why the referral cannot wait for consent"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Supervisors only. Recorded and audited."),
    )

    def __init__(
        self,
        *args: Any,
        officers: list[User],
        can_override: bool,
        plan_items: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["needs"] = _needs_field()
        officer_field = self.fields["childrens_officer"]
        assert isinstance(officer_field, forms.ModelChoiceField)  # noqa: S101  # narrows for mypy
        officer_field.queryset = User.objects.filter(pk__in=[user.pk for user in officers])
        if not can_override:
            del self.fields["override_reason"]
        if plan_items:
            self.fields["plan_item"] = forms.TypedChoiceField(
                label=_("The plan's service this referral meets"),
                choices=[("", _("None of them")), *plan_items],
                coerce=int,
                empty_value=None,
                required=False,
                help_text=_("The plan item then follows the referral: done when it completes."),
            )


class EmergencyReferralForm(forms.Form):
    """Refer a child from a triaged report before a case exists: emergencies only."""

    reason = forms.CharField(
        label=_("Reason for the referral"), widget=forms.Textarea(attrs={"rows": 3})
    )
    emergency_basis = forms.CharField(
        label=_("Why this cannot wait for a case (best interests of the child)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    child_told = forms.CharField(
        label=_("What the child was told"), widget=forms.Textarea(attrs={"rows": 2})
    )
    child_first_name = forms.CharField(
        label=_("Child's first name, if known"), required=False, max_length=100
    )
    child_age_band = forms.ChoiceField(label=_("Age"), required=False)
    child_sex = forms.ChoiceField(label=_("Sex"), required=False)
    child_languages = forms.MultipleChoiceField(
        label=_("Languages the child speaks"), required=False, widget=forms.CheckboxSelectMultiple
    )
    childrens_officer = UserChoiceField(label=_("Children's Officer"), queryset=User.objects.none())

    def __init__(self, *args: Any, officers: list[User], **kwargs: Any) -> None:
        from kinga.people.models import AgeBand, Language, Sex

        super().__init__(*args, **kwargs)
        self.fields["needs"] = _needs_field()
        band_field = self.fields["child_age_band"]
        sex_field = self.fields["child_sex"]
        officer_field = self.fields["childrens_officer"]
        assert isinstance(band_field, forms.ChoiceField)  # noqa: S101  # narrows for mypy
        assert isinstance(sex_field, forms.ChoiceField)
        assert isinstance(officer_field, forms.ModelChoiceField)
        band_field.choices = [("", _("Not known")), *AgeBand.choices]
        languages_field = self.fields["child_languages"]
        assert isinstance(languages_field, forms.ChoiceField)
        languages_field.choices = Language.choices
        sex_field.choices = [("", _("Not known")), *Sex.choices]
        officer_field.queryset = User.objects.filter(pk__in=[user.pk for user in officers])

    def clean_child_languages(self) -> list[str]:
        return [str(code) for code in self.cleaned_data.get("child_languages") or []]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class FeedbackForm(forms.Form):
    feedback = forms.CharField(
        label=_("Feedback for the case"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done and what the child needs next. No more than the case needs."),
    )


class AttachForm(forms.Form):
    case_code = forms.CharField(label=_("Case code"), max_length=20)
