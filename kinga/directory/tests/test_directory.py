"""The service directory: search, confidential locations, pages, HSDS export/import and API."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from conftest import Personas
from kinga.accounts.models import User
from kinga.directory import services
from kinga.directory.hsds import export_directory, import_file
from kinga.directory.models import (
    EligibleSex,
    Location,
    LocationType,
    Organization,
    Service,
    TaxonomyTerm,
)
from kinga.directory.open_now import NAIROBI
from kinga.directory.selectors import directory_search, location_address_visible_to
from kinga.directory.tests import hsds_examples, hsds_schema
from kinga.places.models import Ward

SHELTER_STREET = "Plot 99, Siri Lane"
SHELTER_POINT = (-4.29123, 39.57817)
T = dt.time


def ward(name: str) -> Ward:
    return Ward.objects.select_related("sub_county").get(name=name)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Return a moment in Nairobi in the week of Monday 2 March 2026 (day 0 = Monday)."""
    return dt.datetime(2026, 3, 2 + day, hour, minute, tzinfo=NAIROBI)


@dataclass
class Directory:
    shelter_org: Organization
    shelter: Service
    shelter_place: Location
    clinic: Service
    drop_in: Service
    helpline: Service
    boys: Service


def _terms(*codes: str) -> list[TaxonomyTerm]:
    return list(TaxonomyTerm.objects.filter(taxonomy="kinga-service-types", code__in=codes))


def _service(
    organization: Organization,
    location: Location,
    name: str,
    types: list[str],
    hours: dict[int, tuple[dt.time, dt.time] | None],
    **fields: object,
) -> Service:
    service = services.service_create(
        organization=organization,
        actor=None,
        fields={"name": name, "description": f"{name}.", **fields},
        service_types=_terms(*types),
        locations=[location],
    )
    services.service_hours_set(service=service, actor=None, hours=hours)
    return service


@pytest.fixture
def directory(personas: Personas) -> Directory:
    shelter_agency = personas.shelter
    shelter_org = services.organization_create(
        actor=None, name="Salama Rescue Home", description="Shelter", agency=shelter_agency
    )
    shelter_place = services.location_create(
        organization=shelter_org,
        actor=None,
        fields={
            "name": "Salama house",
            "confidential": True,
            "ward": ward("Ukunda"),
            "latitude": SHELTER_POINT[0],
            "longitude": SHELTER_POINT[1],
            "address_1": SHELTER_STREET,
            "city": "Ukunda",
            "transportation": "Past the blue kiosk",
        },
    )
    every_day = dict.fromkeys(range(7), (T(0), T(0)))
    shelter = _service(
        shelter_org,
        shelter_place,
        "Emergency shelter for girls",
        ["rescue_shelter", "counselling"],
        every_day,
        minimum_age=6,
        maximum_age=17,
        eligible_sex=EligibleSex.FEMALE,
    )
    clinic_org = services.organization_create(actor=None, name="Coast GBV", description="Clinic")
    tononoka = ward("Tononoka")
    clinic_place = services.location_create(
        organization=clinic_org,
        actor=None,
        fields={
            "name": "Casualty wing",
            "ward": tononoka,
            "latitude": float(tononoka.latitude) + 0.001,
            "longitude": float(tononoka.longitude),
            "address_1": "Moi Avenue",
            "city": "Mombasa",
        },
    )
    weekdays: dict[int, tuple[dt.time, dt.time] | None] = {
        day: (T(8), T(17)) if day < 5 else None for day in range(7)
    }
    clinic = _service(clinic_org, clinic_place, "Post-rape care", ["post_rape_care"], weekdays)
    drop_org = services.organization_create(actor=None, name="Likoni Drop-in", description="D")
    likoni = ward("Likoni")
    drop_place = services.location_create(
        organization=drop_org,
        actor=None,
        fields={
            "name": "Ferry Road centre",
            "ward": likoni,
            "latitude": float(likoni.latitude),
            "longitude": float(likoni.longitude),
            "address_1": "Ferry Road",
            "city": "Likoni",
        },
    )
    nights: dict[int, tuple[dt.time, dt.time] | None] = {
        day: (T(18), T(7)) if day < 6 else None for day in range(7)
    }
    drop_in = _service(drop_org, drop_place, "Night drop-in", ["rescue_shelter"], nights)
    boys = _service(
        drop_org,
        drop_place,
        "Boys' night shelter",
        ["rescue_shelter"],
        nights,
        eligible_sex=EligibleSex.MALE,
        minimum_age=10,
        maximum_age=17,
    )
    line_org = services.organization_create(actor=None, name="Helpline 116", description="H")
    line_place = services.location_create(
        organization=line_org,
        actor=None,
        fields={"name": "By phone", "location_type": LocationType.VIRTUAL},
    )
    helpline = _service(line_org, line_place, "Child Helpline 116", ["helpline"], every_day)
    return Directory(shelter_org, shelter, shelter_place, clinic, drop_in, helpline, boys)


