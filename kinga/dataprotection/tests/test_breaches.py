"""The breach register: the record, the 72-hour clock and its reminders, notices, scope."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import audit_record
from kinga.cases.tests.conftest import open_case
from kinga.dataprotection import selectors, services
from kinga.dataprotection.models import Breach, BreachKind, BreachRisk, BreachStatus
from kinga.notifications.models import Notification


def _record(officer, *, hours_ago: float = 1, **changes) -> Breach:  # type: ignore[no-untyped-def]
    given = {
        "kind": BreachKind.LOST_DEVICE,
        "description": "A caseworker's phone with the case app signed in was stolen at Likoni.",
        "discovered_at": timezone.now() - datetime.timedelta(hours=hours_ago),
        "children_affected": 3,
        "people_affected": 5,
        "records_affected": 4,
    }
    given.update(changes)
    return services.breach_record(actor=officer, **given)


@pytest.mark.django_db
def test_a_breach_is_recorded_with_a_code_a_deadline_and_an_audit_entry(officer) -> None:
    breach = _record(officer)
    assert breach.code.startswith(f"BR-{timezone.localdate().year}-")
    assert breach.commissioner_deadline == breach.discovered_at + datetime.timedelta(hours=72)
    assert breach.clock_running
    event = AuditEvent.objects.filter(record_type="dataprotection.breach", action="create").get()
    assert str(event.record_id) == str(breach.pk)
    # the description is encrypted at rest and never copied into the audit
    assert "Likoni" not in str(event.detail) and "Likoni" not in event.reason
    assert Notification.objects.filter(recipient=officer, kind="breach").count() == 1
    second = _record(officer)
    assert second.code != breach.code


@pytest.mark.django_db
def test_only_the_data_protection_officer_records_breaches(personas) -> None:
    for user in personas.all_users():
        if user == personas.data_protection_officer:
            continue
        with pytest.raises(PermissionDenied):
            _record(user)
    assert not Breach.objects.exists()


@pytest.mark.django_db
def test_impossible_dates_and_counts_are_refused_with_what_to_fix(officer) -> None:
    with pytest.raises(ValidationError) as error:
        _record(officer, hours_ago=-5)
    assert "discovered_at" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _record(officer, children_affected=9, people_affected=2)
    assert "people_affected" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _record(
            officer,
            occurred_from=timezone.now() - datetime.timedelta(minutes=10),
            hours_ago=2,
        )
    assert "occurred_from" in error.value.message_dict
    assert not Breach.objects.exists()


@pytest.mark.django_db
def test_the_clock_reminds_every_officer_once_at_each_mark(officer, personas) -> None:
    from conftest import make_user
    from kinga.accounts.models import Role

    second = make_user("salma_dpo", personas.programme, Role.DATA_PROTECTION_OFFICER)
    breach = _record(officer, hours_ago=1)
    start = breach.discovered_at
    kinds = {"kind": "breach_clock"}
    assert services.breach_reminders_send(now=start + datetime.timedelta(hours=2)) == 0
    # 24 hours in: 48 left, the first mark
    assert services.breach_reminders_send(now=start + datetime.timedelta(hours=24, minutes=1)) == 1
    assert services.breach_reminders_send(now=start + datetime.timedelta(hours=24, minutes=5)) == 0
    assert Notification.objects.filter(recipient=officer, **kinds).count() == 1
    assert Notification.objects.filter(recipient=second, **kinds).count() == 1
    # the 24- and 6-hour marks, then overdue
    services.breach_reminders_send(now=start + datetime.timedelta(hours=49))
    services.breach_reminders_send(now=start + datetime.timedelta(hours=67))
    services.breach_reminders_send(now=start + datetime.timedelta(hours=73))
    notes = list(
        Notification.objects.filter(recipient=officer, **kinds)
        .order_by("pk")
        .values_list("message", "values")
    )
    assert len(notes) == 4
    assert notes[0][1]["hours"] == 47
    assert "have run out" in notes[-1][0]
    assert services.breach_reminders_send(now=start + datetime.timedelta(hours=90)) == 0
    # nobody else is told: the clock is the officers'
    assert (
        not Notification.objects.filter(kind="breach_clock")
        .exclude(recipient__in=[officer, second])
        .exists()
    )


@pytest.mark.django_db
def test_a_missed_run_sends_one_reminder_for_the_marks_it_crossed(officer) -> None:
    breach = _record(officer, hours_ago=1)
    services.breach_reminders_send(now=breach.discovered_at + datetime.timedelta(hours=70))
    assert Notification.objects.filter(kind="breach_clock", recipient=officer).count() == 1
    breach.refresh_from_db()
    assert breach.reminders_sent == 3


@pytest.mark.django_db
def test_notifying_the_commissioner_stops_the_clock_and_a_late_notice_needs_a_reason(
    officer,
) -> None:
    breach = _record(officer, hours_ago=80)
    with pytest.raises(ValidationError) as error:
        services.breach_commissioner_notified(
            actor=officer, breach=breach, notified_at=timezone.now(), reference="ODPC/1"
        )
    assert "delay_reason" in error.value.message_dict
    breach = Breach.objects.get(pk=breach.pk)
    assert breach.commissioner_notified_at is None
    services.breach_commissioner_notified(
        actor=officer,
        breach=breach,
        notified_at=timezone.now(),
        reference="ODPC/1",
        delay_reason="The theft was reported to us by the police only on the third day.",
    )
    breach.refresh_from_db()
    assert breach.notified_late() and not breach.clock_running
    assert services.breach_reminders_send(now=timezone.now() + datetime.timedelta(hours=1)) == 0


@pytest.mark.django_db
def test_only_an_assessment_of_no_risk_may_rule_out_the_commissioners_notice(officer) -> None:
    breach = _record(officer)
    with pytest.raises(ValidationError) as error:
        services.breach_assess(
            actor=officer,
            breach=breach,
            risk=BreachRisk.HIGH_RISK,
            assessment="Names and the shelter's area were on the phone, unlocked.",
            commissioner_notice_required=False,
            subjects_notice_required=True,
        )
    assert "commissioner_notice_required" in error.value.message_dict
    breach = Breach.objects.get(pk=breach.pk)
    services.breach_assess(
        actor=officer,
        breach=breach,
        risk=BreachRisk.NO_RISK,
        assessment="The phone was encrypted and wiped remotely within the hour.",
        commissioner_notice_required=False,
        subjects_notice_required=False,
    )
    breach.refresh_from_db()
    assert not breach.clock_running
    assert selectors.home_work(viewer=officer, today=timezone.localdate())[0].count == 0


@pytest.mark.django_db
def test_closing_needs_every_notice_owed(officer) -> None:
    breach = _record(officer)
    services.breach_assess(
        actor=officer,
        breach=breach,
        risk=BreachRisk.HIGH_RISK,
        assessment="Names and the shelter's area were on the phone, unlocked.",
        commissioner_notice_required=True,
        subjects_notice_required=True,
    )
    with pytest.raises(ValidationError) as error:
        services.breach_close(actor=officer, breach=breach, note="Everything that could be done.")
    assert "Data Commissioner" in str(error.value)
    services.breach_commissioner_notified(actor=officer, breach=breach, notified_at=timezone.now())
    services.breach_subjects_notified(
        actor=officer,
        breach=breach,
        notified_at=timezone.now(),
        note="Through each child's caseworker, in person, at the drop-in centre.",
    )
    services.breach_close(actor=officer, breach=breach, note="Notices sent; device wiped.")
    breach.refresh_from_db()
    assert breach.status == BreachStatus.CLOSED


@pytest.mark.django_db
def test_scope_lists_who_saw_the_named_records_in_the_period_and_nothing_else(
    officer, personas
) -> None:
    case = open_case(personas)
    other = open_case(personas, given_name="Rehema")
    breach = _record(officer)
    services.breach_matter_add(actor=officer, breach=breach, reference=case.code.lower())
    with pytest.raises(ValidationError):
        services.breach_matter_add(actor=officer, breach=breach, reference=case.code)
    with pytest.raises(ValidationError) as error:
        services.breach_matter_add(actor=officer, breach=breach, reference="NO-SUCH-1")
    assert "reference" in error.value.message_dict
    for viewer, matter in (
        (personas.caseworker, case),
        (personas.caseworker, case),
        (personas.supervisor, case),
        (personas.counsellor, other),
    ):
        audit_record(
            action=AuditAction.VIEW,
            actor=viewer,
            record_type="cases.case",
            record_id=matter.pk,
            matter_type="case",
            matter_id=matter.pk,
        )
    rows = selectors.breach_scope(
        viewer=officer,
        breach=breach,
        since=timezone.now() - datetime.timedelta(hours=1),
        until=timezone.now() + datetime.timedelta(minutes=1),
    )
    seen = {(row.actor_label, row.action): row.times for row in rows if row.action == "Viewed"}
    assert seen[(personas.caseworker.username, "Viewed")] == 2
    assert seen[(personas.supervisor.username, "Viewed")] == 1
    assert all(row.actor_label != personas.counsellor.username for row in rows)
    earlier = selectors.breach_scope(
        viewer=officer,
        breach=breach,
        since=timezone.now() - datetime.timedelta(days=3),
        until=timezone.now() - datetime.timedelta(days=2),
    )
    assert earlier == []
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.SEARCH, record_type="dataprotection.breach", actor=officer
        ).count()
        == 2
    )


@pytest.mark.django_db
def test_the_notices_are_drafted_from_the_record(officer, personas) -> None:
    breach = _record(officer, hours_ago=2)
    services.breach_note(
        actor=officer,
        breach=breach,
        step="contained",
        note="The account was signed out remotely and its password changed.",
    )
    text = selectors.breach_notice(viewer=officer, breach=breach, to="commissioner", language="en")
    assert breach.code in text and "section 43" in text
    assert "5 people, of whom 3 are children" in text
    assert "signed out remotely" in text
    assert "Likoni" in text  # what happened, as the officer wrote it
    swahili = selectors.breach_notice(viewer=officer, breach=breach, to="subjects", language="sw")
    assert breach.code in swahili and "116" in swahili
    assert "Likoni" not in swahili  # the people's notice tells what kind, not the details
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=officer).count() == 2


@pytest.mark.django_db
def test_the_officer_walks_the_register(officer, client_for) -> None:
    client = client_for(officer)
    response = client.post(
        reverse("dataprotection:breach_new"),
        {
            "kind": BreachKind.MISDIRECTED_MESSAGE,
            "description": "An SMS with a case code went to a wrong number in Kilifi.",
            "discovered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "children_affected": "1",
            "people_affected": "1",
            "records_affected": "1",
        },
    )
    breach = Breach.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dataprotection:breach", args=[breach.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"h left to notify" in page.content
    listing = client.get(reverse("dataprotection:breaches"))
    assert breach.code.encode() in listing.content
    # a step with a mistake keeps what was typed and says what to fix
    bad = client.post(
        reverse("dataprotection:breach_commissioner_notified", args=[breach.pk]),
        {"notified_at": "", "reference": "ODPC/2026/77"},
    )
    assert bad.status_code == 400
    assert b"ODPC/2026/77" in bad.content
    notice = client.get(reverse("dataprotection:breach_notice", args=[breach.pk, "commissioner"]))
    assert notice.status_code == 200 and breach.code.encode() in notice.content
    download = client.get(
        reverse("dataprotection:breach_notice", args=[breach.pk, "subjects"]),
        {"language": "sw", "download": "1"},
    )
    assert download["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
def test_everyone_else_gets_the_same_audited_404(officer, personas, client_for) -> None:
    breach = _record(officer)
    urls = [
        reverse("dataprotection:breaches"),
        reverse("dataprotection:breach_new"),
        reverse("dataprotection:breach", args=[breach.pk]),
        reverse("dataprotection:breach_notice", args=[breach.pk, "commissioner"]),
    ]
    outsiders = [user for user in personas.all_users() if user != officer]
    for user in outsiders:
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.username, url)
        posted = client.post(
            reverse("dataprotection:breach_assess", args=[breach.pk]),
            {"risk": "no_risk", "assessment": "x" * 30},
        )
        assert posted.status_code == 404
    assert client_for(None).get(urls[0]).status_code == 302  # to sign in
    denied = AuditEvent.objects.filter(
        action=AuditAction.DENIED, record_type="dataprotection.breach"
    )
    assert denied.count() >= len(outsiders) * len(urls)
    breach.refresh_from_db()
    assert breach.risk == BreachRisk.UNASSESSED
