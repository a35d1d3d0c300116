"""A request found by the person's name or phone (through the encrypted search tokens), and a
correction request carried out on the record, audited; outsiders get nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from kinga.audit.models import AuditAction, AuditEvent
from kinga.cases import services as case_services
from kinga.cases.models import Case
from kinga.dataprotection import selectors, services
from kinga.dataprotection.models import RequestKind, RequestStatus, SubjectRequest
from kinga.notifications.models import Notification
from kinga.people.models import Person, PersonKind, PersonNameToken
from kinga.people.services import person_create
from kinga.places.models import County

pytestmark = pytest.mark.django_db


def _child_case(personas: Any, given: str, family: str, phone: str = "") -> Case:
    child = person_create(
        actor=personas.caseworker,
        kind=PersonKind.CHILD,
        given_name=given,
        family_name=family,
        age_estimate=15,
        age_basis="apparent",
        phones=[phone] if phone else [],
    )
    return case_services.case_open(
        child=child,
        county=County.objects.get(name="Mombasa"),
        actor=personas.caseworker,
        reason="A girl exploited near the ferry",
    )


def _record(officer: Any, *, kind: str, person_id: int) -> SubjectRequest:
    return services.subject_request_record(
        actor=officer,
        kind=kind,
        person_id=person_id,
        requester_name="Mama Zawadi (mother)",
        on_behalf="parent",
        received_at=timezone.now() - datetime.timedelta(hours=1),
    )


def test_the_officer_finds_the_person_by_name_or_phone_and_sees_only_references(
    personas: Any, officer: Any
) -> None:
    zawadi = _child_case(personas, "Zawadi", "Mwachiro", phone="0712 345678")
    other = _child_case(personas, "Rehema", "Karisa", phone="0733 111222")
    by_name = selectors.subjects_found(viewer=officer, name="Zawadi Mwachiro")
    assert by_name[0].person_id == zawadi.child_id
    assert zawadi.code in by_name[0].references
    assert other.child_id not in [subject.person_id for subject in by_name]
    # a spelling as heard on the phone finds her by sound
    assert zawadi.child_id in [
        s.person_id for s in selectors.subjects_found(viewer=officer, name="Zawady Mwachiro")
    ]
    by_phone = selectors.subjects_found(viewer=officer, phone="+254 712 345 678")
    assert [subject.person_id for subject in by_phone] == [zawadi.child_id]
    both = selectors.subjects_found(viewer=officer, name="Rehema", phone="0712345678")
    assert both == []
    # the search is audited with its terms hashed, never in clear
    searches = AuditEvent.objects.filter(
        actor=officer, action=AuditAction.SEARCH, record_type="people.person"
    )
    assert searches.count() == 4
    for event in searches:
        assert event.search_hash and "Zawadi" not in str(event.detail)


def test_a_bad_phone_or_an_empty_search_says_what_to_fix(personas: Any, officer: Any) -> None:
    with pytest.raises(ValidationError) as bad:
        selectors.subjects_found(viewer=officer, phone="not a phone")
    assert "phone" in bad.value.message_dict
    with pytest.raises(ValidationError) as empty:
        selectors.subjects_found(viewer=officer)
    assert "name" in empty.value.message_dict


def test_nobody_but_the_officer_searches_for_a_subject(personas: Any) -> None:
    _child_case(personas, "Zawadi", "Mwachiro")
    for user in (personas.caseworker, personas.supervisor, personas.admin, personas.analyst):
        with pytest.raises(Http404):
            selectors.subjects_found(viewer=user, name="Zawadi")
        with pytest.raises(Http404):
            selectors.subject_get(viewer=user, person_id=1)


def test_a_request_found_by_name_is_about_that_person(personas: Any, officer: Any) -> None:
    case = _child_case(personas, "Zawadi", "Mwachiro")
    [found] = selectors.subjects_found(viewer=officer, name="Zawadi Mwachiro")
    made = _record(officer, kind=RequestKind.ACCESS, person_id=found.person_id)
    assert made.person_id == case.child_id
    with pytest.raises(ValidationError) as missing:
        _record(officer, kind=RequestKind.ACCESS, person_id=999_999)
    assert "case_code" in missing.value.message_dict
    with pytest.raises(ValidationError) as neither:
        services.subject_request_record(
            actor=officer,
            kind=RequestKind.ACCESS,
            requester_name="Someone",
            on_behalf="self",
            received_at=timezone.now(),
        )
    assert "case_code" in neither.value.message_dict


def test_a_correction_request_changes_the_record_with_audit(personas: Any, officer: Any) -> None:
    case = _child_case(personas, "Zawadi", "Mwachiro")
    request = _record(officer, kind=RequestKind.CORRECTION, person_id=case.child_id)
    # not before the requester's identity is checked
    with pytest.raises(ValidationError):
        services.subject_request_correct(
            actor=officer, request=request, changes={"family_name": "Mwachiru"}
        )
    request = services.subject_request_identity_checked(
        actor=officer, request=request, check="birth_certificate"
    )
    changed = services.subject_request_correct(
        actor=officer,
        request=request,
        changes={"family_name": "Mwachiru", "date_of_birth": datetime.date(2011, 4, 2)},
    )
    assert sorted(changed) == ["date_of_birth", "family_name"]
    child = Person.objects.get(pk=case.child_id)
    assert child.family_name == "Mwachiru"
    assert child.date_of_birth == datetime.date(2011, 4, 2)
    # the search tokens follow the corrected name: she is found by it now
    assert PersonNameToken.objects.filter(person=child).exists()
    assert [s.person_id for s in selectors.subjects_found(viewer=officer, name="Mwachiru")][
        0
    ] == child.pk
    # audited on the person (on the case's trail) and on the request, names of fields only
    on_person = AuditEvent.objects.get(
        actor=officer,
        action=AuditAction.CHANGE,
        record_type="people.person",
        record_id=str(child.pk),
    )
    assert on_person.matter_type == "case" and on_person.matter_id == case.pk
    assert "family_name" in on_person.fields
    on_request = AuditEvent.objects.get(
        action=AuditAction.CHANGE,
        record_type="dataprotection.subjectrequest",
        record_id=str(request.pk),
        detail__corrected="people.person",
    )
    assert "Mwachiru" not in str(on_request.detail) + str(on_request.fields)
    # the case's supervisors are told
    assert Notification.objects.filter(
        recipient=personas.supervisor, kind="subject_request_correction"
    ).exists()


def test_only_an_open_correction_request_changes_anything(personas: Any, officer: Any) -> None:
    case = _child_case(personas, "Zawadi", "Mwachiro")
    access = _record(officer, kind=RequestKind.ACCESS, person_id=case.child_id)
    access = services.subject_request_identity_checked(
        actor=officer, request=access, check="birth_certificate"
    )
    with pytest.raises(ValidationError, match="Only a correction"):
        services.subject_request_correct(
            actor=officer, request=access, changes={"family_name": "X"}
        )
    correction = _record(officer, kind=RequestKind.CORRECTION, person_id=case.child_id)
    correction = services.subject_request_identity_checked(
        actor=officer, request=correction, check="birth_certificate"
    )
    with pytest.raises(ValidationError):
        services.subject_request_correct(
            actor=officer, request=correction, changes={"kind": "suspect"}
        )
    with pytest.raises(ValidationError, match="Nothing was changed"):
        services.subject_request_correct(
            actor=officer, request=correction, changes={"given_name": "Zawadi"}
        )
    services.subject_request_decide(
        actor=officer,
        request=correction,
        status=RequestStatus.GRANTED,
        note="Corrected as the mother asked, by letter.",
    )
    correction.refresh_from_db()
    with pytest.raises(ValidationError):
        services.subject_request_correct(
            actor=officer, request=correction, changes={"family_name": "Y"}
        )
    assert Person.objects.get(pk=case.child_id).family_name == "Mwachiro"


def test_the_officer_finds_records_and_corrects_in_pages(
    personas: Any, officer: Any, client_for: Any
) -> None:
    case = _child_case(personas, "Zawadi", "Mwachiro", phone="0712 345678")
    client = client_for(officer)
    page = client.get(reverse("dataprotection:subject_find"), {"phone": "0712345678"})
    assert page.status_code == 200
    text = page.content.decode()
    assert case.code in text
    assert "Zawadi" not in text and "Mwachiro" not in text
    new = client.get(reverse("dataprotection:request_new"), {"person": case.child_id})
    assert new.status_code == 200 and case.code in new.content.decode()
    posted = client.post(
        reverse("dataprotection:request_new"),
        {
            "kind": RequestKind.CORRECTION,
            "person_id": case.child_id,
            "requester_name": "Mama Zawadi",
            "on_behalf": "parent",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    made = SubjectRequest.objects.get(person_id=case.child_id)
    client.post(
        reverse("dataprotection:request_identity", args=[made.pk]), {"check": "birth_certificate"}
    )
    request_page = client.get(reverse("dataprotection:request", args=[made.pk])).content.decode()
    assert 'id="correct"' in request_page
    # an empty correction keeps what was typed and says what to fix
    nothing = client.post(reverse("dataprotection:request_correct", args=[made.pk]), {})
    assert nothing.status_code == 400
    assert "Write what the record should say" in nothing.content.decode()
    done = client.post(
        reverse("dataprotection:request_correct", args=[made.pk]), {"family_name": "Mwachiru"}
    )
    assert done.status_code == 302
    assert Person.objects.get(pk=case.child_id).family_name == "Mwachiru"
    # outsiders get the same 404 as a page that is not there
    for user in (personas.caseworker, personas.admin):
        other = client_for(user)
        assert (
            other.get(reverse("dataprotection:subject_find"), {"name": "Zawadi"}).status_code == 404
        )
        assert (
            other.post(
                reverse("dataprotection:request_correct", args=[made.pk]), {"family_name": "Z"}
            ).status_code
            == 404
        )
    assert Person.objects.get(pk=case.child_id).family_name == "Mwachiru"
