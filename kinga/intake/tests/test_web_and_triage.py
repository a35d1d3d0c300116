"""The public form and follow-up, the helpline form, the triage queue, decisions, alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kinga.access.models import AccessGrant, Relation
from kinga.audit.models import AuditAction, AuditEvent
from kinga.intake import services
from kinga.intake.models import Alert, Channel, Decision, Report, Status
from kinga.intake.tests.conftest import run_worker
from kinga.notifications.models import Notification
from kinga.places.models import Ward

pytestmark = pytest.mark.django_db


def web_post(client: Client, **extra: str) -> Any:
    page = client.get("/report/?lang=en")
    token = page.context["form"].initial["submission"]
    data = {
        "lang": "en",
        "submission": token,
        "categories": ["sexual_exploitation"],
        "narrative": "Girls taken to a bar in Mtwapa at night",
        "danger_now": "no",
        "reporter_relation": "neighbour",
        "online_platform": "",
        **extra,
    }
    return client.post("/report/?lang=en", data)


def test_public_form_stores_and_shows_the_code_once(client: Client, personas: Any) -> None:
    response = web_post(client)
    assert response.status_code == 200
    code = response.context["code"]
    assert len(code) == 11
    report = Report.objects.get(channel=Channel.WEB)
    assert report.narrative.startswith("Girls taken")
    assert report.follow_up_hash and code.replace("-", "") not in report.follow_up_hash
    assert not response.cookies  # no session, no CSRF cookie, nothing left behind
    assert response["Cache-Control"] == "no-store"
    # the same form sent again (a double click, a reload) stores nothing new and shows the
    # same code, so the reporter who saw only the second answer still has it
    again = client.post("/report/?lang=en", response.wsgi_request.POST)
    assert again.context["code"] == code
    assert Report.objects.count() == 1


def test_public_form_in_kiswahili_and_without_a_session(client: Client, db: None) -> None:
    response = client.get("/report/?lang=sw")
    assert response.status_code == 200
    assert 'lang="sw"' in response.content.decode()
    assert not response.cookies
    assert "quick-exit.js" in response.content.decode()


def test_honeypot_looks_like_success_but_stores_nothing(client: Client, db: None) -> None:
    response = web_post(client, website="http://spam.example")
    assert response.status_code == 200 and response.context["code"]
    assert Report.objects.count() == 0


def test_rate_limit_per_address(client: Client, db: None, settings: Any) -> None:
    settings.KINGA_REPORT_RATE_LIMIT = "2/3600"
    assert web_post(client).status_code == 200
    assert web_post(client).status_code == 200
    assert web_post(client).status_code == 429


def test_form_needs_what_is_happening(client: Client, db: None) -> None:
    response = web_post(client, narrative="", categories=[])  # type: ignore[arg-type]
    assert response.status_code == 200 and response.context["form"].errors
    assert Report.objects.count() == 0


def test_follow_up_code_shows_neutral_status_and_adds(client: Client, personas: Any) -> None:
    code = web_post(client).context["code"]
    response = client.post("/report/follow-up/?lang=en", {"code": code.lower(), "text": ""})
    assert response.context["status"] == "Received"
    response = client.post("/report/follow-up/?lang=en", {"code": code, "text": "It was Friday"})
    assert response.context["added"]
    report = Report.objects.get()
    assert report.additions.get().text == "It was Friday"
    wrong = client.post("/report/follow-up/?lang=en", {"code": "AAAAA-AAAAA", "text": ""})
    assert wrong.context["form"].errors
    assert not wrong.cookies


def test_helpline_operator_logs_a_call_and_sees_only_their_own(
    client_for: Any, personas: Any
) -> None:
    from conftest import make_user

    other_operator = make_user("mwanaisha_helpline", personas.helpline_centre, "helpline")
    ward = Ward.objects.filter(sub_county__county__name="Mombasa").first()
    operator = client_for(personas.helpline)
    page = operator.get("/intake/helpline/")
    assert page.status_code == 200 and "autofocus" in page.content.decode()
    response = operator.post(
        "/intake/helpline/",
        {
            "danger_now": "yes",
            "categories": ["trafficking"],
            "ward": str(ward.pk),
            "narrative": "Caller says a girl is locked in a house",
            "reporter_relation": "relative",
            "reporter_phone": "0711 222 333",
        },
    )
    assert response.status_code == 302
    report = Report.objects.get(channel=Channel.HELPLINE)
    assert report.county.name == "Mombasa" and report.logged_by == personas.helpline
    assert report.reporter_phone == "+254711222333"
    mine = operator.get("/intake/helpline/mine/")
    assert report.reference in mine.content.decode()
    theirs = client_for(other_operator).get("/intake/helpline/mine/")
    assert report.reference not in theirs.content.decode()
    # the operator cannot open the triage queue: the same audited 404 as a missing page
    # (issue 11 hole 8: a role refusal answered 403 and left no trace)
    assert operator.get("/intake/triage/").status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIED, actor=personas.helpline, record_type="intake.report"
    ).exists()


def test_outsiders_cannot_use_the_helpline_form(client_for: Any, personas: Any) -> None:
    for user in (personas.caseworker, personas.analyst, personas.admin):
        assert client_for(user).get("/intake/helpline/").status_code == 404
    assert client_for(None).get("/intake/helpline/").status_code == 302


def make_report(county: str | None = "Mombasa", **fields: Any) -> Report:
    from kinga.places.models import County

    data = services.ReportInput(
        categories=fields.pop("categories", ["sexual_exploitation"]),
        narrative=fields.pop("narrative", "A girl of 13 at a beach bar"),
        county_id=County.objects.get(name=county).pk if county else None,
        **fields,
    )
    report, _code = services.report_submit_web(
        data=data, submission=f"t{Report.objects.count()}-{county}", payload={}
    )
    run_worker()  # routing, as the worker does within a second
    report.refresh_from_db()
    return report


def test_triage_queue_orders_by_priority_then_age(client_for: Any, personas: Any) -> None:
    older = make_report(age_bands=["15-17"])
    urgent = make_report(danger_now="yes")
    young = make_report(age_bands=["6-11"])
    page = client_for(personas.caseworker).get("/intake/triage/")
    assert page.status_code == 200
    assert [r.pk for r in page.context["reports"]] == [urgent.pk, young.pk, older.pk]
    read = AuditEvent.objects.filter(
        action=AuditAction.LIST, actor=personas.caseworker, record_type="intake.report"
    ).get()
    assert read.detail == {"list": "triage", "rows": 3}


def test_queue_is_closed_to_other_counties_and_roles(client_for: Any, personas: Any) -> None:
    report = make_report()
    outsider = client_for(personas.caseworker_other)  # a Kilifi NGO
    assert outsider.get("/intake/triage/").context["reports"] == []
    assert outsider.get(f"/intake/triage/{report.pk}/").status_code == 404
    for user in (personas.analyst, personas.admin, personas.counsellor, personas.investigator):
        response = client_for(user).get(f"/intake/triage/{report.pk}/")
        assert response.status_code == 404
    assert client_for(personas.supervisor).get(f"/intake/triage/{report.pk}/").status_code == 200


def test_report_without_county_goes_to_coastal_childrens_services(personas: Any) -> None:
    report = make_report(county=None)
    agencies = set(
        AccessGrant.objects.live()
        .filter(matter_id=report.pk, relation=Relation.TRIAGE_AREA)
        .values_list("agency_id", flat=True)
    )
    assert agencies == {personas.childrens_services.pk}


def test_repeat_signals_and_duplicates_side_by_side(client_for: Any, personas: Any) -> None:
    ward = Ward.objects.filter(sub_county__county__name="Mombasa").first()
    first = make_report(ward_id=ward.pk)
    second = make_report(ward_id=ward.pk)
    assert second.repeat_signals == ["ward"]
    page = client_for(personas.caseworker).get(f"/intake/triage/{second.pk}/")
    assert [r.pk for r in page.context["duplicates"]] == [first.pk]


def test_decision_audits_revokes_and_changes_status(client_for: Any, personas: Any) -> None:
    from kinga.audit.models import AuditEvent

    report = make_report()
    caseworker = client_for(personas.caseworker)
    caseworker.get(f"/intake/triage/{report.pk}/")
    report.refresh_from_db()
    assert report.status == Status.IN_REVIEW
    response = caseworker.post(
        f"/intake/triage/{report.pk}/",
        {"decision": Decision.REFER, "reason": "Refer to the shelter for a safe place tonight"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.decision == Decision.REFER and report.status == Status.ACTION_TAKEN
    # The area's triage grants end; only the triager who decided to refer keeps the report,
    # for a limited time, to send the emergency referral (issue 13 point 2).
    live = list(
        AccessGrant.objects.live().filter(matter_id=report.pk, relation=Relation.TRIAGE_AREA)
    )
    assert [(g.user_id, g.agency_id) for g in live] == [(personas.caseworker.pk, None)]
    assert live[0].ends_at is not None and live[0].ends_at <= timezone.now() + timedelta(days=3)
    assert AuditEvent.objects.filter(record_id=str(report.pk), detail__decision="refer").exists()
    assert caseworker.get("/intake/triage/").context["reports"] == []


def test_decision_needs_reason_and_case_code(personas: Any) -> None:
    from django.core.exceptions import ValidationError

    report = make_report()
    with pytest.raises(ValidationError):
        services.report_decide(
            report=report, actor=personas.caseworker, decision=Decision.REFER, reason="no"
        )
    with pytest.raises(ValidationError):
        services.report_decide(
            report=report,
            actor=personas.caseworker,
            decision=Decision.ADD_TO_CASE,
            reason="Same child as the open case",
        )
    services.report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.NO_FURTHER_ACTION,
        reason="Not a child: the person is 24",
    )
    report.refresh_from_db()
    assert report.status == Status.CLOSED


def test_opening_a_case_at_triage_opens_it_in_cases_from_the_report(personas: Any) -> None:
    """Issue 12 point 2: intake calls cases' typed service (no hook, no `Any`), and the
    case takes what the report holds: its county, ward, age band, danger and time."""
    from kinga.cases.models import Case, CaseEvent, RiskLevel

    report = make_report(danger_now="yes", age_bands=["12-14"])
    services.report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.OPEN_CASE,
        reason="A child needs a case opened",
    )
    case = Case.objects.get(source_report_id=report.pk)
    report.refresh_from_db()
    assert report.case_code == case.code and case.code.startswith(case.county.prefix)
    assert case.county_id == report.county_id
    assert case.risk_level == RiskLevel.HIGH
    assert case.child.age_estimate == 13
    assert case.events.get(kind=CaseEvent.Kind.REPORT).created_at == report.received_at


def test_a_case_that_cannot_be_opened_leaves_the_report_undecided(
    personas: Any, monkeypatch: Any
) -> None:
    """Issue 12 point 2: the case opens in the decision's transaction, or neither happens."""
    from django.core.exceptions import ValidationError

    from kinga.intake.services import triage

    def refuse(**_kwargs: Any) -> None:
        raise ValidationError("This child already has an open case.")

    monkeypatch.setattr(triage, "case_open_from_report", refuse)
    report = make_report()
    with pytest.raises(ValidationError):
        services.report_decide(
            report=report,
            actor=personas.caseworker,
            decision=Decision.OPEN_CASE,
            reason="A child needs a case opened",
        )
    report.refresh_from_db()
    assert report.is_open and report.status != Status.ACTION_TAKEN
    assert (
        AccessGrant.objects.live()
        .filter(matter_id=report.pk, relation=Relation.TRIAGE_AREA)
        .exists()
    )


