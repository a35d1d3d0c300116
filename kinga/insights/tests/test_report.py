"""The monthly report: a PDF in both languages, for the viewer's scope, and by the worker."""

from __future__ import annotations

import datetime
import re
import zlib
from typing import Any

import pytest
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.insights import report
from kinga.insights.tests.conftest import Known

pytestmark = pytest.mark.django_db


def _text_of(pdf: bytes) -> str:
    """Return the drawn text of the PDF's pages (their streams inflated)."""
    streams = re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S)
    return b"\n".join(zlib.decompress(stream) for stream in streams).decode("cp1252")


def _this_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def test_the_analyst_makes_the_report_in_both_languages(
    personas: Any, known: Known, client_for: Any
) -> None:
    client = client_for(personas.analyst)
    month = (timezone.localdate() - datetime.timedelta(days=60)).strftime("%Y-%m")
    english = client.get("/insights/report/pdf", {"month": month, "language": "en"})
    assert english.status_code == 200
    assert english["Content-Type"] == "application/pdf"
    assert english.content.startswith(b"%PDF-1.4")
    text = _text_of(english.content)
    assert "monthly programme report" in text
    assert "Reports received" in text
    assert "Secret narrative" not in text
    swahili = client.get("/insights/report/pdf", {"month": month, "language": "sw"})
    assert "Ripoti zilizopokelewa" in _text_of(swahili.content)
    events = AuditEvent.objects.filter(action="export", record_id="monthly_report")
    assert events.count() == 2
    assert events.latest("seq").detail["format"] == "pdf"


def test_a_bad_month_is_said_and_nothing_is_made(personas: Any, client_for: Any) -> None:
    client = client_for(personas.analyst)
    response = client.get("/insights/report/pdf", {"month": "2026-13", "language": "en"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Choose a month" in page.content.decode()
    assert not AuditEvent.objects.filter(action="export", record_id="monthly_report").exists()


def test_the_report_follows_the_policy(personas: Any, client_for: Any) -> None:
    supervisor = client_for(personas.supervisor)
    assert supervisor.get("/insights/report/").status_code == 200
    made = supervisor.get("/insights/report/pdf", {"month": _this_month(), "language": "en"})
    assert made.status_code == 200
    assert "Mombasa" in _text_of(made.content)
    # the worker's programme reports are for those who count the programme
    assert supervisor.get(f"/insights/report/{_this_month()}/en.pdf").status_code == 404
    for user in [personas.caseworker, personas.investigator, personas.admin, personas.helpline]:
        assert client_for(user).get("/insights/report/").status_code == 404
        assert client_for(user).get("/insights/report/pdf").status_code == 404


def test_the_worker_writes_last_months_report_once(
    personas: Any, known: Known, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    settings.VAR_DIR = tmp_path
    now = timezone.now()
    report.monthly_reports({}, now)
    last = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    english, swahili = report.report_path(last, "en"), report.report_path(last, "sw")
    assert english.exists() and swahili.exists()
    written = english.stat().st_mtime_ns
    report.monthly_reports({}, now)
    assert english.stat().st_mtime_ns == written
    response = client_for(personas.analyst).get(f"/insights/report/{last:%Y-%m}/sw.pdf")
    assert response.status_code == 200
    assert response.content == swahili.read_bytes()
