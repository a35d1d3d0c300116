"""HSDS 3.0 records for the import tests, written here (synthetic: no real organisation).

One service, reached three ways as HSDS publishes it: inside its organisation
(organization_full), with its organisation and places nested (service_full), and from one
of its places (service_at_location_full). Each carries what Kinga holds and some things it
does not (funding, a program, accessibility, a second address, an unknown taxonomy term,
a point that is not on Earth), so an import must map the one and report the other.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

ORGANIZATION_ID = "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c01"
SERVICE_ID = "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c02"
LOCATION_ID = "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c03"
PLACE_ID = "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c04"
COUNSELLING_TERM = "kinga-service-types:counselling"

_ORGANIZATION: dict[str, Any] = {
    "id": ORGANIZATION_ID,
    "name": "Pwani Youth Counselling Trust",
    "alternate_name": "PYCT",
    "description": "Counselling and life skills for young people on the coast (synthetic).",
    "email": "info@example.org",
    "website": "https://example.org/pyct",
    "tax_status": "charity",
    "year_incorporated": 2011,
    "legal_status": "trust",
    "funding": [{"id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c10", "source": "county grant"}],
    "organization_identifiers": [
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c11",
            "identifier_type": "NGO board number",
            "identifier": "OP.218/051/11-0001",
        }
    ],
    "phones": [
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c12",
            "number": "+254 700 000 001",
            "type": "voice",
            "languages": [
                {"id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c13", "name": "Kiswahili", "code": "sw"}
            ],
        }
    ],
}

_LOCATION: dict[str, Any] = {
    "id": LOCATION_ID,
    "location_type": "physical",
    "name": "PYCT drop-in room",
    "description": "Ground floor, next to the youth centre.",
    "transportation": "Matatu to the market stage, then walk five minutes.",
    # Not a point on Earth: the import must leave it out and say so.
    "latitude": 95.0,
    "longitude": 39.66,
    "accessibility": [{"id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c20", "description": "ramp"}],
    "addresses": [
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c21",
            "address_1": "Youth Centre Road",
            "city": "Mombasa",
            "state_province": "Mombasa",
            "postal_code": "80100",
            "country": "KE",
            "address_type": "physical",
        },
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c22",
            "address_1": "P.O. Box 1",
            "city": "Mombasa",
            "state_province": "Mombasa",
            "postal_code": "80100",
            "country": "KE",
            "address_type": "postal",
        },
    ],
    "schedules": [
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c23",
            "freq": "WEEKLY",
            "byday": "MO,TU,WE,TH,FR",
            "opens_at": "09:00",
            "closes_at": "17:00",
            "timezone": 3,
        }
    ],
}

_SERVICE: dict[str, Any] = {
    "id": SERVICE_ID,
    "organization_id": ORGANIZATION_ID,
    "name": "Youth counselling",
    "description": "One-to-one counselling for 12 to 24 year olds.",
    "url": "https://example.org/pyct/counselling",
    "email": "counselling@example.org",
    "status": "active",
    "application_process": "Walk in, or be referred by a caseworker.",
    "fees_description": "Free.",
    "wait_time": "Same week",
    "eligibility_description": "Young people aged 12 to 24.",
    "minimum_age": 12,
    "maximum_age": 24,
    "funding": [{"id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c30", "source": "donor"}],
    "program": {"id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c31", "name": "Youth", "description": "-"},
    "languages": [{"id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c32", "name": "English", "code": "en"}],
    "schedules": [
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c33",
            "freq": "WEEKLY",
            "byday": "SA",
            "opens_at": "10:00",
            "closes_at": "13:00",
        }
    ],
    "cost_options": [
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c34",
            "option": "Everyone",
            "currency": "KES",
            "amount": 0,
        }
    ],
    "contacts": [
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c35",
            "title": "Intake counsellor",
            "email": "intake@example.org",
        }
    ],
    "attributes": [
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c36",
            "taxonomy_term": {"id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c37", "code": "counselling"},
        },
        {
            "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c38",
            "taxonomy_term": {
                "id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c39",
                "code": "open-eligibility:1102",
                "name": "Mentoring",
            },
        },
    ],
}

_PLACE: dict[str, Any] = {
    "id": PLACE_ID,
    "service_id": SERVICE_ID,
    "location_id": LOCATION_ID,
    "description": "Counselling at the drop-in room.",
}


def organization_full() -> dict[str, Any]:
    """Return the organisation with its places and its service (with where it runs)."""
    service = copy.deepcopy(_SERVICE)
    service["service_at_locations"] = [copy.deepcopy(_PLACE)]
    return {
        **copy.deepcopy(_ORGANIZATION),
        "locations": [copy.deepcopy(_LOCATION)],
        "services": [service],
    }


def service_full() -> dict[str, Any]:
    """Return the service with its organisation and its places (each with its location)."""
    return {
        **copy.deepcopy(_SERVICE),
        "organization": copy.deepcopy(_ORGANIZATION),
        "service_at_locations": [{**copy.deepcopy(_PLACE), "location": copy.deepcopy(_LOCATION)}],
    }


def service_at_location_full() -> dict[str, Any]:
    """Return one place of the service, with the service (and its organisation) and location."""
    return {
        **copy.deepcopy(_PLACE),
        "service": {**copy.deepcopy(_SERVICE), "organization": copy.deepcopy(_ORGANIZATION)},
        "location": copy.deepcopy(_LOCATION),
    }


EXAMPLES = {
    "organization_full.json": organization_full,
    "service_full.json": service_full,
    "service_at_location_full.json": service_at_location_full,
}


def write(folder: Path, name: str) -> Path:
    """Write one example to `folder` under its HSDS file name; return its path."""
    path = folder / name
    path.write_text(json.dumps(EXAMPLES[name](), indent=2), encoding="utf-8")
    return path
