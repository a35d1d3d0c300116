"""Retention on a known data set: what is anonymised, deleted, and kept under a hold."""

from __future__ import annotations

import datetime
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.cases.models import Case, CaseStatus
from kinga.cases.services.records import note_add
from kinga.dataprotection import services
from kinga.dataprotection.models import LegalHold, RetentionRun, Tombstone
from kinga.dataprotection.retention import identity_fields, matter_models
from kinga.intake import services as intake_services
from kinga.intake.models import Decision, Report
from kinga.intake.tests.conftest import run_worker
from kinga.justice import services as justice_services
from kinga.justice.tests.conftest import child_case, facts, triaged_report
from kinga.messaging.models import MessageKind, MessageState, OutboundMessage
from kinga.people.models import Person, PersonIdentifier, PersonNameToken
from kinga.places.models import County

YEARS = datetime.timedelta(days=365)


def _report(personas: Any, narrative: str, *, decided_ago: datetime.timedelta) -> Report:
    data = intake_services.ReportInput(
        categories=["sexual_exploitation"],
        narrative=narrative,
        county_id=County.objects.get(name="Mombasa").pk,
        age_bands=["15-17"],
    )
    report, _code = intake_services.report_submit_web(
        data=data, submission=f"retention-{Report.objects.count()}", payload={}
    )
    run_worker()  # routes it to the area's triage
    intake_services.report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.NO_FURTHER_ACTION,
        reason="Checked with the chief: the girls are at school and safe.",
    )
    Report.objects.filter(pk=report.pk).update(decided_at=timezone.now() - decided_ago)
    return Report.objects.get(pk=report.pk)


def _closed(case: Case, *, ago: datetime.timedelta) -> Case:
    note_add(
        case=case,
        actor=case.caseworker,
        sensitivity="general",
        text="Met Tumaini's aunt at Likoni; she will keep the girl at home.",
    )
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now() - ago)
    return Case.objects.get(pk=case.pk)


def _sms(state: str, *, ago: datetime.timedelta) -> OutboundMessage:
    return OutboundMessage.objects.create(
        to="+254711000111",
        to_index="index-of-the-number",
        text="Asante. Namba yako ya ufuatiliaji: K7-Q2",
        kind=MessageKind.ACKNOWLEDGEMENT,
        state=state,
        created_at=timezone.now() - ago,
    )


@dataclass
class DataSet:
    old_report: Report
    new_report: Report
    incident_report: Report
    old_case: Case
    held_case: Case
    investigated_case: Case
    sent_sms: OutboundMessage
    queued_sms: OutboundMessage


def _data_set(personas: Any) -> DataSet:
    old_report = _report(
        personas, "Men at the beach bar in Diani with a girl", decided_ago=3 * YEARS
    )
    new_report = _report(personas, "A girl seen at Ukunda stage at night", decided_ago=YEARS / 12)
    incident_report = triaged_report(personas)
    old_case = _closed(child_case(personas, given_name="Tumaini"), ago=8 * YEARS)
    PersonIdentifier.objects.create(
        person=old_case.child, kind="phone", value="+254722333444", blind_index="phone-index"
    )
    held_case = _closed(child_case(personas, given_name="Imani"), ago=8 * YEARS)
    investigated_case = child_case(personas, given_name="Baraka")
    incident = justice_services.incident_open(
        actor=personas.investigator, facts=facts(), report=incident_report
    )
    justice_services.incident_link_case(
        incident=incident, actor=personas.investigator, case_code=investigated_case.code
    )
    investigated_case = _closed(investigated_case, ago=8 * YEARS)
    return DataSet(
        old_report=old_report,
        new_report=new_report,
        incident_report=Report.objects.get(pk=incident_report.pk),
        old_case=old_case,
        held_case=held_case,
        investigated_case=investigated_case,
        sent_sms=_sms(MessageState.SUCCESS, ago=YEARS),
        queued_sms=_sms(MessageState.QUEUED, ago=YEARS),
    )


def figures() -> dict[str, Counter[Any]]:
    """What the dashboards count: reports, cases and children by their clear fields."""
    return {
        "reports": Counter(
            (r.county_id, tuple(r.categories), tuple(r.age_bands), r.decision, r.channel)
            for r in Report.objects.all()
        ),
        "cases": Counter(Case.objects.values_list("status", "county_id", "risk_level")),
        "people": Counter(Person.objects.values_list("kind", "sex", "age_band", "home_ward_id")),
    }


def _identity_left(matter_type: str, matter_id: int) -> list[str]:
    """Return the encrypted fields still holding something in the matter's records."""
    left: list[str] = []
    for model, field in matter_models(matter_type):
        for row in model._default_manager.filter(**{field: matter_id}):
            for f in identity_fields(model):
                if getattr(row, f.name) not in ("", None, [], {}):
                    left.append(f"{model._meta.label_lower}.{f.name}")
    return left


