"""Issue 18 point 4: attendance and scores from CSV and XLSX, with a preview, every bad row
reported, and nothing saved until the whole file is good or the trainer skips the bad rows."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kinga.audit.models import AuditEvent
from kinga.training import services
from kinga.training.imports import heading_key
from kinga.training.models import Attendance, ImportBatch, Participant
from kinga.training.tests.conftest import Training

pytestmark = pytest.mark.django_db

GOOD = (
    "name,agency,kind,role,day 1,day 2,day 3,pre,post\n"
    "Cpl. Amina Wekesa,Mombasa AHTCPU,,Corporal,1,x,1,9,16\n"
    "Mwanaisha Bakari,Kwale Law Courts,judicial officer,Magistrate,1,1,,11,\n"
    ",,,,,,,,\n"
)


def _upload(t: Training, text: str | bytes, filename: str = "list.csv") -> ImportBatch:
    content = text.encode() if isinstance(text, str) else text
    return services.import_upload(
        actor=t.p.trainer, session=t.session, filename=filename, content=content
    )


def test_headings_in_english_or_kiswahili() -> None:
    assert heading_key("Jina") == "name"
    assert heading_key("  Pre-Test ") == "pre"
    assert heading_key("Siku 2") == "day:2"
    assert heading_key("2026-03-02") == "date:2026-03-02"
    assert heading_key("Notes") == ""


def test_a_good_sheet_imports_everyone_at_once(training: Training) -> None:
    t = training
    staff = services.participant_add(actor=t.p.trainer, session=t.session, user=t.p.investigator)
    batch = _upload(t, GOOD)
    assert not Attendance.objects.exists()  # the preview writes nothing
    services.import_apply(actor=t.p.trainer, batch=batch, skip_bad=False)
    amina = next(p for p in Participant.objects.all() if p.name == "Cpl. Amina Wekesa")
    assert (
        amina.agency == t.p.police and amina.audience == "police" and amina.job_title == "Corporal"
    )
    assert (amina.pre_score, amina.post_score) == (9, 16)
    assert amina.attendance.count() == 3
    judge = next(p for p in Participant.objects.all() if p.name == "Mwanaisha Bakari")
    assert judge.agency is None and judge.agency_name == "Kwale Law Courts"
    assert judge.audience == "judicial" and judge.post_score is None
    assert judge.attendance.count() == 2
    assert staff.attendance.count() == 0  # not in the sheet: untouched
    batch.refresh_from_db()
    assert batch.rows is None and batch.imported_rows == 2
    event = AuditEvent.objects.get(record_type="training.import", action="change")
    assert event.detail["new_participants"] == 2


def test_every_bad_row_is_reported_and_nothing_saved(training: Training) -> None:
    t = training
    sheet = (
        "username,name,kind,day 1,day 2,day 3,pre,post\n"
        "nobody_here,,,1,1,1,5,6\n"  # line 2: unknown account
        ",Juma Said,police,1,maybe,1,5,25\n"  # line 3: attendance word and score
        ",,police,1,1,1,5,6\n"  # line 4: no name
        ",Rehema Ali,astronaut,1,1,1,five,6\n"  # line 5: kind and score
        ",Juma Said,police,1,1,1,5,6\n"  # line 6: the same person twice
        ",Halima Omar,prosecutor,1,1,1,7,12\n"  # line 7: good
    )
    batch = _upload(t, sheet)
    from kinga.training.imports import rows_check

    checks = rows_check(session=t.session, sheet=services.import_sheet(batch))
    problems = {check.line: check.errors for check in checks}
    assert [line for line, errors in problems.items() if errors] == [2, 3, 4, 5, 6]
    assert "nobody_here" in problems[2][0]
    assert len(problems[3]) == 2  # both problems of the row, not the first only
    assert any("maybe" in e for e in problems[3]) and any("25" in e for e in problems[3])
    assert len(problems[5]) == 2
    assert "line 3" in problems[6][0]
    with pytest.raises(ValidationError, match="5 rows have problems"):
        services.import_apply(actor=t.p.trainer, batch=batch, skip_bad=False)
    assert not Participant.objects.exists() and not Attendance.objects.exists()
    # the trainer accepts leaving the bad rows out
    services.import_apply(actor=t.p.trainer, batch=batch, skip_bad=True)
    assert [p.name for p in Participant.objects.all()] == ["Halima Omar"]
    with pytest.raises(ValidationError):
        services.import_apply(actor=t.p.trainer, batch=batch, skip_bad=True)


def test_a_scores_sheet_keeps_the_attendance_and_updates_people_on_the_list(
    training: Training,
) -> None:
    t = training
    _upload_and_apply(t, "name,kind,day 1,day 2,day 3\nZawadi Kenga,police,1,1,1\n")
    _upload_and_apply(t, "jina,awali,mwisho\nzawadi  KENGA,8,15\n")
    person = Participant.objects.get()
    assert person.attendance.count() == 3
    assert (person.pre_score, person.post_score) == (8, 15)


def _upload_and_apply(t: Training, text: str) -> None:
    services.import_apply(actor=t.p.trainer, batch=_upload(t, text), skip_bad=False)


def test_an_xlsx_sheet_reads_like_a_csv(training: Training) -> None:
    from openpyxl import Workbook

    t = training
    book = Workbook()
    sheet = book.active
    days = t.session.days()
    sheet.append(["Name", "Agency", "Role", *days, "Pre", "Post"])
    sheet.append(["Omari Chaka", "ODPP Mombasa", "Prosecution Counsel", 1, 1, 1, 10.0, 17])
    data = io.BytesIO()
    book.save(data)
    batch = _upload(t, data.getvalue(), filename="list.xlsx")
    services.import_apply(actor=t.p.trainer, batch=batch, skip_bad=False)
    person = Participant.objects.get()
    assert person.name == "Omari Chaka" and person.agency == t.p.prosecution
    assert person.audience == "prosecutor" and person.job_title == "Prosecution Counsel"
    assert (person.pre_score, person.post_score) == (10, 17)
    assert sorted(person.attendance.values_list("day", flat=True)) == days


def test_files_that_are_not_sheets_are_refused_with_the_reason(training: Training) -> None:
    t = training
    for content, filename, message in [
        (b"", "empty.csv", "empty"),
        (b"notes about the day\nall went well\n", "notes.csv", "name or username column"),
        (b"not a zip at all", "list.xlsx", "XLSX"),
        (b"name,name\nA,B\n", "twice.csv", "Two columns"),
        (b"x" * 2_000_001, "big.csv", "2 MB"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.import_upload(
                actor=t.p.trainer, session=t.session, filename=filename, content=content
            )
    assert not ImportBatch.objects.exists()


def test_the_import_pages_preview_and_confirm(training: Training, client_for) -> None:  # type: ignore[no-untyped-def]
    t = training
    client = client_for(t.p.trainer)
    upload = SimpleUploadedFile("list.csv", (GOOD + ",,astronaut,,1,1,1,3,4\n").encode())
    response = client.post(reverse("training:import_upload", args=[t.session.pk]), {"file": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    body = preview.content.decode()
    assert "2 rows can be imported; 1 have problems." in body
    assert "Give a name or a username." in body
    assert "Nothing has been saved yet." in body
    assert not Participant.objects.exists()
    response = client.post(response["Location"])  # without skipping: refused, nothing saved
    assert not Participant.objects.exists()
    response = client.post(preview.request["PATH_INFO"], {"skip_bad": "1"})
    assert response.status_code == 302
    assert Participant.objects.count() == 2
    # others may not see an upload's rows
    batch = ImportBatch.objects.get()
    for outsider in (t.p.supervisor, t.p.admin, t.p.investigator):
        assert (
            client_for(outsider)
            .get(reverse("training:import_preview", args=[batch.pk]))
            .status_code
            == 404
        )


def test_an_xlsx_sheet_is_read_no_further_than_the_row_limit(training: Training) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Pre"])
    for number in range(2_001):
        sheet.append([f"Person {number}", 5])
    data = io.BytesIO()
    book.save(data)
    with pytest.raises(ValidationError, match="more than 2000 rows"):
        _upload(training, data.getvalue(), filename="big.xlsx")
    assert not ImportBatch.objects.exists()
