from __future__ import annotations

app_name = "justice"
urlpatterns: list[object] = []
