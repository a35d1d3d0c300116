"""The directory's pages, under /directory/."""

from __future__ import annotations

from django.urls import path

from kinga.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.directory, name="search"),
    path("services/<uuid:service_id>/", views.service_detail, name="service_detail"),
    path("manage/", views.manage, name="manage"),
    path(
        "manage/organisations/<uuid:organization_id>/",
        views.organization_edit,
        name="organization_edit",
    ),
    path(
        "manage/organisations/<uuid:organization_id>/services/new/",
        views.service_create,
        name="service_create",
    ),
    path(
        "manage/organisations/<uuid:organization_id>/locations/new/",
        views.location_create,
        name="location_create",
    ),
    path("manage/services/<uuid:service_id>/", views.service_edit, name="service_edit"),
    path("manage/services/<uuid:service_id>/hours/", views.service_hours, name="service_hours"),
    path(
        "manage/services/<uuid:service_id>/phones/",
        views.service_phone_add,
        name="service_phone_add",
    ),
    path("manage/phones/<uuid:phone_id>/remove/", views.phone_remove, name="phone_remove"),
    path("manage/locations/<uuid:location_id>/", views.location_edit, name="location_edit"),
]
