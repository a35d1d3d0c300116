from __future__ import annotations

from django.urls import path

from kinga.collect import views

app_name = "collect"

urlpatterns = [
    # ODK Collect is given /odk/key/<token>/ as its server: it adds formList and submission.
    path("odk/key/<str:token>/", views.form_list, name="server"),
    path("odk/key/<str:token>/formList", views.form_list, name="form_list"),
    path("odk/key/<str:token>/forms/<str:form_id>.xml", views.form_download, name="form"),
    path(
        "odk/key/<str:token>/forms/<str:form_id>/manifest",
        views.form_manifest,
        name="manifest",
    ),
    path("odk/key/<str:token>/submission", views.submission, name="submission"),
    path("collect/volunteers/", views.volunteers, name="volunteers"),
    path("collect/volunteers/<int:volunteer_id>/", views.volunteer, name="volunteer"),
    path("collect/volunteers/<int:volunteer_id>/token/", views.token_issue, name="token_issue"),
    path("collect/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path(
        "collect/volunteers/<int:volunteer_id>/deactivate/",
        views.volunteer_deactivate,
        name="volunteer_deactivate",
    ),
    path("collect/home-visits/", views.home_visits, name="home_visits"),
    path("collect/home-visits/<int:visit_id>/", views.home_visit, name="home_visit"),
    path("collect/quarantine/", views.quarantine, name="quarantine"),
    path(
        "collect/quarantine/<int:submission_id>/retry/",
        views.quarantine_retry,
        name="quarantine_retry",
    ),
]
