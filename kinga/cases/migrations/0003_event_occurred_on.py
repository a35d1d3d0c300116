"""Timeline events carry the day they happened; existing events get it from their record."""

from __future__ import annotations

from typing import Any

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# The events that record something dated by its record, with the field that dates it and
# the start of the (English) summary of the event that created it.
DATED = {
    "cases.assessment": ("assessed_on", ""),
    "cases.consent": ("given_on", "Consent recorded"),
    "cases.interview": ("held_on", "Interview held"),
    "cases.counsellingsession": ("held_on", ""),
    "cases.wellbeingmeasure": ("measured_on", ""),
    "cases.safetyevent": ("occurred_on", ""),
    "cases.reintegrationstep": ("recorded_on", ""),
    "cases.followup": ("held_on", ""),
}


def date_existing_events(apps: Any, schema_editor: Any) -> None:
    """Give each event the day it was entered, or the day its record says it happened."""
    event_model = apps.get_model("cases", "CaseEvent")
    for event in event_model.objects.only("pk", "created_at", "record_type", "record_id", "summary"):
        day = timezone.localdate(event.created_at)
        dated = DATED.get(event.record_type)
        if dated is not None and event.record_id is not None and event.summary.startswith(dated[1]):
            model = apps.get_model(*event.record_type.split("."))
            found = model.objects.filter(pk=event.record_id).values_list(dated[0], flat=True).first()
            day = found or day
        event_model.objects.filter(pk=event.pk).update(occurred_on=day)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_event_params"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="caseevent",
            name="cases_event_case",
        ),
        migrations.AddField(
            model_name="caseevent",
            name="occurred_on",
            field=models.DateField(
                default=django.utils.timezone.localdate, verbose_name="happened on"
            ),
        ),
        migrations.RunPython(date_existing_events, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="caseevent",
            index=models.Index(
                fields=["case", "event_section", "occurred_on", "created_at"],
                name="cases_event_timeline",
            ),
        ),
    ]
