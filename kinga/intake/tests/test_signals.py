"""What a report's words suggest, in triage: signals raise a priority and never lower it,
a triager confirms or rejects each one, the decisions are kept and audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kinga.audit.models import AuditAction, AuditEvent
from kinga.intake import services
from kinga.intake.models import Decision, Priority, Report, SignalReview, SignalVerdict
from kinga.intake.tests.conftest import KEY, run_worker
from kinga.intake.tests.test_web_and_triage import make_report

pytestmark = pytest.mark.django_db

SHENG = "DEM MDOGO WA FORM 2 AKO NA SPONSOR WA KIZUNGU XAXA KWA LODGING YA MTWAPA"


def sms(text: str, message_id: str = "m1", sender: str = "+254711000111") -> Report:
    response = Client().post(
        f"/channels/africastalking/sms/incoming/?key={KEY}",
        {"from": sender, "to": "22384", "text": text, "date": "2026-12-03", "id": message_id},
    )
    assert response.status_code == 200
    run_worker()
    report = Report.objects.order_by("-pk").first()
    assert report is not None
    return report


def test_a_sheng_sms_is_stored_with_its_signals_and_a_raised_priority(personas: Any) -> None:
    report = sms(SHENG)
    assert report.text_signals == ["danger_now", "csec"]
    assert report.text_language == "sheng"
    # a suggestion puts it in front of a person, never makes it urgent by itself
    assert report.priority == Priority.HIGH
    assert report.is_open and report.decision == Decision.NONE


def test_signals_never_lower_a_priority(personas: Any) -> None:
    urgent = make_report(danger_now="yes", narrative="dem mdogo ako na sponsor wa kizungu")
    assert urgent.priority == Priority.URGENT and "csec" in urgent.text_signals
    plain = make_report(narrative="the children need uniforms for school")
    assert plain.text_signals == [] and plain.priority == Priority.NORMAL
    services.report_signal_review(
        report=urgent, actor=personas.caseworker, signal="csec", verdict=SignalVerdict.REJECTED
    )
    urgent.refresh_from_db()
    assert urgent.priority == Priority.URGENT and urgent.is_open


def test_an_addition_is_read_again_and_may_raise_the_priority(personas: Any) -> None:
    first = sms("habari, nina jambo la kuripoti", message_id="a1")
    assert first.text_signals == [] and first.priority == Priority.NORMAL
    second = sms("mtt wa miaka 13 anaonekana lodging ya mtwapa na mzee kila ijumaa", "a2")
    assert second.pk == first.pk  # the same number the same day: an addition
    assert second.text_signals == ["csec"] and second.priority == Priority.HIGH
    events = AuditEvent.objects.filter(record_id=str(first.pk), action=AuditAction.CHANGE)
    (event,) = [e for e in events if "additions" in e.fields]
    assert "priority" in event.fields and "text_signals" in event.fields


def test_confirming_danger_makes_the_report_urgent_and_the_decision_is_kept(
    client_for: Any, personas: Any
) -> None:
    report = make_report(narrative=SHENG)
    client = client_for(personas.caseworker)
    page = client.get(f"/intake/triage/{report.pk}/")
    body = page.content.decode()
    assert '">XAXA</mark>' in body
    assert "SPONSOR</mark>" in body and "LODGING</mark>" in body
    response = client.post(
        f"/intake/triage/{report.pk}/signals/", {"signal": "danger_now", "verdict": "confirmed"}
    )
    assert response.status_code == 302
    client.post(f"/intake/triage/{report.pk}/signals/", {"signal": "csec", "verdict": "rejected"})
    report.refresh_from_db()
    assert report.priority == Priority.URGENT
    reviews = {r.signal: r for r in SignalReview.objects.filter(report=report)}
    assert {code: r.verdict for code, r in reviews.items()} == {
        "danger_now": "confirmed",
        "csec": "rejected",
    }
    assert reviews["danger_now"].rules == ["danger_now.exploitation_now"]
    assert reviews["csec"].reviewed_by == personas.caseworker
    events = AuditEvent.objects.filter(record_type="intake.signalreview", matter_id=report.pk)
    assert sorted((e.detail["signal"], e.detail["verdict"]) for e in events) == [
        ("csec", "rejected"),
        ("danger_now", "confirmed"),
    ]
    # codes only: none of the report's words is in the labels or their audit
    for event in events:
        assert "SPONSOR" not in str(event.detail).upper()


def test_a_changed_mind_replaces_the_decision(personas: Any) -> None:
    report = make_report(narrative=SHENG)
    for verdict in (SignalVerdict.CONFIRMED, SignalVerdict.REJECTED):
        services.report_signal_review(
            report=report, actor=personas.caseworker, signal="csec", verdict=verdict
        )
    assert list(SignalReview.objects.values_list("verdict", flat=True)) == ["rejected"]


def test_a_missed_signal_is_added_and_a_signal_not_raised_cannot_be_confirmed(
    personas: Any,
) -> None:
    report = make_report(narrative="a girl of 13 at a beach bar")
    with pytest.raises(ValidationError):
        services.report_signal_review(
            report=report, actor=personas.caseworker, signal="csec", verdict="confirmed"
        )
    services.report_signal_review(
        report=report, actor=personas.caseworker, signal="csec", verdict="missed"
    )
    report.refresh_from_db()
    assert report.priority == Priority.HIGH
    assert SignalReview.objects.get(report=report).verdict == "missed"
    with pytest.raises(ValidationError):
        services.report_signal_review(
            report=report, actor=personas.caseworker, signal="nonsense", verdict="missed"
        )


def test_outsiders_cannot_decide_on_signals(client_for: Any, personas: Any) -> None:
    report = make_report(narrative=SHENG)
    for user in (
        personas.caseworker_other,
        personas.analyst,
        personas.admin,
        personas.investigator,
        personas.counsellor,
    ):
        response = client_for(user).post(
            f"/intake/triage/{report.pk}/signals/", {"signal": "csec", "verdict": "confirmed"}
        )
        assert response.status_code == 404, user
        assert AuditEvent.objects.filter(
            action=AuditAction.DENIED, actor=user, matter_id=report.pk
        ).exists()
    with pytest.raises(PermissionDenied):
        services.report_signal_review(
            report=report, actor=personas.helpline, signal="csec", verdict="confirmed"
        )
    assert not SignalReview.objects.exists()
    report.refresh_from_db()
    assert report.priority == Priority.HIGH


def test_a_decided_report_takes_no_more_signal_decisions(personas: Any) -> None:
    report = make_report(narrative=SHENG)
    services.report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.REFER,
        reason="Refer to the shelter for a safe place tonight",
    )
    # the triager who referred still holds the report; the decision is taken all the same
    with pytest.raises(ValidationError):
        services.report_signal_review(
            report=report, actor=personas.caseworker, signal="csec", verdict="confirmed"
        )


def test_the_queue_shows_the_signals_and_the_phrases_need_the_identity_section(
    client_for: Any, personas: Any
) -> None:
    report = make_report(narrative=SHENG)
    queue = client_for(personas.caseworker).get("/intake/triage/").content.decode()
    assert "Commercial sexual exploitation of a child" in queue
    assert "SPONSOR" not in queue  # the list shows codes' names, never the words
    page = client_for(personas.caseworker).get(f"/intake/triage/{report.pk}/")
    panel = page.context["signals"]
    assert [s.code for s in panel.signals] == ["danger_now", "csec"]
    assert "SPONSOR" in panel.signals[1].phrases


def test_helpline_notes_are_read_for_signals(personas: Any) -> None:
    report, _code = services.report_log_call(
        operator=personas.helpline,
        data=services.ReportInput(
            categories=["other"],
            narrative="Caller says the girl of 14 was taken to dubai for a hotel job by an agent",
            county_id=None,
        ),
    )
    assert report.text_signals == ["trafficking", "control"]
    assert report.text_language == "en"
    assert report.priority == Priority.HIGH


def test_the_triage_signals_command_writes_the_csv_and_names_a_bad_row(tmp_path: Any) -> None:
    from django.core.management import CommandError, call_command

    source = tmp_path / "in.csv"
    source.write_text(
        'id,text\nr1,dem mdogo ako na sponsor wa kizungu\nr2,"habari, asante"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    call_command("triage", "signals", str(source), "--out", str(out))
    assert out.read_text(encoding="utf-8").splitlines() == [
        "id,csec,trafficking,online,danger_now,phrases",
        "r1,1,0,0,0,dem mdogo|sponsor",
        "r2,0,0,0,0,",
    ]
    source.write_text("id,text\nr1,a\nr1,b\n", encoding="utf-8")
    with pytest.raises(CommandError, match="row 3"):
        call_command("triage", "signals", str(source), "--out", str(tmp_path / "other.csv"))
    assert not (tmp_path / "other.csv").exists()


def test_measures_count_the_decisions_and_show_unreliable_signals(
    client_for: Any, personas: Any
) -> None:
    import io

    from django.core.management import call_command

    first = make_report(narrative=SHENG)
    second = make_report(narrative="dem mdogo ako na sponsor wa kizungu")
    third = make_report(narrative="a girl of 13 at a beach bar")
    review = services.report_signal_review
    review(report=first, actor=personas.caseworker, signal="csec", verdict="confirmed")
    review(report=first, actor=personas.caseworker, signal="danger_now", verdict="rejected")
    review(report=second, actor=personas.caseworker, signal="csec", verdict="rejected")
    review(report=third, actor=personas.caseworker, signal="csec", verdict="missed")
    out = io.StringIO()
    call_command("triage", "measure", stdout=out)
    text = out.getvalue()
    assert "labelled set labelled.csv" in text
    decisions = text.split("triagers' decisions so far: ", 1)[1]
    # csec: 1 confirmed, 1 rejected, 1 missed -> recall 0.5, precision 0.5
    assert "csec           0.500     0.500     2  UNRELIABLE" in decisions
    # one rejection and nothing confirmed: unreliable, not hidden
    assert "danger_now         -     0.000     0  UNRELIABLE" in decisions
    page = client_for(personas.analyst).get("/intake/triage/signals/")
    assert page.status_code == 200
    counts = page.context["page"].decisions.signals["csec"]
    assert (counts.true_positive, counts.false_positive, counts.false_negative) == (1, 1, 1)
    body = page.content.decode()
    assert "unreliable" in body and "SPONSOR" not in body
    assert AuditEvent.objects.filter(
        action=AuditAction.LIST, actor=personas.analyst, detail__list="signal_measures"
    ).exists()
    for user in (personas.helpline, personas.investigator, personas.admin, personas.counsellor):
        assert client_for(user).get("/intake/triage/signals/").status_code == 404


def test_an_sms_is_answered_in_the_language_of_its_words(personas: Any, outbox: Any) -> None:
    english = sms(
        "please help, a girl of 13 is with an old man at the lodging", "e1", "+254711000222"
    )
    assert (english.language, english.text_language) == ("en", "en")
    sheng = sms(SHENG, "s1", "+254711000333")
    assert (sheng.language, sheng.text_language) == ("sw", "sheng")
    mixed = sms("the girl yuko na mzee sasa hivi please help", "m1", "+254711000444")
    assert mixed.text_language == "mixed"
    replies = {message["to"]: message["text"] for message in outbox()}
    assert (
        replies["+254711000222"].startswith("Thank you") and " / " not in replies["+254711000222"]
    )
    assert replies["+254711000333"].startswith("Asante") and " / " not in replies["+254711000333"]
    assert " / " in replies["+254711000444"]  # mixed words: both languages


def test_a_follow_up_with_the_code_is_read_again(personas: Any) -> None:
    report, code = services.report_submit_web(
        data=services.ReportInput(categories=["other"], narrative="habari, nina swali"),
        submission="follow-up-signals",
        payload={},
    )
    run_worker()
    report.refresh_from_db()
    assert report.text_signals == [] and report.priority == Priority.NORMAL
    services.report_follow_up(
        code=code, text="mtoto wa miaka 12 amefungiwa ndani na mzee sasa hivi", sender=None
    )
    report.refresh_from_db()
    assert report.text_signals[0] == "danger_now" and report.priority == Priority.HIGH


def _call_with_note(personas: Any, note: str, narrative: str = "") -> Report:
    from kinga.places.models import County

    report, _code = services.report_log_call(
        operator=personas.helpline,
        data=services.ReportInput(
            categories=["other"],
            narrative=narrative or "Caller is worried about a child in the neighbourhood",
            county_id=County.objects.get(name="Mombasa").pk,
        ),
        call=services.CallInput(support_note=note),
    )
    run_worker()
    report.refresh_from_db()
    return report


NOTE = "caller says mtt wa miaka 13 analala na mzee kwa LODGING ya mtwapa kila ijumaa"


def test_a_helpline_call_note_is_read_like_the_narrative(personas: Any) -> None:
    report = _call_with_note(personas, NOTE)
    # the narrative alone raises nothing: the note's words raise the signal
    assert "csec" in report.text_signals and report.priority == Priority.HIGH
    assert report.text_language == "en"  # the reporter's words, not the operator's note
    call = report.calls.get()
    # the follow-up call's note is read too, with the report's other words
    later = services.helpline_follow_up_call(
        operator=personas.helpline,
        first=call,
        data=services.CallInput(support_note="mtoto amefungiwa ndani na mzee sasa hivi"),
    )
    report.refresh_from_db()
    assert "danger_now" in report.text_signals
    event = AuditEvent.objects.filter(
        record_type="intake.report", record_id=str(report.pk), detail__call=later.pk
    ).get()
    assert "text_signals" in event.fields and "additions" not in event.fields


def test_the_triage_page_highlights_a_call_note_only_for_whom_may_read_it(
    client_for: Any, personas: Any
) -> None:
    report = _call_with_note(personas, NOTE)
    page = client_for(personas.caseworker).get(f"/intake/triage/{report.pk}/")
    body = page.content.decode()
    assert 'id="call-notes"' in body and ">LODGING</mark>" in body
    panel = page.context["signals"]
    (note,) = panel.notes
    assert "".join(piece.text for piece in note[1]) == NOTE
    assert "LODGING" in [s for s in panel.signals if s.code == "csec"][0].phrases
    read = AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=personas.caseworker, record_id=str(report.pk)
    ).get()
    assert "support_note" in read.fields
    # the operator who logged it reads it too; another county's caseworker, an analyst
    # and an administrator get the same 404 as for a report that does not exist
    assert client_for(personas.helpline).get(f"/intake/triage/{report.pk}/").status_code == 200
    for user in (personas.caseworker_other, personas.analyst, personas.admin):
        response = client_for(user).get(f"/intake/triage/{report.pk}/")
        assert response.status_code == 404, user
        assert "LODGING" not in response.content.decode()


def test_a_viewer_without_identity_sees_the_signal_from_a_note_but_not_its_words(
    personas: Any,
) -> None:
    from kinga.intake import selectors

    report = _call_with_note(personas, NOTE)
    panel = selectors.report_signals(
        viewer=personas.caseworker, report=report, additions=[], show_identity=False
    )
    assert "csec" in [s.code for s in panel.signals]
    assert panel.notes == [] and all(s.phrases == [] for s in panel.signals)
    assert panel.learned == []  # the model's weighed words are the report's words
    assert selectors.call_notes_of(viewer=personas.analyst, report=report) == []


def test_a_call_note_follows_the_child_into_the_case_for_the_team_only(
    client_for: Any, personas: Any
) -> None:
    """Read through the case (the seam by which a case's team reads the report it came
    from): the team sees the note highlighted, the read is audited on the case's trail with
    the note named; an outsider gets the same 404 as before."""
    from kinga.cases.models import Case

    report = _call_with_note(personas, NOTE)
    caseworker = client_for(personas.caseworker)
    caseworker.get(f"/intake/triage/{report.pk}/")
    caseworker.post(
        f"/intake/triage/{report.pk}/",
        {"decision": Decision.OPEN_CASE, "reason": "A child needs a case: exploitation weekly"},
    )
    case = Case.objects.get(source_report_id=report.pk)
    page = caseworker.get(f"/intake/triage/{report.pk}/")
    assert page.status_code == 200 and page.context["through_case"] == case
    assert ">LODGING</mark>" in page.content.decode()
    event = AuditEvent.objects.filter(
        action=AuditAction.VIEW, record_type="intake.report", record_id=str(report.pk)
    ).latest("seq")
    assert (event.matter_type, event.matter_id) == ("case", case.pk)
    assert "support_note" in event.fields
    for outsider in (personas.caseworker_other, personas.analyst, personas.admin):
        response = client_for(outsider).get(f"/intake/triage/{report.pk}/")
        assert response.status_code == 404 and "LODGING" not in response.content.decode()
