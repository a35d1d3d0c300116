"""A legal hold on one person's record, not only on a whole matter: the retention schedule
keeps their identity while their matters expire, a deletion request about them is refused
on that ground, and lifting it lets both go ahead."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.dataprotection import services
from kinga.dataprotection.models import LegalHold, RefusalGround, RequestKind, RequestStatus
from kinga.dataprotection.tests.test_retention import _data_set, _identity_left
from kinga.people.models import Person, PersonKind
from kinga.people.services import person_create

pytestmark = pytest.mark.django_db

REASON = "Witness in Shanzu E123 of 2026: the court needs her identity until the appeal."


def test_a_held_person_keeps_their_name_when_their_case_expires(personas, officer) -> None:
    data = _data_set(personas)
    child_id = data.old_case.child_id
    hold = services.legal_hold_place_person(actor=officer, person_id=child_id, reason=REASON)
    assert hold.reference == f"P-{child_id}" and hold.matter_id is None
    services.retention_run()
    # the case itself is anonymised as scheduled; the held person is not
    assert _identity_left("case", data.old_case.pk) == []
    assert Person.objects.get(pk=child_id).given_name == "Tumaini"
    services.legal_hold_lift(actor=officer, hold=hold, reason="The appeal was decided.")
    # placed and lifted, each on the record
    assert (
        AuditEvent.objects.filter(
            record_type="dataprotection.legalhold", record_id=str(hold.pk)
        ).count()
        == 2
    )


def test_a_deletion_of_a_held_person_is_refused_with_that_ground(personas, officer) -> None:
    person = person_create(
        actor=personas.caseworker, kind=PersonKind.WITNESS, given_name="Halima", family_name="Said"
    )
    hold = services.legal_hold_place_person(actor=officer, person_id=person.pk, reason=REASON)
    request = services.subject_request_record(
        actor=officer,
        kind=RequestKind.DELETION,
        person_id=person.pk,
        requester_name="Halima Said",
        on_behalf="self",
        received_at=timezone.now() - datetime.timedelta(hours=1),
    )
    request = services.subject_request_identity_checked(
        actor=officer, request=request, check="national_id"
    )
    assert [ground for _m, ground in services.deletion_blockers(person.pk)] == [
        RefusalGround.LEGAL_HOLD
    ]
    with pytest.raises(ValidationError, match="cannot be granted"):
        services.subject_request_decide(
            actor=officer,
            request=request,
            status=RequestStatus.GRANTED,
            note="Deleted as she asked, by letter.",
        )
    services.legal_hold_lift(actor=officer, hold=hold, reason="The court released her record.")
    services.subject_request_decide(
        actor=officer,
        request=request,
        status=RequestStatus.GRANTED,
        note="Deleted as she asked, by letter.",
    )
    assert Person.objects.get(pk=person.pk).given_name == ""


def test_a_person_is_held_once_and_only_while_their_record_exists(personas, officer) -> None:
    person = person_create(
        actor=personas.caseworker, kind=PersonKind.WITNESS, given_name="Halima", family_name="Said"
    )
    services.legal_hold_place_person(actor=officer, person_id=person.pk, reason=REASON)
    with pytest.raises(ValidationError, match="already held"):
        services.legal_hold_place_person(actor=officer, person_id=person.pk, reason=REASON)
    with pytest.raises(ValidationError, match="not in Kinga"):
        services.legal_hold_place_person(actor=officer, person_id=999_999, reason=REASON)
    assert LegalHold.objects.filter(person=person).count() == 1


def test_nobody_but_the_officer_holds_a_person(personas) -> None:
    from django.core.exceptions import PermissionDenied

    person = person_create(
        actor=personas.caseworker, kind=PersonKind.WITNESS, given_name="Halima", family_name="Said"
    )
    for user in (personas.caseworker, personas.supervisor, personas.admin):
        with pytest.raises(PermissionDenied):
            services.legal_hold_place_person(actor=user, person_id=person.pk, reason=REASON)
    assert not LegalHold.objects.exists()


def test_the_officer_holds_a_person_found_by_name_in_pages(personas, officer, client_for) -> None:
    person = person_create(
        actor=personas.caseworker, kind=PersonKind.WITNESS, given_name="Halima", family_name="Said"
    )
    client = client_for(officer)
    page = client.get(reverse("dataprotection:legal_holds"), {"person": person.pk})
    assert page.status_code == 200
    assert 'id="subject"' in page.content.decode()
    assert "Halima" not in page.content.decode()
    # no reason: says what to fix, keeps the person chosen
    refused = client.post(reverse("dataprotection:legal_hold_place"), {"person_id": person.pk})
    assert refused.status_code == 400
    assert f'value="{person.pk}"' in refused.content.decode()
    done = client.post(
        reverse("dataprotection:legal_hold_place"), {"person_id": person.pk, "reason": REASON}
    )
    assert done.status_code == 302
    hold = LegalHold.objects.get(person=person)
    listed = client.get(reverse("dataprotection:legal_holds")).content.decode()
    assert hold.reference in listed
    other = client_for(personas.caseworker)
    assert (
        other.post(
            reverse("dataprotection:legal_hold_place"), {"person_id": person.pk, "reason": REASON}
        ).status_code
        == 404
    )
