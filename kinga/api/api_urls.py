"""The open API's URLs under /api/v1/: the operations, the schema, the documentation."""

from __future__ import annotations

from django.urls import path, re_path

from kinga.api import views
from kinga.api.api import api

urlpatterns = [
    path("guide/", views.guide, name="api_guide"),
    path("", api.urls),
    # Anything else under /api/v1/ is a problem-details 404, never an HTML page.
    re_path(r"^.*$", views.api_not_found),
]
