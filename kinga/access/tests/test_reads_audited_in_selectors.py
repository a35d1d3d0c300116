"""Reads are audited in selectors only, never sometimes in views (issue 12 point 4)."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse

KINGA = Path(__file__).resolve().parents[2]

READ_ACTIONS = re.compile(r"audit_record\(\s*action=AuditAction\.(VIEW|LIST|EXPORT|SEARCH)\b")

# The directory's service page moves to its own app in a parallel part of issue 12 (point 3),
# which owns that view and its location read; the lead drops this entry when they meet.
NOT_YET: dict[str, int] = {}


def read_audits(source: str) -> int:
    return len(READ_ACTIONS.findall(source))


def test_no_view_audits_a_read_itself() -> None:
    """Issue 12 point 4: views and API views leave read-auditing to the selectors."""
    found = {}
    for path in (
        sorted(KINGA.glob("*/views.py"))
        + sorted(KINGA.glob("*/api.py"))
        + sorted(KINGA.glob("*/views/*.py"))
    ):
        count = read_audits(path.read_text(encoding="utf-8"))
        if count:
            found[str(path.relative_to(KINGA))] = count
    assert found == NOT_YET


def test_the_scan_catches_a_view_that_audits_a_read() -> None:
    """Issue 12 point 4: the scan itself sees a read audit spread over lines."""
    source = "audit_record(\n    action=AuditAction.LIST,\n    actor=user,\n)"
    assert read_audits(source) == 1
    assert read_audits("audit_record(action=AuditAction.CHANGE, actor=user)") == 0


def test_reading_a_trail_and_the_review_queue_is_audited(personas, client_for) -> None:
    """Issue 12 point 4: the selectors behind "who has seen this" and the break-glass queue
    audit the read, now that the views no longer do."""
    from kinga.audit.models import AuditEvent
    from kinga.cases.tests.conftest import open_case

    case = open_case(personas)
    client = client_for(personas.supervisor)
    assert client.get(reverse("access:trail", args=["case", case.pk])).status_code == 200
    assert AuditEvent.objects.filter(
        action="view",
        actor=personas.supervisor,
        record_type="audit.trail",
        matter_type="case",
        matter_id=case.pk,
    ).exists()
    assert client.get(reverse("access:break_glass_reviews")).status_code == 200
    assert AuditEvent.objects.filter(
        action="list", actor=personas.supervisor, record_type="access.breakglassgrant"
    ).exists()
