from __future__ import annotations

from django.urls import path

from kinga.intake import views

app_name = "intake"

urlpatterns = [
    path("report/", views.report_form, name="report"),
    path("report/follow-up/", views.follow_up, name="follow_up"),
    path("channels/africastalking/ussd/", views.ussd, name="ussd"),
    path("channels/africastalking/ussd/events/", views.ussd_events, name="ussd_events"),
    path("channels/africastalking/sms/incoming/", views.sms_incoming, name="sms_incoming"),
    path("channels/africastalking/sms/delivery/", views.sms_delivery, name="sms_delivery"),
    path("intake/helpline/", views.helpline_new, name="helpline_new"),
    path("intake/helpline/mine/", views.helpline_mine, name="helpline_mine"),
    path("intake/helpline/calls/<int:call_id>/", views.helpline_call, name="helpline_call"),
    path(
        "intake/helpline/calls/<int:call_id>/follow-up/",
        views.helpline_follow_up,
        name="helpline_follow_up",
    ),
    path("intake/triage/", views.triage, name="triage"),
    path("intake/triage/<int:report_id>/", views.triage_report, name="triage_report"),
    path("intake/triage/<int:report_id>/signals/", views.triage_signal, name="triage_signal"),
    path("intake/triage/signals/", views.triage_signal_measures, name="signal_measures"),
    path("intake/alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("intake/alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_ack"),
]
