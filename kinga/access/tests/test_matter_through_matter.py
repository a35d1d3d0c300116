"""Issue 13: relations that reach one matter through another, walked for every persona.

A decided report reads through the case opened from it (the case's policy decides), and the
triager who decides to refer keeps the report alone, for a limited time. Neither widens the
policy's table: the grants are the same relations, checked by the same functions.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kinga.access import policy
from kinga.access.models import AccessGrant, Relation
from kinga.cases.selectors import case_opened_from_report
from kinga.intake.models import Decision
from kinga.intake.services import report_decide
from kinga.intake.tests.test_web_and_triage import make_report

pytestmark = pytest.mark.django_db

PERSONAS = [
    "caseworker",
    "caseworker_other",
    "counsellor",
    "supervisor",
    "investigator",
    "prosecutor",
    "service_provider",
    "helpline",
    "analyst",
    "trainer",
    "admin",
    "children_officer",
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_report_reads_through_its_case_only_for_viewers_of_the_case(personas, persona):
    report = make_report()
    report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.OPEN_CASE,
        reason="A child needs a case opened now",
    )
    user = getattr(personas, persona)
    through = case_opened_from_report(viewer=user, report_id=report.pk)
    # the caseworker (team) and the supervisor of the agency on the team
    expected = persona in ("caseworker", "supervisor")
    assert (through is not None) is expected
    # and the report's own matter is closed to everyone once triage ends
    assert not policy.can(user, "view", report, "summary")


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_refer_decision_keeps_the_report_for_its_triager_alone(personas, persona):
    report = make_report()
    report_decide(
        report=report,
        actor=personas.caseworker,
        decision=Decision.REFER,
        reason="She needs a safe bed tonight, no case yet",
    )
    user = getattr(personas, persona)
    expected = persona == "caseworker"
    assert policy.can(user, "view", report, "summary") is expected
    assert policy.can(user, "create", report, "referral") is expected
    # never the right to decide again (the report is decided), and only for a while
    grant = AccessGrant.objects.live().get(matter_id=report.pk, relation=Relation.TRIAGE_AREA)
    assert grant.ends_at is not None
    assert grant.ends_at <= timezone.now() + timedelta(hours=72)
