from __future__ import annotations

from django.urls import path

from kinga.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.outgoing, name="outgoing"),
    path("received/", views.inbox, name="inbox"),
    path("<int:referral_id>/", views.referral_detail, name="detail"),
    path("<int:referral_id>/act/<slug:action>/", views.referral_act, name="act"),
    path("refer/", views.refer_start, name="refer_start"),
    path("refer/case/<int:case_id>/", views.refer_case, name="refer_case"),
    path("refer/report/<int:report_id>/", views.refer_report, name="refer_report"),
]
