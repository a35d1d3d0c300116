"""The gazetteer's data, its selectors and the distance helpers."""

from __future__ import annotations

import importlib
import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from kinga.places.geo import bounding_box, haversine_km
from kinga.places.models import County, SubCounty, Ward
from kinga.places.selectors import (
    coastal_counties,
    county_of_ward,
    sub_counties_of,
    wards_near,
    wards_of,
)

# Rough (south, north, west, east) boxes around each coastal county, in degrees, drawn from
# public maps with a margin of a few kilometres. They overlap, which is fine: each asks
# only "is this ward in the right part of the coast?".
COUNTY_BOXES = {
    "mombasa": (-4.15, -3.90, 39.55, 39.78),
    "kwale": (-4.70, -3.55, 38.45, 39.70),
    "kilifi": (-3.98, -2.25, 39.05, 40.30),
    "tana-river": (-2.95, 0.10, 38.20, 40.70),
    "lamu": (-2.60, -1.60, 40.15, 41.65),
    "taita-taveta": (-4.25, -2.75, 37.55, 39.25),
}

# The farthest a ward centroid may plausibly lie from its sub-county's centroid, in km.
# Sub-counties in the arid north (Bura covers some 13,600 km2) are far larger than in town.
MAX_WARD_TO_SUB_COUNTY_KM = {
    "mombasa": 8,
    "kwale": 45,
    "kilifi": 35,
    "tana-river": 90,
    "lamu": 45,
    "taita-taveta": 45,
}

COASTAL_SUB_COUNTIES = {
    "mombasa": {"Changamwe", "Jomvu", "Kisauni", "Nyali", "Likoni", "Mvita"},
    "kwale": {"Msambweni", "Lunga Lunga", "Matuga", "Kinango"},
    "kilifi": {
        "Kilifi North",
        "Kilifi South",
        "Kaloleni",
        "Rabai",
        "Ganze",
        "Malindi",
        "Magarini",
    },
    "tana-river": {"Garsen", "Galole", "Bura"},
    "lamu": {"Lamu East", "Lamu West"},
    "taita-taveta": {"Taveta", "Wundanyi", "Mwatate", "Voi"},
}

# The number of county assembly wards of each coastal county (IEBC, 2012 boundaries).
COASTAL_WARD_COUNTS = {
    "mombasa": 30,
    "kwale": 20,
    "kilifi": 35,
    "tana-river": 15,
    "lamu": 10,
    "taita-taveta": 20,
}


def ward(county_slug: str, sub_county_slug: str, ward_slug: str) -> Ward:
    return Ward.objects.get(
        slug=ward_slug,
        sub_county__slug=sub_county_slug,
        sub_county__county__slug=county_slug,
    )


def coastal_wards() -> list[Ward]:
    return list(
        Ward.objects.filter(sub_county__county__coastal=True).select_related("sub_county__county")
    )


@pytest.mark.django_db
def test_all_47_counties_are_loaded_with_unique_codes_and_prefixes() -> None:
    counties = list(County.objects.all())

    assert len(counties) == 47
    assert {county.code for county in counties} == set(range(1, 48))
    prefixes = [county.prefix for county in counties]
    assert len(set(prefixes)) == 47
    assert all(re.fullmatch(r"[A-Z]{3}", prefix) for prefix in prefixes)
    assert len({county.slug for county in counties}) == 47


@pytest.mark.django_db
def test_coastal_counties_carry_their_official_codes_and_prefixes() -> None:
    found = {county.code: (county.name, county.prefix) for county in coastal_counties()}

    assert found == {
        1: ("Mombasa", "MSA"),
        2: ("Kwale", "KWL"),
        3: ("Kilifi", "KLF"),
        4: ("Tana River", "TRV"),
        5: ("Lamu", "LMU"),
        6: ("Taita-Taveta", "TTV"),
    }
    assert County.objects.get(code=47).name == "Nairobi"


@pytest.mark.django_db
def test_each_coastal_county_has_all_its_sub_counties_and_each_has_wards() -> None:
    for county in coastal_counties():
        sub_counties = list(sub_counties_of(county=county))

        assert {sub_county.name for sub_county in sub_counties} == (
            COASTAL_SUB_COUNTIES[county.slug]
        )
        for sub_county in sub_counties:
            assert wards_of(sub_county=sub_county).exists(), sub_county


