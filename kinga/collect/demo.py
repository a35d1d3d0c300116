"""Demo field collection: one volunteer of the Pwani Child Rights Network with a phone.

The phone's token is derived from the deployment's index key (only in the demo), so every
`kinga demo` prints the same URL to give ODK Collect, and only its keyed hash is stored.
A few of the demo's own submissions are not made: send some from Collect or the tests.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from kinga.accounts.models import Agency
from kinga.collect.models import DeviceToken, Volunteer
from kinga.collect.services import token_hash
from kinga.lib.crypto import keyed_hash
from kinga.places.models import County

DEMO_VOLUNTEER = "Mwanajuma Hamisi (demo)"


def demo_secret() -> str:
    """Return the demo phone's token: the same for every `kinga demo` of this deployment."""
    return keyed_hash("demo volunteer phone", purpose="collect-demo-token", length=40)


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    agency = Agency.objects.get(name="Pwani Child Rights Network")
    secret = demo_secret()
    token = DeviceToken.objects.filter(token_hash=token_hash(secret)).first()
    if token is None:
        volunteer = Volunteer.objects.create(
            name=DEMO_VOLUNTEER, agency=agency, county=County.objects.get(name="Mombasa")
        )
        DeviceToken.objects.create(
            volunteer=volunteer, token_hash=token_hash(secret), label="Demo phone"
        )
    url = settings.KINGA_BASE_URL.rstrip("/") + reverse("collect:server", args=[secret])
    out(f"    ODK Collect server URL of the demo volunteer: {url}")
