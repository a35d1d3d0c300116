"""Where the current request's id and address live while it is served."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    address: str | None = None


# RequestContext is a frozen dataclass, so sharing the default instance is safe.
current: ContextVar[RequestContext] = ContextVar(
    "kinga_audit_request",
    default=RequestContext(),  # noqa: B039
)


# Refusals written inside a transaction that may yet roll back (a service that refuses
# halfway raises, and its transaction takes the refusal's event with it). The request's
# middleware holds a list here; `audit_record` notes each such refusal in it, and
# `kinga.audit.middleware` writes again, after the view, any that did not survive.
pending_refusals: ContextVar[list[tuple[str, dict[str, object]]] | None] = ContextVar(
    "kinga_audit_pending_refusals", default=None
)


def client_address(request: HttpRequest) -> str | None:
    """Return the client's address as the web server saw it.

    REMOTE_ADDR is trusted only as set by the WSGI server; a reverse proxy must set it
    (gunicorn's --forwarded-allow-ips), so a client cannot forge its address in a header.
    """
    address = request.META.get("REMOTE_ADDR") or None
    return str(address) if address else None
