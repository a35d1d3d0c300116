"""Fixtures of intake tests: the gateway's callback, agencies of the coast, the SMS outbox."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from kinga.accounts.models import AgencyKind, Role
from kinga.intake.forms import _coast_choices
from kinga.intake.services import triage_agencies_forget
from kinga.intake.ussd import coast

KEY = "test-callback-key"


@pytest.fixture(autouse=True)
def _channel_settings(settings: Any, tmp_path: Path) -> None:
    settings.KINGA_AT_CALLBACK_KEY = KEY
    settings.KINGA_AT_ALLOWED_IPS = []
    settings.KINGA_SMS_BACKEND = "file"
    settings.KINGA_SMS_FILE_DIR = str(tmp_path / "sms")
    settings.KINGA_REPORT_RATE_LIMIT = "1000/3600"
    settings.KINGA_FOLLOW_UP_RATE_LIMIT = "1000/3600"
    coast.cache_clear()
    _coast_choices.cache_clear()
    # each test's agencies go with its transaction; a cached list must not outlive them
    triage_agencies_forget()


@pytest.fixture
def outbox(settings: Any) -> Callable[[], list[dict[str, Any]]]:
    def read() -> list[dict[str, Any]]:
        path = Path(settings.KINGA_SMS_FILE_DIR) / "outbox.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    return read


@pytest.fixture
def gateway(db: None) -> Callable[..., Any]:
    """Return a function that posts a form to a channel URL with the key, as the gateway does."""
    client = Client()

    def post(path: str, data: dict[str, str], key: str = KEY) -> Any:
        return client.post(f"/channels/africastalking/{path}?key={key}", data)

    return post


@pytest.fixture
def ussd(gateway: Callable[..., Any]) -> Callable[..., Any]:
    def step(text: str, session: str = "ATUid_1", phone: str = "+254712345678") -> str:
        response = gateway(
            "ussd/",
            {
                "sessionId": session,
                "serviceCode": "*384*123#",
                "phoneNumber": phone,
                "networkCode": "63902",
                "text": text,
            },
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        body = response.content.decode()
        assert body.startswith(("CON ", "END ")), body
        assert len(body) <= 182, (len(body), body)
        assert body.isascii(), body
        return body

    return step


@pytest.fixture
def coast_agencies(personas: Any) -> Any:
    """Add children's services in Kilifi and an on-call investigator in Mombasa."""
    from conftest import make_agency, make_user

    kilifi = make_agency("Children's Services Kilifi", AgencyKind.CHILDRENS_SERVICES, "Kilifi")
    personas.kilifi_officer = make_user("kahindi_kilifi", kilifi, Role.CASEWORKER)
    personas.investigator.on_call = True
    personas.investigator.phone = "+254722000111"
    personas.investigator.save(update_fields=["on_call", "phone"])
    personas.caseworker.on_call = True
    personas.caseworker.phone = "0733000222"
    personas.caseworker.save(update_fields=["on_call", "phone"])
    return personas


def run_worker() -> str:
    """Run `kinga worker --once` (what the demo's worker does every second); return its words."""
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue()


def alert_chain_ensure() -> None:
    """Reload the default alert chain if a transactional test's flush emptied it."""
    import importlib

    from django.apps import apps

    loader = importlib.import_module("kinga.intake.migrations.0005_default_alert_chain")
    loader.chain_load(apps, None)
