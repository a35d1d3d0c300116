"""Webhooks out: an integration is told when something it may see changes.

The change's own audit event is the outbox: it is written in the change's transaction, so
it exists exactly when the change committed. The worker's periodic fan-out
(`api.webhooks_fan_out`) reads the audit chain past its mark, decides for each change which
subscriptions' integrations may see the record (through the policy, as the integration's
principal, and with the read scope in force), and writes one `Delivery` and its task per
subscription in one transaction with the new mark. The task (`api.webhook_deliver`) posts
the event through the configured backend, signed, and records the attempt; a failure is
retried with back-off (`kinga.tasks.services.backoff`) up to `MAX_ATTEMPTS`, and each
attempt is in the delivery log.

A delivery names the record and its state (id, reference, status), never its content: the
receiver reads what it may through the API, which applies the policy again.

`hearing.set` follows the same outbox: justice audits a court date when it is set
(`court_event_schedule`) and when it is moved (`court_event_adjourn`, which names the next
date), and never knows the API exists. It is delivered to a subscriber whose integration's
agency may see the justice section of a case whose child is in the incident (a partner on
the team, through the role its person joined by), and says only what that agency may see:
the case's code, the date, the court and the kind of hearing; never the evidence, the
charges or the people of interest. The cases are decided again when the delivery is sent:
an agency that left the team in between is told nothing.

Signature: `Kinga-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
subscription's secret; the receiver recomputes it over the raw body and refuses a stale `t`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Max

from kinga.access import policy
from kinga.api.auth import principal_of
from kinga.api.models import (
    Delivery,
    DeliveryState,
    FanOutMark,
    Integration,
    Subscription,
    WebhookEvent,
)
from kinga.api.services import EVENT_READ_SCOPE
from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import audit_record
from kinga.cases.models import Case
from kinga.intake.models import Report
from kinga.justice.models import Adjournment, CourtEvent, IncidentChild
from kinga.referrals.models import OPEN_REFERRAL_STATUSES, Referral
from kinga.tasks.registry import periodic, task
from kinga.tasks.services import backoff, task_enqueue

log = logging.getLogger(__name__)

FAN_OUT = "api.webhooks_fan_out"
DELIVER = "api.webhook_deliver"
MAX_ATTEMPTS = 8
FAN_OUT_BATCH = 500
TIMEOUT_SECONDS = 10
REFERRAL = "referrals.referral"
REPORT = "intake.report"
# What justice's audit names a court date and an adjournment by (`justice.services._audit`).
COURT_EVENT = CourtEvent._meta.label_lower
ADJOURNMENT = Adjournment._meta.label_lower
WATCHED = [REFERRAL, REPORT, COURT_EVENT, ADJOURNMENT]
# The read scope an event's record needs: a subscription is never wider than the reads.
EVENT_SCOPE = EVENT_READ_SCOPE

Watched = Referral | Report | CourtEvent


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the Kinga-Signature header's value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


# Backends ------------------------------------------------------------------------------


class DeliveryError(Exception):
    """The receiver could not be reached; `code` says why, without any of its answer."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class WebhookBackend(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """Send the body; return the receiver's HTTP status, or raise DeliveryError."""
        ...


class FileBackend:
    """Append each delivery as a JSON line to `KINGA_WEBHOOK_FILE_DIR/webhooks.jsonl`."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        directory = Path(settings.KINGA_WEBHOOK_FILE_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"url": url, "headers": headers, "body": body.decode()})
        with (directory / "webhooks.jsonl").open("a", encoding="utf-8") as file:
            file.write(line + "\n")
        return 200


class ConsoleBackend:
    """Log each delivery's address and event (never its body)."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        log.info("webhook %s to %s", headers.get("Kinga-Event", ""), url)
        return 200


def _public_address(host: str) -> bool:
    """Return whether every address the host resolves to is a public one."""
    try:
        found = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    for *_rest, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global or address.is_multicast:
            return False
    return bool(found)


