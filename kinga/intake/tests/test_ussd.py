"""USSD sessions on Africa's Talking's protocol: whole journeys, bad input, drops, repeats."""

from __future__ import annotations

from typing import Any

import pytest

from kinga.access.models import AccessGrant, Relation
from kinga.intake.models import Channel, ChannelEvent, Report
from kinga.intake.tests.conftest import run_worker
from kinga.intake.ussd import coast
from kinga.places.models import County
from kinga.tasks.models import Task, TaskState

pytestmark = pytest.mark.django_db


def county_number(name: str) -> str:
    ids = [c.id for c in coast().counties]
    return str(ids.index(County.objects.get(name=name).pk) + 1)


def report_of(session: str = "ATUid_1") -> Report:
    return Report.objects.get(channel=Channel.USSD, channel_reference=session)


def test_full_session_in_english(ussd: Any, personas: Any) -> None:
    assert ussd("").startswith("CON Karibu / Welcome\n1 English\n2 Kiswahili")
    assert "What is happening?" in ussd("1")
    screen = ussd("1*1")
    assert screen.startswith("CON Which county?") and "Mombasa" in screen
    mombasa = county_number("Mombasa")
    screen = ussd(f"1*1*{mombasa}")
    assert "Which area of Mombasa?" in screen and "Changamwe" in screen
    assert "How old" in ussd(f"1*1*{mombasa}*1")
    assert "danger" in ussd(f"1*1*{mombasa}*1*4")
    assert "call this number back" in ussd(f"1*1*{mombasa}*1*4*2")
    end = ussd(f"1*1*{mombasa}*1*4*2*1")
    assert end.startswith("END Thank you")
    report = report_of()
    assert report.language == "en"
    assert report.categories == ["sexual_exploitation"]
    assert report.county.name == "Mombasa"
    assert report.sub_county.name == "Changamwe"
    assert report.age_bands == ["15-17"]
    assert report.danger_now == "no"
    assert report.callback_consent is True
    assert report.reporter_phone == "+254712345678"
    # stored whole, with the task that routes it; the worker puts it in triage at once
    assert report.channel_complete and report.routed_at is None
    assert Task.objects.filter(name="intake.route_report", state=TaskState.QUEUED).exists()
    assert "ran 1 tasks" in run_worker()  # the later settle task is not due yet
    report = report_of()
    assert report.routed_at is not None
    # entered the Mombasa triage queue (children's services and NGOs there)
    agencies = set(
        AccessGrant.objects.live()
        .filter(matter_type="report", matter_id=report.pk, relation=Relation.TRIAGE_AREA)
        .values_list("agency_id", flat=True)
    )
    assert personas.childrens_services.pk in agencies and personas.ngo.pk in agencies
    assert personas.other_ngo.pk not in agencies


def test_full_session_in_kiswahili_with_paging(ussd: Any) -> None:
    kilifi = county_number("Kilifi")
    assert "Nini kinatokea?" in ussd("2")
    screen = ussd(f"2*2*{kilifi}")
    assert "Eneo gani la Kilifi?" in screen and "98 Zaidi" in screen and "0 Rudi" in screen
    page_two = ussd(f"2*2*{kilifi}*98")
    assert "98 Zaidi" not in page_two and "Rabai" in page_two
    # back from page two returns to page one, and back again to the counties
    assert ussd(f"2*2*{kilifi}*98*0") == screen
    assert "Kaunti gani?" in ussd(f"2*2*{kilifi}*98*0*0")
    rabai = next(line.split(" ", 1)[0] for line in page_two.splitlines() if line.endswith("Rabai"))
    text = f"2*2*{kilifi}*98*{rabai}*2*1*2"
    assert "Mtoto ana umri" in ussd(f"2*2*{kilifi}*98*{rabai}")
    end = ussd(text)
    assert end.startswith("END Asante")
    report = report_of()
    assert report.sub_county.name == "Rabai"
    assert report.danger_now == "yes" and report.callback_consent is False
    assert report.language == "sw"


@pytest.mark.parametrize(
    ("bad", "question"),
    [
        ("x", "What is happening?"),
        ("9", "What is happening?"),
        ("", "What is happening?"),
        ("1*", "Which county?"),  # "what" answered, the county left empty
        ("12345678901", "What is happening?"),
        ("abc*def", "What is happening?"),
    ],
)
def test_bad_input_gets_the_question_again(ussd: Any, bad: str, question: str) -> None:
    screen = ussd(f"1*{bad}")
    assert screen.startswith("CON Please choose a number from the list.")
    assert question in screen


