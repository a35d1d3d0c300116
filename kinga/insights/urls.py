from __future__ import annotations

from django.urls import path

from kinga.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.index, name="index"),
    path("funnel/", views.funnel, name="funnel"),
    path("reporting/", views.reporting, name="reporting"),
    path("referrals/", views.referrals, name="referrals"),
]
