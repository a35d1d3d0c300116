"""Each case page works for those on the case and is a 404 for every outsider."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from kinga.cases import services
from kinga.cases.models import Case, CasePlan, PlanState

# every form that adds a record to a case, by its URL name (issue 12 point 5: one URL each)
ADD_FORMS = (
    "team_add",
    "consent_record",
    "consent_override",
    "assessment_record",
    "plan_item_add",
    "note_add",
    "interview_plan",
    "interview_record",
    "session_record",
    "wellbeing_record",
    "safety_event_record",
    "reintegration_record",
    "follow_up_record",
    "task_create",
    "promise_make",
    "closure_request",
    "transfer_request",
    "reopen",
    "risk_set",
)

TODAY = timezone.localdate()


def outsiders(p):  # type: ignore[no-untyped-def]
    return [
        p.caseworker_other,
        p.prosecutor,
        p.service_provider,
        p.helpline,
        p.analyst,
        p.trainer,
        p.admin,
        p.children_officer,
    ]


def test_case_page_works_for_the_owner(personas, case, client_for) -> None:
    response = client_for(personas.caseworker).get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert case.code in body and "Mwanaisha" in body


def test_case_pages_are_404_for_every_outsider(personas, case, client_for) -> None:
    urls = [
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/print/",
        f"/cases/{case.pk}/?print=1",
        *[reverse(f"cases:{name}", args=[case.pk]) for name in ADD_FORMS],
    ]
    for user in outsiders(personas):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.username, url)
        response = client.post(f"/cases/{case.pk}/act/follow_up_start/")
        assert response.status_code == 404, user.username
    case.refresh_from_db()
    assert case.status == "active"


def test_anonymous_is_sent_to_sign_in(case, client_for) -> None:
    response = client_for(None).get(f"/cases/{case.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_add_form_works_for_the_owner(personas, case, client_for) -> None:
    client = client_for(personas.caseworker)
    for name in ADD_FORMS:
        if name in ("interview_record", "interview_plan", "consent_override"):
            continue  # justice creation and overrides are not a caseworker's
        assert client.get(reverse(f"cases:{name}", args=[case.pk])).status_code == 200, name


def test_adding_through_the_form_saves_and_redirects(personas, case, client_for) -> None:
    client = client_for(personas.caseworker)
    response = client.post(
        f"/cases/{case.pk}/add/promise/",
        {
            "kind": "return_call",
            "description": "Call her grandmother on Friday",
            "owner": personas.caseworker.pk,
            "due_on": (TODAY + datetime.timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert case.promises.count() == 1


def test_wellbeing_form_scores_six_items(personas, case, client_for) -> None:
    client = client_for(personas.counsellor)
    data = {"measured_on": TODAY.isoformat(), "language": "sw"}
    for key in ("safe", "sleep", "hope", "support", "daily_life", "self_worth"):
        data[f"item_{key}"] = "2"
    response = client.post(f"/cases/{case.pk}/add/wellbeing/", data)
    assert response.status_code == 302
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "<svg" in page and "12/18" in page


def test_interview_form_warns_before_another(personas, case, client_for) -> None:
    services.interview_record(
        case=case,
        actor=personas.investigator,
        held_on=TODAY,
        purpose="Statement",
        present="Investigator and Children's Officer",
        place="Child-friendly room",
        recording_reference="Exhibit 114",
    )
    client = client_for(personas.investigator)
    response = client.get(f"/cases/{case.pk}/add/interview_plan/")
    assert "already been interviewed 1 time" in response.content.decode()
    response = client.post(
        f"/cases/{case.pk}/add/interview_plan/",
        {"held_on": TODAY.isoformat(), "purpose": "Again"},
    )
    assert response.status_code == 200 and "already been interviewed" in response.content.decode()


def test_supervisor_approves_the_plan_on_the_page(personas, case, client_for) -> None:
    item = services.plan_item_add(
        case=case,
        actor=personas.caseworker,
        kind="goal",
        need="education",
        description="Back to school",
        due_on=TODAY + datetime.timedelta(days=30),
    )
    client_for(personas.caseworker).post(
        f"/cases/{case.pk}/act/plan_submit/", {"record": item.plan_id}
    )
    client = client_for(personas.supervisor)
    assert "Approve plan" in client.get(f"/cases/{case.pk}/").content.decode()
    client.post(f"/cases/{case.pk}/act/plan_approve/", {"record": item.plan_id})
    assert CasePlan.objects.get(pk=item.plan_id).state == PlanState.APPROVED


def test_the_list_shows_codes_not_names_and_only_visible_cases(personas, case, client_for) -> None:
    body = client_for(personas.caseworker).get("/cases/").content.decode()
    assert case.code in body and "Mwanaisha" not in body
    for user in outsiders(personas):
        assert case.code not in client_for(user).get("/cases/").content.decode()


def test_finding_an_unreachable_code_offers_break_glass(personas, case, client_for) -> None:
    body = client_for(personas.caseworker_other).get(f"/cases/?q={case.code}").content.decode()
    assert f"/access/break-glass/case/{case.pk}/" in body
    body = client_for(personas.analyst).get(f"/cases/?q={case.code}").content.decode()
    assert "/access/break-glass/" not in body


def test_finding_my_code_opens_the_case(personas, case, client_for) -> None:
    response = client_for(personas.caseworker).get(f"/cases/?q={case.code.lower()}")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"


def test_my_work_shows_overdue_promises_to_owner_and_supervisor(personas, case, client_for) -> None:
    services.promise_make(
        case=case,
        actor=personas.caseworker,
        kind="follow_up",
        description="Home visit",
        due_on=TODAY - datetime.timedelta(days=1),
    )
    body = client_for(personas.caseworker).get("/cases/my-work/").content.decode()
    assert "Overdue" in body and case.code in body
    body = client_for(personas.supervisor).get("/cases/my-work/").content.decode()
    assert "Overdue promises on cases you oversee" in body and case.code in body
    body = client_for(personas.caseworker_other).get("/cases/my-work/").content.decode()
    assert case.code not in body


def test_search_before_create_then_open(personas, case, client_for) -> None:
    client = client_for(personas.caseworker)
    body = client.get("/cases/new/?q=Mwanaisha").content.decode()
    assert case.code in body  # her existing case shows
    from kinga.places.models import County

    response = client.post(
        "/cases/new/",
        {
            "q": "",
            "person": "",
            "given_name": "Halima",
            "family_name": "Bakari",
            "age_estimate": "14",
            "county": County.objects.get(name="Kilifi").pk,
            "reason": "Seen at the beach at night with an older man",
        },
    )
    assert response.status_code == 302
    assert Case.objects.filter(code__startswith="KLF-").count() == 1  # opened in Kilifi


def test_opening_is_refused_to_other_roles(personas, client_for) -> None:
    for user in (personas.counsellor, personas.investigator, personas.analyst, personas.admin):
        assert client_for(user).get("/cases/new/").status_code == 404


def _fill_timeline(personas, case, count: int) -> None:  # type: ignore[no-untyped-def]
    for index in range(count):
        services.note_add(
            case=case,
            actor=personas.caseworker,
            sensitivity=("general", "care")[index % 2],
            text=f"Note {index}",
        )


def test_case_page_query_count_is_bounded(
    personas, case, client_for, django_assert_max_num_queries
) -> None:
    _fill_timeline(personas, case, 60)
    services.wellbeing_record(
        case=case, actor=personas.counsellor, measured_on=TODAY, scores=[1, 2, 2, 1, 2, 2]
    )
    client = client_for(personas.caseworker)
    client.get(f"/cases/{case.pk}/")
    with django_assert_max_num_queries(25):
        response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200


def test_case_list_query_count_is_bounded(
    personas, case, client_for, django_assert_max_num_queries
) -> None:
    from kinga.cases.tests.conftest import open_case

    for index in range(30):
        open_case(personas, given_name=f"Child{index}")
    client = client_for(personas.caseworker)
    client.get("/cases/")
    with django_assert_max_num_queries(15):
        response = client.get("/cases/?status=active&page=2")
    assert response.status_code == 200


def test_my_work_query_count_is_bounded(
    personas, case, client_for, django_assert_max_num_queries
) -> None:
    client = client_for(personas.supervisor)
    client.get("/cases/my-work/")
    with django_assert_max_num_queries(20):
        assert client.get("/cases/my-work/").status_code == 200


@pytest.mark.parametrize("action", ["task_done", "promise_keep", "consent_withdraw", "team_remove"])
def test_acting_on_a_record_of_another_case_is_404(personas, case, client_for, action) -> None:
    from kinga.cases.tests.conftest import open_case

    other = open_case(personas, given_name="Saida")
    task = services.task_create(
        case=other,
        actor=personas.caseworker,
        title="x",
        assigned_to=personas.caseworker,
        due_on=TODAY,
    )
    response = client_for(personas.caseworker).post(
        f"/cases/{case.pk}/act/{action}/", {"record": task.pk + 1000}
    )
    assert response.status_code == 404


def test_timeline_reads_in_the_readers_language(personas, case, client_for) -> None:
    from django.utils import translation

    with translation.override("sw"):
        services.case_risk_set(case=case, risk_level="high", actor=personas.caseworker)
    english = client_for(personas.caseworker).get(f"/cases/{case.pk}/").content.decode()
    assert "Risk level: High" in english
    client = client_for(personas.caseworker)
    client.cookies["django_language"] = "sw"
    swahili = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Kiwango cha hatari: Juu" in swahili


def test_referrals_appear_on_the_timeline_for_those_who_may_see_them(
    personas, case, client_for, monkeypatch
) -> None:
    import kinga.referrals.selectors as referral_selectors
    from kinga.cases.selectors import TimelineEntry

    def fake(*, viewer, case, referrals=None):  # type: ignore[no-untyped-def]
        return [
            TimelineEntry(
                at=timezone.now(),
                kind="referral",
                label="Referral",
                summary="REF-1 sent to the rescue home",
                section="referral",
                url="/referrals/1/",
            )
        ]

    monkeypatch.setattr(referral_selectors, "referrals_for_case_timeline", fake)
    body = client_for(personas.caseworker).get(f"/cases/{case.pk}/").content.decode()
    assert '<a href="/referrals/1/">REF-1 sent to the rescue home</a>' in body
    body = client_for(personas.investigator).get(f"/cases/{case.pk}/").content.decode()
    assert "REF-1" not in body  # investigators have no referral section
