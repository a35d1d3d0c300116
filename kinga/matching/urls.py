from __future__ import annotations

from django.urls import path

from kinga.matching import views

app_name = "matching"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:candidate_id>/", views.candidate, name="candidate"),
    path("<int:candidate_id>/merge/", views.merge, name="merge"),
    path("<int:candidate_id>/reject/", views.reject, name="reject"),
    path("<int:candidate_id>/unmerge/", views.unmerge, name="unmerge"),
]
