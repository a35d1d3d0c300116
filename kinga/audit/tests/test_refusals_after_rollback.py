"""A refusal written inside a service's transaction outlives the transaction's rollback."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from kinga.audit.middleware import audit_context
from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import audit_record
from kinga.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def _refuse(personas: Any, *, then_fail: bool) -> HttpResponse:
    def view(request: HttpRequest) -> HttpResponse:
        try:
            with transaction.atomic():
                audit_record(
                    action=AuditAction.CREATE,
                    actor=personas.caseworker,
                    record_type="cases.note",
                    record_id=1,
                )
                audit_record(
                    action=AuditAction.DENIED,
                    actor=personas.caseworker_other,
                    record_type="cases.case",
                    record_id=7,
                    matter_type="case",
                    matter_id=7,
                    detail={"wanted": "view", "section": "identity"},
                )
                if then_fail:
                    raise Http404
        except Http404:
            return HttpResponse(status=404)
        return HttpResponse()

    return audit_context(view)(RequestFactory().get("/cases/7/"))


def test_a_refusal_rolled_back_with_its_service_is_written_again(personas: Any) -> None:
    response = _refuse(personas, then_fail=True)
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(record_type="cases.note").exists()
    refusal = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert refusal.actor == personas.caseworker_other
    assert (refusal.record_type, refusal.record_id, refusal.matter_id) == ("cases.case", "7", 7)
    assert refusal.detail == {"wanted": "view", "section": "identity", "after_rollback": True}
    assert verify_chain()[1] is None


def test_a_refusal_that_was_committed_is_not_written_twice(personas: Any) -> None:
    _refuse(personas, then_fail=False)
    assert AuditEvent.objects.filter(action=AuditAction.DENIED).count() == 1
    assert "after_rollback" not in AuditEvent.objects.get(action=AuditAction.DENIED).detail
