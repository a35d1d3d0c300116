from __future__ import annotations

from django.urls import path

from kinga.access import views

app_name = "access"

urlpatterns = [
    path("break-glass/reviews/", views.break_glass_reviews, name="break_glass_reviews"),
    path("break-glass/<slug:matter_type>/<int:matter_id>/", views.break_glass, name="break_glass"),
    path("trail/<slug:matter_type>/<int:matter_id>/", views.trail, name="trail"),
]
