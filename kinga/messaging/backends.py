"""SMS backends: console (development), file (tests) and Africa's Talking (production).

`settings.KINGA_SMS_BACKEND` names one. A backend's `send` returns what the provider said;
it raises `TemporaryFailure` when trying again later may work.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone

from kinga.lib.phones import mask_phone

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """The provider could not take the message now; the task retries later."""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    state: str
    failure_reason: str = ""


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str, reference: str) -> SendResult: ...


class ConsoleBackend:
    """Print messages (number masked) instead of sending them."""

    def send(self, *, to: str, text: str, reference: str) -> SendResult:
        print(f"[sms to {mask_phone(to)}] {text}")  # noqa: T201
        return SendResult(provider_message_id=f"console-{reference}", state="Sent")


_file_lock = threading.Lock()


class FileBackend:
    """Append each message as a JSON line to outbox.jsonl under KINGA_SMS_FILE_DIR."""

    def send(self, *, to: str, text: str, reference: str) -> SendResult:
        folder = Path(settings.KINGA_SMS_FILE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": to, "text": text, "reference": reference, "at": timezone.now().isoformat()}
        )
        with _file_lock, (folder / "outbox.jsonl").open("a", encoding="utf-8") as stream:
            stream.write(line + "\n")
        return SendResult(provider_message_id=f"file-{reference}", state="Sent")


# Africa's Talking statusCode of each recipient: taken, or refused for good.
_AT_TAKEN = {100, 101, 102}
_AT_REFUSED = {403: "InvalidPhoneNumber", 404: "UnsupportedNumberType", 406: "UserInBlacklist"}


class AfricasTalkingBackend:
    """Send through the official `africastalking` SDK; the username `sandbox` uses the sandbox."""

    def __init__(self) -> None:
        import africastalking

        africastalking.initialize(settings.KINGA_AT_USERNAME, settings.KINGA_AT_API_KEY)
        self.sms: Any = africastalking.SMS

    def send(self, *, to: str, text: str, reference: str) -> SendResult:
        try:
            response = self.sms.send(text, [to], sender_id=settings.KINGA_AT_SENDER_ID or None)
        except Exception as error:  # the SDK raises plain Exceptions for HTTP errors
            raise TemporaryFailure(type(error).__name__) from None
        recipients = response.get("SMSMessageData", {}).get("Recipients", [])
        if not recipients:
            raise TemporaryFailure("no recipient in the provider's answer")
        first = recipients[0]
        code = int(first.get("statusCode", 0))
        if code in _AT_TAKEN:
            return SendResult(provider_message_id=str(first.get("messageId", "")), state="Sent")
        if code in _AT_REFUSED:
            return SendResult(
                provider_message_id=str(first.get("messageId", "")),
                state="Rejected",
                failure_reason=_AT_REFUSED[code],
            )
        raise TemporaryFailure(f"provider status {code}")


_BACKENDS: dict[str, type[ConsoleBackend] | type[FileBackend] | type[AfricasTalkingBackend]] = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "africastalking": AfricasTalkingBackend,
}


def get_backend() -> SmsBackend:
    """Return the backend that settings.KINGA_SMS_BACKEND names."""
    name = settings.KINGA_SMS_BACKEND
    if name not in _BACKENDS:
        raise ValueError(f"KINGA_SMS_BACKEND must be one of {sorted(_BACKENDS)}, not {name!r}")
    return _BACKENDS[name]()
