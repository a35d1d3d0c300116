"""Issue 12 points 2 and 8: one pipeline per channel, rules and field lists written once,
wording in the catalogues.

Each test names the point of issue 12 it checks.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from kinga.intake.forms import HelplineForm, PublicReportForm
from kinga.intake.models import Channel, Danger, Report
from kinga.intake.repeats import repeat_conditions, repeat_q
from kinga.intake.services import ReportInput, phone_index, repeat_signals_of
from kinga.intake.services.reports import check_report, fill_report, filled_fields, said_fields
from kinga.intake.services.sms import sms_acknowledgement
from kinga.intake.ussd import MAX_SCREEN, MESSAGES, screen_for, ussd_sorry, wording
from kinga.lib.translations_check import parse_po
from kinga.places.models import Ward

pytestmark = pytest.mark.django_db

INTAKE = Path(__file__).resolve().parent.parent


# --- one function per channel -------------------------------------------------------------


def test_views_never_take_the_write_turn_or_open_a_transaction() -> None:
    """Issue 12 point 2: the channel's service owns the turn and the transaction."""
    source = (INTAKE / "views.py").read_text()
    for forbidden in ("write_turn", "transaction", "statements", "ratelimit.hit"):
        assert forbidden not in source, forbidden


def test_the_web_channel_counts_the_sender_inside_its_own_transaction(settings: Any) -> None:
    """Issue 12 point 2: the rate limit is the web channel function's, not the view's."""
    from kinga.intake.services import TooManyReports, report_submit_web

    settings.KINGA_REPORT_RATE_LIMIT = "2/3600"
    data = ReportInput(categories=["trafficking"], narrative="Two girls moved at night")
    for number in range(2):
        report_submit_web(data=data, submission=f"s{number}", payload={}, sender="10.0.0.9")
    with pytest.raises(TooManyReports):
        report_submit_web(data=data, submission="s3", payload={}, sender="10.0.0.9")
    assert Report.objects.filter(channel=Channel.WEB).count() == 2
    # another sender is not held back by the first
    report_submit_web(data=data, submission="s4", payload={}, sender="10.0.0.10")
    assert Report.objects.filter(channel=Channel.WEB).count() == 3


def test_the_follow_up_counts_every_try_inside_its_own_function(settings: Any) -> None:
    """Issue 12 point 2: a follow-up's rate limit is its service's; unknown codes count too,
    and over the limit nothing is looked up or added."""
    from kinga.intake.models import ReportAddition
    from kinga.intake.services import TooManyReports, report_follow_up, report_submit_web

    settings.KINGA_FOLLOW_UP_RATE_LIMIT = "2/3600"
    data = ReportInput(categories=["trafficking"], narrative="Two girls moved at night")
    report, code = report_submit_web(data=data, submission="f1", payload={})
    unknown = report_follow_up(code="ABCD-EFGH-JKLM", text="", sender="10.0.0.7")
    assert unknown.known is False
    known = report_follow_up(code=code, text="They left by bus", sender="10.0.0.7")
    assert known.known and known.added and known.status == str(report.get_status_display())
    with pytest.raises(TooManyReports):
        report_follow_up(code=code, text="More words", sender="10.0.0.7")
    assert list(ReportAddition.objects.values_list("text", flat=True)) == ["They left by bus"]
    # another address is not held back; a channel without a sender is not counted
    assert report_follow_up(code=code, text="", sender="10.0.0.8").known
    assert report_follow_up(code=code, text="", sender=None).known


def test_channel_functions_refuse_to_run_inside_another_transaction() -> None:
    """Issue 12 point 4: top-level services are durable, so no caller can wrap them in a
    transaction that would hold their side effects back or roll them away."""
    from kinga.intake import services

    durable = [
        services.report_log_call,
        services.report_decide,
        services.report_review_start,
        services.report_from_sms,
        services.ussd_session_end,
        services.alert_acknowledge,
    ]
    for function in durable:
        closure = [cell.cell_contents for cell in (function.__closure__ or ())]
        assert any(getattr(item, "durable", False) for item in closure), function.__name__