def names(hits: list[object]) -> list[str]:
    return [hit.service.name for hit in hits]


# --- search ----------------------------------------------------------------------------------


def test_search_filters_by_type(directory: Directory) -> None:
    assert set(names(directory_search(service_type="rescue_shelter"))) == {
        "Emergency shelter for girls",
        "Night drop-in",
        "Boys' night shelter",
    }
    assert names(directory_search(service_type="post_rape_care")) == ["Post-rape care"]
    assert names(directory_search(service_type="repatriation")) == []


def test_search_filters_by_age_and_sex(directory: Directory) -> None:
    girl_of_12 = directory_search(service_type="rescue_shelter", age=12, sex="female")
    assert set(names(girl_of_12)) == {"Emergency shelter for girls", "Night drop-in"}
    boy_of_12 = directory_search(service_type="rescue_shelter", age=12, sex="male")
    assert set(names(boy_of_12)) == {"Night drop-in", "Boys' night shelter"}
    boy_of_8 = directory_search(service_type="rescue_shelter", age=8, sex="male")
    assert names(boy_of_8) == ["Night drop-in"]
    adult = directory_search(service_type="rescue_shelter", age=19)
    assert names(adult) == ["Night drop-in"]


def test_search_filters_with_a_point_use_the_same_rules(directory: Directory) -> None:
    point = ward("Likoni").centroid
    boy_of_8 = directory_search(
        service_type="rescue_shelter", latitude=point[0], longitude=point[1], age=8, sex="male"
    )
    assert names(boy_of_8) == ["Night drop-in"]


def test_inactive_services_are_not_found(directory: Directory) -> None:
    services.service_update(service=directory.clinic, actor=None, changes={"status": "inactive"})
    point = ward("Tononoka").centroid
    assert names(directory_search(service_type="post_rape_care")) == []
    found = directory_search(service_type="post_rape_care", latitude=point[0], longitude=point[1])
    assert names(found) == []


@pytest.mark.parametrize("service_type", ["rescue_shelter", None])
def test_nearest_first(directory: Directory, service_type: str | None) -> None:
    latitude, longitude = ward("Likoni").centroid
    hits = directory_search(service_type=service_type, latitude=latitude, longitude=longitude)
    located = [hit for hit in hits if hit.distance_km is not None]
    distances = [hit.distance_km for hit in located]
    assert distances == sorted(distances)
    assert located[0].service.name in {"Night drop-in", "Boys' night shelter"}
    if service_type is None:
        # Virtual services (the helpline) come after every located one.
        assert hits[-1].service.name == "Child Helpline 116"
        assert hits[-1].distance_km is None


def test_nearest_widens_until_far_services_are_found(directory: Directory) -> None:
    latitude, longitude = ward("Faza").centroid  # Lamu, some 250 km from Mombasa
    hits = directory_search(service_type="post_rape_care", latitude=latitude, longitude=longitude)
    assert names(hits) == ["Post-rape care"]
    assert hits[0].distance_km is not None and hits[0].distance_km > 200


