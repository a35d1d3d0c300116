"""Cap agency grants by the role they came through; encrypt break-glass reasons and notes.

Existing agency_on_team grants take the roles of their agency's members on the team (a
grant per role); a transfer's grant takes the caseworker's; one whose role cannot be told
is revoked and named "unknown", which the policy caps at nothing. Break-glass reasons and
review notes are read in clear before their fields change and written back encrypted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

import kinga.lib.fields

# The roles with a team_member row in the policy table when this migration was written
# (a migration keeps its own copy: the table may change later).
TEAM_ROLES = ["caseworker", "counsellor", "supervisor", "investigator", "prosecutor"]

_reasons: dict[int, tuple[str, str]] = {}


def read_reasons(apps: Any, schema_editor: Any) -> None:
    grant_model = apps.get_model("access", "BreakGlassGrant")
    for pk, reason, note in grant_model.objects.values_list("pk", "reason", "review_note"):
        _reasons[pk] = (reason or "", note or "")


def write_reasons(apps: Any, schema_editor: Any) -> None:
    grant_model = apps.get_model("access", "BreakGlassGrant")
    for pk, (reason, note) in _reasons.items():
        grant_model.objects.filter(pk=pk).update(reason=reason, review_note=note)
    _reasons.clear()


def roles_for_agency_grants(apps: Any, schema_editor: Any) -> None:
    grant_model = apps.get_model("access", "AccessGrant")
    assignment_model = apps.get_model("accounts", "RoleAssignment")
    for grant in grant_model.objects.filter(relation="agency_on_team", via_role=""):
        if grant.source_type == "cases.transfer":
            roles = ["caseworker"]
        else:
            members = grant_model.objects.filter(
                matter_type=grant.matter_type,
                matter_id=grant.matter_id,
                relation="team_member",
                user__agency_id=grant.agency_id,
                revoked_at__isnull=True,
            ).values("user_id")
            held = set(
                assignment_model.objects.filter(user_id__in=members).values_list("role", flat=True)
            )
            roles = [role for role in TEAM_ROLES if role in held]
        if not roles:
            grant.via_role = "unknown"
            grant.revoked_at = grant.revoked_at or timezone.now()
            grant.save(update_fields=["via_role", "revoked_at"])
            continue
        grant.via_role = roles[0]
        grant.save(update_fields=["via_role"])
        for role in roles[1:]:
            grant.pk = None
            grant.via_role = role
            grant.save()


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0002_covering_grant_indexes"),
        ("accounts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(read_reasons, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="breakglassgrant",
            name="reason",
            field=kinga.lib.fields.EncryptedTextField(verbose_name="reason"),
        ),
        migrations.AlterField(
            model_name="breakglassgrant",
            name="review_note",
            field=kinga.lib.fields.EncryptedTextField(blank=True, verbose_name="review note"),
        ),
        migrations.RunPython(write_reasons, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="accessgrant",
            name="access_agency_live",
        ),
        migrations.AddField(
            model_name="accessgrant",
            name="via_role",
            field=models.CharField(blank=True, max_length=32, verbose_name="through the role"),
        ),
        migrations.RunPython(roles_for_agency_grants, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="accessgrant",
            index=models.Index(
                fields=[
                    "agency",
                    "matter_type",
                    "relation",
                    "matter_id",
                    "revoked_at",
                    "starts_at",
                    "ends_at",
                    "via_role",
                ],
                name="access_agency_live",
            ),
        ),
        migrations.AddConstraint(
            model_name="accessgrant",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("relation", "agency_on_team"), _negated=True),
                    models.Q(("via_role", ""), _negated=True),
                    _connector="OR",
                ),
                name="access_grant_agency_on_team_has_role",
            ),
        ),
    ]
