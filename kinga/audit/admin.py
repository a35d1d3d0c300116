from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kinga.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: the application never edits or deletes an audit event."""

    list_display = ["seq", "at", "actor_label", "action", "record_type", "record_id", "address"]
    list_filter = ["action", "record_type", "matter_type", "at"]
    search_fields = ["actor_label", "record_id", "request_id"]
    date_hierarchy = "at"
    ordering = ["-seq"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
