"""Joint training's pages, under /training/."""

from __future__ import annotations

from django.urls import path

from kinga.training import views

app_name = "training"

urlpatterns = [
    path("", views.sessions, name="sessions"),
    path("courses/", views.courses, name="courses"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/agencies/<int:agency_id>/", views.coverage_agency, name="coverage_agency"),
    path("courses/new/", views.course_new, name="course_new"),
    path("courses/<int:course_id>/", views.course, name="course"),
    path("courses/<int:course_id>/edit/", views.course_edit, name="course_edit"),
    path("courses/<int:course_id>/questions/", views.question_add, name="question_add"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:session_id>/", views.session, name="session"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path(
        "sessions/<int:session_id>/participants/new/",
        views.participant_add,
        name="participant_add",
    ),
    path("sessions/<int:session_id>/import/", views.import_upload, name="import_upload"),
    path("imports/<int:batch_id>/", views.import_preview, name="import_preview"),
    path(
        "participants/<int:participant_id>/",
        views.participant_record,
        name="participant_record",
    ),
    path(
        "participants/<int:participant_id>/certificate/",
        views.certificate_issue,
        name="certificate_issue",
    ),
    path(
        "certificates/<int:certificate_id>/certificate.pdf",
        views.certificate_pdf,
        name="certificate_pdf",
    ),
    path(
        "certificates/<int:certificate_id>/revoke/",
        views.certificate_revoke,
        name="certificate_revoke",
    ),
]
