"""Forms of the case pages: they parse input; services decide and write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import Agency, User
from kinga.cases import wellbeing
from kinga.cases.models import (
    CLOSED_STATUSES,
    AgeBasis,
    AssessmentKind,
    Attendance,
    ConsentBasis,
    ConsentGivenBy,
    ConsentPurpose,
    ControlMethod,
    DecidedBy,
    FollowUpOutcome,
    Need,
    PalermoAct,
    PalermoMeans,
    PalermoPurpose,
    PlanItemKind,
    PlanItemStatus,
    PromiseKind,
    RecruitmentApp,
    RecruitmentChannel,
    ReintegrationDomain,
    ReintegrationStatus,
    RiskLevel,
    RoleOnCase,
    SafetyEventKind,
    Sensitivity,
    SessionType,
    SexualExploitationType,
    TraffickingStatus,
)
from kinga.lib.concurrency import EditBaseField
from kinga.lib.dates import not_in_future
from kinga.people.models import Language
from kinga.places.models import County


class DateInput(forms.DateInput):
    input_type = "date"


def _date(
    label: Any, *, required: bool = True, today: bool = True, past: bool = False
) -> forms.DateField:
    """A date field; `past` for the day something happened (never after today)."""
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        initial=timezone.localdate if today else None,
        validators=[not_in_future] if past else [],
    )


def _text(
    label: Any, *, required: bool = True, rows: int = 3, help_text: Any = ""
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
        max_length=5000,
    )


def _many(label: Any, choices: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


def active_agencies() -> QuerySet[Agency]:
    return Agency.objects.filter(is_active=True).order_by("name")


def _person_label(person: Any) -> str:
    """Name and age band of a person the viewer may already see (from people's search)."""
    name = getattr(person, "full_name", "") or str(person)
    band = person.get_age_band_display() if hasattr(person, "get_age_band_display") else ""
    return f"{name} · {band}" if band else name


class OpenCaseForm(forms.Form):
    """Open a case directly: an existing person from the search, or a new child."""

    person = forms.TypedChoiceField(label=_("Child"), coerce=int, required=False, empty_value=None)
    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    age_estimate = forms.IntegerField(
        label=_("Apparent age (years)"), min_value=0, max_value=25, required=False
    )
    county = forms.ModelChoiceField(label=_("County"), queryset=County.objects.none())
    reason = _text(_("Why a case is opened"), rows=2)

    def __init__(self, *args: Any, persons: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["person"]).choices = [
            ("", _("A new child")),
            *[(p.pk, _person_label(p)) for p in persons],
        ]
        self.fields["county"].queryset = County.objects.filter(coastal=True).order_by("name")  # type: ignore[attr-defined]


class TeamMemberForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())
    role_on_case = forms.ChoiceField(label=_("Role on the case"), choices=RoleOnCase.choices)

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates  # type: ignore[attr-defined]
        self.fields["user"].label_from_instance = lambda u: f"{u} · {u.agency}"  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    recipient_agency = forms.ModelChoiceField(
        label=_("Recipient agency"), queryset=Agency.objects.none()
    )
    given_by = forms.ChoiceField(
        label=_("Given by"),
        choices=[c for c in ConsentGivenBy.choices if c[0] != ConsentGivenBy.SUPERVISOR_OVERRIDE],
    )
    basis = forms.ChoiceField(
        label=_("Legal basis"),
        choices=[c for c in ConsentBasis.choices if c[0] != ConsentBasis.OVERRIDE],
        help_text=_(
            "Consent or assent; otherwise the legal basis a Children's Officer or court relies on."
        ),
    )
    child_assented = forms.BooleanField(label=_("The child agreed (assent)"), required=False)
    given_by_name = forms.CharField(
        label=_("Name of the person who gave it"), required=False, max_length=200
    )
    explained = _text(_("What was explained, in which language"))
    given_on = _date(_("Given on"), past=True)
    expires_on = _date(_("Expires on"), required=False, today=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient_agency"].queryset = active_agencies()  # type: ignore[attr-defined]


class OverrideForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    recipient_agency = forms.ModelChoiceField(
        label=_("Recipient agency"), queryset=Agency.objects.none()
    )
    reason = _text(_("Why sharing cannot wait for consent"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient_agency"].queryset = active_agencies()  # type: ignore[attr-defined]


class AssessmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AssessmentKind.choices)
    assessed_on = _date(_("Assessed on"), past=True)
    trafficking_status = forms.ChoiceField(
        label=_("Trafficking status"), choices=TraffickingStatus.choices
    )
    status_decided_by = forms.ChoiceField(label=_("Status decided by"), choices=DecidedBy.choices)
    palermo_acts = _many(_("Act"), PalermoAct.choices)
    palermo_means = _many(
        _("Means (not needed to establish trafficking of a child)"), PalermoMeans.choices
    )
    palermo_purposes = _many(_("Purpose"), PalermoPurpose.choices)
    control_methods = _many(_("Methods of control"), ControlMethod.choices)
    exploitation_types = _many(_("Type of sexual exploitation"), SexualExploitationType.choices)
    recruitment_channel = forms.ChoiceField(
        label=_("Recruitment channel"), choices=RecruitmentChannel.choices
    )
    recruitment_apps = _many(_("Apps used"), RecruitmentApp.choices)
    age_basis = forms.ChoiceField(label=_("Age known from"), choices=AgeBasis.choices)
    assessed_age = forms.IntegerField(
        label=_("Assessed or apparent age"), min_value=0, max_value=40, required=False
    )
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    needs = _many(_("Needs"), Need.choices)
    risk_notes = _text(_("Risks found"), required=False)
    best_interests = _text(_("Best-interests assessment"), required=False)
    child_views = _text(
        _("The child's own views"),
        required=False,
        help_text=_("In the child's words where possible."),
    )


class PlanItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Goal or service"), choices=PlanItemKind.choices)
    need = forms.ChoiceField(label=_("Need"), choices=Need.choices)
    description = _text(_("Description"), rows=2)
    provider_agency = forms.ModelChoiceField(
        label=_("Provided by"), queryset=Agency.objects.none(), required=False
    )
    due_on = _date(_("Due on"), today=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider_agency"].queryset = active_agencies()  # type: ignore[attr-defined]


class PlanItemEditForm(forms.Form):
    """Change a goal or service of the plan (the kind stays: a goal is not a service)."""

    need = forms.ChoiceField(label=_("Need"), choices=Need.choices)
    description = _text(_("Description"), rows=3)
    provider_agency = forms.ModelChoiceField(
        label=_("Provided by"), queryset=Agency.objects.none(), required=False
    )
    due_on = _date(_("Due on"), today=False)
    status = forms.ChoiceField(label=_("Status"), choices=PlanItemStatus.choices)
    edit_base = EditBaseField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider_agency"].queryset = active_agencies()  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    sensitivity = forms.ChoiceField(label=_("Who may read it"), choices=Sensitivity.choices)
    text = _text(_("Note"), rows=5)

    def __init__(self, *args: Any, writable: set[str] | None = None, **kwargs: Any) -> None:
        """Offer only the sensitivities whose section the writer may add to."""
        super().__init__(*args, **kwargs)
        if writable is not None:
            field = cast(forms.ChoiceField, self.fields["sensitivity"])
            field.choices = [c for c in Sensitivity.choices if c[0] in writable]


class InterviewPlanForm(forms.Form):
    held_on = _date(_("Planned date"), today=False)
    purpose = _text(_("Purpose"), rows=2)
    confirm_repeat = forms.BooleanField(
        label=_("I know the child was interviewed before and another interview is necessary"),
        required=False,
    )
    justification = _text(_("Why another interview is needed"), required=False, rows=2)


class InterviewForm(InterviewPlanForm):
    present = _text(_("Who was present"), rows=2)
    place = forms.CharField(label=_("Where"), max_length=200)
    recording_reference = forms.CharField(
        label=_("Where the recording is kept"),
        max_length=200,
        required=False,
        help_text=_("A reference (exhibit number, storage location). Never upload the recording."),
    )
    recording_kept_by = forms.ModelChoiceField(
        label=_("Recording kept by"), queryset=Agency.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["held_on"].label = _("Date")
        self.fields["held_on"].validators.append(not_in_future)  # held, not planned
        self.fields["recording_kept_by"].queryset = active_agencies()  # type: ignore[attr-defined]


class SessionForm(forms.Form):
    held_on = _date(_("Date"), past=True)
    session_type = forms.ChoiceField(label=_("Type"), choices=SessionType.choices)
    attendance = forms.ChoiceField(label=_("Attendance"), choices=Attendance.choices)
    notes = _text(_("Session notes"), required=False, rows=5)


class WellbeingForm(forms.Form):
    measured_on = _date(_("Date"), past=True)
    language = forms.ChoiceField(
        label=_("Language used"), choices=[("sw", "Kiswahili"), ("en", "English")]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (value, f"{value} · {english} / {swahili}")
            for value, english, swahili in wellbeing.ANSWERS
        ]
        for number, item in enumerate(wellbeing.ITEMS, start=1):
            self.fields[f"item_{item.key}"] = forms.TypedChoiceField(
                label=f"{number}. {item.english} / {item.kiswahili}",
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
            )

    def scores(self) -> list[int]:
        return [self.cleaned_data[f"item_{item.key}"] for item in wellbeing.ITEMS]


class SafetyEventForm(forms.Form):
    occurred_on = _date(_("Date"), past=True)
    kind = forms.ChoiceField(label=_("What happened"), choices=SafetyEventKind.choices)
    description = _text(_("Description"), required=False)
    action_taken = _text(_("Action taken"), required=False)


class ReintegrationForm(forms.Form):
    recorded_on = _date(_("Date"), past=True)
    domain = forms.ChoiceField(label=_("Domain"), choices=ReintegrationDomain.choices)
    status = forms.ChoiceField(label=_("Status"), choices=ReintegrationStatus.choices)
    notes = _text(_("Notes"), required=False)


class FollowUpForm(forms.Form):
    held_on = _date(_("Date"), past=True)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=FollowUpOutcome.choices)
    notes = _text(_("Notes"), required=False)


class _TeamChoice(forms.Form):
    def __init__(self, *args: Any, team: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("assigned_to", "owner"):
            if name in self.fields:
                self.fields[name].choices = [(u.pk, f"{u} · {u.agency}") for u in team]  # type: ignore[attr-defined]


class TaskForm(_TeamChoice):
    title = forms.CharField(label=_("What to do"), max_length=300)
    assigned_to = forms.TypedChoiceField(label=_("Assigned to"), coerce=int)
    due_on = _date(_("Due on"), today=False)


class PromiseForm(_TeamChoice):
    kind = forms.ChoiceField(label=_("What kind of promise"), choices=PromiseKind.choices)
    description = _text(_("What was promised to the child"), rows=2)
    owner = forms.TypedChoiceField(label=_("Who keeps it"), coerce=int)
    due_on = _date(_("Due on"), today=False)


class ClosureForm(forms.Form):
    closing_status = forms.ChoiceField(
        label=_("Close as"), choices=[(s.value, s.label) for s in CLOSED_STATUSES]
    )
    reason = _text(_("Why the case can close"))


class TransferForm(forms.Form):
    to_agency = forms.ModelChoiceField(label=_("To agency"), queryset=Agency.objects.none())
    reason = _text(_("Reason for the transfer"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_agency"].queryset = active_agencies()  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = _text(_("Reason"))


class RiskForm(forms.Form):
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)


class CaseFilterForm(forms.Form):
    from kinga.cases.models import CaseStatus as _Status

    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *_Status.choices], required=False
    )
    risk_level = forms.ChoiceField(
        label=_("Risk"), choices=[("", _("Any risk")), *RiskLevel.choices], required=False
    )
    q = forms.CharField(
        label=_("Child's name or case code"),
        max_length=100,
        required=False,
        help_text=_("A name as you heard it, or a code or its beginning (MSA-2026)."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    mine = forms.BooleanField(label=_("Only cases I own"), required=False)

    field_order = ["q", "status", "risk_level", "mine"]


class ChildProfileForm(forms.Form):
    """The child's profile: what the team knows, filled in as it learns it."""

    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    other_names = forms.CharField(
        label=_("Other names or what the child is called"), max_length=200, required=False
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=DateInput(),
        help_text=_("Only from a document. Otherwise give the estimated age."),
    )
    age_estimate = forms.IntegerField(
        label=_("Estimated age (years)"), min_value=0, max_value=25, required=False
    )
    age_basis = forms.ChoiceField(label=_("The age is"), required=False)
    languages = _many(_("Languages the child speaks"), Language.choices)
    phone = forms.CharField(label=_("The child's phone"), max_length=40, required=False)
    birth_certificate = forms.CharField(
        label=_("Birth certificate number"), max_length=60, required=False
    )
    guardian_given_name = forms.CharField(
        label=_("Parent or guardian: given name"), max_length=100, required=False
    )
    guardian_family_name = forms.CharField(
        label=_("Parent or guardian: family name"), max_length=100, required=False
    )
    guardian_phone = forms.CharField(
        label=_("Parent or guardian: phone"), max_length=40, required=False
    )
    edit_base = EditBaseField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kinga.people.models import AgeBasis as PersonAgeBasis
        from kinga.people.models import Sex

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["sex"]).choices = [("", "—"), *Sex.choices]
        cast(forms.ChoiceField, self.fields["age_basis"]).choices = [
            ("", "—"),
            *[(v, label) for v, label in PersonAgeBasis.choices if v != PersonAgeBasis.DOCUMENT],
        ]

    def clean_date_of_birth(self) -> Any:
        value = self.cleaned_data.get("date_of_birth")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("A date of birth cannot be in the future."))
        return value
