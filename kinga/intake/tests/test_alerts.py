"""A danger alert always reaches a person: the fallback chain, escalation, acknowledgement,
and what each person it reaches may see (issue 13 point 3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conftest import make_agency, make_user
from kinga.access import policy
from kinga.access.models import AccessGrant, Relation
from kinga.accounts.models import AgencyKind, Role
from kinga.audit.models import AuditAction, AuditEvent
from kinga.intake import services
from kinga.intake.models import ALERT_ROLE_CHOICES, Alert, AlertStep, Report
from kinga.notifications.models import Notification
from kinga.places.models import Ward

pytestmark = pytest.mark.django_db


def danger_report(*, ward: str, county: str, consent: bool = True) -> Report:
    """Store a danger report from the web form in that ward, as a reporter would."""
    place = Ward.objects.get(name=ward, sub_county__county__name=county)
    report, _code = services.report_submit_web(
        data=services.ReportInput(
            categories=["trafficking"],
            narrative="Two girls locked in a room behind the bar",
            ward_id=place.pk,
            place_detail="Behind the blue bar near the jetty",
            children_count=2,
            age_bands=["12-14"],
            danger_now="yes",
            reporter_phone="0712 000 111" if consent else "",
            reporter_contact="Ask for Mama Rehema" if consent else "",
            callback_consent=consent,
        ),
        submission=f"alert-{Report.objects.count()}",
        payload={},
    )
    report.refresh_from_db()
    return report


def worker_at(moment: datetime) -> None:
    call_command("worker", "--once", "--now", moment.isoformat())


def alerted(alert: Alert) -> set[int]:
    return set(alert.notified.values_list("pk", flat=True))


@pytest.fixture
def lamu(personas: Any) -> Any:
    """Lamu, where no responder is on call: its children's services, and a second helpline
    operator and supervisor elsewhere, so each step's reach is measured."""
    lamu_services = make_agency("Children's Services Lamu", AgencyKind.CHILDRENS_SERVICES, "Lamu")
    personas.lamu_officer = make_user("athman_lamu", lamu_services, Role.CASEWORKER)
    personas.lamu_officer.phone = "+254733111222"
    personas.lamu_officer.save(update_fields=["phone"])
    police = make_agency("Kilifi AHTCPU", AgencyKind.POLICE_UNIT, "Kilifi")
    personas.kilifi_detective = make_user("karisa_kilifi", police, Role.INVESTIGATOR)
    personas.kilifi_detective.on_call = True
    personas.kilifi_detective.save(update_fields=["on_call"])
    return personas


def test_the_default_chain_is_data_an_administrator_reads() -> None:
    steps = list(AlertStep.objects.order_by("order"))
    assert [(s.agency_kind, s.scope, s.on_call_only) for s in steps] == [
        ("", "county", True),
        (AgencyKind.CHILDRENS_SERVICES, "county", False),
        (AgencyKind.HELPLINE, "programme", False),
        ("", "programme", False),
    ]
    assert steps[-1].roles == [Role.SUPERVISOR]
    assert all(step.wait_minutes > 0 for step in steps)
    assert "Children's services" in steps[1].describe()


