"""The case-level export for partner agencies, with the Human Trafficking Case Data
Standard's field names (IOM's HTCDS: `cas_` case, `prs_` person, `vic_` victim context).

One row per child's case, counted values only: the case's status, the child's gender,
nationality and age band, the year the case was opened and its county, and from the
latest assessment the method of recruitment, methods of control, type of sexual
exploitation and the apps used to recruit. HTCDS names a birth date, names and addresses;
none of them is ever here (the age band and year stand in, under `kng_` names, ours). Every
combination of the quasi-identifiers (year, county, gender, age band, nationality) is
shared by at least k records (KINGA_INSIGHTS_K): smaller groups are generalised a step at a
time (the same machinery as the CTDC publication), and rows still alone are dropped; the
file's last line says how many.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import ExtractYear

from kinga.cases.models import (
    Assessment,
    Case,
    CaseStatus,
    ControlMethod,
    RecruitmentApp,
    RecruitmentChannel,
    SexualExploitationType,
)
from kinga.insights.ctdc import CtdcExport, anonymise_by

MISSING = "Unknown"

COLUMNS = [
    "kng_YearOpened",
    "kng_County",
    "cas_Status",
    "prs_Gender",
    "kng_AgeBand",
    "prs_Nationality",
    "vic_MethodOfRecruitment",
    "vic_MethodsOfControl",
    "vic_TypeOfSexExploitation",
    "vic_RecruitmentWebsitesAndApps",
]
QUASI_IDENTIFIERS = ("kng_YearOpened", "kng_County", "prs_Gender", "kng_AgeBand", "prs_Nationality")
# generalised in this order, least information lost first
STEPS = ("kng_AgeBand", "prs_Nationality", "kng_County", "prs_Gender", "kng_YearOpened")

STATUSES: dict[str, str] = {
    CaseStatus.ACTIVE: "Active",
    CaseStatus.FOLLOW_UP: "FollowUp",
    CaseStatus.CLOSED: "Closed",
    CaseStatus.CLOSED_REFERRED: "ClosedReferred",
}
GENDERS = {"female": "Female", "male": "Male"}
RECRUITMENT: dict[str, str] = {
    RecruitmentChannel.FAMILY: "Familial",
    RecruitmentChannel.FRIEND: "Other",
    RecruitmentChannel.INTIMATE_PARTNER: "Intimate partner/marriage proposition",
    RecruitmentChannel.COMMUNITY: "Public Area",
    RecruitmentChannel.EMPLOYER: "Job offer/advertisement",
    RecruitmentChannel.AGENT: "Other",
    RecruitmentChannel.ONLINE: "Internet (social media, online advertisement)",
    RecruitmentChannel.STRANGER: "Other",
    RecruitmentChannel.UNKNOWN: "Unknown",
}
CONTROL: dict[str, str] = {
    ControlMethod.DEBT_BONDAGE: "DebtBondage",
    ControlMethod.WITHHELD_EARNINGS: "TakesEarnings",
    ControlMethod.THREATS_TO_FAMILY: "Threats",
    ControlMethod.PSYCHOLOGICAL_ABUSE: "PsychologicalAbuse",
    ControlMethod.PHYSICAL_ABUSE: "PhysicalAbuse",
    ControlMethod.SEXUAL_ABUSE: "SexualAbuse",
    ControlMethod.FALSE_PROMISES: "FalsePromises",
    ControlMethod.DRUGS_ALCOHOL: "PsychoactiveSubstances",
    ControlMethod.RESTRICTED_MOVEMENT: "RestrictsMovement",
    ControlMethod.WITHHELD_DOCUMENTS: "WithholdsDocuments",
    ControlMethod.ISOLATION: "Other",
    ControlMethod.ONLINE_BLACKMAIL: "Threats",
}
SEXUAL: dict[str, str] = {
    SexualExploitationType.COMMERCIAL_IN_PERSON: "Prostitution",
    SexualExploitationType.TRAVEL_AND_TOURISM: "Prostitution",
    SexualExploitationType.REMOTE_LIVE_STREAMING: "RemoteInteractiveServices",
    SexualExploitationType.ONLINE_IMAGES: "Pornography",
    SexualExploitationType.ONLINE_GROOMING: "RemoteInteractiveServices",
    SexualExploitationType.CHILD_MARRIAGE: "PrivateSexualServices",
    SexualExploitationType.OTHER: "PrivateSexualServices",
}
APPS: dict[str, str] = {
    RecruitmentApp.FACEBOOK: "Facebook",
    RecruitmentApp.WHATSAPP: "WhatsApp",
    RecruitmentApp.INSTAGRAM: "Instagram",
    RecruitmentApp.TIKTOK: "TikTok",
    RecruitmentApp.TELEGRAM: "Telegram",
    RecruitmentApp.SNAPCHAT: "SnapChat",
    RecruitmentApp.DATING: "Other",
    RecruitmentApp.GAME: "Other",
    RecruitmentApp.OTHER: "Other",
}


def case_values(county_id: int | None) -> QuerySet[Any, Any]:
    """Return each case's counted values (the HTCDS row's source), with its pk."""
    latest = Assessment.objects.filter(case=OuterRef("pk")).order_by("-assessed_on", "-pk")
    cases = Case.objects.all()
    if county_id is not None:
        cases = cases.filter(county_id=county_id)
    return cases.annotate(
        opened=ExtractYear("opened_at"),
        recruitment=Subquery(latest.values("recruitment_channel")[:1]),
        control=Subquery(latest.values("control_methods")[:1]),
        exploitation=Subquery(latest.values("exploitation_types")[:1]),
        apps=Subquery(latest.values("recruitment_apps")[:1]),
    ).values(
        "pk",
        "opened",
        "county__name",
        "status",
        "child__sex",
        "child__age_band",
        "child__nationality",
        "recruitment",
        "control",
        "exploitation",
        "apps",
    )


def _many(values: Any, names: dict[Any, str]) -> str:
    from kinga.insights.ctdc import _as_list

    found = sorted({names[code] for code in _as_list(values) if code in names})
    return ";".join(found) if found else MISSING


def row_of(case: dict[str, Any]) -> dict[str, str]:
    """Return the HTCDS row of one case's counted values (no identity goes in)."""
    return {
        "kng_YearOpened": str(case["opened"]) if case["opened"] else MISSING,
        "kng_County": case["county__name"] or MISSING,
        "cas_Status": STATUSES.get(case["status"], MISSING),
        "prs_Gender": GENDERS.get(case["child__sex"] or "", MISSING),
        "kng_AgeBand": case["child__age_band"] or MISSING,
        "prs_Nationality": case["child__nationality"] or MISSING,
        "vic_MethodOfRecruitment": RECRUITMENT.get(case["recruitment"] or "", MISSING),
        "vic_MethodsOfControl": _many(case["control"], CONTROL),
        "vic_TypeOfSexExploitation": _many(case["exploitation"], SEXUAL),
        "vic_RecruitmentWebsitesAndApps": _many(case["apps"], APPS),
    }


