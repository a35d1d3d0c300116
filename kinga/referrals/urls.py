from __future__ import annotations

from django.urls import path

from kinga.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.outgoing, name="outgoing"),
    path("received/", views.inbox, name="inbox"),
    path("received/history/", views.history, name="history"),
    path("<int:referral_id>/", views.referral_detail, name="detail"),
    path("<int:referral_id>/act/accept/", views.referral_accept, name="accept"),
    path("<int:referral_id>/act/decline/", views.referral_decline, name="decline"),
    path("<int:referral_id>/act/start/", views.referral_start, name="start"),
    path("<int:referral_id>/act/complete/", views.referral_complete, name="complete"),
    path("<int:referral_id>/act/withdraw/", views.referral_withdraw, name="withdraw"),
    path("<int:referral_id>/act/attach/", views.referral_attach, name="attach"),
    # any other step: the referral's own audited 404
    path("<int:referral_id>/act/<slug:step>/", views.referral_step_unknown, name="act_unknown"),
    path("refer/", views.refer_start, name="refer_start"),
    path("refer/case/<int:case_id>/", views.refer_case, name="refer_case"),
    path("refer/report/<int:report_id>/", views.refer_report, name="refer_report"),
]