def test_a_ward_nobody_covers_goes_up_the_chain_until_someone_acknowledges(
    lamu: Any, client_for: Any
) -> None:
    personas = lamu
    now = timezone.now()
    report = danger_report(ward="Faza", county="Lamu")
    alert = Alert.objects.get(report=report)
    # nobody on call in Lamu (the Kilifi detective is on call, in another county): the
    # county's children's services are reached at once
    assert alerted(alert) == {personas.lamu_officer.pk}
    assert alert.step_order == 20
    assert Notification.objects.filter(
        recipient=personas.lamu_officer, kind="danger_alert"
    ).exists()
    assert not Notification.objects.filter(recipient=personas.kilifi_detective).exists()

    # nobody acknowledges within 15 minutes: the helpline desk
    worker_at(now + timedelta(minutes=14))
    alert.refresh_from_db()
    assert alert.escalations == 0
    worker_at(now + timedelta(minutes=16))
    alert.refresh_from_db()
    assert alert.step_order == 30 and alert.escalations == 1
    assert alerted(alert) == {personas.lamu_officer.pk, personas.helpline.pk}
    assert Notification.objects.filter(
        recipient=personas.helpline, kind="danger_alert_escalated"
    ).exists()

    # 10 more minutes: every supervisor of the programme
    worker_at(now + timedelta(minutes=27))
    alert.refresh_from_db()
    assert alert.step_order == 40 and alert.escalations == 2
    assert personas.supervisor.pk in alerted(alert)

    # the end of the chain: everyone reached is reminded, again and again, until someone acts
    worker_at(now + timedelta(minutes=43))
    alert.refresh_from_db()
    assert alert.escalations == 3
    reminded = set(
        Notification.objects.filter(kind="danger_alert_reminder").values_list(
            "recipient_id", flat=True
        )
    )
    assert reminded == alerted(alert)
    worker_at(now + timedelta(minutes=59))
    alert.refresh_from_db()
    assert alert.escalations == 4

    # the helpline operator acknowledges: it stops, and the others are told who acts
    operator = client_for(personas.helpline)
    assert operator.post(reverse("intake:alert_ack", args=[alert.pk])).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas.helpline
    assert Notification.objects.filter(
        recipient=personas.lamu_officer, kind="danger_alert_acknowledged"
    ).exists()
    before = Notification.objects.count()
    worker_at(now + timedelta(hours=3))
    alert.refresh_from_db()
    assert alert.escalations == 4 and Notification.objects.count() == before


def test_acknowledging_at_the_first_step_stops_the_chain(lamu: Any, client_for: Any) -> None:
    personas = lamu
    now = timezone.now()
    report = danger_report(ward="Faza", county="Lamu")
    alert = Alert.objects.get(report=report)
    officer = client_for(personas.lamu_officer)
    assert officer.post(reverse("intake:alert_ack", args=[alert.pk])).status_code == 302
    worker_at(now + timedelta(hours=1))
    alert.refresh_from_db()
    assert alert.escalations == 0 and alerted(alert) == {personas.lamu_officer.pk}
    assert not Notification.objects.filter(recipient=personas.helpline).exists()


def test_an_escalation_run_twice_acts_once(lamu: Any) -> None:
    report = danger_report(ward="Faza", county="Lamu")
    alert = Alert.objects.get(report=report)
    later = timezone.now() + timedelta(minutes=20)
    payload = {"alert_id": alert.pk, "escalations": 0}
    from django.db import transaction

    with transaction.atomic():
        services.alert_escalate(payload, later)
    with transaction.atomic():
        services.alert_escalate(payload, later)
    alert.refresh_from_db()
    assert alert.escalations == 1
    assert Notification.objects.filter(kind="danger_alert_escalated").count() == 1


def test_a_chain_that_finds_nobody_tries_again(personas: Any) -> None:
    AlertStep.objects.all().delete()
    AlertStep.objects.create(order=5, roles=[Role.INVESTIGATOR], scope="county", wait_minutes=5)
    report = danger_report(ward="Faza", county="Lamu")
    alert = Alert.objects.get(report=report)
    assert alerted(alert) == set() and alert.step_order is None
    # an investigator joins Lamu's police: the retry reaches them
    police = make_agency("Lamu Police", AgencyKind.POLICE_UNIT, "Lamu")
    detective = make_user("bwana_lamu", police, Role.INVESTIGATOR)
    worker_at(timezone.now() + timedelta(minutes=6))
    alert.refresh_from_db()
    assert alerted(alert) == {detective.pk}


def test_each_person_reached_may_view_what_they_need_and_list_nothing(
    lamu: Any, client_for: Any
) -> None:
    personas = lamu
    now = timezone.now()
    report = danger_report(ward="Faza", county="Lamu")
    alert = Alert.objects.get(report=report)
    worker_at(now + timedelta(minutes=16))
    worker_at(now + timedelta(minutes=27))
    reached = {personas.lamu_officer, personas.helpline, personas.supervisor}
    assert reached <= set(alert.notified.all())
    for person in reached:
        grant = AccessGrant.objects.get(
            user=person, matter_id=report.pk, relation=Relation.ALERT_RECIPIENT
        )
        assert grant.ends_at is not None and grant.source_type == "intake.alert"
        assert policy.can(person, "view", report, "summary")
        assert policy.can(person, "view", report, "identity")
        assert not policy.can(person, "view", report, "care")
        # an alerted report enters no one's lists or queues
        alert_only = {Relation.ALERT_RECIPIENT}
        assert policy.live_grants(person, "summary", "list", only=frozenset(alert_only)) is None
    assert report not in policy.visible(personas.helpline, Report.objects.all())
    # outside the report's triage area the alert gives reading, never deciding
    for person in (personas.helpline, personas.supervisor):
        assert not policy.can(person, "change", report, "summary")


