"""What Open Referral HSDS 3.0 requires of the records Kinga exports, as our own test data.

The HSDS conformance tests used to read the published compiled schemas from a folder
beside the project and skipped when it was absent. Rather than depend on a folder or a
package for them, the few facts the tests rely on are written here, table by table, from
the HSDS 3.0 reference
(https://docs.openreferral.org/en/v3.0/hsds/schema_reference.html): which fields a record
must have, the JSON type and format of each field, the closed lists of values, and which
fields hold other tables' records. `json_schema(table)` turns them into a JSON Schema
(draft 2020-12) that `jsonschema` checks exports against, the way HSDS's compiled schemas
are built: a table's nested records are checked by their own table's facts.

Fields a table may carry and Kinga does not write (funding, programs, accessibility,
service areas, required documents, metadata, ...) are listed where Kinga's import must
recognise them, but HSDS allows any of them to be absent, and so does the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Field kinds: a JSON type, with a format or a closed list where HSDS gives one.
UUID = {"type": "string", "format": "uuid"}
TEXT = {"type": "string"}
URI = {"type": "string", "format": "uri"}
EMAIL = {"type": "string", "format": "email"}
DATE_TIME = {"type": "string", "format": "date-time"}
NUMBER = {"type": "number"}
LOCATION_TYPES = ["physical", "postal", "virtual"]
SERVICE_STATUSES = ["active", "inactive", "defunct", "temporarily closed"]
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
FREQUENCIES = ["WEEKLY", "MONTHLY"]


@dataclass(frozen=True)
class Table:
    """One HSDS table: its required fields, its fields' kinds, and its nested tables."""

    required: tuple[str, ...]
    fields: dict[str, dict[str, Any]]
    many: dict[str, str] = field(default_factory=dict)  # field -> table of each item
    one: dict[str, str] = field(default_factory=dict)  # field -> table of the object


