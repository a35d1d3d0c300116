from __future__ import annotations

from django.urls import path

from kinga.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.outgoing, name="outgoing"),
    path("received/", views.inbox, name="inbox"),
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
    path("directory/", views.directory, name="directory"),
    path("directory/services/<uuid:service_id>/", views.service_detail, name="service_detail"),
    path("directory/manage/", views.manage, name="manage"),
    path(
        "directory/manage/organisations/<uuid:organization_id>/",
        views.organization_edit,
        name="organization_edit",
    ),
    path(
        "directory/manage/organisations/<uuid:organization_id>/services/new/",
        views.service_create,
        name="service_create",
    ),
    path(
        "directory/manage/organisations/<uuid:organization_id>/locations/new/",
        views.location_create,
        name="location_create",
    ),
    path("directory/manage/services/<uuid:service_id>/", views.service_edit, name="service_edit"),
    path(
        "directory/manage/services/<uuid:service_id>/hours/",
        views.service_hours,
        name="service_hours",
    ),
    path(
        "directory/manage/services/<uuid:service_id>/phones/",
        views.service_phone_add,
        name="service_phone_add",
    ),
    path(
        "directory/manage/phones/<uuid:phone_id>/remove/",
        views.phone_remove,
        name="phone_remove",
    ),
    path(
        "directory/manage/locations/<uuid:location_id>/", views.location_edit, name="location_edit"
    ),
]
