"""Data subjects' requests: the clock, the identity check, the export through the policy,
and refusals with their legal ground (a deletion under a legal hold)."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kinga.access.models import AccessGrant, Relation
from kinga.audit.models import AuditAction, AuditEvent
from kinga.cases.models import Case, CaseStatus, Note
from kinga.cases.services.records import note_add
from kinga.cases.tests.conftest import open_case
from kinga.dataprotection import selectors, services
from kinga.dataprotection.models import (
    RefusalGround,
    RequestKind,
    RequestStatus,
    SubjectRequest,
    Tombstone,
)
from kinga.dataprotection.tests.test_retention import _report
from kinga.lib.pdf import text_pdf
from kinga.people.models import LinkRole, Person, PersonIdentifier
from kinga.people.services import person_link


def _request(officer: Any, case: Case, kind: str = RequestKind.ACCESS) -> SubjectRequest:
    return services.subject_request_record(
        actor=officer,
        kind=kind,
        case_code=case.code,
        requester_name="Mama Mwanaisha (mother)",
        on_behalf="parent",
        received_at=timezone.now() - datetime.timedelta(hours=2),
        requester_contact="Through the caseworker only",
    )


def _seeded(personas: Any) -> dict[str, Any]:
    """The child's case with notes in three sections, a report naming her, another child's case."""
    case = open_case(personas)
    PersonIdentifier.objects.create(
        person=case.child, kind="phone", value="+254733444555", blind_index="phone-index"
    )
    note_add(
        case=case, actor=personas.caseworker, sensitivity="general", text="Visited the school."
    )
    note_add(
        case=case,
        actor=personas.caseworker,
        sensitivity="care",
        text="Sleeps badly, sees counsellor.",
    )
    # a justice note, as an investigator on the team would write it
    Note.objects.create(
        case=case,
        sensitivity="justice",
        text="Named the lodge owner.",
        created_by=personas.investigator,
    )
    report = _report(
        personas, "A girl from Bamburi seen with a tourist", decided_ago=datetime.timedelta(days=2)
    )
    person_link(person=case.child, matter=report, role=LinkRole.CHILD, actor=personas.caseworker)
    other = open_case(personas, given_name="Rehema")
    note_add(
        case=other, actor=personas.caseworker, sensitivity="general", text="Other child's note."
    )
    return {"case": case, "report": report, "other": other}


@pytest.mark.django_db
def test_a_request_gets_its_statutory_clock_and_a_code(personas, officer) -> None:
    case = open_case(personas)
    access = _request(officer, case)
    assert access.code.startswith("DSR-")
    assert access.due_at - access.received_at == datetime.timedelta(days=7)
    portability = _request(officer, case, RequestKind.PORTABILITY)
    assert portability.due_at - portability.received_at == datetime.timedelta(days=30)
    assert access.person_id == case.child_id
    with pytest.raises(ValidationError) as error:
        services.subject_request_record(
            actor=officer,
            kind="access",
            case_code="NO-SUCH-CODE",
            requester_name="Someone",
            on_behalf="self",
            received_at=timezone.now(),
        )
    assert "case_code" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        _request(personas.caseworker, case)


@pytest.mark.django_db
def test_the_export_holds_every_record_about_the_person_through_the_policy_and_nothing_else(
    personas, officer
) -> None:
    seeded = _seeded(personas)
    request = _request(officer, seeded["case"])
    # before the identity check the officer may export nothing
    before = selectors.person_export(viewer=officer, request=request)
    assert before["person"] is None and before["matters"] == []
    assert {w["why"] for w in before["withheld"]} == {"no_access"}

    services.subject_request_identity_checked(
        actor=officer, request=request, check="birth_certificate"
    )
    export = selectors.person_export(viewer=officer, request=request)
    text = json.dumps(export, ensure_ascii=False)
    assert export["person"]["given_name"] == "Mwanaisha"
    assert export["person"]["identifiers"][0]["value"] == "+254733444555"
    references = {m["reference"] for m in export["matters"]}
    assert references == {seeded["case"].code, f"R-{seeded['report'].pk}"}
    assert "Visited the school." in text and "Sleeps badly" in text
    assert "A girl from Bamburi" in text
    # justice stays with the investigation; another child appears nowhere
    assert "Named the lodge owner." not in text
    assert "Rehema" not in text and seeded["other"].code not in text
    assert "Other child's note." not in text
    exported = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=officer)
    assert {(e.matter_type, e.matter_id) for e in exported} == {
        ("case", seeded["case"].pk),
        ("report", seeded["report"].pk),
    }
    # the grant is the officer's alone, never a list, and ends with the decision
    assert not selectors.__dict__.get("case_list")
    services.subject_request_decide(
        actor=officer,
        request=request,
        status=RequestStatus.GRANTED,
        note="A copy was given to the mother at the children's office.",
    )
    assert not AccessGrant.objects.live().filter(relation=Relation.SUBJECT_REQUEST).exists()
    after = selectors.person_export(viewer=officer, request=request)
    assert after["matters"] == []


@pytest.mark.django_db
def test_a_deletion_under_a_legal_hold_is_refused_with_that_ground(personas, officer) -> None:
    case = open_case(personas)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now())
    services.legal_hold_place(
        actor=officer, reference=case.code, reason="Trial of the lodge owner continues in March."
    )
    request = _request(officer, case, RequestKind.DELETION)
    services.subject_request_identity_checked(actor=officer, request=request, check="court_order")
    assert services.deletion_blockers(case.child_id)[0][1] == RefusalGround.LEGAL_HOLD
    with pytest.raises(ValidationError) as error:
        services.subject_request_decide(
            actor=officer,
            request=request,
            status=RequestStatus.GRANTED,
            note="Delete everything as the mother asked.",
        )
    assert "cannot be granted" in str(error.value)
    request = SubjectRequest.objects.get(pk=request.pk)
    with pytest.raises(ValidationError):
        services.subject_request_decide(
            actor=officer, request=request, status=RequestStatus.REFUSED, note="x" * 25
        )
    request = SubjectRequest.objects.get(pk=request.pk)
    services.subject_request_decide(
        actor=officer,
        request=request,
        status=RequestStatus.REFUSED,
        refusal_ground=RefusalGround.LEGAL_HOLD,
        note="The record is needed in the trial; we will delete it when the hold ends.",
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    assert Person.objects.get(pk=case.child_id).given_name == "Mwanaisha"
    assert not Tombstone.objects.exists()


@pytest.mark.django_db
def test_a_granted_deletion_anonymises_the_person_when_nothing_holds_them(
    personas, officer
) -> None:
    case = open_case(personas)
    request = _request(officer, case, RequestKind.DELETION)
    services.subject_request_identity_checked(actor=officer, request=request, check="national_id")
    # an open case protects the child
    assert services.deletion_blockers(case.child_id)[0][1] == RefusalGround.OPEN_CASE
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now())
    request = SubjectRequest.objects.get(pk=request.pk)
    services.subject_request_decide(
        actor=officer,
        request=request,
        status=RequestStatus.GRANTED,
        note="Her identity was removed; the figures of the case remain.",
    )
    child = Person.objects.get(pk=case.child_id)
    assert child.given_name == "" and child.family_name == ""
    tomb = Tombstone.objects.get(record_type="people.person")
    assert tomb.kind == f"subject_request:{request.code}"


@pytest.mark.django_db
def test_the_officer_answers_a_request_in_pages(personas, officer, client_for) -> None:
    seeded = _seeded(personas)
    client = client_for(officer)
    response = client.post(
        reverse("dataprotection:request_new"),
        {
            "kind": "access",
            "case_code": seeded["case"].code,
            "requester_name": "Mama Mwanaisha",
            "on_behalf": "parent",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    request = SubjectRequest.objects.get()
    assert client.get(response["Location"]).status_code == 200
    bad = client.post(
        reverse("dataprotection:request_decide", args=[request.pk]),
        {"status": "refused", "refusal_ground": "", "note": "Not now, the trial is on."},
    )
    assert bad.status_code == 400 and b"Not now, the trial is on." in bad.content
    client.post(
        reverse("dataprotection:request_identity", args=[request.pk]), {"check": "national_id"}
    )
    pdf = client.get(reverse("dataprotection:request_export", args=[request.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-1.4")
    assert b"Mwanaisha" in pdf.content and b"Rehema" not in pdf.content
    data = client.get(reverse("dataprotection:request_export", args=[request.pk, "json"]))
    assert data.json()["person"]["family_name"] == "Kahindi"
    for outsider in [u for u in personas.all_users() if u != officer]:
        other = client_for(outsider)
        for url in (
            reverse("dataprotection:requests"),
            reverse("dataprotection:request", args=[request.pk]),
            reverse("dataprotection:request_export", args=[request.pk, "json"]),
        ):
            assert other.get(url).status_code == 404, (outsider.username, url)


def test_the_pdf_is_well_formed() -> None:
    document = text_pdf(["Jina (name): Zawadi", "x" * 300] * 80, title="DSR-1")
    assert document.startswith(b"%PDF-1.4") and document.rstrip().endswith(b"%%EOF")
    xref_at = int(re.search(rb"startxref\n(\d+)", document).group(1))  # type: ignore[union-attr]
    assert document[xref_at:].startswith(b"xref")
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n", document)]
    for number, offset in enumerate(offsets, start=1):
        assert document[offset:].startswith(f"{number} 0 obj".encode())
    pages = int(re.search(rb"/Count (\d+)", document).group(1))  # type: ignore[union-attr]
    assert pages == 8  # 80 short lines and 80 long ones wrapped in four: 400 lines, 8 pages


@pytest.mark.django_db
def test_opening_a_childs_file_for_a_request_is_told_to_its_supervisors(personas, officer) -> None:
    from kinga.accounts.services import APPROVED_ROLES
    from kinga.notifications.models import Notification

    case = open_case(personas)
    request = _request(officer, case)
    services.subject_request_identity_checked(actor=officer, request=request, check="national_id")
    told = Notification.objects.filter(kind="subject_request_access")
    assert list(told.values_list("recipient", flat=True)) == [personas.supervisor.pk]
    assert told.get().values["code"] == case.code
    # nobody becomes an officer on one administrator's word, nor holds both roles
    from kinga.accounts.models import Role

    assert Role.DATA_PROTECTION_OFFICER in APPROVED_ROLES
