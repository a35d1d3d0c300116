"""Exports: the figure as its page shows it, formulas neutralised, the publication k-anonymous."""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from kinga.accounts.models import Agency, AgencyKind
from kinga.audit.models import AuditEvent
from kinga.cases.models import Assessment, Case
from kinga.insights import ctdc
from kinga.insights.exports import csv_bytes, neutralise, xlsx_bytes
from kinga.insights.models import ExportJob
from kinga.insights.tests.conftest import Known
from kinga.people.models import Person
from kinga.places.models import County
from kinga.tasks.services import run_due_names

pytestmark = pytest.mark.django_db


def test_text_that_would_run_as_a_formula_is_neutralised() -> None:
    for dangerous in ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]:
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("Kwale") == "Kwale"
    assert neutralise(-3) == -3
    assert neutralise(12) == 12
    rows = [["Agency", "Count"], ["=cmd|' /C calc'!A0", 7]]
    assert b"'=cmd" in csv_bytes(rows)
    sheet = load_workbook(io.BytesIO(xlsx_bytes(rows, title="t"))).active
    assert sheet["A2"].value == "'=cmd|' /C calc'!A0"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 7


def _query(known: Known) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "start": (today - datetime.timedelta(days=365)).isoformat(),
        "end": today.isoformat(),
        "county": known.kwale.pk,
    }


def test_the_funnel_csv_is_the_page_with_its_hidden_counts(
    personas: Any, known: Known, client_for: Any
) -> None:
    response = client_for(personas.analyst).get("/insights/export/funnel.csv", _query(known))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_step = {row[0]: row for row in rows[1:]}
    assert by_step["Reports received"][1] == "20"
    assert by_step["Case opened"][1] == "12"
    # 3 files is below k: hidden in the file as on the page
    assert by_step["File to the prosecutor"][1] == "hidden"
    assert "3" not in by_step["File to the prosecutor"][1:3]
    event = AuditEvent.objects.filter(action="export", record_id="funnel").latest("seq")
    assert event.actor_id == personas.analyst.pk
    assert event.detail["format"] == "csv"
    assert event.detail["county_id"] == known.kwale.pk


def test_an_xlsx_export_neutralises_an_agency_name(personas: Any, client_for: Any) -> None:
    Agency.objects.create(
        name='=HYPERLINK("http://evil","x")',
        kind=AgencyKind.NGO,
        county=County.objects.get(name="Kwale"),
    )
    response = client_for(personas.analyst).get("/insights/export/reports_by_channel.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert AuditEvent.objects.filter(action="export", record_id="reports_by_channel").exists()


def test_exports_follow_the_policy(personas: Any, known: Known, client_for: Any) -> None:
    supervisor = client_for(personas.supervisor)
    # a supervisor exports their county's figures, never the publication
    assert supervisor.get("/insights/export/funnel.csv").status_code == 200
    assert supervisor.post("/insights/export/prepare/ctdc").status_code == 404
    asked = supervisor.get("/insights/export/funnel.csv", _query(known))
    # another county is not theirs: sent back to the page to correct, no file
    assert asked.status_code == 302
    for user in [personas.caseworker, personas.investigator, personas.admin, personas.trainer]:
        client = client_for(user)
        assert client.get("/insights/export/funnel.csv").status_code == 404
        assert client.post("/insights/export/prepare/ctdc").status_code == 404
        assert client.post("/insights/export/prepare/htcds").status_code == 404
        assert client.get("/insights/export/").status_code == 404
    assert client_for(personas.analyst).get("/insights/export/nothing.csv").status_code == 404
    assert client_for(personas.analyst).get("/insights/export/funnel.pdf").status_code == 404


def _cases(personas: Any, count: int, *, sex: str, band: str, nationality: str, year: int) -> None:
    kwale = County.objects.get(name="Kwale")
    start = Case.objects.count()
    for n in range(count):
        child = Person.objects.create(kind="child", sex=sex, age_band=band, nationality=nationality)
        case = Case.objects.create(
            code=f"CT-{start + n:05d}",
            county=kwale,
            year=year,
            number=start + n + 1,
            child=child,
            owning_agency=personas.ngo,
            caseworker=personas.caseworker,
            opened_by=personas.caseworker,
            opened_at=datetime.datetime(year, 3, 1, tzinfo=datetime.UTC),
        )
        Assessment.objects.create(
            case=case,
            created_by=personas.caseworker,
            kind="initial",
            age_basis="apparent",
            risk_level="high",
            control_methods=["debt_bondage"],
            exploitation_types=["commercial_in_person"],
        )


def test_the_ctdc_export_has_k_11_on_every_combination_and_says_what_it_dropped(
    personas: Any, client_for: Any, tmp_path: Any, settings: Any
) -> None:
    settings.VAR_DIR = tmp_path
    _cases(personas, 14, sex="female", band="15-17", nationality="KE", year=2025)
    _cases(personas, 9, sex="female", band="12-14", nationality="KE", year=2025)
    _cases(personas, 3, sex="male", band="15-17", nationality="TZ", year=2025)
    _cases(personas, 1, sex="female", band="6-11", nationality="UG", year=2024)
    built = ctdc.ctdc_build(k=11)
    groups = Counter(tuple(row[name] for name in ctdc.QUASI_IDENTIFIERS) for row in built.rows)
    assert groups and min(groups.values()) >= 11
    assert built.records == 27
    assert built.dropped + len(built.rows) == 27
    assert built.generalised["ageBroad"] > 0
    # the 14 + 9 Kenyan girls of 2025 are all 9--17 in CTDC's bands: kept whole
    assert groups[("2025", "Female", "9--17", "Minor", "KE", "KE")] == 23
    row = built.rows[0]
    assert row["meansOfControlDebtBondage"] == "1"
    assert row["typeOfSexProstitution"] == "1"
    assert row["recruiterRelationFamily"] == "-99"
    # from the page, built by the worker: the last line says what was done
    analyst = client_for(personas.analyst)
    assert analyst.post("/insights/export/prepare/ctdc").status_code == 302
    assert run_due_names(now=timezone.now()) == ["insights.build_export"]
    job = ExportJob.objects.get()
    response = analyst.get(f"/insights/export/{job.pk}/download")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"dropped {built.dropped}" in text.splitlines()[-1]
    assert "CT-" not in text
    # and from the command, the same rows
    path = tmp_path / "ctdc.csv"
    call_command("export", "ctdc", str(path))
    assert path.read_bytes() == response.content
    assert AuditEvent.objects.filter(action="export", record_id="ctdc").count() == 2


def test_anonymise_generalises_before_it_drops() -> None:
    base = {column: "-99" for column in ctdc.COLUMNS}
    rows = [
        {
            **base,
            "yearOfRegistration": "2025",
            "gender": "Female",
            "ageBroad": "9--17",
            "majorityStatus": "Minor",
            "citizenship": "KE",
            "CountryOfExploitation": "KE",
        }
        for _ in range(11)
    ]
    rows += [
        {
            **base,
            "yearOfRegistration": "2025",
            "gender": "Female",
            "ageBroad": "0--8",
            "majorityStatus": "Minor",
            "citizenship": "KE",
            "CountryOfExploitation": "KE",
        }
        for _ in range(11)
    ]
    rows.append({**rows[0], "citizenship": "SO"})
    built = ctdc.anonymise(rows, 11)
    # the Somali girl's row loses its detail step by step and is then dropped alone
    assert built.dropped == 1
    assert len(built.rows) == 22
