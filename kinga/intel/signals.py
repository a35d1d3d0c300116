"""Ask the worker to refresh the graph when a record it is built from changes.

Each receiver only writes a task row (`kinga.intel.build.refresh_enqueue`) in the
transaction of the change, so the request does no graph work and a change that rolls back
asks for nothing. Reports are not watched here: the public channels store them with
prepared statements (no signals) on their hot path, so `intel.sweep` reads them instead.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from kinga.intel.build import MERGE, refresh_enqueue
from kinga.intel.models import Origin
from kinga.justice.models import Incident, IncidentChild, IncidentLead, PersonOfInterest
from kinga.matching.models import PersonMerge
from kinga.people.models import PersonIdentifier, PersonLink


def _incident(sender: Any, instance: Any, **kwargs: Any) -> None:
    refresh_enqueue(origin=Origin.INCIDENT, origin_id=instance.pk)


def _in_incident(sender: Any, instance: Any, **kwargs: Any) -> None:
    refresh_enqueue(origin=Origin.INCIDENT, origin_id=instance.incident_id)


def _of_person(sender: Any, instance: Any, **kwargs: Any) -> None:
    refresh_enqueue(origin=Origin.PERSON, origin_id=instance.person_id)


def _merge(sender: Any, instance: Any, **kwargs: Any) -> None:
    refresh_enqueue(origin=MERGE, origin_id=instance.pk)


def connect() -> None:
    """Connect the receivers (from `IntelConfig.ready`)."""
    post_save.connect(_incident, sender=Incident, dispatch_uid="intel.incident")
    for model in (PersonOfInterest, IncidentLead, IncidentChild):
        post_save.connect(_in_incident, sender=model, dispatch_uid=f"intel.save.{model.__name__}")
        post_delete.connect(
            _in_incident, sender=model, dispatch_uid=f"intel.delete.{model.__name__}"
        )
    for person_model in (PersonIdentifier, PersonLink):
        name = person_model.__name__
        post_save.connect(_of_person, sender=person_model, dispatch_uid=f"intel.save.{name}")
        post_delete.connect(_of_person, sender=person_model, dispatch_uid=f"intel.delete.{name}")
    post_save.connect(_merge, sender=PersonMerge, dispatch_uid="intel.merge")
