"""The anonymised export in the Counter Trafficking Data Collaborative's public shape.

One row per child's case, with CTDC's column names and `-99` for anything missing. Before
it is published, every combination of the quasi-identifiers (year of registration, gender,
age band, minor or adult, citizenship, country of exploitation) must be shared by at least
k records (KINGA_INSIGHTS_PUBLISHED_K, 11 as the CTDC does): rows in a smaller group are
generalised step by step (age band, then citizenship, gender, minor or adult, and year,
each to -99), and those still in a group below k are dropped. The export says how many.
No name, date, place below the country, code or free text is ever in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import ExtractYear

from kinga.cases.models import Assessment, Case, ControlMethod, SexualExploitationType
from kinga.justice.models import IncidentChild, PersonOfInterest, PersonRole, Relationship

MISSING = "-99"

QUASI_IDENTIFIERS = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
)

CONTROL_COLUMNS = {
    ControlMethod.DEBT_BONDAGE: "meansOfControlDebtBondage",
    ControlMethod.WITHHELD_EARNINGS: "meansOfControlTakesEarnings",
    ControlMethod.THREATS_TO_FAMILY: "meansOfControlThreats",
    ControlMethod.PSYCHOLOGICAL_ABUSE: "meansOfControlPsychologicalAbuse",
    ControlMethod.PHYSICAL_ABUSE: "meansOfControlPhysicalAbuse",
    ControlMethod.SEXUAL_ABUSE: "meansOfControlSexualAbuse",
    ControlMethod.FALSE_PROMISES: "meansOfControlFalsePromises",
    ControlMethod.DRUGS_ALCOHOL: "meansOfControlPsychoactiveSubstances",
    ControlMethod.RESTRICTED_MOVEMENT: "meansOfControlRestrictsMovement",
    ControlMethod.WITHHELD_DOCUMENTS: "meansOfControlWithholdsDocuments",
    ControlMethod.ISOLATION: "meansOfControlOther",
    ControlMethod.ONLINE_BLACKMAIL: "meansOfControlOther",
}
SEX_COLUMNS = {
    SexualExploitationType.COMMERCIAL_IN_PERSON: "typeOfSexProstitution",
    SexualExploitationType.TRAVEL_AND_TOURISM: "typeOfSexProstitution",
    SexualExploitationType.REMOTE_LIVE_STREAMING: "typeOfSexRemoteInteractiveServices",
    SexualExploitationType.ONLINE_IMAGES: "typeOfSexPornography",
    SexualExploitationType.ONLINE_GROOMING: "typeOfSexRemoteInteractiveServices",
    SexualExploitationType.CHILD_MARRIAGE: "isForcedMarriage",
    SexualExploitationType.OTHER: "typeOfSexPrivateSexualServices",
}
RECRUITER_COLUMNS = {
    Relationship.INTIMATE_PARTNER: "recruiterRelationIntimatePartner",
    Relationship.FRIEND: "recruiterRelationFriend",
    Relationship.FAMILY: "recruiterRelationFamily",
    Relationship.COMMUNITY: "recruiterRelationOther",
    Relationship.TOURIST: "recruiterRelationOther",
    Relationship.STRANGER: "recruiterRelationOther",
    Relationship.UNKNOWN: "recruiterRelationUnknown",
}
GENDERS = {"female": "Female", "male": "Male"}
AGES = {"0-5": "0--8", "6-11": "9--17", "12-14": "9--17", "15-17": "9--17", "18+": "18--20"}

COLUMNS = [
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
    *sorted(set(CONTROL_COLUMNS.values())),
    "meansOfControlNotSpecified",
    "isSexualExploit",
    *sorted(set(SEX_COLUMNS.values())),
    *sorted(set(RECRUITER_COLUMNS.values())),
]

# The generalisation steps, least information lost first: each sets one column to -99.
STEPS = ("ageBroad", "citizenship", "gender", "majorityStatus", "yearOfRegistration")


@dataclass
class CtdcExport:
    columns: list[str]
    rows: list[dict[str, str]]
    k: int
    records: int
    generalised: dict[str, int] = field(default_factory=dict)
    dropped: int = 0


def case_values() -> QuerySet[Any, Any]:
    """Return each case's counted values (the CTDC row's source), with its pk."""
    latest = Assessment.objects.filter(case=OuterRef("pk")).order_by("-assessed_on", "-pk")
    recruiter = PersonOfInterest.objects.filter(
        role=PersonRole.RECRUITER,
        incident__in=IncidentChild.objects.filter(case=OuterRef(OuterRef("pk"))).values(
            "incident_id"
        ),
    )
    return Case.objects.annotate(
        registered=ExtractYear("opened_at"),
        control=Subquery(latest.values("control_methods")[:1]),
        exploitation=Subquery(latest.values("exploitation_types")[:1]),
        recruiter=Subquery(recruiter.order_by("pk").values("relationship")[:1]),
    ).values(
        "pk",
        "registered",
        "child__sex",
        "child__age_band",
        "child__nationality",
        "control",
        "exploitation",
        "recruiter",
    )


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, str) and value.startswith("["):
        import json

        loaded = json.loads(value)
        return [str(item) for item in loaded] if isinstance(loaded, list) else []
    return []


def row_of(case: dict[str, Any]) -> dict[str, str]:
    """Return the CTDC row of one case's counted values (no identity goes in)."""
    row = {column: MISSING for column in COLUMNS}
    row["yearOfRegistration"] = str(case["registered"]) if case["registered"] else MISSING
    row["Datasource"] = "Case Management"
    row["gender"] = GENDERS.get(case["child__sex"] or "", MISSING)
    band = case["child__age_band"] or ""
    row["ageBroad"] = AGES.get(band, MISSING)
    row["majorityStatus"] = (
        "Minor"
        if band in ("0-5", "6-11", "12-14", "15-17")
        else "Adult"
        if band == "18+"
        else MISSING
    )
    row["citizenship"] = case["child__nationality"] or MISSING
    row["CountryOfExploitation"] = "KE"
    control = _as_list(case["control"])
    for method in control:
        if method in CONTROL_COLUMNS:
            row[CONTROL_COLUMNS[ControlMethod(method)]] = "1"
    if not control:
        row["meansOfControlNotSpecified"] = "1"
    exploitation = _as_list(case["exploitation"])
    for kind in exploitation:
        if kind in SEX_COLUMNS:
            row[SEX_COLUMNS[SexualExploitationType(kind)]] = "1"
    if exploitation:
        row["isSexualExploit"] = "1"
    recruiter = case["recruiter"]
    if recruiter in RECRUITER_COLUMNS:
        row[RECRUITER_COLUMNS[Relationship(recruiter)]] = "1"
    return row