def test_danger_alerts_on_call_staff_and_escalates_when_nobody_acts(
    coast_agencies: Any, client_for: Any, outbox: Any
) -> None:
    personas = coast_agencies
    now = timezone.now()
    report = make_report(danger_now="yes")
    alert = Alert.objects.get(report=report)
    notified = set(alert.notified.values_list("pk", flat=True))
    assert notified == {personas.investigator.pk, personas.caseworker.pk}
    note = Notification.objects.get(recipient=personas.investigator)
    assert report.reference in note.text and "beach" not in note.text
    call_command("worker", "--once", "--now", (now + timedelta(minutes=1)).isoformat())
    texts = [m["text"] for m in outbox()]
    assert len(texts) == 2 and all(report.reference in t and "beach" not in t for t in texts)
    # nobody acknowledges: after the first step's wait the county's children's services
    # (the next step of the chain) are told
    call_command("worker", "--once", "--now", (now + timedelta(minutes=16)).isoformat())
    alert.refresh_from_db()
    assert alert.escalated_at is not None
    assert Notification.objects.filter(
        recipient=personas.children_officer, kind="danger_alert_escalated"
    ).exists()


def test_acknowledged_alert_does_not_escalate(coast_agencies: Any, client_for: Any) -> None:
    personas = coast_agencies
    now = timezone.now()
    report = make_report(danger_now="yes")
    alert = Alert.objects.get(report=report)
    investigator = client_for(personas.investigator)
    assert investigator.get(f"/intake/alerts/{alert.pk}/").status_code == 200
    assert investigator.post(f"/intake/alerts/{alert.pk}/acknowledge/").status_code == 302
    call_command("worker", "--once", "--now", (now + timedelta(minutes=30)).isoformat())
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas.investigator and alert.escalated_at is None
    # someone never alerted cannot see or acknowledge it
    assert (
        client_for(personas.caseworker_other).get(f"/intake/alerts/{alert.pk}/").status_code == 404
    )


