from __future__ import annotations

from django.urls import path

from kinga.justice import views

app_name = "justice"

urlpatterns = [
    path("", views.incident_list, name="incidents"),
    path("open/", views.incident_open, name="open"),
    path("calendar/", views.court_calendar, name="calendar"),
    path("<int:incident_id>/", views.incident_detail, name="incident"),
    path("<int:incident_id>/edit/", views.incident_edit, name="incident_edit"),
    path("<int:incident_id>/act/child/", views.link_case, name="link_case"),
    path("<int:incident_id>/act/event/", views.event_add, name="event_add"),
    path("<int:incident_id>/act/person/", views.person_add, name="person_add"),
    path("<int:incident_id>/act/lead/", views.lead_add, name="lead_add"),
    path("<int:incident_id>/act/officer/", views.officer_add, name="officer_add"),
    path("<int:incident_id>/act/task/", views.task_add, name="task_add"),
    path("<int:incident_id>/act/statement/", views.statement_add, name="statement_add"),
    path("<int:incident_id>/act/evidence/", views.evidence_add, name="evidence_add"),
    path("<int:incident_id>/act/age/", views.age_proof_add, name="age_proof_add"),
    path("<int:incident_id>/act/arrest/", views.arrest_add, name="arrest_add"),
    path("<int:incident_id>/act/file/", views.file_send, name="file_send"),
    path("<int:incident_id>/act/charge/", views.prosecution_open, name="prosecution_open"),
    path("officer/<int:officer_id>/remove/", views.officer_remove, name="officer_remove"),
    path("task/<int:task_id>/edit/", views.task_edit, name="task_edit"),
    path("task/<int:task_id>/done/", views.task_done, name="task_done"),
    path("evidence/<int:evidence_id>/custody/", views.custody_add, name="custody_add"),
    path("file/<int:submission_id>/decide/", views.charge_decide, name="charge_decide"),
    path("prosecution/<int:prosecution_id>/amend/", views.charge_sheet_amend, name="amend"),
    path("prosecution/<int:prosecution_id>/bail/", views.bail_add, name="bail_add"),
    path("prosecution/<int:prosecution_id>/date/", views.court_schedule, name="schedule"),
    path("prosecution/<int:prosecution_id>/child/", views.protection_add, name="protection"),
    path("prosecution/<int:prosecution_id>/appeal/", views.appeal_add, name="appeal_add"),
    path("prosecution/<int:prosecution_id>/withdraw/", views.prosecution_withdraw, name="withdraw"),
    path("count/<int:count_id>/plea/", views.plea_enter, name="plea"),
    path("count/<int:count_id>/outcome/", views.count_outcome, name="outcome"),
    path("count/<int:count_id>/sentence/", views.sentence_add, name="sentence"),
    path("court/<int:event_id>/held/", views.court_held, name="held"),
    path("court/<int:event_id>/adjourn/", views.court_adjourn, name="adjourn"),
]