# --- field lists and checks come from the model ----------------------------------------------


def test_every_reported_value_is_a_field_of_the_report_and_of_a_form() -> None:
    """Issue 12 point 2: a field is added in the model, the form and `ReportInput` only."""
    columns = {field.attname for field in Report._meta.concrete_fields}
    asked = set(PublicReportForm.base_fields) | set(HelplineForm.base_fields)
    for item in dataclasses.fields(ReportInput):
        assert item.name in columns, item.name
        if item.name != "language":  # the language travels in the URL, not the form
            assert item.name.removesuffix("_id") in asked, item.name


def test_filled_fields_name_what_differs_from_the_models_defaults() -> None:
    """Issue 12 point 2: the audit's field list is derived, not a hand-kept list."""
    ward = Ward.objects.select_related("sub_county").first()
    assert ward is not None
    report = Report(channel=Channel.HELPLINE)
    fill_report(
        report,
        ReportInput(
            categories=["online"],
            ward_id=ward.pk,
            danger_now=Danger.UNKNOWN,  # the default: not said
            reporter_phone="0712 345 678",
            language="en",
        ),
    )
    assert filled_fields(report) == [
        "categories",
        "county",
        "sub_county",
        "ward",
        "reporter_phone",
    ]
    assert report.reporter_phone == "+254712345678"
    assert report.reporter_phone_index == phone_index("+254712345678")
    assert "language" not in said_fields()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("categories", ["sexual_exploitation", "not-a-category"]),
        ("age_bands", ["99-100"]),
        ("danger_now", "maybe"),
        ("reporter_relation", "landlord"),
        ("online_platform", "myspace"),
        ("language", "fr"),
        ("channel_reference", "x" * 101),
    ],
)
def test_the_hot_path_check_refuses_what_the_model_refuses(name: str, value: Any) -> None:
    """Issue 12 point 2: `check_report` is the model's own field checks, without look-ups."""
    report = Report(channel=Channel.WEB, categories=["online"])
    check_report(report)  # a plain report passes
    setattr(report, name, value)
    with pytest.raises(ValidationError) as refused:
        check_report(report)
    assert name in refused.value.message_dict
    with pytest.raises(ValidationError):
        report.full_clean()  # and the model agrees


# --- the repeat rule, run both ways on the same reports --------------------------------------


def test_routing_and_the_triage_page_find_the_same_repeats() -> None:
    """Issue 12 point 2: the repeat rule's two executors (a prepared statement on the hot
    path, the ORM on the triage page) agree on the same data, at the windows' edges too."""
    now = timezone.now()
    wards = list(Ward.objects.order_by("pk")[:2])
    same, other = phone_index("+254700000001"), phone_index("+254700000002")

    def report(offset: timedelta, *, phone: str = "", ward: Ward | None = None) -> Report:
        return Report.objects.create(
            channel=Channel.SMS,
            received_at=now + offset,
            reporter_phone_index=phone,
            ward=ward,
        )

    reports = [
        report(timedelta(0), phone=same, ward=wards[0]),
        report(timedelta(days=30), phone=same),  # the phone window's edge
        report(-timedelta(days=30, seconds=1), phone=same),  # just outside it
        report(-timedelta(hours=72), ward=wards[0]),  # the ward window's edge
        report(timedelta(hours=72, seconds=1), ward=wards[0]),  # just outside it
        report(timedelta(hours=1), phone=other, ward=wards[1]),
        report(timedelta(hours=2)),  # says nothing to compare
    ]
    found = 0
    for subject in reports:
        conditions = repeat_conditions(subject)
        others = Report.objects.exclude(pk=subject.pk)
        by_orm = {c.signal for c in conditions if others.filter(repeat_q(subject, c)).exists()}
        assert set(repeat_signals_of(subject)) == by_orm, subject.received_at - now
        found += len(by_orm)
    assert found >= 4  # the rule did find repeats, not agree on finding none
    assert repeat_signals_of(reports[0]) == ["phone", "ward"]
    assert repeat_signals_of(reports[2]) == [] and repeat_signals_of(reports[4]) == []


