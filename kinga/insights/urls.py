from __future__ import annotations

from django.urls import path

from kinga.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.index, name="index"),
    path("funnel/", views.funnel, name="funnel"),
    path("reporting/", views.reporting, name="reporting"),
    path("referrals/", views.referrals, name="referrals"),
    path("map/", views.hotspots, name="map"),
    path("survivors/", views.survivors, name="survivors"),
    path("response/", views.response, name="response"),
    path("justice/", views.justice, name="justice"),
    path("report/", views.monthly_report_page, name="report"),
    path("report/pdf", views.monthly_report, name="report_pdf"),
    path(
        "report/<str:month>/<slug:language>.pdf",
        views.monthly_report_stored,
        name="report_stored",
    ),
    path("export/", views.export_list, name="export"),
    path("export/prepare/<slug:kind>", views.export_prepare, name="export_prepare"),
    path("export/<int:pk>/download", views.export_download, name="export_download"),
    path("export/<slug:figure>.<slug:fmt>", views.export_figure, name="export_figure"),
]
