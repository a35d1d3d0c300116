"""The audit's request middleware: the request's id and address for every event, and refusals
that outlive a rolled-back transaction."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kinga.audit.context import RequestContext, client_address, current, pending_refusals
from kinga.audit.services import audit_refusals_settle


def audit_context(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Make the request id and client address available to every audit write, and keep
    every refusal: one written inside a transaction that then rolled back is written again
    once the view is done, so probing a record through a service leaves its trace too."""

    def middleware(request: HttpRequest) -> HttpResponse:
        token = current.set(
            RequestContext(
                request_id=getattr(request, "request_id", ""),
                address=client_address(request),
            )
        )
        refusals = pending_refusals.set([])
        try:
            return get_response(request)
        finally:
            try:
                audit_refusals_settle()
            finally:
                pending_refusals.reset(refusals)
                current.reset(token)

    return middleware