def test_confidential_location_is_ranked_by_its_sub_county_centroid(directory: Directory) -> None:
    """Guards issue 11 hole 11: a search by coordinates ranked a shelter by its ward."""
    ukunda = ward("Ukunda").sub_county
    hits = directory_search(
        service_type="counselling", latitude=SHELTER_POINT[0], longitude=SHELTER_POINT[1]
    )
    assert names(hits) == ["Emergency shelter for girls"]
    from kinga.places.geo import haversine_km

    expected = haversine_km(
        latitude_a=SHELTER_POINT[0],
        longitude_a=SHELTER_POINT[1],
        latitude_b=ukunda.centroid[0],
        longitude_b=ukunda.centroid[1],
    )
    assert hits[0].distance_km == pytest.approx(expected)
    assert hits[0].distance_km > 0.5  # never the shelter's own doorstep


OPEN_CASES = [
    # (day, hour, minute, expected open services of type rescue_shelter)
    (5, 23, 0, {"Emergency shelter for girls", "Night drop-in"}),  # Saturday night
    (6, 6, 59, {"Emergency shelter for girls", "Night drop-in"}),  # Sunday, from Saturday
    (6, 7, 0, {"Emergency shelter for girls"}),  # Sunday 07:00: the night span has closed
    (6, 23, 0, {"Emergency shelter for girls"}),  # Sunday night: no span on Sundays
    (0, 0, 30, {"Emergency shelter for girls"}),  # Monday 00:30: nothing began on Sunday
    (0, 18, 0, {"Emergency shelter for girls", "Night drop-in"}),  # Monday 18:00 opens
    (0, 17, 59, {"Emergency shelter for girls"}),
    (2, 0, 0, {"Emergency shelter for girls", "Night drop-in"}),  # Wednesday midnight
]


@pytest.mark.parametrize(("day", "hour", "minute", "expected"), OPEN_CASES)
@pytest.mark.parametrize("with_point", [False, True])
def test_open_now_around_midnight_and_week_edges(
    directory: Directory, day: int, hour: int, minute: int, expected: set[str], with_point: bool
) -> None:
    point = ward("Likoni").centroid if with_point else (None, None)
    hits = directory_search(
        service_type="rescue_shelter",
        latitude=point[0],
        longitude=point[1],
        sex="female",
        open_at=at(day, hour, minute),
    )
    assert set(names(hits)) == expected


@pytest.mark.parametrize(
    ("day", "hour", "minute", "is_open"),
    [(0, 8, 0, True), (4, 16, 59, True), (4, 17, 0, False), (5, 10, 0, False), (0, 7, 59, False)],
)
def test_open_now_office_hours(
    directory: Directory, day: int, hour: int, minute: int, is_open: bool
) -> None:
    found = directory_search(service_type="post_rape_care", open_at=at(day, hour, minute))
    assert bool(found) is is_open


def test_open_now_reads_nairobi_time_from_any_timezone(directory: Directory) -> None:
    # 15:30 UTC on a Friday is 18:30 in Nairobi: the clinic has closed.
    friday_utc = dt.datetime(2026, 3, 6, 15, 30, tzinfo=dt.UTC)
    assert directory_search(service_type="post_rape_care", open_at=friday_utc) == []


# --- confidential addresses ----------------------------------------------------------------

SECRETS = (SHELTER_STREET, "Siri Lane", "blue kiosk", "4.29123", "39.57817")
# Any decimal number in a page or file: the shelter's exact point must not be among them in
# any rounding or format. (Bare digits such as "29123" also turn up by chance inside random
# identifiers and timestamps, so numbers are compared as numbers.)
NUMBER = re.compile(r"-?\d+\.\d+")


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked"
    for number in NUMBER.findall(text):
        value = float(number)
        for exact in SHELTER_POINT:
            assert abs(value - exact) >= 0.0005, f"{number} is the shelter's exact point"


def test_address_visible_only_to_the_shelters_own_staff(
    directory: Directory, personas: Personas
) -> None:
    place = directory.shelter_place
    assert location_address_visible_to(personas.service_provider, place)
    for user in personas.all_users():
        if user.agency_id != personas.shelter.pk:
            assert not location_address_visible_to(user, place)
    assert not location_address_visible_to(None, place)
    public = Location.objects.get(name="Casualty wing")
    assert location_address_visible_to(personas.caseworker, public)


