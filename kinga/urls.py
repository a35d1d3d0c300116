"""Kinga's URLs. Each app adds its own include here."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from kinga.accounts import views as account_views

admin.site.site_header = "Kinga"
admin.site.site_title = "Kinga"

urlpatterns = [
    # First: the public channels (a USSD screen, the report form) are most of the requests,
    # and no other pattern overlaps theirs.
    path("", include("kinga.intake.urls")),
    path("", account_views.home, name="home"),
    path("accounts/", include("kinga.accounts.urls")),
    path("access/", include("kinga.access.urls")),
    path("notifications/", include("kinga.notifications.urls")),
    path("cases/", include("kinga.cases.urls")),
    path("directory/", include("kinga.directory.urls")),
    # The directory's pages were under /referrals/directory/ before it became its own app.
    re_path(
        r"^referrals/directory/(?P<rest>.*)$",
        RedirectView.as_view(url="/directory/%(rest)s", permanent=True, query_string=True),
    ),
    path("referrals/", include("kinga.referrals.urls")),
    path("justice/", include("kinga.justice.urls")),
    path("data-protection/", include("kinga.dataprotection.urls")),
    path("insights/", include("kinga.insights.urls")),
    path("matching/", include("kinga.matching.urls")),
    path("intel/", include("kinga.intel.urls")),
    path("api/hsds/", include("kinga.directory.api_urls")),
    path("training/", include("kinga.training.urls")),
    path("certificates/", include("kinga.training.public_urls")),
    path("awareness/", include("kinga.awareness.urls")),
    # ODK Collect's OpenRosa server (/odk/key/<token>/...) and the supervisors' pages.
    path("", include("kinga.collect.urls")),
    path("api/v1/", include("kinga.api.api_urls")),
    path("integrations/", include("kinga.api.urls")),
    # The language switch also keeps a signed-in user's choice (their messages' language).
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    # The admin signs in through Kinga's own pages, with lockout and two-factor.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
]