def test_the_alert_page_shows_place_what_how_many_and_the_reporter_if_allowed(
    coast_agencies: Any, client_for: Any
) -> None:
    personas = coast_agencies
    report = danger_report(ward="Mtongwe", county="Mombasa")
    alert = Alert.objects.get(report=report)
    # the on-call investigator: once the police got an alert whose report they could not open
    page = client_for(personas.investigator).get(reverse("intake:alert", args=[alert.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    for seen in (
        "Mtongwe",
        "Behind the blue bar near the jetty",
        "Two girls locked in a room behind the bar",
        "A child taken, moved or sold",
        "12 to 14",
        'href="tel:+254712000111"',
        "Ask for Mama Rehema",
    ):
        assert seen in body, seen
    # the read is audited on the report's trail, with the fields shown (never their values)
    event = AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=personas.investigator, matter_id=report.pk
    ).latest("pk")
    assert "narrative" in event.fields and "reporter_phone" in event.fields
    # no triage link for the police: the page holds all they need
    assert reverse("intake:triage_report", args=[report.pk]) not in body


def test_the_reporter_is_not_shown_without_their_consent(
    coast_agencies: Any, client_for: Any
) -> None:
    personas = coast_agencies
    report = danger_report(ward="Mtongwe", county="Mombasa", consent=False)
    report.reporter_phone = "+254799000000"  # e.g. a USSD reporter's number, kept, not shared
    report.save(update_fields=["reporter_phone"])
    alert = Alert.objects.get(report=report)
    body = client_for(personas.investigator).get(reverse("intake:alert", args=[alert.pk]))
    text = body.content.decode()
    assert "+254799000000" not in text and "did not agree to be contacted" in text


def test_when_the_alert_grant_ends_the_page_shows_the_alert_alone(
    coast_agencies: Any, client_for: Any
) -> None:
    personas = coast_agencies
    report = danger_report(ward="Mtongwe", county="Mombasa")
    alert = Alert.objects.get(report=report)
    AccessGrant.objects.filter(user=personas.investigator, relation="alert_recipient").update(
        ends_at=timezone.now() - timedelta(minutes=1)
    )
    page = client_for(personas.investigator).get(reverse("intake:alert", args=[alert.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Two girls locked" not in text and "Mtongwe" not in text
    assert "no longer shared with you" in text


def test_every_role_a_chain_may_name_has_an_alert_recipient_row() -> None:
    for role in ALERT_ROLE_CHOICES:
        row = policy.POLICY[(role, Relation.ALERT_RECIPIENT)]
        assert row == {"summary": frozenset({"view"}), "identity": frozenset({"view"})}


def test_an_administrator_reads_and_changes_the_chain_in_the_admin(
    personas: Any, client_for: Any
) -> None:
    admin = client_for(personas.admin)
    listing = admin.get(reverse("admin:intake_alertstep_changelist"))
    assert listing.status_code == 200
    assert "Children&#x27;s services" in listing.content.decode()
    step = AlertStep.objects.get(order=30)
    response = admin.post(
        reverse("admin:intake_alertstep_change", args=[step.pk]),
        {
            "order": "30",
            "agency_kind": "helpline",
            "roles": ["helpline"],
            "scope": "programme",
            "wait_minutes": "5",
        },
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.wait_minutes == 5
    assert AuditEvent.objects.filter(
        actor=personas.admin, record_type="intake.alertstep", record_id=str(step.pk)
    ).exists()
    # the admin's page of intake offers the chain alone: no report, no call, no alert
    intake_page = admin.get(reverse("admin:app_list", args=["intake"]))
    assert intake_page.status_code == 200
    assert "/admin/intake/alertstep/" in intake_page.content.decode()
    assert "/admin/intake/report/" not in intake_page.content.decode()
    assert (
        client_for(personas.caseworker)
        .get(reverse("admin:intake_alertstep_changelist"))
        .status_code
        == 302
    )