# --- USSD and SMS wording in the catalogues ----------------------------------------------------


def _numbers(screen: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^(\d+) ", screen, flags=re.MULTILINE)]


def _every_screen() -> dict[str, str]:
    """Walk the menu from the first screen, trying every number shown and a wrong answer;
    return each distinct screen with the answers that reach it."""
    seen: dict[str, str] = {}
    queue = deque([""])
    visited: set[tuple[str, int | None]] = set()
    while queue:
        text = queue.popleft()
        screen = screen_for(text, code=lambda: "ABCDE-FGHJK")
        state = (screen.reply, screen.answers.county_id)
        if state in visited:
            continue
        visited.add(state)
        seen.setdefault(screen.reply, text)
        if screen.ended:
            continue
        for answer in [*_numbers(screen.reply.removeprefix("CON ")), "x"]:
            queue.append(f"{text}*{answer}" if text else answer)
    return seen


def test_every_ussd_screen_fits_in_both_languages() -> None:
    """Issue 12 point 8: every screen, in English and Kiswahili, is ASCII and at most 182
    characters, with the hint of a wrong answer and the longest place names."""
    screens = _every_screen()
    screens[ussd_sorry()] = "(store failed)"
    screens["END " + wording("sw")["stopped"]] = "(too long)"
    for reply, text in screens.items():
        assert reply.startswith(("CON ", "END ")), text
        assert reply.isascii(), (text, reply)
        assert len(reply) <= MAX_SCREEN, (text, len(reply), reply)
    for language, said in (("en", "What is happening?"), ("sw", "Nini kinatokea?")):
        assert any(said in reply for reply in screens), language
    thanks = [reply for reply in screens if reply.startswith("END ") and "ABCDE-FGHJK" in reply]
    assert {reply.split(",")[0] for reply in thanks} == {"END Thank you", "END Asante"}
    assert len(screens) > 50  # the walk reached the lists of every county


def test_the_kiswahili_ussd_wording_comes_from_the_catalogue() -> None:
    """Issue 12 point 8: every screen's words are gettext strings with a Kiswahili msgstr."""
    catalogue = parse_po(INTAKE / "locale" / "sw" / "LC_MESSAGES" / "django.po")
    for key, message in MESSAGES.items():
        entry = next(e for e in catalogue.values() if e.msgid == message)
        assert not entry.fuzzy and "".join(entry.msgstr) == wording("sw")[key], key
        assert wording("sw")[key] != wording("en")[key], key
        assert wording("sw")[key].isascii(), key
    assert "{county}" in wording("sw")["sub_county"] and "{code}" in wording("sw")["thanks"]


def test_the_sms_acknowledgement_is_neutral_and_in_both_languages() -> None:
    """Issue 12 point 8: the acknowledgement is translated, one SMS long, says nothing
    of what was reported."""
    text = sms_acknowledgement()
    kiswahili, english = text.split(" / ")
    assert kiswahili.startswith("Asante") and english.startswith("Thank you")
    assert text.isascii() and len(text) <= 160
    assert "116" in kiswahili and "116" in english


def test_forms_offer_what_report_input_carries() -> None:
    """Issue 12 point 2: the form's `report_input` copies fields by name, none forgotten."""
    form = HelplineForm(
        {
            "danger_now": "yes",
            "categories": ["trafficking"],
            "reporter_relation": "teacher",
            "reporter_phone": "0712345678",
            "callback_consent": "on",
            "children_count": "2",
            "online_platform": "",
        }
    )
    assert form.is_valid(), form.errors
    data = form.report_input(language="en")
    assert data == ReportInput(
        categories=["trafficking"],
        danger_now="yes",
        reporter_relation="teacher",
        reporter_phone="+254712345678",
        callback_consent=True,
        children_count=2,
        age_bands=[],
        language="en",
    )
    assert isinstance(HelplineForm.base_fields["county"], forms.TypedChoiceField)
