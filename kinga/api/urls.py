from __future__ import annotations

from django.urls import path

from kinga.api import views

app_name = "api"

urlpatterns = [
    path("", views.integration_list, name="integrations"),
    path("new/", views.integration_new, name="integration_new"),
    path("<int:integration_id>/", views.integration_detail, name="integration"),
    path("<int:integration_id>/approve/", views.scopes_approve, name="scopes_approve"),
    path("<int:integration_id>/stop/", views.integration_stop, name="integration_stop"),
    path("<int:integration_id>/tokens/", views.token_new, name="token_new"),
    path("tokens/<int:token_id>/rotate/", views.token_rotate, name="token_rotate"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