@pytest.mark.django_db
def test_the_schedule_anonymises_deletes_and_keeps_what_it_should(personas, officer) -> None:
    data = _data_set(personas)
    services.legal_hold_place(
        actor=officer,
        reference=data.held_case.code,
        reason="High Court appeal pending in the Mombasa lodge prosecution.",
    )
    before = figures()
    old_child = data.old_case.child_id
    assert _identity_left("case", data.old_case.pk)  # the case holds identity and text now

    plan, run = services.retention_run()
    assert run is not None

    by_reference = {item.reference: item for item in plan}
    assert by_reference[data.held_case.code].held == "legal_hold"
    assert by_reference[data.investigated_case.code].held == "investigation"
    assert not by_reference[data.old_case.code].held
    assert f"REPORT-{data.old_report.pk}" in by_reference
    assert f"REPORT-{data.new_report.pk}" not in by_reference
    assert f"REPORT-{data.incident_report.pk}" not in by_reference

    # anonymised: identity and free text gone from every record of the matter, and the child
    assert _identity_left("case", data.old_case.pk) == []
    assert _identity_left("report", data.old_report.pk) == []
    child = Person.objects.get(pk=old_child)
    assert child.given_name == "" and child.family_name == "" and child.date_of_birth is None
    assert not PersonIdentifier.objects.filter(person_id=old_child).exists()
    assert not PersonNameToken.objects.filter(person_id=old_child).exists()
    # kept: held, under investigation, not yet due
    assert _identity_left("case", data.held_case.pk)
    assert _identity_left("case", data.investigated_case.pk)
    assert Person.objects.get(pk=data.held_case.child_id).given_name == "Imani"
    assert Report.objects.get(pk=data.new_report.pk).narrative.startswith("A girl seen")
    assert Report.objects.get(pk=data.incident_report.pk).narrative
    # deleted where nothing depends on it; a message still on its way is kept
    assert not OutboundMessage.objects.filter(pk=data.sent_sms.pk).exists()
    assert OutboundMessage.objects.filter(pk=data.queued_sms.pk).exists()

    # the dashboards still add up
    assert figures() == before

    # tombstones and audit entries, with field names and never the data removed
    assert set(Tombstone.objects.values_list("record_type", "record_id")) == {
        ("cases.case", str(data.old_case.pk)),
        ("people.person", str(old_child)),
        ("intake.report", str(data.old_report.pk)),
        ("messaging.outboundmessage", str(data.sent_sms.pk)),
    }
    events = AuditEvent.objects.filter(detail__retention__isnull=False)
    assert {(e.record_type, e.record_id) for e in events} == {
        ("cases.case", str(data.old_case.pk)),
        ("intake.report", str(data.old_report.pk)),
        ("messaging.outboundmessage", str(data.sent_sms.pk)),
    }
    case_event = events.get(record_type="cases.case")
    assert case_event.matter_type == "case" and case_event.matter_id == data.old_case.pk
    assert "people.person.given_name" not in case_event.fields
    for event in events:
        flat = f"{event.fields} {event.detail} {event.reason}"
        assert "Tumaini" not in flat and "Diani" not in flat and "+2547" not in flat

    # a second run finds nothing new to do
    plan_again, _run = services.retention_run()
    assert [item for item in plan_again if not item.held] == []
    assert Tombstone.objects.count() == 4


@pytest.mark.django_db
def test_lifting_a_hold_lets_the_next_run_anonymise(personas, officer) -> None:
    data = _data_set(personas)
    hold = services.legal_hold_place(
        actor=officer,
        reference=data.held_case.code,
        reason="High Court appeal pending in the Mombasa lodge prosecution.",
    )
    with pytest.raises(ValidationError):
        services.legal_hold_place(
            actor=officer, reference=data.held_case.code, reason="Another reason, just in case."
        )
    services.retention_run()
    assert _identity_left("case", data.held_case.pk)
    services.legal_hold_lift(
        actor=officer, hold=hold, reason="Court of Appeal ruled on 1 March; no further appeal."
    )
    assert LegalHold.objects.get(pk=hold.pk).lifted_by == officer
    services.retention_run()
    assert _identity_left("case", data.held_case.pk) == []
    hold_events = AuditEvent.objects.filter(record_type="dataprotection.legalhold")
    assert hold_events.count() == 2
    assert {e.matter_id for e in hold_events} == {data.held_case.pk}


