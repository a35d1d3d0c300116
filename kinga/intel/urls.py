from __future__ import annotations

from django.urls import path

from kinga.intel import views

app_name = "intel"

urlpatterns = [
    path("", views.networks, name="networks"),
    path("network/<int:node_id>/", views.network, name="network"),
    path("network/<int:node_id>/export/", views.export, name="export"),
    path("network/<int:node_id>/alias/", views.alias_add, name="alias_add"),
    path("patterns/", views.patterns, name="patterns"),
]
