"""The demo cases load, cover every stage, and a second load changes nothing."""

from __future__ import annotations

import pytest

from kinga.cases.models import Case, CaseStatus, WellbeingMeasure


@pytest.mark.django_db
def test_demo_cases_cover_every_stage_and_load_once() -> None:
    from kinga.accounts import demo as accounts_demo
    from kinga.cases import demo

    lines: list[str] = []
    accounts_demo.load(out=lines.append)
    demo.load(out=lines.append)
    count = Case.objects.count()
    assert count == len(demo.STORIES)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED} <= statuses
    assert Case.objects.filter(closures__state="requested").exists()
    assert Case.objects.filter(transfers__state="requested").exists()
    assert Case.objects.filter(plans__state="submitted").exists()
    # someone heals, someone relapses
    totals = {
        case.pk: list(
            WellbeingMeasure.objects.filter(case=case)
            .order_by("measured_on")
            .values_list("total", flat=True)
        )
        for case in Case.objects.all()
    }
    assert any(t and t[-1] - t[0] >= 8 for t in totals.values())
    assert any(any(b - a <= -4 for a, b in zip(t, t[1:], strict=False)) for t in totals.values())
    demo.load(out=lines.append)
    assert Case.objects.count() == count
