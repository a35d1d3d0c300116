"""The default fallback chain of danger alerts, and a first call for every helpline report.

The chain (an administrator changes it in the admin, "Alert chain"):
10. the on-call investigators, caseworkers and supervisors of the report's county;
20. the caseworkers and supervisors of the county's children's services;
30. the helpline desk (every helpline operator);
40. every supervisor of the programme.
Each step waits 15 minutes for an acknowledgement (the helpline desk, which is staffed
round the clock, 10) before the alert goes up to the next.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

DEFAULT_CHAIN = [
    # order, agency kind ("" = any), roles, scope, on call only, minutes to wait
    (10, "", ["investigator", "caseworker", "supervisor"], "county", True, 15),
    (20, "childrens_services", ["caseworker", "supervisor"], "county", False, 15),
    (30, "helpline", ["helpline"], "programme", False, 10),
    (40, "", ["supervisor"], "programme", False, 15),
]


def chain_load(apps: Any, schema_editor: Any) -> None:
    """Add the default chain, unless an administrator already made one."""
    step = apps.get_model("intake", "AlertStep")
    if step.objects.exists():
        return
    step.objects.bulk_create(
        [
            step(
                order=order,
                agency_kind=kind,
                roles=roles,
                scope=scope,
                on_call_only=on_call_only,
                wait_minutes=wait,
            )
            for order, kind, roles, scope, on_call_only, wait in DEFAULT_CHAIN
        ]
    )


def first_calls(apps: Any, schema_editor: Any) -> None:
    """Give every helpline report logged before call records existed its first call."""
    report = apps.get_model("intake", "Report")
    call = apps.get_model("intake", "HelplineCall")
    logged = report.objects.filter(channel="helpline", logged_by__isnull=False, calls=None)
    call.objects.bulk_create(
        [
            call(
                report_id=row.pk,
                operator_id=row.logged_by_id,
                started_at=row.received_at,
                caller_relation=row.reporter_relation,
                language="en" if row.language == "en" else "sw",
                outcome="reported",
            )
            for row in logged.only("pk", "logged_by_id", "received_at", "reporter_relation", "language")
        ],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [("intake", "0004_alert_chain_and_helpline_calls")]

    operations = [
        migrations.RunPython(chain_load, migrations.RunPython.noop),
        migrations.RunPython(first_calls, migrations.RunPython.noop),
    ]