@pytest.mark.django_db
def test_each_coastal_county_has_every_ward() -> None:
    for county_slug, expected in COASTAL_WARD_COUNTS.items():
        assert Ward.objects.filter(sub_county__county__slug=county_slug).count() == expected
    assert Ward.objects.count() == 130
    assert SubCounty.objects.count() == 26


@pytest.mark.django_db
def test_every_coastal_place_lies_inside_its_county() -> None:
    for county in coastal_counties():
        south, north, west, east = COUNTY_BOXES[county.slug]
        places = [county, *sub_counties_of(county=county)]
        for place in places:
            latitude, longitude = place.centroid
            assert south <= latitude <= north and west <= longitude <= east, place
    for place in coastal_wards():
        south, north, west, east = COUNTY_BOXES[place.sub_county.county.slug]
        latitude, longitude = place.centroid
        assert south <= latitude <= north and west <= longitude <= east, place


@pytest.mark.django_db
def test_every_coastal_ward_lies_near_its_sub_county_centroid() -> None:
    for place in coastal_wards():
        sub_county = place.sub_county
        distance = haversine_km(
            latitude_a=float(place.latitude),
            longitude_a=float(place.longitude),
            latitude_b=float(sub_county.latitude),
            longitude_b=float(sub_county.longitude),
        )
        assert distance <= MAX_WARD_TO_SUB_COUNTY_KM[sub_county.county.slug], place


@pytest.mark.django_db
def test_known_towns_are_in_the_right_place() -> None:
    for county_slug, sub_county_slug, ward_slug, latitude, longitude in [
        ("kwale", "msambweni", "ukunda", -4.28, 39.57),
        ("kilifi", "kilifi-north", "watamu", -3.35, 40.02),
        ("kilifi", "malindi", "malindi-town", -3.22, 40.12),
        ("lamu", "lamu-west", "mkomani", -2.27, 40.90),
        ("taita-taveta", "voi", "kaloleni", -3.39, 38.56),
    ]:
        place = ward(county_slug, sub_county_slug, ward_slug)
        distance = haversine_km(
            latitude_a=latitude,
            longitude_a=longitude,
            latitude_b=float(place.latitude),
            longitude_b=float(place.longitude),
        )
        assert distance < 5, place


@pytest.mark.django_db
def test_wards_near_ukunda_returns_ukunda_first() -> None:
    found = wards_near(latitude=-4.28, longitude=39.57)

    assert found[0][0].name == "Ukunda"
    assert found[0][1] < 1
    distances = [distance for _, distance in found]
    assert distances == sorted(distances)
    assert all(distance <= 10 for distance in distances)
    assert {place.name for place, _ in found} >= {"Gombato Bongwe", "Tiwi"}


@pytest.mark.django_db
def test_wards_near_watamu_and_malindi_find_them() -> None:
    assert wards_near(latitude=-3.35, longitude=40.02)[0][0].name == "Watamu"
    assert wards_near(latitude=-3.22, longitude=40.12)[0][0].name == "Malindi Town"


@pytest.mark.django_db
def test_wards_near_filters_in_the_database_in_one_query() -> None:
    with CaptureQueriesContext(connection) as queries:
        found = wards_near(latitude=-4.06, longitude=39.67, radius_km=3, limit=50)
        for place, _ in found:
            county_of_ward(ward=place)

    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert '"latitude" >=' in sql and '"longitude" <=' in sql
    assert found and all(place.sub_county.county.slug == "mombasa" for place, _ in found)


@pytest.mark.django_db
def test_wards_near_respects_the_limit_and_the_radius() -> None:
    assert len(wards_near(latitude=-4.04, longitude=39.67, radius_km=30, limit=5)) == 5
    # The middle of Nairobi: no coastal ward within 10 km.
    assert wards_near(latitude=-1.29, longitude=36.82) == []
    with pytest.raises(ValueError):
        wards_near(latitude=-4.04, longitude=39.67, radius_km=-1)
    with pytest.raises(ValueError):
        wards_near(latitude=-4.04, longitude=39.67, limit=0)