@pytest.mark.django_db
def test_a_dry_run_lists_and_changes_nothing(personas, officer) -> None:
    data = _data_set(personas)
    events_before = AuditEvent.objects.count()
    runs_before = RetentionRun.objects.count()  # the worker's own runs while data was made
    out = io.StringIO()
    call_command("retention", "run", "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"anonymise closed_cases {data.old_case.code}" in text
    assert f"held (investigation) closed_cases {data.investigated_case.code}" in text
    assert f"delete sms_sent OUTBOUNDMESSAGE-{data.sent_sms.pk}" in text
    assert "Tumaini" not in text  # references only
    assert _identity_left("case", data.old_case.pk)
    assert not Tombstone.objects.exists()
    assert RetentionRun.objects.count() == runs_before
    assert AuditEvent.objects.count() == events_before
    call_command("retention", "run", stdout=io.StringIO())
    assert _identity_left("case", data.old_case.pk) == []


@pytest.mark.django_db
def test_a_person_another_live_matter_needs_keeps_their_name(personas) -> None:
    data = _data_set(personas)
    # the same child has a second, open case
    from kinga.cases import services as case_services

    case_services.case_open(
        child=data.old_case.child,
        county=County.objects.get(name="Mombasa"),
        actor=personas.caseworker,
        reason="The girl came back to the drop-in centre after a year away",
    )
    services.retention_run()
    assert _identity_left("case", data.old_case.pk) == []
    assert Person.objects.get(pk=data.old_case.child_id).given_name == "Tumaini"


@pytest.mark.django_db
def test_the_period_is_set_per_deployment_and_the_forecast_follows(personas, officer) -> None:
    data = _data_set(personas)
    now = timezone.now()
    due_now = {item.reference for item in services.retention_plan(now=now)}
    assert f"REPORT-{data.new_report.pk}" not in due_now
    services.retention_rule_set(
        actor=officer,
        kind="reports_no_action",
        keep_days=30,
        legal_basis="County policy: unfounded reports are kept one month.",
    )
    due = {
        item.reference for item in services.retention_plan(now=now + datetime.timedelta(days=30))
    }
    assert f"REPORT-{data.new_report.pk}" in due
    with pytest.raises(ValidationError):
        services.retention_rule_set(
            actor=officer, kind="reports_no_action", keep_days=3, legal_basis="Too short."
        )
    with pytest.raises(PermissionDenied):
        services.retention_rule_set(
            actor=personas.supervisor, kind="closed_cases", keep_days=60, legal_basis="No."
        )
    with pytest.raises(PermissionDenied):
        services.legal_hold_place(
            actor=personas.prosecutor, reference=data.old_case.code, reason="x" * 30
        )


@pytest.mark.django_db
def test_the_officer_sees_the_schedule_forecast_and_holds(personas, officer, client_for) -> None:
    from django.urls import reverse

    data = _data_set(personas)
    client = client_for(officer)
    page = client.get(reverse("dataprotection:retention"))
    assert page.status_code == 200
    assert data.old_case.code.encode() in page.content
    assert b"Tumaini" not in page.content  # references, never names
    # a bad period says what to fix and keeps the basis typed
    bad = client.post(
        reverse("dataprotection:retention_rule"),
        {
            "kind": "closed_cases",
            "closed_cases-keep_days": "3",
            "closed_cases-legal_basis": "Basis typed by the officer",
        },
    )
    assert bad.status_code == 400 and b"Basis typed by the officer" in bad.content
    good = client.post(
        reverse("dataprotection:retention_rule"),
        {
            "kind": "closed_cases",
            "closed_cases-keep_days": "3650",
            "closed_cases-legal_basis": "Ten years: county children's records policy.",
        },
    )
    assert good.status_code == 302
    placed = client.post(
        reverse("dataprotection:legal_hold_place"),
        {"reference": data.old_case.code, "reason": "Appeal lodged at the High Court, Mombasa."},
    )
    assert placed.status_code == 302
    holds = client.get(reverse("dataprotection:legal_holds"))
    assert b"Appeal lodged" in holds.content
    hold = LegalHold.objects.get()
    short = client.post(reverse("dataprotection:legal_hold_lift", args=[hold.pk]), {"reason": "ok"})
    assert short.status_code == 400
    assert LegalHold.objects.get().lifted_at is None
    for outsider in [u for u in personas.all_users() if u != officer]:
        other = client_for(outsider)
        assert other.get(reverse("dataprotection:retention")).status_code == 404
        assert other.get(reverse("dataprotection:legal_holds")).status_code == 404
        lifted = other.post(
            reverse("dataprotection:legal_hold_lift", args=[hold.pk]),
            {"reason": "I want this case gone from the system now."},
        )
        assert lifted.status_code == 404
    assert LegalHold.objects.get().lifted_at is None
