"""Forms of the justice pages: one per step, each posted to its own URL."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import User
from kinga.cases.models import ControlMethod, SexualExploitationType
from kinga.justice.models import (
    AdjournmentParty,
    AdjournmentReason,
    AgeProofKind,
    AppealBy,
    BailCondition,
    BailKind,
    BuyerOrigin,
    ChargeDecisionKind,
    CountOutcomeKind,
    CourtEventKind,
    CourtEventOutcome,
    EventKind,
    EvidenceKind,
    HowObtained,
    LeadKind,
    Measure,
    NoChargeReason,
    PersonOfInterest,
    PersonRole,
    PleaKind,
    Relationship,
    SentenceKind,
    StatementKind,
    WitnessKind,
)
from kinga.justice.statutes import offence_choices
from kinga.lib.concurrency import EditBaseField
from kinga.people.models import Sex
from kinga.places.models import County, Ward

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _date(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE, required=required)


def _datetime(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DATETIME, input_formats=DATETIME_FORMATS)


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} — {obj.agency}" if obj.agency else str(name)


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.person.full_name or obj.person} ({obj.get_role_display()})"


class WardChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.sub_county.name})"


class IncidentFacts(forms.Form):
    """What happened: the part of an incident its team may correct later."""

    county = forms.ModelChoiceField(
        label=_("County"), queryset=County.objects.filter(coastal=True).order_by("name")
    )
    ward = WardChoiceField(
        label=_("Ward"),
        queryset=Ward.objects.filter(sub_county__county__coastal=True)
        .select_related("sub_county")
        .order_by("sub_county__county__name", "name"),
        required=False,
        help_text=_("Where it mostly happened, if known."),
    )
    summary = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    exploitation_types = forms.MultipleChoiceField(
        label=_("Type of exploitation"),
        choices=SexualExploitationType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    control_methods = forms.MultipleChoiceField(
        label=_("Means of control"),
        choices=ControlMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    began_on = _date(_("Exploitation began"), required=False)
    ended_on = _date(_("Exploitation ended"), required=False)
    buyer_origin = forms.ChoiceField(
        label=_("Buyers were"), choices=BuyerOrigin.choices, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        county, ward = data.get("county"), data.get("ward")
        if county is not None and ward is not None and ward.sub_county.county_id != county.pk:
            self.add_error("ward", _("This ward is not in the county chosen."))
        return data


class IncidentForm(IncidentFacts):
    station = forms.CharField(label=_("Police station"), max_length=120)
    ob_number = forms.CharField(
        label=_("Occurrence Book number"),
        max_length=40,
        help_text=_("As written in the station's Occurrence Book, e.g. OB 12/04/03/2026."),
    )
    reported_on = _date(_("Reported on"))

    field_order = ["county", "ward", "station", "ob_number", "reported_on"]


class OfficerRemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Why they leave the investigation"),
        max_length=300,
        help_text=_("For example: transferred to another station, on leave, conflict of interest."),
    )


class LinkCaseForm(forms.Form):
    case_code = forms.CharField(label=_("Case code of the child"), max_length=20)


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=EventKind.choices)
    occurred_on = _date(_("When"))
    until_on = _date(_("Until"), required=False)
    county = forms.ModelChoiceField(
        label=_("County"), queryset=County.objects.order_by("name"), required=False
    )
    place = forms.CharField(label=_("Where (town, venue, route)"), required=False)
    description = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Name to search for"), max_length=100)


class PersonRoleFields(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=PersonRole.choices)
    relationship = forms.ChoiceField(
        label=_("Relationship to the child"), choices=Relationship.choices
    )
    is_foreign = forms.BooleanField(label=_("Foreign national"), required=False)


class ExistingPersonForm(PersonRoleFields):
    """The role of a person the search found (their id is posted beside it)."""


class NewPersonForm(PersonRoleFields):
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    other_names = forms.CharField(label=_("Other names or alias"), max_length=100, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    age_estimate = forms.IntegerField(
        label=_("Estimated age"), min_value=0, max_value=120, required=False
    )
    nationality = forms.CharField(
        label=_("Nationality (country code)"), max_length=2, required=False
    )
    phone = forms.CharField(label=_("Phone number"), max_length=20, required=False)
    # Asked only when the matcher finds likely matches for what was typed.
    none_of_these = forms.BooleanField(
        label=_("None of the people found is this person"), required=False
    )


class LeadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LeadKind.choices)
    value = forms.CharField(label=_("What (name, plate, number, handle)"), max_length=200)
    platform = forms.CharField(label=_("Platform (for an online account)"), required=False)
    person = PersonChoiceField(
        label=_("Used by"), queryset=PersonOfInterest.objects.none(), required=False
    )

    def __init__(self, *args: Any, people: list[PersonOfInterest], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = PersonOfInterest.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in people]
        ).select_related("person")


class OfficerForm(forms.Form):
    user = UserChoiceField(label=_("Investigator"), queryset=User.objects.none())

    def __init__(self, *args: Any, choices: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in choices]
        ).select_related("agency")


class TaskForm(forms.Form):
    title = forms.CharField(label=_("What to do"), max_length=300)
    due_on = _date(_("Due"))
    assigned_to = UserChoiceField(label=_("Officer"), queryset=User.objects.none())

    def __init__(self, *args: Any, team: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in team]
        ).select_related("agency")


class StatementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Statement of"), choices=StatementKind.choices)
    interview = forms.TypedChoiceField(
        label=_("The child's interview (recorded once, on the case)"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    taken_on = _date(_("Taken on"))
    reference = forms.CharField(label=_("Where it is kept (a reference)"), required=False)

    def __init__(self, *args: Any, interviews: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["interview"].choices = [("", "—"), *interviews]  # type: ignore[attr-defined]


class EvidenceForm(forms.Form):
    exhibit_number = forms.CharField(label=_("Exhibit number"), max_length=32)
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    item = forms.CharField(label=_("Item"), max_length=300)
    how_obtained = forms.ChoiceField(label=_("How obtained"), choices=HowObtained.choices)
    obtained_on = _date(_("Obtained on"))
    first_holder = forms.CharField(label=_("Taken into custody by"), max_length=120)
    sha256 = forms.CharField(
        label=_("SHA-256 of the digital file"),
        max_length=64,
        required=False,
        help_text=_("The file stays in the forensic store: never upload images of abuse."),
    )
    held_at = forms.CharField(label=_("Where the original is held"), required=False)


class CustodyForm(forms.Form):
    to_holder = forms.CharField(label=_("Handed to"), max_length=120)
    purpose = forms.CharField(label=_("Purpose"), max_length=120)


class AgeProofForm(forms.Form):
    case = forms.TypedChoiceField(label=_("Child (case)"), coerce=int)
    kind = forms.ChoiceField(label=_("Proof"), choices=AgeProofKind.choices)
    age_years = forms.IntegerField(
        label=_("Age it shows"), min_value=0, max_value=30, required=False
    )
    obtained_on = _date(_("Obtained on"))
    reference = forms.CharField(label=_("Reference (number, issuer)"), required=False)

    def __init__(self, *args: Any, cases: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = cases  # type: ignore[attr-defined]


class _PeopleForm(forms.Form):
    def __init__(self, *args: Any, people: list[PersonOfInterest], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.person_fields:
            self.fields[name].queryset = PersonOfInterest.objects.filter(  # type: ignore[attr-defined]
                pk__in=[p.pk for p in people]
            ).select_related("person")

    person_fields: tuple[str, ...] = ()


class ArrestForm(_PeopleForm):
    person_fields = ("suspect",)
    suspect = PersonChoiceField(label=_("Suspect"), queryset=PersonOfInterest.objects.none())
    arrested_at = _datetime(_("Arrested at"))
    station = forms.CharField(label=_("Held at (station)"), max_length=120)


class FileForm(forms.Form):
    prosecutor = UserChoiceField(label=_("Prosecutor"), queryset=User.objects.none())

    def __init__(self, *args: Any, choices: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prosecutor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in choices]
        ).select_related("agency")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=ChargeDecisionKind.choices)
    no_charge_reason = forms.ChoiceField(
        label=_("Why not charged"), choices=NoChargeReason.choices, required=False
    )
    note = forms.CharField(
        label=_("Directions or reasons"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class CourtFileForm(forms.Form):
    court = forms.CharField(
        label=_("Court"), max_length=120, help_text=_("e.g. Mombasa Law Courts (Children's Court)")
    )
    court_file_number = forms.CharField(label=_("Court file number"), max_length=40)
    filed_on = _date(_("Filed on"))


class AmendForm(forms.Form):
    filed_on = _date(_("Filed on"))
    note = forms.CharField(label=_("What the amendment changes"), max_length=500)
    edit_base = EditBaseField()


class CountForm(forms.Form):
    offence = forms.ChoiceField(label=_("Offence"), choices=[])
    accused = PersonChoiceField(label=_("Accused"), queryset=PersonOfInterest.objects.none())
    particulars = forms.CharField(label=_("Particulars"), required=False, max_length=1000)

    def __init__(self, *args: Any, people: list[PersonOfInterest], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offence"].choices = [("", "—"), *offence_choices()]  # type: ignore[attr-defined]
        self.fields["accused"].queryset = PersonOfInterest.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in people]
        ).select_related("person")


CountFormSet = forms.formset_factory(CountForm, extra=3, max_num=40, min_num=0)


class PleaForm(forms.Form):
    plea = forms.ChoiceField(label=_("Plea"), choices=PleaKind.choices)
    entered_on = _date(_("Entered on"))


class BailForm(_PeopleForm):
    person_fields = ("accused",)
    accused = PersonChoiceField(label=_("Accused"), queryset=PersonOfInterest.objects.none())
    kind = forms.ChoiceField(label=_("Terms"), choices=BailKind.choices)
    amount_kes = forms.IntegerField(label=_("Amount (KES)"), min_value=0, required=False)
    conditions = forms.MultipleChoiceField(
        label=_("Conditions"),
        choices=BailCondition.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    decided_on = _date(_("Decided on"))


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(label=_("For"), choices=CourtEventKind.choices)
    scheduled_for = _datetime(_("Date and time"))
    courtroom = forms.CharField(label=_("Courtroom"), max_length=60, required=False)
    witness = forms.ChoiceField(
        label=_("Witness to be heard"), choices=WitnessKind.choices, required=False
    )
    child_attends = forms.BooleanField(label=_("The child comes to court"), required=False)


class HeldForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CourtEventOutcome.choices)
    child_testified = forms.BooleanField(label=_("The child testified"), required=False)
    officer_present = forms.BooleanField(label=_("Investigating officer present"), required=False)


class AdjournForm(forms.Form):
    requested_by = forms.ChoiceField(label=_("Asked by"), choices=AdjournmentParty.choices)
    reason = forms.ChoiceField(label=_("Why"), choices=AdjournmentReason.choices)
    next_date = _datetime(_("Next date"))
    officer_present = forms.BooleanField(label=_("Investigating officer present"), required=False)


class ProtectionForm(forms.Form):
    case = forms.TypedChoiceField(label=_("Child (case)"), coerce=int)
    declared_on = _date(_("Declared a vulnerable witness on (s.31)"), required=False)
    measures = forms.MultipleChoiceField(
        label=_("Measures granted"),
        choices=Measure.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    told_child_on = _date(_("Child and guardian told of the measures on (s.32)"), required=False)
    impact_statement_on = _date(_("Victim impact statement filed on"), required=False)

    def __init__(self, *args: Any, cases: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = cases  # type: ignore[attr-defined]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CountOutcomeKind.choices)
    decided_on = _date(_("Decided on"))


class SentenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Sentence"), choices=SentenceKind.choices)
    months = forms.IntegerField(label=_("Term (months)"), min_value=0, required=False)
    fine_kes = forms.IntegerField(label=_("Fine (KES)"), min_value=0, required=False)
    compensation_kes = forms.IntegerField(
        label=_("Compensation to the child (KES)"), min_value=0, required=False
    )
    passed_on = _date(_("Passed on"))


class AppealForm(forms.Form):
    appealed_by = forms.ChoiceField(label=_("Appealed by"), choices=AppealBy.choices)
    filed_on = _date(_("Filed on"))
    court = forms.CharField(label=_("Appeal court"), max_length=120)


class WithdrawForm(forms.Form):
    decided_on = _date(_("Withdrawn on"))
