"""Large exports: asked for on the page, built by the worker, offered to the asker alone until
they expire; every step audited; the HTCDS rows k-anonymous."""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone

from kinga.accounts.models import RoleAssignment
from kinga.audit.models import AuditEvent
from kinga.cases.models import Case
from kinga.insights import htcds
from kinga.insights.models import ExportJob, ExportState
from kinga.insights.services import export_path, exports_expire
from kinga.insights.tests.conftest import Known
from kinga.tasks.services import run_due_names

pytestmark = pytest.mark.django_db


def _rows(content: bytes) -> tuple[list[dict[str, str]], str]:
    lines = content.decode("utf-8").splitlines()
    return list(csv.DictReader(io.StringIO("\n".join(lines[:-1])))), lines[-1]


def test_the_worker_builds_the_htcds_export_and_only_the_asker_downloads_it(
    personas: Any, known: Known, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    settings.VAR_DIR = tmp_path
    analyst = client_for(personas.analyst)
    page = analyst.get("/insights/export/")
    assert "Prepare" in page.content.decode()
    while run_due_names(now=timezone.now()):  # what other apps queued for the known records
        pass
    asked = analyst.post("/insights/export/prepare/htcds")
    assert asked.status_code == 302
    job = ExportJob.objects.get()
    assert job.state == ExportState.QUEUED and job.requested_by == personas.analyst
    waiting = analyst.get("/insights/export/")
    # no self-reloading page (WCAG 2.2.1): the asker checks again with a link
    assert '<meta http-equiv="refresh"' not in waiting.content.decode()
    assert 'id="check-again"' in waiting.content.decode()
    assert "<progress" in waiting.content.decode()
    assert run_due_names(now=timezone.now()) == ["insights.build_export"]
    job.refresh_from_db()
    assert job.state == ExportState.READY and job.progress == 100
    assert export_path(job).exists()
    # a second run of the task changes nothing
    from kinga.insights.services import export_build

    assert export_build(job_id=job.pk, now=timezone.now()).state == ExportState.READY
    download = analyst.get(f"/insights/export/{job.pk}/download")
    assert download.status_code == 200
    rows, note = _rows(download.content)
    assert list(rows[0]) == htcds.COLUMNS
    assert note.startswith("# records 13; ")
    # every combination of the quasi-identifiers is shared by at least k rows
    groups = Counter(tuple(row[name] for name in htcds.QUASI_IDENTIFIERS) for row in rows)
    assert all(count >= 5 for count in groups.values())
    assert len(rows) + job.dropped == 13
    # no case code, no name: the rows hold counted values only
    body = download.content.decode()
    assert "KWL-" not in body and "MSA-" not in body
    assert AuditEvent.objects.filter(
        action="export", record_id="htcds", actor_id=personas.analyst.pk
    ).exists()
    # another analyst, a supervisor, an administrator: the same 404 as for no such file
    for other in [personas.supervisor, personas.admin, personas.caseworker]:
        assert client_for(other).get(f"/insights/export/{job.pk}/download").status_code == 404
    assert (
        AuditEvent.objects.filter(
            action="denied", record_type="insights.export", record_id=str(job.pk)
        ).count()
        == 3
    )


def test_an_export_expires_and_its_file_is_gone(
    personas: Any, known: Known, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    settings.VAR_DIR = tmp_path
    analyst = client_for(personas.analyst)
    analyst.post("/insights/export/prepare/ctdc")
    run_due_names(now=timezone.now())
    job = ExportJob.objects.get()
    assert job.state == ExportState.READY
    later = timezone.now() + datetime.timedelta(hours=settings.KINGA_INSIGHTS_EXPORT_HOURS + 1)
    assert exports_expire(now=later) == 1
    job.refresh_from_db()
    assert job.state == ExportState.EXPIRED
    assert not export_path(job).exists()
    assert analyst.get(f"/insights/export/{job.pk}/download").status_code == 302


def test_the_ctdc_export_is_not_the_supervisors_and_a_lost_role_gets_no_file(
    personas: Any, known: Known, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    settings.VAR_DIR = tmp_path
    supervisor = client_for(personas.supervisor)
    assert supervisor.post("/insights/export/prepare/ctdc").status_code == 404
    assert supervisor.post("/insights/export/prepare/htcds").status_code == 302
    job = ExportJob.objects.get()
    assert job.scope == "county" and job.county_id == personas.supervisor.agency.county_id
    run_due_names(now=timezone.now())
    rows, note = _rows(supervisor.get(f"/insights/export/{job.pk}/download").content)
    # Mombasa's one case only, never Kwale's twelve: one record, below k, dropped
    assert note.startswith("# records 1; exported 0;")
    # an analyst who loses the role before the worker runs gets no file
    analyst = client_for(personas.analyst)
    analyst.post("/insights/export/prepare/htcds")
    RoleAssignment.objects.filter(user=personas.analyst).delete()
    run_due_names(now=timezone.now())
    lost = ExportJob.objects.filter(requested_by=personas.analyst).get()
    assert lost.state == ExportState.FAILED
    assert not export_path(lost).exists()
    assert Case.objects.count() == 13


def test_a_large_export_is_read_in_chunks_and_shows_its_progress_between_them(
    personas: Any,
    known: Known,
    client_for: Any,
    settings: Any,
    tmp_path: Any,
    monkeypatch: Any,
) -> None:
    from kinga.insights import services

    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(services, "EXPORT_CHUNK", 5)
    analyst = client_for(personas.analyst)
    while run_due_names(now=timezone.now()):  # what other apps queued for the known records
        pass
    analyst.post("/insights/export/prepare/htcds")
    job = ExportJob.objects.get()
    # one chunk per run, each run its own transaction: the page sees how far it got
    assert run_due_names(now=timezone.now(), limit=1) == ["insights.build_export"]
    job.refresh_from_db()
    assert job.state == ExportState.BUILDING and job.progress == 5 * 100 // 13
    page = analyst.get("/insights/export/").content.decode()
    assert f'<progress max="100" value="{job.progress}">' in page
    assert run_due_names(now=timezone.now()) == ["insights.build_export"]
    assert run_due_names(now=timezone.now()) == ["insights.build_export"]
    job.refresh_from_db()
    assert job.state == ExportState.READY
    rows, note = _rows(analyst.get(f"/insights/export/{job.pk}/download").content)
    assert note.startswith("# records 13; ")
    # the chunks are gone once the file is whole
    assert sorted(path.name for path in export_path(job).parent.iterdir()) == [f"{job.token}.csv"]


def test_the_htcds_command_writes_the_same_rows_as_the_page(
    personas: Any, known: Known, tmp_path: Any
) -> None:
    from django.core.management import call_command

    path = tmp_path / "htcds.csv"
    call_command("export", "htcds", str(path))
    rows, note = _rows(path.read_bytes())
    assert note.startswith("# records 13; ")
    assert rows and list(rows[0]) == htcds.COLUMNS
    assert {row["kng_County"] for row in rows} == {"Kwale"}
    assert AuditEvent.objects.filter(action="export", record_id="htcds", actor=None).exists()