class HttpBackend:
    """POST over https to a public address, never following a redirect."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise DeliveryError("refused_scheme")
        if not _public_address(parts.hostname):
            raise DeliveryError("refused_address")
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  # https only, checked above
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except TimeoutError:
            raise DeliveryError("timeout") from None
        except (urllib.error.URLError, OSError):
            raise DeliveryError("unreachable") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_BACKENDS: dict[str, type[WebhookBackend]] = {
    "http": HttpBackend,
    "file": FileBackend,
    "console": ConsoleBackend,
}


def webhook_backend() -> WebhookBackend:
    """Return the backend settings.KINGA_WEBHOOK_BACKEND names."""
    name = settings.KINGA_WEBHOOK_BACKEND
    if name not in _BACKENDS:
        raise ValueError(f"KINGA_WEBHOOK_BACKEND must be one of {sorted(_BACKENDS)}, not {name!r}")
    return _BACKENDS[name]()


# Fan-out -------------------------------------------------------------------------------


def _event_of(action: str, record_type: str, detail: dict[str, Any]) -> str | None:
    if record_type in (COURT_EVENT, ADJOURNMENT) and action == AuditAction.CREATE:
        return WebhookEvent.HEARING_SET
    if record_type == REFERRAL:
        if action == AuditAction.CREATE:
            return WebhookEvent.REFERRAL_SENT
        if action == AuditAction.CHANGE and "status" in detail:
            return WebhookEvent.REFERRAL_CHANGED
    if record_type == REPORT and action == AuditAction.CHANGE and "decision" in detail:
        return WebhookEvent.REPORT_CHANGED
    return None


def cases_told_of(integration: Integration, hearing: CourtEvent) -> list[Case]:
    """Return the cases whose child is in the hearing's incident and whose justice section
    the integration's agency may see (a partner on the team), oldest first."""
    principal = principal_of(integration)
    children = IncidentChild.objects.filter(incident_id=hearing.incident_id).values("case_id")
    cases = Case.objects.filter(pk__in=children).order_by("pk")
    return [case for case in cases if policy.can(principal, "view", case, "justice")]


def _may_see(integration: Integration, event: str, record: Watched) -> bool:
    """Return whether the integration may be told of this record's change."""
    if not integration.is_active or EVENT_SCOPE[event] not in integration.scopes:
        return False
    if isinstance(record, CourtEvent):
        return bool(cases_told_of(integration, record))
    principal = principal_of(integration)
    if isinstance(record, Referral):
        if record.receiving_agency_id != integration.agency_id:
            return False
        if record.status in OPEN_REFERRAL_STATUSES:
            return policy.can(principal, "view", record, "referral")
        # closed: its history (reference and state) stays with the receiving agency
        return True
    return record.logged_by_id == integration.account_id and policy.can(
        principal, "view", record, "summary"
    )


def _subscribers(event: str, record: Watched) -> list[Subscription]:
    rows = Subscription.objects.filter(
        event=event, is_active=True, integration__is_active=True
    ).select_related("integration__account", "integration__agency")
    if isinstance(record, CourtEvent):
        pass  # any agency may be on the team: the policy decides, in `_may_see`
    elif isinstance(record, Referral):
        rows = rows.filter(integration__agency_id=record.receiving_agency_id)
    else:
        rows = rows.filter(integration__account_id=record.logged_by_id)
    return [sub for sub in rows if _may_see(sub.integration, event, record)]


def _record(record_type: str, record_id: str, detail: dict[str, Any]) -> Watched | None:
    """Return the record a change is about: a moved hearing is its next date."""
    if not record_id.isdigit():
        return None
    if record_type == REFERRAL:
        return Referral.objects.filter(pk=int(record_id)).first()
    if record_type == COURT_EVENT:
        return CourtEvent.objects.filter(pk=int(record_id)).first()
    if record_type == ADJOURNMENT:
        following = detail.get("next")
        if not isinstance(following, int):
            return None
        return CourtEvent.objects.filter(pk=following).first()
    return Report.objects.filter(pk=int(record_id)).first()


def _record_type(record: Watched) -> str:
    if isinstance(record, CourtEvent):
        return COURT_EVENT
    return REFERRAL if isinstance(record, Referral) else REPORT


@periodic(FAN_OUT, every=timedelta(seconds=30))
def webhooks_fan_out(payload: dict[str, Any], now: datetime) -> None:
    """Turn the changes audited since the last run into deliveries (safe to run twice:
    the mark moves in the same transaction, and a change is delivered once per
    subscription by a unique constraint)."""
    if not Subscription.objects.filter(is_active=True).exists():
        top = AuditEvent.objects.aggregate(top=Max("seq"))["top"] or 0
        FanOutMark.objects.update_or_create(pk=1, defaults={"last_seq": top})
        return
    mark, _created = FanOutMark.objects.select_for_update().get_or_create(pk=1)
    top = AuditEvent.objects.aggregate(top=Max("seq"))["top"] or 0
    changes = list(
        AuditEvent.objects.filter(
            seq__gt=mark.last_seq,
            seq__lte=top,
            record_type__in=WATCHED,
            action__in=[AuditAction.CREATE, AuditAction.CHANGE],
        )
        .order_by("seq")
        .values_list("seq", "action", "record_type", "record_id", "detail")[:FAN_OUT_BATCH]
    )
    for seq, action, record_type, record_id, detail in changes:
        event = _event_of(action, record_type, detail or {})
        record = _record(record_type, record_id, detail or {}) if event else None
        if event is None or record is None:
            continue
        for subscription in _subscribers(event, record):
            if Delivery.objects.filter(subscription=subscription, audit_seq=seq).exists():
                continue
            delivery = Delivery.objects.create(
                subscription=subscription,
                event=event,
                record_type=_record_type(record),
                record_id=record.pk,
                audit_seq=seq,
                created_at=now,
                next_attempt_at=now,
            )
            task_enqueue(name=DELIVER, payload={"delivery": delivery.pk}, run_after=now)
    mark.last_seq = changes[-1][0] if len(changes) == FAN_OUT_BATCH else top
    mark.save(update_fields=["last_seq"])


