"""Read the gazetteer.

Places are public reference data, not protected records, so these selectors take no viewer.
"""

from __future__ import annotations

from django.db.models import QuerySet

from kinga.places.geo import bounding_box, haversine_km
from kinga.places.models import County, SubCounty, Ward


def county_of_ward(*, ward: Ward) -> County:
    """Return the county the ward lies in."""
    return ward.sub_county.county


def coastal_counties() -> QuerySet[County]:
    """Return the six counties of the former Coast Province, by name."""
    return County.objects.filter(coastal=True)


def sub_counties_of(*, county: County) -> QuerySet[SubCounty]:
    """Return the county's sub-counties, by name."""
    return SubCounty.objects.filter(county=county)


def wards_of(*, sub_county: SubCounty) -> QuerySet[Ward]:
    """Return the sub-county's wards, by name."""
    return Ward.objects.filter(sub_county=sub_county)


def wards_near(
    *, latitude: float, longitude: float, radius_km: float = 10, limit: int = 20
) -> list[tuple[Ward, float]]:
    """Return up to `limit` wards whose centroid lies within `radius_km`, nearest first.

    Each ward comes with its distance in kilometres and with its sub-county and county
    already loaded. Only the wards inside the circle's bounding box leave the database.
    """
    if radius_km < 0:
        raise ValueError("radius_km must not be negative")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    south, north, west, east = bounding_box(
        latitude=latitude, longitude=longitude, radius_km=radius_km
    )
    candidates = Ward.objects.filter(
        latitude__gte=south,
        latitude__lte=north,
        longitude__gte=west,
        longitude__lte=east,
    ).select_related("sub_county__county")
    found = []
    for ward in candidates:
        ward_latitude, ward_longitude = ward.centroid
        distance = haversine_km(
            latitude_a=latitude,
            longitude_a=longitude,
            latitude_b=ward_latitude,
            longitude_b=ward_longitude,
        )
        if distance <= radius_km:
            found.append((ward, distance))
    # Ties (rare) fall back to the name, so the order never depends on the database.
    found.sort(key=lambda pair: (pair[1], pair[0].name))
    return found[:limit]
