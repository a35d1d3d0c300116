"""Pages of the service directory: search, a service's page, and providers' own entries."""

from __future__ import annotations

import uuid
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinga.access.policy import deny
from kinga.accounts.models import User
from kinga.directory import selectors, services
from kinga.directory.forms import (
    DirectorySearchForm,
    HoursForm,
    LocationForm,
    OrganizationForm,
    PhoneForm,
    ServiceForm,
)
from kinga.directory.models import Service
from kinga.directory.open_now import schedules_open_at

SEARCH_LIMIT = 30


def _viewer(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    """Search the directory by type, place (nearest first), eligibility and open now."""
    viewer = _viewer(request)
    if not selectors.directory_browsable_by(viewer):
        raise deny(viewer, record_type="directory.directory", record_id="", action="list")
    form = DirectorySearchForm(request.GET or None)
    hits: list[selectors.DirectoryHit] = []
    searched = False
    if form.is_bound and form.is_valid():
        hits = form.hits(limit=SEARCH_LIMIT)
        searched = True
    elif not form.is_bound:
        hits = selectors.directory_search(limit=SEARCH_LIMIT)
    rows = [
        {
            "hit": hit,
            "place": selectors.public_place_name(hit.location),
        }
        for hit in hits
    ]
    return render(
        request,
        "directory/directory.html",
        {"form": form, "rows": rows, "searched": searched},
    )


@login_required
def service_detail(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    """Show one service: what it offers, to whom, when and where."""
    viewer = _viewer(request)
    service = selectors.service_for_viewer(viewer=viewer, service_id=service_id)
    now = selectors.now()
    places = []
    for sal in service.service_at_locations.all():
        location = sal.location
        visible = selectors.location_address_visible_to(viewer, location)
        places.append(
            {
                "sal": sal,
                "location": location,
                "address_visible": visible,
                "public_name": selectors.public_place_name(location),
                "open_now": schedules_open_at(
                    list(sal.schedules.all()) or list(service.schedules.all()), now
                ),
            }
        )
        if visible and location.confidential:
            selectors.location_unseal_for(viewer=viewer, location=location)
    return render(
        request,
        "directory/service_detail.html",
        {
            "service": service,
            "places": places,
            "schedules": [s for s in service.schedules.all() if s.service_at_location_id is None],
            "has_confidential": any(
                sal.location.confidential for sal in service.service_at_locations.all()
            ),
            "can_edit": selectors.organizations_maintained_by(viewer=viewer)
            .filter(pk=service.organization_id)
            .exists(),
        },
    )


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """List the viewer's own organisations and their entries."""
    viewer = _viewer(request)
    if not selectors.maintains_directory_entries(viewer):
        raise deny(viewer, record_type="directory.organization", record_id="", action="change")
    organizations = [
        (organization, selectors.organization_entries(organization=organization))
        for organization in selectors.organizations_maintained_by(viewer=viewer)
    ]
    return render(request, "directory/manage.html", {"organizations": organizations})


def _form_page(
    request: HttpRequest, *, form: object, title: str, back: str, multipart: bool = False
) -> HttpResponse:
    return render(
        request,
        "directory/form.html",
        {"form": form, "title": title, "back": back, "multipart": multipart},
    )


@login_required
def organization_edit(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    viewer = _viewer(request)
    organization = selectors.organization_for_maintainer(
        viewer=viewer, organization_id=organization_id
    )
    form = OrganizationForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        # The form has written its values onto its instance; change a fresh copy.
        services.organization_update(
            organization=selectors.organization_for_maintainer(
                viewer=viewer, organization_id=organization_id
            ),
            actor=viewer,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
        )
        messages.success(request, _("Saved."))
        return redirect("directory:manage")
    return _form_page(
        request, form=form, title=_("Edit %(name)s") % {"name": organization.name}, back="manage"
    )


def _service_form_save(
    request: HttpRequest, form: ServiceForm, viewer: User, service: Service | None
) -> Service:
    data = form.cleaned_data
    model_fields = {name: data[name] for name in ServiceForm.Meta.fields}
    if service is None:
        return services.service_create(
            organization=form.organization,
            actor=viewer,
            fields=model_fields,
            service_types=data["service_types"],
            locations=data["locations"],
        )
    # The form has written its values onto its instance; compare with a fresh copy.
    original = selectors.service_for_maintainer(viewer=viewer, service_id=service.pk)
    changes = {
        name: value for name, value in model_fields.items() if getattr(original, name) != value
    }
    return services.service_update(
        service=original,
        actor=viewer,
        changes=changes,
        service_types=data["service_types"],
        locations=data["locations"],
    )


@login_required
def service_create(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    viewer = _viewer(request)
    organization = selectors.organization_for_maintainer(
        viewer=viewer, organization_id=organization_id
    )
    form = ServiceForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        service = _service_form_save(request, form, viewer, None)
        messages.success(request, _("Service added. Now set its opening hours."))
        return redirect("directory:service_hours", service_id=service.pk)
    return _form_page(request, form=form, title=_("Add a service"), back="manage")


@login_required
def service_edit(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    viewer = _viewer(request)
    service = selectors.service_for_maintainer(viewer=viewer, service_id=service_id)
    form = ServiceForm(request.POST or None, instance=service, organization=service.organization)
    if request.method == "POST" and form.is_valid():
        _service_form_save(request, form, viewer, service)
        messages.success(request, _("Saved."))
        return redirect("directory:service_detail", service_id=service.pk)
    phones = service.phones.all()
    return render(
        request,
        "directory/service_edit.html",
        {"form": form, "service": service, "phones": phones, "phone_form": PhoneForm()},
    )


@login_required
def service_hours(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    viewer = _viewer(request)
    service = selectors.service_for_maintainer(viewer=viewer, service_id=service_id)
    current = service.schedules.filter(service_at_location__isnull=True, location__isnull=True)
    initial = {}
    for schedule in current:
        for day in range(7):
            if schedule.weekdays & (1 << day):
                initial[f"opens_{day}"] = schedule.opens_at
                initial[f"closes_{day}"] = schedule.closes_at
    form = HoursForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.service_hours_set(service=service, actor=viewer, hours=form.hours())
        messages.success(request, _("Opening hours saved."))
        return redirect("directory:service_detail", service_id=service.pk)
    return render(request, "directory/hours.html", {"form": form, "service": service})


@login_required
@require_POST
def service_phone_add(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    viewer = _viewer(request)
    service = selectors.service_for_maintainer(viewer=viewer, service_id=service_id)
    form = PhoneForm(request.POST)
    if form.is_valid():
        services.phone_add(
            actor=viewer,
            service=service,
            number=form.cleaned_data["number"],
            phone_type=form.cleaned_data["type"],
            description=form.cleaned_data["description"],
        )
        messages.success(request, _("Phone number added."))
    else:
        messages.error(request, _("The phone number was not added: check the number."))
    return redirect("directory:service_edit", service_id=service.pk)


@login_required
@require_POST
def phone_remove(request: HttpRequest, phone_id: uuid.UUID) -> HttpResponse:
    viewer = _viewer(request)
    phone = selectors.phone_for_maintainer(viewer=viewer, phone_id=phone_id)
    service_id = phone.service_id
    services.phone_remove(phone=phone, actor=viewer)
    messages.success(request, _("Phone number removed."))
    if service_id is not None:
        return redirect("directory:service_edit", service_id=service_id)
    return redirect("directory:manage")


@login_required
def location_create(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    viewer = _viewer(request)
    organization = selectors.organization_for_maintainer(
        viewer=viewer, organization_id=organization_id
    )
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.location_create(
            organization=organization,
            actor=viewer,
            fields={name: form.cleaned_data[name] for name in LocationForm.Meta.fields},
        )
        messages.success(request, _("Location added."))
        return redirect("directory:manage")
    return _form_page(request, form=form, title=_("Add a location"), back="manage")


@login_required
def location_edit(request: HttpRequest, location_id: uuid.UUID) -> HttpResponse:
    viewer = _viewer(request)
    location = selectors.location_for_maintainer(viewer=viewer, location_id=location_id)
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        # The form has written its values onto its instance; change a fresh copy.
        original = selectors.location_for_maintainer(viewer=viewer, location_id=location_id)
        services.location_update(
            location=original,
            actor=viewer,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
        )
        messages.success(request, _("Saved."))
        return redirect("directory:manage")
    return _form_page(
        request,
        form=form,
        title=_("Edit location %(name)s") % {"name": location.name},
        back="manage",
    )