# Delivery ------------------------------------------------------------------------------


def hearing_data(integration: Integration, hearing: CourtEvent) -> dict[str, Any] | None:
    """Return what a hearing.set delivery says, as the integration's agency may know it:
    the hearing's date, court and kind, and the codes of the cases on whose team the agency
    is; None when it is on none of them now."""
    if not integration.is_active or EVENT_SCOPE[WebhookEvent.HEARING_SET] not in integration.scopes:
        return None
    cases = cases_told_of(integration, hearing)
    if not cases:
        return None
    previous = hearing.previous
    return {
        "hearing": {
            "id": hearing.pk,
            "when": hearing.scheduled_for.isoformat(),
            "court": hearing.prosecution.court,
            "courtroom": hearing.courtroom,
            "kind": hearing.kind,
            "state": hearing.state,
            "child_attends": hearing.child_attends,
            "moved_from": previous.scheduled_for.isoformat() if previous is not None else None,
        },
        "cases": [
            {"id": case.pk, "code": case.code, "url": f"/api/v1/cases/{case.pk}/court-dates/"}
            for case in cases
        ],
    }


def delivery_body(delivery: Delivery) -> dict[str, Any] | None:
    """Return what a delivery says: the event and the record's id, reference and state;
    None when the subscriber may no longer be told (a hearing of a case its agency left)."""
    data: dict[str, Any]
    if delivery.record_type == COURT_EVENT:
        hearing = (
            CourtEvent.objects.select_related("prosecution", "previous")
            .filter(pk=delivery.record_id)
            .first()
        )
        told = (
            hearing_data(delivery.subscription.integration, hearing)
            if hearing is not None
            else None
        )
        if told is None:
            return None
        data = told
    elif delivery.record_type == REFERRAL:
        referral = Referral.objects.get(pk=delivery.record_id)
        data = {
            "referral": {
                "id": referral.pk,
                "reference": referral.reference,
                "status": referral.status,
                "url": f"/api/v1/referrals/{referral.pk}/",
            }
        }
    else:
        report = Report.objects.get(pk=delivery.record_id)
        data = {
            "report": {
                "id": report.pk,
                "reference": report.reference,
                "status": report.status,
                "decision": report.decision,
                "url": f"/api/v1/reports/{report.pk}/",
            }
        }
    return {
        "id": delivery.pk,
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": data,
    }


@task(DELIVER)
def webhook_deliver(payload: dict[str, Any], now: datetime) -> None:
    """Post one delivery, signed; record the attempt; schedule the next one on failure."""
    delivery_id = payload.get("delivery")
    if not isinstance(delivery_id, int):
        return
    delivery = (
        Delivery.objects.select_for_update()
        .select_related("subscription__integration__account")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return  # done already (a retry of a task that did its work)
    subscription = delivery.subscription
    integration = subscription.integration
    if not subscription.is_active or not integration.is_active:
        delivery.state = DeliveryState.FAILED
        delivery.last_error = "subscription_ended"
        delivery.next_attempt_at = None
        delivery.save(update_fields=["state", "last_error", "next_attempt_at"])
        return
    said = delivery_body(delivery)
    if said is None:
        delivery.state = DeliveryState.FAILED
        delivery.last_error = "no_longer_visible"
        delivery.next_attempt_at = None
        delivery.save(update_fields=["state", "last_error", "next_attempt_at"])
        return
    body = json.dumps(said, separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Kinga-Webhooks/1",
        "Kinga-Event": delivery.event,
        "Kinga-Delivery": str(delivery.pk),
        "Kinga-Signature": sign(subscription.secret, timestamp, body),
    }
    status: int | None = None
    error = ""
    try:
        status = webhook_backend().post(subscription.url, body, headers)
    except DeliveryError as refused:
        error = refused.code
    delivery.attempts += 1
    delivery.last_status_code = status
    delivered = status is not None and 200 <= status < 300
    if delivered:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
        delivery.next_attempt_at = None
    else:
        delivery.last_error = error or f"http_{status}"
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            task_enqueue(
                name=DELIVER, payload={"delivery": delivery.pk}, run_after=delivery.next_attempt_at
            )
    delivery.save(
        update_fields=[
            "state",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
        ]
    )
    audit_record(
        action=AuditAction.EXPORT,
        actor=integration.account,
        record_type=delivery.record_type,
        record_id=delivery.record_id,
        fields=["id", "reference", "status"],
        detail={
            "webhook": delivery.pk,
            "subscription": subscription.pk,
            "event": delivery.event,
            "answer": status,
            "code": delivery.last_error or "delivered",
        },
    )
