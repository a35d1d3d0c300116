"""What every channel does to a report: fill it from what was said, check it, audit it.

`ReportInput` is what a reporter (or an operator) says, whatever the channel; its fields
are named as the report's fields are, so filling a report and naming what was filled
come from it and from the model. Adding a field to a report: the model, the form, and a
line in `ReportInput`; nothing else.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import QuerySet

from kinga.accounts.models import User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_append, audit_prepare
from kinga.intake.models import Danger, Report, ReporterRelation
from kinga.intake.services.codes import normalised_phone, phone_index
from kinga.lib.rows import PreparedInsert

REPORT = "intake.report"
LANGUAGES = ("en", "sw")


@dataclass
class ReportInput:
    """What a reporter (or an operator) said, however it arrived.

    Each field is the report's field of the same name (or attribute name, for places).
    """

    categories: list[str]
    narrative: str = ""
    county_id: int | None = None
    sub_county_id: int | None = None
    ward_id: int | None = None
    place_detail: str = ""
    children_count: int | None = None
    age_bands: list[str] | None = None
    danger_now: str = Danger.UNKNOWN
    online_platform: str = ""
    online_handle: str = ""
    reporter_relation: str = ReporterRelation.UNKNOWN
    reporter_contact: str = ""
    reporter_phone: str = ""
    callback_consent: bool = False
    campaign_code: str = ""
    language: str = "sw"


@cache
def _said() -> tuple[tuple[str, str, Any], ...]:
    """Return (name, attribute name, default) of each field a reporter fills, in
    `ReportInput`'s order; the language is how it was said, not what, and is left out."""
    by_attname = {field.attname: field for field in Report._meta.concrete_fields}
    said = [by_attname[item.name] for item in dataclasses.fields(ReportInput)]
    return tuple(
        (field.name, field.attname, field.get_default())
        for field in said
        if field.name != "language"
    )


def said_fields() -> tuple[str, ...]:
    """Return the names of the report's fields a reporter fills (from `ReportInput`)."""
    return tuple(name for name, _attname, _default in _said())


def fill_report(report: Report, data: ReportInput) -> None:
    """Set on the report what was said: text trimmed, places completed upwards, the phone
    normalised with its blind index, lists without repeats.

    A place that does not add up (a ward outside the county given) is kept as said and
    flagged for triage (`place_mismatch`); it never stops a report."""
    from kinga.places.models import SubCounty, Ward

    for item in dataclasses.fields(ReportInput):
        value = getattr(data, item.name)
        setattr(report, item.name, value.strip() if isinstance(value, str) else value)
    report.categories = list(dict.fromkeys(data.categories))
    report.age_bands = list(data.age_bands or [])
    report.place_mismatch = False
    if data.ward_id is not None:
        ward = Ward.objects.select_related("sub_county").get(pk=data.ward_id)
        report.place_mismatch = data.sub_county_id not in (None, ward.sub_county_id) or (
            data.county_id not in (None, ward.sub_county.county_id)
        )
        report.sub_county_id = data.sub_county_id or ward.sub_county_id
        report.county_id = data.county_id or ward.sub_county.county_id
    elif data.sub_county_id is not None:
        county_id = SubCounty.objects.get(pk=data.sub_county_id).county_id
        report.place_mismatch = data.county_id not in (None, county_id)
        report.county_id = data.county_id or county_id
    number = normalised_phone(data.reporter_phone) if data.reporter_phone else ""
    report.reporter_phone = number
    report.reporter_phone_index = phone_index(number) if number else ""
    report.language = data.language if data.language in LANGUAGES else "sw"


def filled_fields(report: Report) -> list[str]:
    """Return the names of the fields the reporter filled (not left at their default)."""
    return [
        name
        for name, attname, default in _said()
        if getattr(report, attname) not in (None, "", [], False, default)
    ]


@cache
def _related_fields() -> tuple[str, ...]:
    return tuple(f.name for f in Report._meta.concrete_fields if f.is_relation)


def check_report(report: Report) -> None:
    """Check each field against the model (choices, lengths, ranges, lists of choices).

    The hot path's replacement for `full_clean()`, whose look-ups (each foreign key, each
    unique constraint) cost more than storing the report. The form and the USSD menu
    already offered only places of the coast, the database's foreign keys refuse any other,
    and the unique constraints are the database's to enforce (a retry is caught as an
    IntegrityError by the caller). Raise ValidationError.
    """
    report.clean_fields(exclude=_related_fields())


def by_reference(channel: str, reference: str) -> QuerySet[Report]:
    """Return the reports of a channel's message or session id.

    The unique index on (channel, channel_reference) is partial (references are not
    empty); repeating its condition lets SQLite use it instead of scanning the table.
    """
    return Report.objects.filter(channel=channel, channel_reference=reference).exclude(
        channel_reference=""
    )


def audit_report_prepare(
    report: Report,
    action: str,
    actor: User | None,
    label: str,
    fields: list[str] | None = None,
) -> PreparedInsert:
    """Prepare the audit event of a report's change; a new report's key is set on append."""
    return audit_prepare(
        action=action,
        actor=actor,
        actor_label=label,
        record_type=REPORT,
        record_id=report.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=filled_fields(report) if fields is None else fields,
    )


def audit_report_append(event: PreparedInsert, report: Report) -> None:
    """Append a prepared event of `report`, naming the key the report was stored with."""
    event.set("record_id", str(report.pk))
    event.set("matter_id", report.pk)
    audit_append(event)


def audit_report(
    report: Report,
    action: str,
    actor: User | None,
    label: str,
    fields: list[str] | None = None,
) -> None:
    """Audit a report's change in one go (where nothing waits on the chain's lock)."""
    audit_report_append(audit_report_prepare(report, action, actor, label, fields), report)


def audit_ussd_finished(report: Report) -> None:
    """Audit the answers of a finished USSD session (the screens before it are not)."""
    fields = filled_fields(report)
    if report.reporter_phone_index and "reporter_phone" not in fields:
        fields.append("reporter_phone")  # stored encrypted at the first answer
    audit_report(report, AuditAction.CHANGE, None, "public:ussd", fields=fields)
