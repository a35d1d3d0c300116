"""The HSDS 3.0 read API over the public part of the directory (no confidential address)."""

from __future__ import annotations

import math
import uuid

from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from kinga.directory.hsds import HSDS_VERSION, service_queryset, service_record

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Page and size numbers longer than this are refused before any arithmetic on them.
MAX_DIGITS = 9
LIST_ONLY = ("phones", "schedules", "languages", "contacts", "cost_options", "attributes")


class BadParameter(ValueError):
    """A query parameter the API cannot use; answered with 400 and a JSON error."""


def _positive(request: HttpRequest, name: str, default: int) -> int:
    """Return the parameter as a positive whole number, or raise BadParameter.

    A page past the end is not an error (it is answered as an empty page); a page that is
    not a positive whole number is, and it never reaches the database.
    """
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_DIGITS or int(raw) < 1:
        raise BadParameter(f"{name} must be a whole number from 1 to {10**MAX_DIGITS - 1}")
    return int(raw)


def _bad_request(error: BadParameter) -> JsonResponse:
    return JsonResponse({"detail": str(error)}, status=400)


@require_GET
def root(request: HttpRequest) -> JsonResponse:
    """Say which HSDS version this API speaks."""
    return JsonResponse(
        {
            "version": HSDS_VERSION,
            "profile": "https://docs.openreferral.org/en/v3.0/",
            "openapi_url": "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json",
            "services_url": request.build_absolute_uri(reverse("hsds:services")),
        }
    )


@require_GET
def services(request: HttpRequest) -> JsonResponse:
    """Return a page of services, paginated as the HSDS API describes.

    `page` and `per_page` must be positive whole numbers (else 400, with a JSON error);
    `per_page` is capped at MAX_PAGE_SIZE, and a page past the last one is empty.
    """
    try:
        size = min(MAX_PAGE_SIZE, _positive(request, "per_page", DEFAULT_PAGE_SIZE))
        page = _positive(request, "page", 1)
    except BadParameter as error:
        return _bad_request(error)
    full = request.GET.get("full", "").lower() in {"1", "true", "yes"}
    chosen = service_queryset().order_by("name", "pk")
    search = request.GET.get("search", "").strip()
    if search:
        chosen = chosen.filter(Q(name__icontains=search) | Q(description__icontains=search))
    for parameter, lookup in (
        ("taxonomy_term_id", "service_types__id"),
        ("organization_id", "organization_id"),
    ):
        value = request.GET.get(parameter)
        if value:
            try:
                chosen = chosen.filter(**{lookup: uuid.UUID(value)})
            except ValueError:
                chosen = chosen.none()
    total = chosen.count()
    total_pages = max(1, math.ceil(total / size))
    rows = list(chosen[(page - 1) * size : page * size]) if page <= total_pages else []
    contents = []
    for service in rows:
        record = service_record(service, nested=not full)
        if not full:
            record = {key: value for key, value in record.items() if key not in LIST_ONLY}
        contents.append(record)
    return JsonResponse(
        {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": page,
            "size": size,
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": not contents,
            "contents": contents,
        }
    )


@require_GET
def service(request: HttpRequest, service_id: uuid.UUID) -> JsonResponse:
    """Return one fully nested service."""
    found = service_queryset().filter(pk=service_id).first()
    if found is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    return JsonResponse(service_record(found))