TABLES: dict[str, Table] = {
    "organization": Table(
        required=("id", "name", "description"),
        fields={
            "id": UUID,
            "name": TEXT,
            "alternate_name": TEXT,
            "description": TEXT,
            "email": EMAIL,
            "website": URI,
            "tax_status": TEXT,
            "tax_id": TEXT,
            "year_incorporated": NUMBER,
            "legal_status": TEXT,
            "logo": TEXT,
            "uri": URI,
            "parent_organization_id": UUID,
        },
        many={
            "contacts": "contact",
            "phones": "phone",
            "locations": "location",
            "attributes": "attribute",
        },
    ),
    "service": Table(
        required=("id", "name", "status"),
        fields={
            "id": UUID,
            "organization_id": UUID,
            "program_id": UUID,
            "name": TEXT,
            "alternate_name": TEXT,
            "description": TEXT,
            "url": URI,
            "email": EMAIL,
            "status": {"type": "string", "enum": SERVICE_STATUSES},
            "interpretation_services": TEXT,
            "application_process": TEXT,
            "fees_description": TEXT,
            "wait_time": TEXT,
            "fees": TEXT,
            "accreditations": TEXT,
            "eligibility_description": TEXT,
            "minimum_age": NUMBER,
            "maximum_age": NUMBER,
            "assured_date": TEXT,
            "assurer_email": EMAIL,
            "licenses": TEXT,
            "alert": TEXT,
            "last_modified": DATE_TIME,
        },
        many={
            "phones": "phone",
            "schedules": "schedule",
            "service_at_locations": "service_at_location",
            "languages": "language",
            "cost_options": "cost_option",
            "contacts": "contact",
            "attributes": "attribute",
        },
        one={"organization": "organization"},
    ),
    "service_at_location": Table(
        required=("id",),
        fields={"id": UUID, "service_id": UUID, "location_id": UUID, "description": TEXT},
        many={
            "contacts": "contact",
            "phones": "phone",
            "schedules": "schedule",
            "attributes": "attribute",
        },
        one={"location": "location"},
    ),
    "location": Table(
        required=("id", "location_type"),
        fields={
            "id": UUID,
            "location_type": {"type": "string", "enum": LOCATION_TYPES},
            "url": URI,
            "organization_id": UUID,
            "name": TEXT,
            "alternate_name": TEXT,
            "description": TEXT,
            "transportation": TEXT,
            "latitude": NUMBER,
            "longitude": NUMBER,
            "external_identifier": TEXT,
            "external_identifier_type": TEXT,
        },
        many={
            "languages": "language",
            "addresses": "address",
            "contacts": "contact",
            "phones": "phone",
            "schedules": "schedule",
            "attributes": "attribute",
        },
    ),
    "address": Table(
        required=(
            "id",
            "address_1",
            "city",
            "state_province",
            "postal_code",
            "country",
            "address_type",
        ),
        fields={
            "id": UUID,
            "location_id": UUID,
            "attention": TEXT,
            "address_1": TEXT,
            "address_2": TEXT,
            "city": TEXT,
            "region": TEXT,
            "state_province": TEXT,
            "postal_code": TEXT,
            "country": TEXT,
            "address_type": {"type": "string", "enum": LOCATION_TYPES},
        },
        many={"attributes": "attribute"},
    ),
    "phone": Table(
        required=("id", "number"),
        fields={
            "id": UUID,
            "location_id": UUID,
            "service_id": UUID,
            "organization_id": UUID,
            "contact_id": UUID,
            "service_at_location_id": UUID,
            "number": TEXT,
            "extension": NUMBER,
            "type": TEXT,
            "description": TEXT,
        },
        many={"languages": "language", "attributes": "attribute"},
    ),
    "contact": Table(
        required=("id",),
        fields={
            "id": UUID,
            "organization_id": UUID,
            "service_id": UUID,
            "service_at_location_id": UUID,
            "location_id": UUID,
            "name": TEXT,
            "title": TEXT,
            "department": TEXT,
            "email": EMAIL,
        },
        many={"phones": "phone", "attributes": "attribute"},
    ),
    "schedule": Table(
        required=("id",),
        fields={
            "id": UUID,
            "service_id": UUID,
            "location_id": UUID,
            "service_at_location_id": UUID,
            "valid_from": TEXT,
            "valid_to": TEXT,
            "dtstart": TEXT,
            "timezone": NUMBER,
            "until": TEXT,
            "count": NUMBER,
            "wkst": {"type": "string", "enum": WEEKDAYS},
            "freq": {"type": "string", "enum": FREQUENCIES},
            "interval": NUMBER,
            "byday": TEXT,
            "byweekno": TEXT,
            "bymonthday": TEXT,
            "byyearday": TEXT,
            "description": TEXT,
            "opens_at": TEXT,
            "closes_at": TEXT,
            "schedule_link": URI,
            "attending_type": TEXT,
            "notes": TEXT,
        },
        many={"attributes": "attribute"},
    ),
    "language": Table(
        required=("id",),
        fields={
            "id": UUID,
            "service_id": UUID,
            "location_id": UUID,
            "phone_id": UUID,
            "name": TEXT,
            "code": TEXT,
            "note": TEXT,
        },
        many={"attributes": "attribute"},
    ),
    "cost_option": Table(
        required=("id",),
        fields={
            "id": UUID,
            "service_id": UUID,
            "valid_from": TEXT,
            "valid_to": TEXT,
            "option": TEXT,
            "currency": TEXT,
            "amount": NUMBER,
            "amount_description": TEXT,
        },
        many={"attributes": "attribute"},
    ),
    "attribute": Table(
        required=("id",),
        fields={
            "id": UUID,
            "link_id": UUID,
            "taxonomy_term_id": UUID,
            "link_type": TEXT,
            "link_entity": TEXT,
            "value": TEXT,
        },
        one={"taxonomy_term": "taxonomy_term"},
    ),
    "taxonomy_term": Table(
        required=("id", "name", "description"),
        fields={
            "id": UUID,
            "code": TEXT,
            "name": TEXT,
            "description": TEXT,
            "parent_id": UUID,
            "taxonomy": TEXT,
            "language": TEXT,
            "taxonomy_id": UUID,
            "term_uri": URI,
        },
    ),
}


def json_schema(table: str) -> dict[str, Any]:
    """Return the JSON Schema of one table's records, its nested tables inlined."""
    facts = TABLES[table]
    properties: dict[str, Any] = {name: dict(kind) for name, kind in facts.fields.items()}
    for name, nested in facts.many.items():
        properties[name] = {"type": "array", "items": json_schema(nested)}
    for name, nested in facts.one.items():
        properties[name] = json_schema(nested)
    return {"type": "object", "required": list(facts.required), "properties": properties}
