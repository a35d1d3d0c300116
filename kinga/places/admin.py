"""Read-mostly admin for the gazetteer.

Places come from data/kenya.json through migrations, so every environment holds the same
ones; the admin may correct a name or a centroid but not add or delete a place.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kinga.places.models import County, Place, SubCounty, Ward

PlaceT = TypeVar("PlaceT", bound=Place)


class GazetteerAdmin(admin.ModelAdmin[PlaceT]):
    """Forbid adding and deleting places; show and correct the rest."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PlaceT | None = None) -> bool:
        return False


@admin.register(County)
class CountyAdmin(GazetteerAdmin[County]):
    list_display = ["code", "name", "prefix", "coastal", "latitude", "longitude"]
    list_filter = ["coastal"]
    search_fields = ["name", "prefix", "slug"]
    ordering = ["code"]
    readonly_fields = ["code", "slug", "prefix"]


@admin.register(SubCounty)
class SubCountyAdmin(GazetteerAdmin[SubCounty]):
    list_display = ["name", "county", "latitude", "longitude"]
    list_filter = [("county", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["county"]
    search_fields = ["name", "slug", "county__name"]
    readonly_fields = ["county", "slug"]


@admin.register(Ward)
class WardAdmin(GazetteerAdmin[Ward]):
    list_display = ["name", "sub_county", "county_name", "latitude", "longitude"]
    list_filter = [
        ("sub_county__county", admin.RelatedOnlyFieldListFilter),
        ("sub_county", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["sub_county__county"]
    search_fields = ["name", "slug", "sub_county__name", "sub_county__county__name"]
    readonly_fields = ["sub_county", "slug"]

    @admin.display(description=_("county"), ordering="sub_county__county__name")
    def county_name(self, ward: Ward) -> str:
        return ward.sub_county.county.name