def _key(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[name] for name in QUASI_IDENTIFIERS)


def anonymise_by(
    rows: list[dict[str, str]],
    *,
    k: int,
    columns: list[str],
    keys: tuple[str, ...],
    steps: tuple[str, ...],
    missing: str,
) -> CtdcExport:
    """Return the rows with every combination of the `keys` shared by k or more.

    Rows of a smaller group are generalised one step at a time (only those rows: the
    others keep their detail), each step setting one key to `missing`; rows still in a
    group below k after the last step are dropped. Counts of each are kept for the note.
    """

    def key_of(row: dict[str, str]) -> tuple[str, ...]:
        return tuple(row[name] for name in keys)

    result = CtdcExport(columns=list(columns), rows=[], k=k, records=len(rows))
    working = [dict(row) for row in rows]
    for name in steps:
        groups = Counter(key_of(row) for row in working)
        changed = 0
        for row in working:
            if groups[key_of(row)] < k and row[name] != missing:
                row[name] = missing
                changed += 1
        result.generalised[name] = changed
    groups = Counter(key_of(row) for row in working)
    result.rows = [row for row in working if groups[key_of(row)] >= k]
    result.dropped = len(working) - len(result.rows)
    return result


def anonymise(rows: list[dict[str, str]], k: int) -> CtdcExport:
    """Return the CTDC rows with every quasi-identifier combination shared by k or more."""
    return anonymise_by(
        rows,
        k=k,
        columns=COLUMNS,
        keys=QUASI_IDENTIFIERS,
        steps=STEPS,
        missing=MISSING,
    )


def ctdc_build(*, k: int, progress: Callable[[int], None] | None = None) -> CtdcExport:
    """Return the anonymised CTDC-shaped rows of every case (counts values, not people);
    `progress` is told how many cases were read, every 5,000."""
    rows = []
    for number, case in enumerate(case_values().iterator(chunk_size=5000), start=1):
        rows.append(row_of(case))
        if progress is not None and number % 5000 == 0:
            progress(number)
    return anonymise(rows, k)


def csv_of(export: CtdcExport) -> bytes:
    """Return the publication as CSV: the rows, then a line saying what was done to them."""
    import csv
    import io

    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=export.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(export.rows)
    generalised = ", ".join(f"{name} {count}" for name, count in export.generalised.items())
    stream.write(
        f"# records {export.records}; published {len(export.rows)}; k {export.k}; "
        f"generalised: {generalised}; dropped {export.dropped}\n"
    )
    return stream.getvalue().encode("utf-8")
