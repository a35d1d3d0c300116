"""Where the current request's id and address live while it is served."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    address: str | None = None


# RequestContext is a frozen dataclass, so sharing the default instance is safe.
current: ContextVar[RequestContext] = ContextVar(
    "kinga_audit_request",
    default=RequestContext(),  # noqa: B039
)


def client_address(request: HttpRequest) -> str | None:
    """Return the client's address as the web server saw it.

    REMOTE_ADDR is trusted only as set by the WSGI server; a reverse proxy must set it
    (gunicorn's --forwarded-allow-ips), so a client cannot forge its address in a header.
    """
    address = request.META.get("REMOTE_ADDR") or None
    return str(address) if address else None


def audit_context(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Make the request id and client address available to every audit write."""

    def middleware(request: HttpRequest) -> HttpResponse:
        token = current.set(
            RequestContext(
                request_id=getattr(request, "request_id", ""),
                address=client_address(request),
            )
        )
        try:
            return get_response(request)
        finally:
            current.reset(token)

    return middleware