def test_bad_language_choice_is_answered_in_both_languages(ussd: Any) -> None:
    assert ussd("7").startswith("CON Chagua 1 au 2 / Choose 1 or 2")


def test_star_inside_an_answer_is_read_as_two_answers(ussd: Any) -> None:
    # "1*1" typed into one answer is indistinguishable from two answers: both are applied
    assert ussd("1*1").startswith("CON Which county?")


def test_three_mistakes_in_a_row_end_the_session_and_keep_the_answers(ussd: Any) -> None:
    screen = ussd("1*1*x*y*z")
    assert screen.startswith("END Sorry")
    report = report_of()
    assert report.categories == ["sexual_exploitation"]


def test_very_long_text_ends_politely(ussd: Any) -> None:
    assert ussd("1*" + "1" * 1000).startswith("END ")
    assert ussd("*".join(["1"] * 60)).startswith("END ")


def test_other_county_skips_the_sub_county_and_back_returns_to_counties(ussd: Any) -> None:
    other = str(len(coast().counties) + 1)
    assert "How old" in ussd(f"1*3*{other}")
    assert "Which county?" in ussd(f"1*3*{other}*0")
    ussd(f"1*3*{other}*5*3*2")
    assert ussd(f"1*3*{other}*5*3*2*2").startswith("END ")
    report = report_of()
    assert report.county is None and report.categories == ["online"]


def test_dropped_session_keeps_what_was_said_and_enters_triage_on_the_event(
    ussd: Any, gateway: Any, personas: Any
) -> None:
    mombasa = county_number("Mombasa")
    ussd(f"2*1*{mombasa}")
    report = report_of()
    assert report.county.name == "Mombasa" and not report.channel_complete
    assert report.routed_at is None
    response = gateway(
        "ussd/events/",
        {
            "sessionId": "ATUid_1",
            "status": "Incomplete",
            "errorMessage": "USER_TIMEOUT",
            "phoneNumber": "+254712345678",
            "durationInMillis": "30000",
            "hopsCount": "3",
        },
    )
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.routed_at is not None
    assert ChannelEvent.objects.get(session_id="ATUid_1").status == "Incomplete"


def test_a_repeated_request_is_idempotent(ussd: Any) -> None:
    mombasa = county_number("Mombasa")
    text = f"1*1*{mombasa}*1*4*2*1"
    first = ussd(text)
    updated = report_of().updated_at
    second = ussd(text)
    assert first == second  # the same code is shown again
    assert Report.objects.filter(channel=Channel.USSD).count() == 1
    assert report_of().updated_at == updated


def test_every_screen_fits_and_is_ascii(ussd: Any) -> None:
    for language in ("1", "2"):
        for county in range(1, len(coast().counties) + 1):
            screen = ussd(f"{language}*1*{county}", session=f"s{language}{county}")
            page = 0
            while "98 " in screen and page < 5:
                page += 1
                screen = ussd(
                    f"{language}*1*{county}" + "*98" * page, session=f"s{language}{county}"
                )
            # a mistake on the longest screens still fits
            ussd(f"{language}*1*{county}*x", session=f"s{language}{county}")
        ussd(f"{language}*x", session=f"x{language}")


def test_wrong_key_is_refused(gateway: Any) -> None:
    response = gateway("ussd/", {"sessionId": "s", "text": ""}, key="wrong")
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_allow_list_refuses_other_addresses(gateway: Any, settings: Any) -> None:
    settings.KINGA_AT_ALLOWED_IPS = ["10.0.0.0/8"]
    assert gateway("ussd/", {"sessionId": "s", "text": ""}).status_code == 403
    settings.KINGA_AT_ALLOWED_IPS = ["127.0.0.1"]
    assert gateway("ussd/", {"sessionId": "s", "text": ""}).status_code == 200


def test_missing_session_gets_an_end_screen(gateway: Any) -> None:
    response = gateway("ussd/", {"text": "1"})
    assert response.status_code == 200 and response.content.startswith(b"END ")


def test_get_is_not_allowed(client: Any) -> None:
    assert client.get("/channels/africastalking/ussd/?key=x").status_code == 405
