"""The record of processing follows the retention schedule and the access policy."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kinga.access.policy import INTEGRATION, POLICY
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction, AuditEvent
from kinga.dataprotection import services
from kinga.dataprotection.processing import processing_record


@pytest.mark.django_db
def test_the_record_is_built_from_the_schedule_and_the_policy(personas, officer) -> None:
    record = processing_record()
    roles = {item["role"] for item in record["recipients"]}  # type: ignore[attr-defined]
    in_policy = {
        str(Role(role).label) if role in Role.values else role for role, _relation in POLICY
    }
    # the open API's integration is a recipient too: a connected system, never a person's role
    assert INTEGRATION in in_policy
    in_policy = (in_policy - {INTEGRATION}) | {
        "A connected system of an agency (open API integration)"
    }
    assert roles == in_policy
    assert str(Role.ANALYST.label) not in roles and str(Role.ADMIN.label) not in roles
    provider = next(
        item
        for item in record["recipients"]
        if item["role"] == str(Role.SERVICE_PROVIDER.label)  # type: ignore[attr-defined]
    )
    assert len(provider["receives"]) == 1 and "referral" in provider["receives"][0]
    services.retention_rule_set(
        actor=officer,
        kind="closed_cases",
        keep_days=4000,
        legal_basis="County policy for children's case files.",
    )
    kept = {item["records"]: item for item in processing_record()["retention"]}  # type: ignore[attr-defined]
    assert kept["Closed cases"]["keep_days"] == 4000
    assert kept["Closed cases"]["legal_basis"] == "County policy for children's case files."


@pytest.mark.django_db
def test_the_officer_reads_and_exports_it_and_nobody_else_does(
    personas, officer, client_for
) -> None:
    client = client_for(officer)
    page = client.get(reverse("dataprotection:processing"))
    assert page.status_code == 200 and b"s.33" in page.content
    swahili = client.get(reverse("dataprotection:processing"), HTTP_ACCEPT_LANGUAGE="sw")
    assert swahili.status_code == 200
    pdf = client.get(reverse("dataprotection:processing_export", args=["pdf"]))
    assert pdf.content.startswith(b"%PDF")
    data = client.get(reverse("dataprotection:processing_export", args=["json"])).json()
    assert {item["records"] for item in data["retention"]} >= {"Closed cases", "Audit events"}
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.EXPORT, record_type="dataprotection.processing"
        ).count()
        == 2
    )
    for outsider in [u for u in personas.all_users() if u != officer]:
        other = client_for(outsider)
        assert other.get(reverse("dataprotection:processing")).status_code == 404
        assert (
            other.get(reverse("dataprotection:processing_export", args=["json"])).status_code == 404
        )