def test_confidential_address_absent_from_list_and_detail_pages(
    directory: Directory, personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    """Guards issue 11 hole 11: a confidential shelter's ward appeared in the directory."""
    client = client_for(personas.caseworker)
    sub_county = ward("Ukunda").sub_county
    latitude, longitude = -4.3, 39.58  # near the shelter
    for query in (
        {},
        {"service_type": "rescue_shelter"},
        {"latitude": latitude, "longitude": longitude, "open_now": "on"},
        {"ward": ward("Ukunda").pk, "service_type": "counselling"},
    ):
        response = client.get(reverse("directory:search"), query)
        assert response.status_code == 200
        assert "Emergency shelter for girls" in response.content.decode()
        assert_no_secret(response.content.decode())
        # the sub-county is shown, never the ward (hole 11 of issue 11); the ward's name is
        # also an option of the search form, so the row itself is what is read
        (shelter_row,) = [
            row
            for row in response.context["rows"]
            if row["hit"].service.name == "Emergency shelter for girls"
        ]
        assert shelter_row["place"] == f"Confidential location, {sub_county.name} sub-county"
    detail = client.get(reverse("directory:service_detail", args=[directory.shelter.pk]))
    assert detail.status_code == 200
    assert_no_secret(detail.content.decode())
    assert "Ukunda" not in detail.content.decode()  # neither its ward nor its town
    assert sub_county.name in detail.content.decode()
    own = client_for(personas.service_provider)
    mine = own.get(reverse("directory:service_detail", args=[directory.shelter.pk]))
    assert SHELTER_STREET in mine.content.decode()
    assert "Ukunda" in mine.content.decode()  # its own staff see its ward


def test_confidential_address_absent_from_every_export_file(
    directory: Directory, tmp_path: Path
) -> None:
    call_command("directory", "export-hsds", str(tmp_path))
    for name in ("organization", "service", "service_at_location"):
        text = (tmp_path / f"{name}.json").read_text(encoding="utf-8")
        # the shelter's service is exported (organisations carry their services in HSDS 3.0)
        assert "Emergency shelter for girls" in text
        assert_no_secret(text)
        assert "Ukunda" not in text  # the shelter's ward (issue 11 hole 11)
        assert "Moi Avenue" in text  # a public address is exported


def test_confidential_address_absent_from_api(directory: Directory) -> None:
    """Guards issue 11 hole 11: the HSDS API named and placed a shelter by its ward."""
    client = Client()
    listing = client.get("/api/hsds/services", {"full": "true", "per_page": 100})
    assert listing.status_code == 200
    assert_no_secret(listing.content.decode())
    detail = client.get(f"/api/hsds/services/{directory.shelter.pk}")
    assert detail.status_code == 200
    assert_no_secret(detail.content.decode())
    location = detail.json()["service_at_locations"][0]["location"]
    assert "addresses" not in location
    # the sub-county's centroid and name, never the ward's (issue 11 hole 11)
    sub_county = ward("Ukunda").sub_county
    assert (location["latitude"], location["longitude"]) == sub_county.centroid
    assert location["name"] == f"Confidential location, {sub_county.name} sub-county"
    assert "Ukunda" not in detail.content.decode()


# --- HSDS --------------------------------------------------------------------------------------


def _validator(name: str) -> jsonschema.Draft202012Validator:
    """Return a validator of one HSDS table's records, from the facts in hsds_schema."""
    schema = hsds_schema.json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_hsds_facts_reject_what_hsds_rejects() -> None:
    """Issue 12 point 7: the schema facts kept here bite (so a passing export means
    something): a missing required field, a status outside HSDS's list, a nested phone
    without its number and an id that is not a UUID are each refused."""
    good = {"id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c02", "name": "A service", "status": "active"}
    validator = _validator("service")
    assert not list(validator.iter_errors(good))
    bad_records = [
        {key: value for key, value in good.items() if key != "status"},
        {**good, "status": "open"},
        {**good, "phones": [{"id": "6a1f1d3e-3c0e-4f5c-9a39-1b2f4a2e7c12"}]},
        {**good, "id": "not-a-uuid"},
        {**good, "organization": {"id": good["id"], "name": "No description"}},
    ]
    for record in bad_records:
        assert list(validator.iter_errors(record)), record


def test_export_validates_against_hsds_compiled_schemas(
    directory: Directory, tmp_path: Path
) -> None:
    """Issue 12 point 7: runs on a clone of the project alone, never skipped."""
    counts = export_directory(tmp_path)
    assert counts == {"organization": 4, "service": 5, "service_at_location": 5}
    for name in ("organization", "service", "service_at_location"):
        validator = _validator(name)
        records = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
        assert isinstance(records, list) and records
        for record in records:
            errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(record)]
            assert not errors, f"{name} {record['id']}: {errors[:3]}"


