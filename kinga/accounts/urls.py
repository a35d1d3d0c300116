from __future__ import annotations

from django.urls import path

from kinga.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/backup-codes/", views.backup_codes, name="backup_codes"),
    path("resume/", views.resume, name="resume"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("access-changes/", views.access_changes, name="access_changes"),
    path(
        "access-changes/<int:pk>/approve/",
        views.access_change_approve,
        name="access_change_approve",
    ),
    path(
        "access-changes/<int:pk>/refuse/", views.access_change_refuse, name="access_change_refuse"
    ),
]
