"""The administrator's audit view shows metadata only, read-only."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from conftest import Personas
from kinga.accounts.models import User
from kinga.audit.models import AuditEvent
from kinga.audit.tests.raw import typed_words
from kinga.cases.tests.conftest import open_case

# No word of the admin's own pages: the sidebar names "Reports and triage" (the alert chain
# lives there), so a reason with "report" in it would be found in the page's chrome.
TYPED = "Triaged complaint of a girl exploited near the ferry"


def test_admin_audit_pages_show_no_reason_typed_in_a_form(
    personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    """Guards issue 11 hole 5: the reason a caseworker typed to open a case is kept
    (encrypted) in its event, and the administrator's audit pages never show it."""
    case = open_case(personas)
    event = AuditEvent.objects.get(record_type="cases.case", record_id=str(case.pk))
    assert event.reason == TYPED  # kept, so the test would see it if shown
    client = client_for(personas.admin)
    listing = client.get("/admin/audit/auditevent/")
    page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert listing.status_code == page.status_code == 200
    for response in (listing, page):
        body = response.content.decode().lower()
        for word in typed_words(TYPED):
            assert word not in body, f"{word!r} shown in the admin"
    body = page.content.decode()
    assert "cases.case" in body and "reason recorded" in body.lower()
    assert "search terms (hashed)" not in body.lower()


def test_admin_audit_page_names_detail_keys_but_not_their_values(
    personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    from kinga.audit.models import AuditAction
    from kinga.audit.services import audit_record

    event = audit_record(
        action=AuditAction.SYSTEM,
        actor=None,
        record_type="test.thing",
        detail={"note_like": "Zuhura Chengo at the bus stage"},
        search_terms="Zuhura Chengo",
    )
    page = client_for(personas.admin).get(f"/admin/audit/auditevent/{event.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200 and "note_like" in body
    assert "zuhura" not in body.lower() and event.search_hash not in body
