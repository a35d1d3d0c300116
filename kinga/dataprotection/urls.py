from __future__ import annotations

from django.urls import path

from kinga.dataprotection import views

app_name = "dataprotection"

urlpatterns = [
    path("breaches/", views.breaches, name="breaches"),
    path("breaches/new/", views.breach_new, name="breach_new"),
    path("breaches/<int:breach_id>/", views.breach, name="breach"),
    path("breaches/<int:breach_id>/records/", views.breach_matter_add, name="breach_matter_add"),
    path("breaches/<int:breach_id>/assess/", views.breach_assess, name="breach_assess"),
    path("breaches/<int:breach_id>/steps/", views.breach_note, name="breach_note"),
    path(
        "breaches/<int:breach_id>/commissioner/",
        views.breach_commissioner_notified,
        name="breach_commissioner_notified",
    ),
    path(
        "breaches/<int:breach_id>/people-told/",
        views.breach_subjects_notified,
        name="breach_subjects_notified",
    ),
    path("breaches/<int:breach_id>/close/", views.breach_close, name="breach_close"),
    path("breaches/<int:breach_id>/notice/<slug:to>/", views.breach_notice, name="breach_notice"),
    path("retention/", views.retention, name="retention"),
    path("retention/period/", views.retention_rule, name="retention_rule"),
    path("requests/", views.subject_requests, name="requests"),
    path("requests/new/", views.subject_request_new, name="request_new"),
    path("requests/find/", views.subject_find, name="subject_find"),
    path("requests/<int:request_id>/", views.subject_request, name="request"),
    path(
        "requests/<int:request_id>/identity/",
        views.subject_request_identity,
        name="request_identity",
    ),
    path("requests/<int:request_id>/decide/", views.subject_request_decide, name="request_decide"),
    path(
        "requests/<int:request_id>/correct/",
        views.subject_request_correct,
        name="request_correct",
    ),
    path(
        "requests/<int:request_id>/export.<slug:fmt>",
        views.subject_request_export,
        name="request_export",
    ),
    path("processing/", views.processing, name="processing"),
    path("processing/export.<slug:fmt>", views.processing_export, name="processing_export"),
    path("holds/", views.legal_holds, name="legal_holds"),
    path("holds/place/", views.legal_hold_place, name="legal_hold_place"),
    path("holds/<int:hold_id>/lift/", views.legal_hold_lift, name="legal_hold_lift"),
]