def test_demo_directory_export_validates(db: None, tmp_path: Path) -> None:
    """Issue 12 point 7: the demo directory's export meets the HSDS facts kept here."""
    from kinga.accounts import demo as accounts_demo
    from kinga.directory import demo as demo_directory

    accounts_demo.load(out=lambda line: None)
    demo_directory.load(out=lambda line: None)
    demo_directory.load(out=lambda line: None)  # idempotent
    assert Service.objects.count() == sum(len(o.services) for o in demo_directory.ORGANIZATIONS)
    assert Organization.objects.filter(agency__isnull=False).count() == 6
    export_directory(tmp_path)
    for name in ("organization", "service", "service_at_location"):
        validator = _validator(name)
        for record in json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8")):
            assert not list(validator.iter_errors(record)), (name, record["id"])
    text = (tmp_path / "service_at_location.json").read_text(encoding="utf-8")
    assert "Mwamba Lane" not in text  # Salama's street, confidential


@pytest.mark.parametrize("example", sorted(hsds_examples.EXAMPLES))
def test_every_hsds_example_imports(db: None, example: str, tmp_path: Path) -> None:
    """Issue 12 point 7: the HSDS examples are test data of the project, never skipped."""
    path = hsds_examples.write(tmp_path, example)
    report = import_file(path)
    assert report.created.get("service") == 1
    service = Service.objects.get(pk=hsds_examples.SERVICE_ID)
    assert service.organization_id is not None
    assert str(service.organization_id) == hsds_examples.ORGANIZATION_ID
    assert list(service.service_types.values_list("code", flat=True)) == ["counselling"]
    place = service.service_at_locations.get()
    assert str(place.location_id) == hsds_examples.LOCATION_ID
    assert place.location.address_1 == "Youth Centre Road"
    assert place.location.latitude is None  # 95 degrees north is left out
    # What Kinga does not hold is reported, not dropped silently.
    assert any("funding" in line for line in report.unmapped)
    assert any("not on Earth" in line for line in report.unmapped)
    assert any("Mentoring" in line for line in report.unmapped)
    assert any("second address" in line for line in report.unmapped)
    again = import_file(path)
    assert again.created == {} and again.updated.get("service") == 1


