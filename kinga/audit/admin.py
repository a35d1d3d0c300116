"""The administrator's view of the audit log: metadata only, read-only.

An administrator holds no case role, so the view shows who did what to which record and
when, never what an event keeps about why: not the reason (encrypted free text), not the
values of `detail` (only their names), not the hashed search terms.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast, Length
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kinga.audit.models import AuditEvent

METADATA: tuple[str, ...] = (
    "seq",
    "at",
    "actor",
    "actor_label",
    "agency_id_at_time",
    "action",
    "record_type",
    "record_id",
    "matter_type",
    "matter_id",
    "fields",
    "detail_names",
    "reason_recorded",
    "request_id",
    "address",
    "key_id",
    "prev_hash",
    "hash",
)


class MatterTypeFilter(admin.SimpleListFilter):
    """The matter types in the log, with events about no matter named (Django's own filter
    of all values shows that blank value as a link with no words)."""

    title = _("matter type")
    parameter_name = "matter_type"
    NONE = "-"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        types = (
            AuditEvent.objects.exclude(matter_type="")
            .order_by("matter_type")
            .values_list("matter_type", flat=True)
            .distinct()
        )
        return [(self.NONE, str(_("no matter"))), *((kind, kind) for kind in types)]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent]
    ) -> QuerySet[AuditEvent]:
        value = self.value()
        if value == self.NONE:
            return queryset.filter(matter_type="")
        if value:
            return queryset.filter(matter_type=value)
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: the application never edits or deletes an audit event."""

    list_display = ["seq", "at", "actor_label", "action", "record_type", "record_id", "address"]
    list_filter = ["action", "record_type", MatterTypeFilter, "at"]
    search_fields = ["actor_label", "record_id", "request_id"]
    date_hierarchy = "at"
    ordering = ["-seq"]
    fields = METADATA
    readonly_fields = METADATA

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        # Never load (or decrypt) the reason here: only whether there is one.
        return (
            super()
            .get_queryset(request)
            .defer("reason")
            .annotate(reason_length=Length(Cast("reason", TextField())))
        )

    @admin.display(description=_("detail (names only)"))
    def detail_names(self, event: AuditEvent) -> str:
        return ", ".join(sorted(event.detail)) if isinstance(event.detail, dict) else ""

    @admin.display(description=_("reason recorded"), boolean=True)
    def reason_recorded(self, event: AuditEvent) -> bool:
        return bool(getattr(event, "reason_length", 0))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
