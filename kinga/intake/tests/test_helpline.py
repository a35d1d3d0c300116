"""The helpline operator's desk: call records, "my calls" opening each call, follow-up calls
linked to the first (issue 13 point 4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from kinga.audit.models import AuditEvent
from kinga.intake.models import Channel, HelplineCall, Report, ReportAddition
from kinga.places.models import Ward

pytestmark = pytest.mark.django_db


def log_first_call(client: Any, **extra: str) -> HelplineCall:
    ward = Ward.objects.get(name="Mtongwe")
    data = {
        "danger_now": "no",
        "categories": ["sexual_exploitation"],
        "ward": str(ward.pk),
        "narrative": "A girl is taken to tourists at night by an older cousin",
        "children_count": "1",
        "age_bands": ["15-17"],
        "reporter_relation": "teacher",
        "reporter_phone": "0722 333 444",
        "callback_consent": "on",
        "child_sex": "girl",
        "call_language": "giriama",
        "duration_minutes": "12",
        "support_given": ["counselling", "information"],
        "support_note": "Told the teacher about the school's duty to report",
        "outcome": "follow_up",
        "follow_up_due": (timezone.localdate() + timedelta(days=3)).isoformat(),
    }
    data.update(extra)
    response = client.post(reverse("intake:helpline_new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return HelplineCall.objects.latest("pk")


def test_a_call_keeps_what_a_helpline_keeps(personas: Any, client_for: Any) -> None:
    call = log_first_call(client_for(personas.helpline))
    assert call.operator == personas.helpline and call.follow_up_of is None
    assert call.duration_minutes == 12
    assert call.caller_relation == "teacher"
    assert call.child_sex == "girl"
    assert call.language == "giriama"
    assert call.support_given == ["counselling", "information"]
    assert call.support_note == "Told the teacher about the school's duty to report"
    assert call.outcome == "follow_up"
    assert call.follow_up_due == timezone.localdate() + timedelta(days=3)
    report = call.report
    assert report.channel == Channel.HELPLINE and report.age_bands == ["15-17"]
    # the caller spoke Giriama: messages to them go in Kiswahili, not the operator's language
    assert report.language == "sw"
    # the note is stored encrypted, and its audit names fields, never words
    event = AuditEvent.objects.get(record_type="intake.helplinecall", record_id=str(call.pk))
    assert "support_note" in event.fields and "duty" not in str(event.detail)


def test_a_follow_up_due_in_the_past_is_refused(personas: Any, client_for: Any) -> None:
    operator = client_for(personas.helpline)
    response = operator.post(
        reverse("intake:helpline_new"),
        {
            "danger_now": "no",
            "categories": ["other"],
            "follow_up_due": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "cannot be due in the past" in response.content.decode()
    assert not Report.objects.exists()


def test_my_calls_opens_each_call(personas: Any, client_for: Any) -> None:
    operator = client_for(personas.helpline)
    first = log_first_call(operator)
    second = log_first_call(operator, narrative="Boys sent to a house at the beach at night")
    listing = operator.get(reverse("intake:helpline_mine"))
    assert listing.status_code == 200
    body = listing.content.decode()
    for call in (first, second):
        link = reverse("intake:helpline_call", args=[call.pk])
        assert f'href="{link}"' in body
        page = operator.get(link)
        assert page.status_code == 200
        text = page.content.decode()
        assert call.report.reference in text and "Giriama" in text and "12 minutes" in text
        assert "Told the teacher" in text
    assert (
        "older cousin"
        in operator.get(reverse("intake:helpline_call", args=[first.pk])).content.decode()
    )


def test_another_operator_cannot_open_my_call(personas: Any, client_for: Any) -> None:
    first = log_first_call(client_for(personas.helpline))
    other = make_user("mwanaisha_helpline", personas.helpline_centre, "helpline")
    page = client_for(other).get(reverse("intake:helpline_call", args=[first.pk]))
    missing = client_for(other).get(reverse("intake:helpline_call", args=[first.pk + 100]))
    assert page.status_code == missing.status_code == 404
    assert (
        client_for(other).get(reverse("intake:helpline_follow_up", args=[first.pk])).status_code
        == 404
    )
    assert (
        first.report.reference
        not in client_for(other).get(reverse("intake:helpline_mine")).content.decode()
    )


def test_follow_up_calls_are_linked_to_the_first(personas: Any, client_for: Any) -> None:
    operator = client_for(personas.helpline)
    first = log_first_call(operator)
    form = operator.get(reverse("intake:helpline_follow_up", args=[first.pk]))
    assert form.status_code == 200
    response = operator.post(
        reverse("intake:helpline_follow_up", args=[first.pk]),
        {
            "caller_relation": "teacher",
            "addition": "The cousin now takes her on Saturdays too",
            "call_language": "sw",
            "duration_minutes": "5",
            "child_sex": "girl",
            "support_given": ["information"],
            "outcome": "reported",
        },
    )
    follow_up = HelplineCall.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:helpline_call", args=[follow_up.pk])
    assert follow_up.follow_up_of == first and follow_up.report == first.report
    # what the caller added is on the report, for triage
    addition = ReportAddition.objects.get(report=first.report)
    assert addition.text == "The cousin now takes her on Saturdays too"
    assert addition.channel == Channel.HELPLINE
    # a follow-up of the follow-up is linked to the first call too
    operator.post(
        reverse("intake:helpline_follow_up", args=[follow_up.pk]),
        {"caller_relation": "teacher", "outcome": "supported"},
    )
    third = HelplineCall.objects.latest("pk")
    assert third.follow_up_of == first
    # each call's page shows the whole thread, in order
    page = operator.get(reverse("intake:helpline_call", args=[third.pk])).content.decode()
    assert page.index("First call") < page.index("Follow-up 1") < page.index("Follow-up 2")
    assert "Saturdays" in page
    listing = operator.get(reverse("intake:helpline_mine")).content.decode()
    assert listing.count("follow-up</span>") == 2


def test_only_helpline_operators_log_follow_up_calls(personas: Any, client_for: Any) -> None:
    first = log_first_call(client_for(personas.helpline))
    # the Mombasa triage caseworker may read the call through the report, not log one
    caseworker = client_for(personas.caseworker)
    assert caseworker.get(reverse("intake:helpline_call", args=[first.pk])).status_code == 200
    assert caseworker.get(reverse("intake:helpline_follow_up", args=[first.pk])).status_code == 404
    assert (
        'follow-up/"'
        not in caseworker.get(reverse("intake:helpline_call", args=[first.pk])).content.decode()
    )


def test_my_calls_query_count(
    personas: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    operator = client_for(personas.helpline)
    for _ in range(4):
        log_first_call(operator)
    with django_assert_max_num_queries(12):
        operator.get(reverse("intake:helpline_mine"))