def test_import_command_reports_what_it_could_not_map(
    db: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 12 point 7: the command runs on the project's own example, never skipped."""
    path = hsds_examples.write(tmp_path, "service_full.json")
    call_command("directory", "import-hsds", str(path))
    output = capsys.readouterr().out
    assert "not mapped:" in output
    assert "could not be mapped" in output


def test_import_validates_each_record_as_its_model_does(db: None, tmp_path: Path) -> None:
    """Issue 12 point 3: the importer writes through the directory's services with model
    validation: a value the model refuses in a field it may leave empty is left out and
    reported (the rest of the record is kept); the whole import is one audit event."""
    from kinga.audit.models import AuditEvent

    record = hsds_examples.service_full()
    record["email"] = "not an email"
    record["organization"]["website"] = "javascript:alert(1)"
    record["schedules"][0]["schedule_link"] = "nowhere"
    path = tmp_path / "service.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    before = AuditEvent.objects.count()
    report = import_file(path)
    service = Service.objects.select_related("organization").get(pk=hsds_examples.SERVICE_ID)
    assert service.email == "" and service.name == "Youth counselling"
    assert service.organization.website == ""
    assert service.schedules.get().schedule_link == ""
    left_out = [line for line in report.unmapped if "left out:" in line]
    assert any(line.startswith("service ") and "email" in line for line in left_out)
    assert any(line.startswith("organization ") and "website" in line for line in left_out)
    assert any(line.startswith("schedule ") and "schedule_link" in line for line in left_out)
    events = AuditEvent.objects.order_by("seq")[before:]
    assert [event.record_type for event in events] == ["directory.directory"]


def test_import_refuses_a_record_its_model_refuses_and_keeps_nothing(
    db: None, tmp_path: Path
) -> None:
    """Issue 12 point 3: a record the model cannot hold (an organisation with no name)
    stops the import with what was wrong, and nothing of the file is kept."""
    record = hsds_examples.service_full()
    record["organization"]["name"] = ""
    path = tmp_path / "service.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(ValueError, match="organization .*name"):
        import_file(path)
    assert not Organization.objects.filter(pk=hsds_examples.ORGANIZATION_ID).exists()
    assert not Service.objects.filter(pk=hsds_examples.SERVICE_ID).exists()


def test_exported_directory_imports_again(directory: Directory, tmp_path: Path) -> None:
    export_directory(tmp_path)
    report = import_file(tmp_path / "service.json")
    assert report.updated.get("service") == 5
    assert not [line for line in report.unmapped if "service " in line and "field" in line]


def test_api_paginates_as_hsds_says(directory: Directory) -> None:
    client = Client()
    root = client.get("/api/hsds/").json()
    assert root["version"] == "3.0"
    first = client.get("/api/hsds/services", {"per_page": 2}).json()
    assert {
        key: first[key]
        for key in ("total_items", "total_pages", "page_number", "size", "first_page", "last_page")
    } == {
        "total_items": 5,
        "total_pages": 3,
        "page_number": 1,
        "size": 2,
        "first_page": True,
        "last_page": False,
    }
    assert len(first["contents"]) == 2 and not first["empty"]
    last = client.get("/api/hsds/services", {"per_page": 2, "page": 3}).json()
    assert last["last_page"] and len(last["contents"]) == 1
    beyond = client.get("/api/hsds/services", {"per_page": 2, "page": 9}).json()
    assert beyond["empty"] and beyond["contents"] == []
    assert client.get(f"/api/hsds/services/{directory.clinic.pk}").json()["name"] == (
        "Post-rape care"
    )
    missing = client.get("/api/hsds/services/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"page": str(10**30)},
        {"page": "9" * 5000},  # longer than int() takes
        {"page": "0"},
        {"page": "-1"},
        {"page": "two"},
        {"page": "1.5"},
        {"page": "\u0663"},  # an Arabic-Indic three: a digit to str.isdigit, not a page
        {"per_page": "0"},
        {"per_page": "lots"},
        {"per_page": str(10**30)},
    ],
)
def test_api_refuses_a_page_that_is_not_a_positive_whole_number(
    directory: Directory, query: dict[str, str]
) -> None:
    """Guards issue 11 hole 11: `?page=` with a huge number answered 500."""
    response = Client().get("/api/hsds/services", query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "must be a whole number" in response.json()["detail"]


def test_api_answers_a_page_past_the_end_as_an_empty_page(directory: Directory) -> None:
    """Guards issue 11 hole 11: a large page within the accepted digits is an empty page."""
    response = Client().get("/api/hsds/services", {"page": "999999999", "per_page": "200"})
    assert response.status_code == 200
    body = response.json()
    assert body["empty"] and body["contents"] == [] and body["last_page"]
    assert body["page_number"] == 999999999 and body["total_items"] == 5


# --- pages and who may use them ------------------------------------------------------------


BROWSERS = ["caseworker", "supervisor", "counsellor", "service_provider", "helpline"]


@pytest.mark.parametrize("persona", BROWSERS)
def test_directory_pages_work_for_staff(
    directory: Directory,
    personas: Personas,
    client_for: Callable[[User | None], Client],
    persona: str,
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    client = client_for(getattr(personas, persona))
    query = {"service_type": "rescue_shelter", "ward": ward("Likoni").pk, "open_now": "on"}
    with django_assert_max_num_queries(25):
        response = client.get(reverse("directory:search"), query)
    assert response.status_code == 200
    with django_assert_max_num_queries(30):
        detail = client.get(reverse("directory:service_detail", args=[directory.clinic.pk]))
    assert detail.status_code == 200
    assert "Post-rape care" in detail.content.decode()


@pytest.mark.parametrize("persona", ["investigator", "prosecutor", "analyst", "trainer", "admin"])
def test_directory_is_404_for_roles_without_it(
    directory: Directory,
    personas: Personas,
    client_for: Callable[[User | None], Client],
    persona: str,
) -> None:
    client = client_for(getattr(personas, persona))
    assert client.get(reverse("directory:search")).status_code == 404
    detail = reverse("directory:service_detail", args=[directory.clinic.pk])
    assert client.get(detail).status_code == 404


def test_anonymous_is_sent_to_sign_in(directory: Directory) -> None:
    response = Client().get(reverse("directory:search"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_kiswahili_labels(
    directory: Directory, personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(personas.caseworker)
    client.cookies["django_language"] = "sw"
    response = client.get(reverse("directory:search"), HTTP_ACCEPT_LANGUAGE="sw")
    assert "Uokoaji na makazi salama" in response.content.decode()


# --- providers keep their own entries -----------------------------------------------------


def test_provider_edits_own_service(
    directory: Directory, personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(personas.service_provider)
    assert client.get(reverse("directory:manage")).status_code == 200
    url = reverse("directory:service_edit", args=[directory.shelter.pk])
    assert client.get(url).status_code == 200
    form = {
        "name": "Emergency shelter for girls and young women",
        "description": "Updated.",
        "status": "active",
        "minimum_age": 6,
        "maximum_age": 20,
        "eligible_sex": "female",
        "service_types": [t.pk for t in _terms("rescue_shelter")],
        "locations": [directory.shelter_place.pk],
    }
    response = client.post(url, form)
    assert response.status_code == 302
    directory.shelter.refresh_from_db()
    assert directory.shelter.maximum_age == 20
    assert names(directory_search(service_type="counselling")) == []
    assert names(directory_search(service_type="rescue_shelter", age=19, sex="female")) == [
        "Emergency shelter for girls and young women",
        "Night drop-in",
    ]
    hours = reverse("directory:service_hours", args=[directory.shelter.pk])
    week = {f"opens_{day}": "20:00" for day in range(7)} | {
        f"closes_{day}": "06:00" for day in range(7)
    }
    assert client.post(hours, week).status_code == 302
    assert directory_search(service_type="rescue_shelter", sex="female", open_at=at(2, 12)) == []
    phones = reverse("directory:service_phone_add", args=[directory.shelter.pk])
    assert client.post(phones, {"number": "+254700000111", "type": "voice"}).status_code == 302
    assert directory.shelter.phones.count() == 1
    location = reverse("directory:location_edit", args=[directory.shelter_place.pk])
    assert client.get(location).status_code == 200


def test_provider_cannot_touch_another_organisation(
    directory: Directory, personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(personas.service_provider)
    clinic_org = directory.clinic.organization
    clinic_place = directory.clinic.service_at_locations.get().location
    for url in (
        reverse("directory:service_edit", args=[directory.clinic.pk]),
        reverse("directory:service_hours", args=[directory.clinic.pk]),
        reverse("directory:organization_edit", args=[clinic_org.pk]),
        reverse("directory:service_create", args=[clinic_org.pk]),
        reverse("directory:location_create", args=[clinic_org.pk]),
        reverse("directory:location_edit", args=[clinic_place.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "taken over"}).status_code == 404, url
    directory.clinic.refresh_from_db()
    assert directory.clinic.name == "Post-rape care"


def test_supervisor_of_an_agency_without_entries_sees_none(
    directory: Directory, personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    response = client_for(personas.supervisor).get(reverse("directory:manage"))
    assert response.status_code == 200
    assert "Salama" not in response.content.decode()


def test_provider_adds_a_confidential_location_and_a_service(
    directory: Directory, personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(personas.service_provider)
    organization = directory.shelter_org
    url = reverse("directory:location_create", args=[organization.pk])
    refused = client.post(url, {"name": "Second house", "confidential": "on", "country": "KE"})
    assert refused.status_code == 200  # a confidential location needs its ward
    response = client.post(
        url,
        {
            "name": "Second house",
            "location_type": "physical",
            "confidential": "on",
            "ward": ward("Kinondo").pk,
            "address_1": "Hidden Close 4",
        },
    )
    assert response.status_code == 302
    place = Location.objects.get(name="Second house")
    kinondo = ward("Kinondo")
    assert (place.public_latitude, place.public_longitude) == kinondo.sub_county.centroid
    assert place.ward is None and place.sub_county == kinondo.sub_county  # the ward sealed
    create = reverse("directory:service_create", args=[organization.pk])
    response = client.post(
        create,
        {
            "name": "Transit shelter",
            "status": "active",
            "eligible_sex": "any",
            "service_types": [t.pk for t in _terms("rescue_shelter")],
            "locations": [place.pk],
        },
    )
    assert response.status_code == 302
    found = directory_search(service_type="rescue_shelter", latitude=-4.4, longitude=39.5)
    assert "Transit shelter" in names(found)
    edit = reverse("directory:organization_edit", args=[organization.pk])
    renamed = {"name": "Salama Rescue Home", "description": "New"}
    assert client.post(edit, renamed).status_code == 302
    organization.refresh_from_db()
    assert organization.description == "New"
    place_edit = reverse("directory:location_edit", args=[place.pk])
    changed = {
        "name": "Second house",
        "location_type": "physical",
        "confidential": "on",
        "ward": ward("Ramisi").pk,
        "address_1": "Hidden Close 4",
    }
    assert client.post(place_edit, changed).status_code == 302
    place.refresh_from_db()
    ramisi = ward("Ramisi")
    assert (place.public_latitude, place.public_longitude) == ramisi.sub_county.centroid
    assert place.ward is None and place.sealed_place["ward"] == ramisi.pk
    moved = directory_search(service_type="rescue_shelter", latitude=-4.5, longitude=39.45)
    assert any(hit.location.pk == place.pk for hit in moved)


@pytest.mark.parametrize("persona", ["caseworker", "supervisor", "caseworker_other", "admin"])
def test_other_staff_cannot_edit_the_shelter(
    directory: Directory,
    personas: Personas,
    client_for: Callable[[User | None], Client],
    persona: str,
) -> None:
    client = client_for(getattr(personas, persona))
    if persona != "supervisor":
        assert client.get(reverse("directory:manage")).status_code == 404
    url = reverse("directory:service_edit", args=[directory.shelter.pk])
    assert client.get(url).status_code == 404


def test_edits_are_audited(directory: Directory, personas: Personas) -> None:
    from kinga.audit.models import AuditEvent

    services.service_update(
        service=directory.shelter,
        actor=personas.service_provider,
        changes={"alert": "Full tonight"},
    )
    event = AuditEvent.objects.filter(record_type="directory.service").order_by("-seq").first()
    assert event is not None and event.fields == ["alert"]
    assert event.actor_id == personas.service_provider.pk


def test_the_directory_pages_moved_and_their_old_addresses_redirect(
    directory: Directory, personas: Personas, client_for: Callable[[User | None], Client]
) -> None:
    """Issue 12 point 3: the directory is its own app under /directory/; a bookmark of
    /referrals/directory/... lands on the same page, query kept."""
    assert reverse("directory:search") == "/directory/"
    detail = reverse("directory:service_detail", args=[directory.clinic.pk])
    assert detail == f"/directory/services/{directory.clinic.pk}/"
    client = client_for(personas.caseworker)
    old = client.get(f"/referrals/directory/services/{directory.clinic.pk}/")
    assert old.status_code == 301 and old["Location"] == detail
    searched = client.get("/referrals/directory/", {"service_type": "medical"})
    assert searched.status_code == 301
    assert searched["Location"] == "/directory/?service_type=medical"
    assert client.get(detail).status_code == 200
