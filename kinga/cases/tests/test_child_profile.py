"""Issue 13 point 1: the child's profile is editable after opening, through `people` with
the encrypted identity, and an assessment's age updates it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from kinga.audit.models import AuditAction, AuditEvent
from kinga.cases import services
from kinga.cases.models import Case, CaseEvent
from kinga.people.models import IdentifierKind, LinkRole, PersonIdentifier, PersonLink
from kinga.people.selectors import person_search

TODAY = timezone.localdate()

PROFILE = {
    "given_name": "Zawadi",
    "family_name": "Mwakio",
    "other_names": "Zizi",
    "sex": "female",
    "age_estimate": "14",
    "age_basis": "apparent",
    "languages": ["sw", "nyf"],
    "phone": "0712 345 678",
    "birth_certificate": "BC 1234-56",
    "guardian_given_name": "Mama Zawadi",
    "guardian_family_name": "Mwakio",
    "guardian_phone": "0722000111",
}


def _opened(client, case) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The edit base of the form as the page gives it (the version it was opened on)."""
    return {
        "edit_base": client.get(f"/cases/{case.pk}/add/child/").context["form"]["edit_base"].value()
    }


def test_the_team_records_the_childs_profile_on_the_case(personas, case, client_for) -> None:
    client = client_for(personas.caseworker)
    form = client.get(f"/cases/{case.pk}/add/child/")
    assert form.status_code == 200
    response = client.post(f"/cases/{case.pk}/add/child/", {**PROFILE, **_opened(client, case)})
    assert response.status_code == 302
    child = Case.objects.get(pk=case.pk).child
    assert (child.given_name, child.family_name, child.other_names) == ("Zawadi", "Mwakio", "Zizi")
    assert child.sex == "female" and child.age_estimate == 14 and child.age_band == "12-14"
    assert child.languages == ["nyf", "sw"]
    kinds = set(PersonIdentifier.objects.filter(person=child).values_list("kind", flat=True))
    assert kinds == {IdentifierKind.PHONE, IdentifierKind.BIRTH_CERTIFICATE}
    guardian = PersonLink.objects.get(
        matter_type="case", matter_id=case.pk, role=LinkRole.GUARDIAN
    ).person
    assert guardian.given_name == "Mama Zawadi"
    # the name is found by the encrypted search tokens, and never stored in clear
    assert child in person_search(viewer=personas.caseworker, text="Zawadi")
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name FROM people_person WHERE id = %s", [child.pk])
        assert "Zawadi" not in str(cursor.fetchone()[0])
    # the case page shows it; the timeline says the profile changed, not what it says
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Zawadi Zizi Mwakio" in body and "about 14 years" in body and "Female" in body
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CHILD).get()
    assert event.event_section == "identity" and "Zawadi" not in event.summary
    # audited on the case's trail, with field names only
    change = AuditEvent.objects.filter(
        action=AuditAction.CHANGE, record_type="people.person", record_id=str(child.pk)
    ).latest("seq")
    assert (change.matter_type, change.matter_id) == ("case", case.pk)
    assert "given_name" in change.fields and "Zawadi" not in str(change.detail)


def test_the_form_shows_what_is_recorded_and_a_second_save_keeps_the_guardian(
    personas, case, client_for
) -> None:
    client = client_for(personas.caseworker)
    client.post(f"/cases/{case.pk}/add/child/", {**PROFILE, **_opened(client, case)})
    form = client.get(f"/cases/{case.pk}/add/child/").context["form"]
    assert form.initial["given_name"] == "Zawadi"
    assert form.initial["guardian_phone"] == "+254722000111"
    assert form.initial["birth_certificate"] == "BC 1234-56"
    client.post(
        f"/cases/{case.pk}/add/child/",
        {**PROFILE, "guardian_given_name": "Bibi", "edit_base": form.initial["edit_base"]},
    )
    links = PersonLink.objects.filter(matter_type="case", matter_id=case.pk, role="guardian")
    assert links.count() == 1 and links.get().person.given_name == "Bibi"


def test_a_date_of_birth_wins_over_an_estimate_and_cannot_be_in_the_future(personas, case) -> None:
    born = TODAY.replace(year=TODAY.year - 12) - datetime.timedelta(days=10)
    child = services.case_child_update(
        case=case,
        actor=personas.caseworker,
        given_name="Zawadi",
        family_name="Mwakio",
        date_of_birth=born,
        age_estimate=16,
    )
    assert child.age_estimate is None and child.age_basis == "document"
    assert child.age_band == "12-14"
    with pytest.raises(ValidationError):
        services.case_child_update(
            case=case,
            actor=personas.caseworker,
            given_name="Zawadi",
            family_name="Mwakio",
            date_of_birth=TODAY + datetime.timedelta(days=1),
        )


def test_only_those_who_may_change_identity_edit_the_profile(personas, case, client_for) -> None:
    for user in (personas.counsellor, personas.investigator, personas.caseworker_other):
        assert client_for(user).get(f"/cases/{case.pk}/add/child/").status_code == 404
        assert client_for(user).post(f"/cases/{case.pk}/add/child/", PROFILE).status_code == 404
    with pytest.raises(Http404):
        services.case_child_update(
            case=case, actor=personas.counsellor, given_name="X", family_name="Y"
        )
    assert Case.objects.get(pk=case.pk).child.given_name == "Mwanaisha"


def _assessment(case, actor, *, age: int | None, basis: str = "assessed"):  # type: ignore[no-untyped-def]
    return services.assessment_record(
        case=case,
        actor=actor,
        kind="assessment",
        trafficking_status="possible",
        status_decided_by="caseworker",
        age_basis=basis,
        assessed_age=age,
        risk_level="high",
    )


def test_an_assessments_age_updates_the_child(personas, case) -> None:
    _assessment(case, personas.caseworker, age=12)
    child = Case.objects.get(pk=case.pk).child
    assert child.age_estimate == 12 and child.age_basis == "assessed"
    assert child.age_band == "12-14"


def test_a_document_wins_over_an_assessed_age(personas, case) -> None:
    born = TODAY.replace(year=TODAY.year - 16)
    services.case_child_update(
        case=case,
        actor=personas.caseworker,
        given_name="Mwanaisha",
        family_name="Kahindi",
        date_of_birth=born,
    )
    _assessment(case, personas.caseworker, age=13)
    child = Case.objects.get(pk=case.pk).child
    assert child.date_of_birth == born and child.age_estimate is None


def test_a_counsellors_assessment_does_not_change_identity(personas, case) -> None:
    _assessment(case, personas.counsellor, age=9)
    assert Case.objects.get(pk=case.pk).child.age_estimate == 15
