"""Issue 13 points 1 and 2: what a report said follows the child into the case, and every
triage decision leads to what it made."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kinga.access.models import AccessGrant, Relation
from kinga.audit.models import AuditAction, AuditEvent
from kinga.cases import services as case_services
from kinga.cases.models import Case, RoleOnCase
from kinga.intake.models import Decision, Report
from kinga.intake.services.triage import REFER_DECISION
from kinga.intake.tests.test_web_and_triage import make_report

pytestmark = pytest.mark.django_db

NARRATIVE = "A girl of about 13 is taken by boda boda to a lodging near Mtwapa every night"


def report_with_words() -> Report:
    return make_report(
        narrative=NARRATIVE,
        place_detail="The blue lodging behind the petrol station",
        children_count=2,
        age_bands=["12-14"],
        online_platform="whatsapp",
        online_handle="@mtwapa_nights",
        danger_now="yes",
    )


def open_from(client: Any, report: Report) -> Any:
    client.get(f"/intake/triage/{report.pk}/")
    return client.post(
        f"/intake/triage/{report.pk}/",
        {"decision": Decision.OPEN_CASE, "reason": "A child needs a case: exploitation nightly"},
    )


def test_open_a_case_takes_the_caseworker_to_the_new_case(client_for: Any, personas: Any) -> None:
    report = report_with_words()
    caseworker = client_for(personas.caseworker)
    response = open_from(caseworker, report)
    case = Case.objects.get(source_report_id=report.pk)
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[case.pk])
    page = caseworker.get(response.url)
    body = page.content.decode()
    assert case.code in body and report.reference in body
    # what the report said, on the case
    for words in (
        NARRATIVE,
        "The blue lodging behind the petrol station",
        "@mtwapa_nights",
        "WhatsApp",
        "12 to 14",
        "Web form",
    ):
        assert words in body, words
    messages = [str(m) for m in page.context["messages"]]
    assert any(case.code in text and report.reference in text for text in messages)


def test_the_source_report_stays_readable_to_the_case_team(client_for: Any, personas: Any) -> None:
    report = report_with_words()
    open_from(client_for(personas.caseworker), report)
    case = Case.objects.get(source_report_id=report.pk)
    # the area's triage grants are gone: the report reads through the case now
    assert (
        not AccessGrant.objects.live()
        .filter(matter_id=report.pk, relation=Relation.TRIAGE_AREA)
        .exists()
    )
    page = client_for(personas.caseworker).get(f"/intake/triage/{report.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert NARRATIVE in body and case.code in body
    assert 'id="through-case"' in body
    assert page.context["can_decide"] is False
    event = AuditEvent.objects.filter(
        action=AuditAction.VIEW, record_type="intake.report", record_id=str(report.pk)
    ).latest("seq")
    assert (event.matter_type, event.matter_id) == ("case", case.pk)
    assert "narrative" in event.fields
    # a decision cannot be taken again through the case
    again = client_for(personas.caseworker).post(
        f"/intake/triage/{report.pk}/", {"decision": Decision.NO_FURTHER_ACTION, "reason": "x" * 30}
    )
    assert again.status_code == 404


def test_a_counsellor_joining_the_team_reads_the_report_an_outsider_does_not(
    client_for: Any, personas: Any
) -> None:
    report = report_with_words()
    open_from(client_for(personas.caseworker), report)
    case = Case.objects.get(source_report_id=report.pk)
    url = f"/intake/triage/{report.pk}/"
    # before joining: the audited 404 every outsider gets
    assert client_for(personas.counsellor).get(url).status_code == 404
    case_services.case_team_add(
        case=case,
        user=personas.counsellor,
        role_on_case=RoleOnCase.COUNSELLOR,
        actor=personas.caseworker,
    )
    assert client_for(personas.counsellor).get(url).status_code == 200
    for outsider in (
        personas.caseworker_other,
        personas.service_provider,
        personas.analyst,
        personas.admin,
        personas.trainer,
        personas.prosecutor,
    ):
        before = AuditEvent.objects.filter(action=AuditAction.DENIED).count()
        response = client_for(outsider).get(url)
        assert response.status_code == 404, outsider.username
        assert NARRATIVE not in response.content.decode()
        assert AuditEvent.objects.filter(action=AuditAction.DENIED).count() == before + 1


def test_the_reports_words_go_only_with_the_identity_section(personas: Any) -> None:
    """The report's facts come with the case's summary; its words with identity: a page
    without identity gets the facts alone, and those with no view of the case get nothing."""
    from kinga.access.services import break_glass_open
    from kinga.cases.selectors import case_get, case_page
    from kinga.intake.for_cases import ReportsOfCase
    from kinga.intake.services import report_decide

    report = report_with_words()
    report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.OPEN_CASE,
        reason="A child needs a case: exploitation nightly",
    )
    case = Case.objects.get(source_report_id=report.pk)
    caseworker_view = case_page(
        viewer=personas.caseworker, case=case_get(viewer=personas.caseworker, case_id=case.pk)
    ).extra["source_report"]
    assert caseworker_view.narrative == NARRATIVE and caseworker_view.identity_shown
    facts = ReportsOfCase().source_report(viewer=personas.caseworker, case=case, identity=False)
    assert facts is not None and facts.children_count == 2 and "WhatsApp" in facts.online_platform
    assert facts.narrative == facts.online_handle == facts.place_detail == ""
    assert not facts.identity_shown
    # no view of the case, no report
    for outsider in (personas.investigator, personas.service_provider, personas.admin):
        assert ReportsOfCase().source_report(viewer=outsider, case=case, identity=True) is None
    # break-glass opens identity (what protects the child now): the words come with it
    break_glass_open(
        matter=case.access_matter(),
        user=personas.investigator,
        reason="The child is missing tonight and we must find her",
    )
    seen = case_page(
        viewer=personas.investigator,
        case=case_get(viewer=personas.investigator, case_id=case.pk),
    ).extra["source_report"]
    assert seen is not None and seen.narrative == NARRATIVE


def test_refer_opens_the_emergency_referral_with_the_report(client_for: Any, personas: Any) -> None:
    report = report_with_words()
    caseworker = client_for(personas.caseworker)
    caseworker.get(f"/intake/triage/{report.pk}/")
    response = caseworker.post(
        f"/intake/triage/{report.pk}/",
        {"decision": Decision.REFER, "reason": "She needs a safe bed tonight, no case yet"},
    )
    assert response.status_code == 302
    assert response.url == reverse("referrals:refer_report", args=[report.pk])
    page = caseworker.get(response.url)
    assert page.status_code == 200
    attached = page.content.decode().split('id="attached-report"')[1].split("</details>")[0]
    assert report.reference in attached and "WhatsApp" in attached
    # the facts only: the reporter's words stay on the report
    assert NARRATIVE not in attached
    # the decider alone keeps the report, for a limited time, to send the referral
    kept = AccessGrant.objects.live().get(matter_id=report.pk, relation=Relation.TRIAGE_AREA)
    assert kept.user_id == personas.caseworker.pk and kept.agency_id is None
    assert kept.source_type == REFER_DECISION and kept.ends_at is not None
    # others of the area do not
    assert client_for(personas.supervisor).get(response.url).status_code == 404


def test_the_triage_page_links_the_emergency_referral(client_for: Any, personas: Any) -> None:
    report = report_with_words()
    body = client_for(personas.caseworker).get(f"/intake/triage/{report.pk}/").content.decode()
    assert reverse("referrals:refer_report", args=[report.pk]) in body


def test_every_decision_says_what_it_made(client_for: Any, personas: Any) -> None:
    report = report_with_words()
    caseworker = client_for(personas.caseworker)
    caseworker.get(f"/intake/triage/{report.pk}/")
    response = caseworker.post(
        f"/intake/triage/{report.pk}/",
        {"decision": Decision.NO_FURTHER_ACTION, "reason": "Not a child: the person is 24"},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any(report.reference in text and "no further action" in text for text in texts)

    second = make_report(narrative="The same girl again, seen at the ferry")
    open_from(caseworker, report_with_words())
    case = Case.objects.latest("pk")
    caseworker.get(f"/intake/triage/{second.pk}/")
    added = caseworker.post(
        f"/intake/triage/{second.pk}/",
        {
            "decision": Decision.ADD_TO_CASE,
            "reason": "Same child as the open case",
            "case_code": case.code,
        },
    )
    assert added.url == reverse("cases:detail", args=[case.pk])
