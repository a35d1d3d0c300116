from __future__ import annotations

from django.urls import path

from kinga.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("my-work/", views.my_work, name="my_work"),
    path("new/", views.case_new, name="new"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/print/", views.case_print, name="print"),
    path("<int:case_id>/add/<slug:kind>/", views.case_add, name="add"),
    path("<int:case_id>/act/<slug:action>/", views.case_act, name="act"),
]