def test_triage_list_query_count(
    client_for: Any, personas: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        make_report()
    caseworker = client_for(personas.caseworker)
    with django_assert_max_num_queries(15):
        caseworker.get("/intake/triage/")


def test_a_refused_decision_is_an_audited_404_on_the_reports_trail(
    client_for: Any, personas: Any
) -> None:
    """Guards issue 11 hole 8: the helpline operator who logged a call may read the report
    but not decide it; posting a decision answered 403 with no audit event. It must be the
    same 404 as a missing record, audited, on the report's trail."""
    report, _code = services.report_log_call(
        operator=personas.helpline,
        data=services.ReportInput(
            categories=["trafficking"], narrative="A girl locked in a house", county_id=None
        ),
    )
    operator = client_for(personas.helpline)
    assert operator.get(f"/intake/triage/{report.pk}/").status_code == 200
    response = operator.post(
        f"/intake/triage/{report.pk}/",
        {"decision": Decision.NO_FURTHER_ACTION, "reason": "Nothing to do here, says the caller"},
    )
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.is_open
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIED,
        actor=personas.helpline,
        matter_type="report",
        matter_id=report.pk,
    ).exists()


def test_an_alert_sent_to_others_is_refused_on_its_reports_trail(
    coast_agencies: Any, client_for: Any
) -> None:
    """Guards issue 11 hole 8: opening an alert one was not sent is the same 404 as a
    missing alert, and the refusal of a real one shows on its report's trail."""
    personas = coast_agencies
    report = make_report(danger_now="yes")
    alert = Alert.objects.get(report=report)
    outsider = client_for(personas.caseworker_other)
    real = outsider.get(f"/intake/alerts/{alert.pk}/")
    missing = outsider.get(f"/intake/alerts/{alert.pk + 1000}/")
    assert real.status_code == missing.status_code == 404
    assert real.content == missing.content
    denied = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=personas.caseworker_other)
    assert denied.filter(matter_type="report", matter_id=report.pk).count() == 1
    assert denied.filter(matter_type="").count() == 1


