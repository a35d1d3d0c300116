"""Kenya's counties, sub-counties and electoral wards, each with an approximate centroid."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Kenya lies within these bounds (with a margin), so a swapped latitude and longitude or a
# dropped minus sign is refused by the database instead of putting a place in the sea.
KENYA_SOUTH, KENYA_NORTH = -5.0, 5.5
KENYA_WEST, KENYA_EAST = 33.5, 42.0


class Place(models.Model):
    """Hold the name, slug and centroid shared by every level of the gazetteer."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100)
    latitude = models.DecimalField(_("centroid latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("centroid longitude"), max_digits=9, decimal_places=6)

    class Meta:
        abstract = True
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=KENYA_SOUTH, latitude__lte=KENYA_NORTH),
                name="%(app_label)s_%(class)s_latitude_in_kenya",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=KENYA_WEST, longitude__lte=KENYA_EAST),
                name="%(app_label)s_%(class)s_longitude_in_kenya",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def centroid(self) -> tuple[float, float]:
        """Return the centroid as (latitude, longitude) in degrees."""
        return float(self.latitude), float(self.longitude)


class County(Place):
    """One of the 47 counties of the Constitution's First Schedule."""

    code = models.PositiveSmallIntegerField(
        _("code"), help_text=_("The official county code, 1 (Mombasa) to 47 (Nairobi).")
    )
    prefix = models.CharField(
        _("case-code prefix"),
        max_length=3,
        help_text=_("Three capital letters that begin the county's case codes, e.g. MSA."),
    )
    coastal = models.BooleanField(
        _("coastal"),
        default=False,
        help_text=_("One of the six counties of the former Coast Province."),
    )

    class Meta(Place.Meta):
        verbose_name = _("county")
        verbose_name_plural = _("counties")
        constraints = [
            *Place.Meta.constraints,
            models.UniqueConstraint(fields=["code"], name="places_county_code_unique"),
            models.UniqueConstraint(fields=["name"], name="places_county_name_unique"),
            models.UniqueConstraint(fields=["slug"], name="places_county_slug_unique"),
            models.UniqueConstraint(fields=["prefix"], name="places_county_prefix_unique"),
            models.CheckConstraint(
                condition=models.Q(code__gte=1, code__lte=47),
                name="places_county_code_1_to_47",
            ),
            models.CheckConstraint(
                condition=models.Q(prefix__regex=r"^[A-Z]{3}\Z"),
                name="places_county_prefix_three_capitals",
            ),
        ]


class SubCounty(Place):
    """A sub-county, drawn as the constituency of the same name."""

    county = models.ForeignKey(
        County,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="sub_counties",
    )

    class Meta(Place.Meta):
        verbose_name = _("sub-county")
        verbose_name_plural = _("sub-counties")
        constraints = [
            *Place.Meta.constraints,
            models.UniqueConstraint(
                fields=["county", "slug"], name="places_subcounty_county_slug_unique"
            ),
            models.UniqueConstraint(
                fields=["county", "name"], name="places_subcounty_county_name_unique"
            ),
        ]


class Ward(Place):
    """An electoral ward (county assembly ward) of a sub-county."""

    sub_county = models.ForeignKey(
        SubCounty,
        verbose_name=_("sub-county"),
        on_delete=models.PROTECT,
        related_name="wards",
    )

    class Meta(Place.Meta):
        verbose_name = _("ward")
        verbose_name_plural = _("wards")
        constraints = [
            *Place.Meta.constraints,
            models.UniqueConstraint(
                fields=["sub_county", "slug"], name="places_ward_sub_county_slug_unique"
            ),
            models.UniqueConstraint(
                fields=["sub_county", "name"], name="places_ward_sub_county_name_unique"
            ),
        ]
        indexes = [
            # selectors.wards_near: the latitude/longitude bounding-box pre-filter.
            models.Index(fields=["latitude", "longitude"], name="places_ward_lat_lon_idx"),
        ]
