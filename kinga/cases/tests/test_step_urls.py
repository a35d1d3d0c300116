"""One URL and one small view per form and step of the case page (issue 12 points 4 and 5)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.cases import services
from kinga.cases.models import CasePlan, PlanState, Task
from kinga.cases.tests.test_views import ADD_FORMS, outsiders

TODAY = timezone.localdate()
PACKAGE = Path(__file__).resolve().parents[2]

STEPS = (
    "plan_submit",
    "plan_approve",
    "plan_return",
    "closure_approve",
    "closure_return",
    "transfer_accept",
    "transfer_decline",
    "task_done",
    "promise_keep",
    "promise_explain",
    "consent_withdraw",
    "team_remove",
    "follow_up_start",
    "interview_cancel",
)


def test_every_form_and_step_has_its_own_url_name_and_view() -> None:
    """Issue 12 point 5: no dispatcher; each name resolves to a view of its own."""
    views = set()
    for name in (*ADD_FORMS, *STEPS):
        match = resolve(reverse(f"cases:{name}", args=[7]))
        assert match.url_name == name
        assert match.func.__name__ not in ("case_add", "case_act", "case_step_unknown"), name
        views.add(match.func)
    assert len(views) == len(ADD_FORMS) + len(STEPS)


@pytest.mark.parametrize("step", STEPS)
def test_each_step_refuses_outsiders_with_an_audited_404_on_the_case(
    personas, case, client_for, step
) -> None:
    """Issue 12 point 5 with issue 11's rule: every step URL answers an outsider 404, and
    the refusal is a denial on the case's trail."""
    url = reverse(f"cases:{step}", args=[case.pk])
    for user in outsiders(personas):
        before = AuditEvent.objects.filter(action="denied", actor=user).count()
        assert client_for(user).post(url, {"record": "1"}).status_code == 404, user.username
        assert AuditEvent.objects.filter(action="denied", actor=user).count() == before + 1
    case.refresh_from_db()
    assert case.status == "active"


def test_an_unknown_step_is_the_cases_audited_404(personas, case, client_for) -> None:
    """Issue 12 point 5: a step that does not exist is refused like one out of reach."""
    client = client_for(personas.caseworker)
    assert client.post(f"/cases/{case.pk}/act/plan_explode/").status_code == 404
    assert client.get(f"/cases/{case.pk}/add/plan_explode/").status_code == 404
    assert (
        AuditEvent.objects.filter(
            action="denied", actor=personas.caseworker, matter_type="case", matter_id=case.pk
        ).count()
        == 2
    )


def test_a_step_on_its_own_url_moves_the_case(personas, case, client_for) -> None:
    """Issue 12 point 5: the task_done URL calls its service and returns to the case."""
    task = services.task_create(
        case=case,
        actor=personas.caseworker,
        title="Visit the school",
        assigned_to=personas.caseworker,
        due_on=TODAY,
    )
    response = client_for(personas.caseworker).post(
        reverse("cases:task_done", args=[case.pk]), {"record": task.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert Task.objects.get(pk=task.pk).done_at is not None


def test_plan_return_on_its_own_url_keeps_the_comments(personas, case, client_for) -> None:
    """Issue 12 point 5: plan_return reads its comments and the plan goes back."""
    item = services.plan_item_add(
        case=case,
        actor=personas.caseworker,
        kind="goal",
        need="education",
        description="Back to school",
        due_on=TODAY + datetime.timedelta(days=30),
    )
    services.plan_submit(plan=CasePlan.objects.get(pk=item.plan_id), actor=personas.caseworker)
    client_for(personas.supervisor).post(
        reverse("cases:plan_return", args=[case.pk]),
        {"record": item.plan_id, "comments": "Name the school"},
    )
    assert CasePlan.objects.get(pk=item.plan_id).state == PlanState.RETURNED


def test_the_case_page_posts_each_step_to_its_reversed_url(personas, case, client_for) -> None:
    """Issue 12 point 4: the page links steps by reverse(), not a sliced URL plus a name."""
    response = client_for(personas.caseworker).get(reverse("cases:detail", args=[case.pk]))
    assert "act_url" not in response.context
    body = response.content.decode()
    assert f'action="{reverse("cases:follow_up_start", args=[case.pk])}"' in body


def test_no_url_is_built_by_slicing_a_reversed_one() -> None:
    """Issue 12 point 4: `reverse(...)[:-2]` and similar are gone from the code."""
    sliced = re.compile(r"reverse\([^()]*(\([^()]*\)[^()]*)*\)\s*\[")
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts and sliced.search(path.read_text())
    ]
    assert offenders == []
    assert sliced.search('reverse("cases:act", kwargs={"case_id": 1})[:-2]')