def htcds_rows(county_id: int | None) -> Iterator[dict[str, str]]:
    for case in case_values(county_id).iterator(chunk_size=5000):
        yield row_of(case)


def htcds_build(
    *, k: int, county_id: int | None = None, progress: Callable[[int], None] | None = None
) -> CtdcExport:
    """Return the anonymised HTCDS rows of the cases in scope (a county, or all)."""
    rows = []
    for number, row in enumerate(htcds_rows(county_id), start=1):
        rows.append(row)
        if progress is not None and number % 5000 == 0:
            progress(number)
    return anonymise(rows, k)


def anonymise(rows: list[dict[str, str]], k: int) -> CtdcExport:
    """Return the HTCDS rows with every quasi-identifier combination shared by k or more."""
    return anonymise_by(
        rows, k=k, columns=COLUMNS, keys=QUASI_IDENTIFIERS, steps=STEPS, missing=MISSING
    )


def csv_of(export: CtdcExport) -> bytes:
    """Return the export as CSV: the rows, then a line saying what was done to them."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=export.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(export.rows)
    generalised = ", ".join(f"{name} {count}" for name, count in export.generalised.items())
    stream.write(
        f"# records {export.records}; exported {len(export.rows)}; k {export.k}; "
        f"generalised: {generalised}; dropped {export.dropped}\n"
    )
    return stream.getvalue().encode("utf-8")
