"""Distances on the Earth's surface, for places given by latitude and longitude in degrees."""

from __future__ import annotations

import math

# The mean Earth radius (IUGG), which keeps haversine errors under 0.5 % at Kenya's latitudes.
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_OF_LATITUDE = math.pi * EARTH_RADIUS_KM / 180


def haversine_km(
    *, latitude_a: float, longitude_a: float, latitude_b: float, longitude_b: float
) -> float:
    """Return the great-circle distance in kilometres between points a and b."""
    phi_a = math.radians(latitude_a)
    phi_b = math.radians(latitude_b)
    delta_phi = phi_b - phi_a
    delta_lambda = math.radians(longitude_b - longitude_a)
    h = (
        math.sin(delta_phi / 2) ** 2
        + math.cos(phi_a) * math.cos(phi_b) * math.sin(delta_lambda / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(
    *, latitude: float, longitude: float, radius_km: float
) -> tuple[float, float, float, float]:
    """Return (south, north, west, east) of a box holding every point within radius_km.

    The box is a cheap database pre-filter; the exact distance is checked afterwards.
    """
    if radius_km < 0:
        raise ValueError("radius_km must not be negative")
    delta_latitude = radius_km / KM_PER_DEGREE_OF_LATITUDE
    south = max(-90.0, latitude - delta_latitude)
    north = min(90.0, latitude + delta_latitude)
    # Degrees of longitude shrink with the cosine of the latitude; use the box's widest edge.
    widest = max(abs(south), abs(north))
    cosine = math.cos(math.radians(widest))
    if cosine < 1e-9:
        return south, north, -180.0, 180.0
    delta_longitude = min(180.0, radius_km / (KM_PER_DEGREE_OF_LATITUDE * cosine))
    return south, north, longitude - delta_longitude, longitude + delta_longitude
