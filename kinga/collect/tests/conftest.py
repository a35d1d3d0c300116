from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kinga.collect import services
from kinga.collect.encryption import new_private_key_pem
from kinga.collect.models import Volunteer
from kinga.collect.tests.odk import Collect

FIELD_REPORT = {
    "started": "2026-12-03T09:15:02.000+03:00",
    "finished": "2026-12-03T09:21:40.000+03:00",
    "categories": "sexual_exploitation online",
    "danger_now": "no",
    "county": "1",
    "place_detail": "The guest house behind the fish market",
    "children_count": "2",
    "age_bands": "12-14 15-17",
    "online_platform": "whatsapp",
    "online_handle": "group Pwani Nights",
    "reporter_relation": "neighbour",
    "narrative": "Two girls taken to the guest house by a man on a motorbike at night.",
}


@pytest.fixture(scope="session")
def collect_key_pem() -> str:
    return new_private_key_pem()


@pytest.fixture(autouse=True)
def _collect_key(settings: Any, collect_key_pem: str) -> None:
    # each test holds the test key, never the developer's key under var/
    settings.KINGA_COLLECT_KEYS = collect_key_pem


@pytest.fixture
def volunteer(personas: Any) -> Volunteer:
    return services.volunteer_add(actor=None, name="Mama Amina Said", agency=personas.ngo)


@pytest.fixture
def phone(volunteer: Volunteer) -> tuple[Collect, str]:
    """Return a phone set up with the volunteer's token URL, and the token."""
    _token, secret = services.token_issue(actor=None, volunteer=volunteer, label="Tecno")
    return Collect(Client(), f"http://testserver/odk/key/{secret}/"), secret


@pytest.fixture
def running_campaign(personas: Any) -> Any:
    """A campaign running now: the awareness-event form lists it (and is published)."""
    import datetime as dt

    from django.utils import timezone

    from kinga.awareness.services import campaign_create

    return campaign_create(
        actor=personas.trainer,
        name="Linda Mtoto Pwani",
        message="Ukiona kitu, sema: piga 116.",
        languages=["sw"],
        channels=["baraza"],
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        ends_on=None,
        reporting_code="PWANI24",
    )
