from __future__ import annotations

from django.urls import path

from kinga.directory import api

app_name = "hsds"

urlpatterns = [
    path("", api.root, name="root"),
    path("services", api.services, name="services"),
    path("services/<uuid:service_id>", api.service, name="service"),
]
