"""The public check of a training certificate's code, under /certificates/."""

from __future__ import annotations

from django.urls import path

from kinga.training import views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.certificate_verify, name="verify"),
]