@pytest.mark.django_db
def test_county_of_ward_climbs_through_the_sub_county() -> None:
    assert county_of_ward(ward=ward("kwale", "msambweni", "ukunda")).name == "Kwale"
    # "Kaloleni" is a ward both in Kilifi and in Taita-Taveta.
    assert county_of_ward(ward=ward("taita-taveta", "voi", "kaloleni")).code == 6
    assert county_of_ward(ward=ward("kilifi", "kaloleni", "kaloleni")).code == 3


@pytest.mark.django_db
def test_sub_counties_and_wards_come_by_name() -> None:
    mombasa = County.objects.get(slug="mombasa")
    names = [sub_county.name for sub_county in sub_counties_of(county=mombasa)]
    assert names == sorted(names)

    likoni = SubCounty.objects.get(county=mombasa, slug="likoni")
    assert [place.name for place in wards_of(sub_county=likoni)] == [
        "Bofu",
        "Likoni",
        "Mtongwe",
        "Shika Adabu",
        "Timbwani",
    ]


@pytest.mark.django_db
def test_loading_the_gazetteer_again_changes_nothing() -> None:
    migration = importlib.import_module("kinga.places.migrations.0002_load_gazetteer")
    before = list(Ward.objects.values_list("id", "sub_county_id", "slug", "latitude"))

    migration.load_gazetteer(apps, SimpleNamespace(connection=connection))

    assert County.objects.count() == 47
    assert list(Ward.objects.values_list("id", "sub_county_id", "slug", "latitude")) == before


@pytest.mark.django_db
def test_database_refuses_places_outside_kenya_and_malformed_prefixes() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        County.objects.create(
            code=48, name="Atlantis", slug="atlantis", prefix="ATL", latitude=0, longitude=0
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        County.objects.filter(slug="mombasa").update(prefix="ms1")
    kwale = County.objects.get(slug="kwale")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Latitude and longitude swapped.
        SubCounty.objects.create(
            county=kwale, name="Swapped", slug="swapped", latitude=39.5, longitude=-4.3
        )


@pytest.mark.django_db
def test_a_county_with_sub_counties_cannot_be_deleted() -> None:
    with pytest.raises(ProtectedError):
        County.objects.get(slug="lamu").delete()


def test_haversine_gives_known_distances() -> None:
    # Mombasa GPO to Malindi town: about 104 km as the crow flies (about 120 km by road).
    mombasa_to_malindi = haversine_km(
        latitude_a=-4.0435, longitude_a=39.6682, latitude_b=-3.2192, longitude_b=40.1169
    )
    assert 100 < mombasa_to_malindi < 110
    # One degree along a meridian is about 111.2 km.
    one_degree = haversine_km(latitude_a=0, longitude_a=37, latitude_b=1, longitude_b=37)
    assert one_degree == pytest.approx(111.195, abs=0.01)
    assert haversine_km(latitude_a=-4, longitude_a=39, latitude_b=-4, longitude_b=39) == 0
    there = haversine_km(latitude_a=-4, longitude_a=39, latitude_b=-3, longitude_b=40)
    back = haversine_km(latitude_a=-3, longitude_a=40, latitude_b=-4, longitude_b=39)
    assert there == pytest.approx(back)


def test_bounding_box_holds_every_point_of_the_circle() -> None:
    latitude, longitude, radius_km = -4.28, 39.57, 10.0
    south, north, west, east = bounding_box(
        latitude=latitude, longitude=longitude, radius_km=radius_km
    )
    for delta_latitude, delta_longitude in [(1, 0), (-1, 0), (0, 1), (0, -1), (0.7, 0.7)]:
        # Walk out from the centre until the point leaves the circle; it must be in the box.
        step = 0.0001
        point = (latitude, longitude)
        while (
            haversine_km(
                latitude_a=latitude,
                longitude_a=longitude,
                latitude_b=point[0],
                longitude_b=point[1],
            )
            <= radius_km
        ):
            assert south <= point[0] <= north and west <= point[1] <= east
            point = (point[0] + delta_latitude * step, point[1] + delta_longitude * step)
    with pytest.raises(ValueError):
        bounding_box(latitude=0, longitude=0, radius_km=-1)
