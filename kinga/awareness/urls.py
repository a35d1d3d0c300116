"""Awareness pages, under /awareness/."""

from __future__ import annotations

from django.urls import path

from kinga.awareness import views

app_name = "awareness"

urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
    path("campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/events/new/", views.event_new, name="event_new"),
    path("events/<int:event_id>/", views.event, name="event"),
]