@pytest.mark.parametrize("decision", [Decision.REFER, Decision.OPEN_CASE])
def test_triage_decision_audit_holds_none_of_the_typed_reason(
    client_for: Any, personas: Any, decision: str
) -> None:
    """Guards issue 11 hole 5: the reason typed in the triage form stays on the report
    (encrypted); its audit events, and the case opened from it, refer to it by code."""
    from kinga.audit.models import AuditEvent
    from kinga.audit.tests.raw import assert_no_typed_words, last_seq

    typed = "Mjomba Hamisi brings her nightly toward Bamburi beach lodgings"
    report = make_report()
    caseworker = client_for(personas.caseworker)
    caseworker.get(f"/intake/triage/{report.pk}/")
    before = last_seq()
    response = caseworker.post(
        f"/intake/triage/{report.pk}/", {"decision": decision, "reason": typed}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.decision_reason == typed  # the record keeps it
    assert_no_typed_words(typed, since_seq=before)
    event = AuditEvent.objects.get(seq__gt=before, record_id=str(report.pk), action="change")
    assert event.reason == "" and event.detail == {"decision": decision}
    if decision == Decision.OPEN_CASE:
        opened = AuditEvent.objects.get(seq__gt=before, record_type="cases.case")
        assert opened.reason == "" and opened.detail == {"source_report": report.pk}
