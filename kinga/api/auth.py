"""Who is calling: a bearer token, its integration, and the rate it may call at.

A call presents `Authorization: Bearer kinga_...`. The token is looked up by its keyed
hash; a revoked or expired token, or one of a stopped integration, is refused at once
(the next call after revocation), and the refusal is audited. Each token has its own
fixed-window limit (`Integration.rate_per_minute`), counted in the shared `kinga_ratelimit`
table so every web worker counts together; a call without a usable token is limited by
its address. Every answer carries the limit headers (`RateLimit-Limit`,
`RateLimit-Remaining`, `RateLimit-Reset`; `Retry-After` when refused).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from kinga.access.policy import INTEGRATION
from kinga.accounts.models import User
from kinga.api.models import Integration, Scope, Token
from kinga.api.problems import Problem
from kinga.api.selectors import token_by_secret
from kinga.audit.context import client_address
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.lib import ratelimit

WINDOW_SECONDS = 60
# Calls without a usable token, per address and minute: enough for a typo, not for guessing.
ANONYMOUS_PER_MINUTE = 30


@dataclass(frozen=True)
class Caller:
    """The integration calling, through which token, as which principal."""

    integration: Integration
    token: Token
    principal: User
    scopes: frozenset[str]


def principal_of(integration: Integration) -> User:
    """Return the integration's system account, as the policy sees it for this call.

    The account holds no role assignment; for the call it holds the policy's `integration`
    role and nothing else (`User.role_set` reads this cache first).
    """
    account = integration.account
    account._role_cache = frozenset({INTEGRATION})
    return account


def _rate_headers(limit: int, used: int, now: float) -> dict[str, str]:
    reset = WINDOW_SECONDS - int(now % WINDOW_SECONDS)
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(0, limit - used)),
        "RateLimit-Reset": str(reset),
    }


def _limit(request: HttpRequest, *, scope: str, key: str, limit: int) -> None:
    """Count the call; keep the headers for the answer; refuse past the limit."""
    now = time.time()
    used = ratelimit.count(scope=scope, key=key, window_seconds=WINDOW_SECONDS, now=now)
    headers = _rate_headers(limit, used, now)
    request.api_rate_headers = headers  # type: ignore[attr-defined]  # read by the API's answer
    if used > limit:
        raise Problem(
            status=429,
            code="rate-limited",
            title="Too many requests",
            detail=f"This token may make {limit} calls a minute; wait and try again.",
            headers={**headers, "Retry-After": headers["RateLimit-Reset"]},
        )


def _unauthorised(detail: str) -> Problem:
    return Problem(
        status=401,
        code="unauthorised",
        title="A valid token is needed",
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="kinga"'},
    )


class TokenAuth(HttpBearer):
    """Bearer tokens of integrations."""

    def __call__(self, request: HttpRequest) -> Caller | None:
        header = request.headers.get(self.header, "")
        if not header.lower().startswith("bearer "):
            _limit(
                request,
                scope="api-anonymous",
                key=client_address(request) or "-",
                limit=ANONYMOUS_PER_MINUTE,
            )
            raise _unauthorised("Send Authorization: Bearer followed by the integration's token.")
        return self.authenticate(request, header[len("bearer ") :].strip())

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = token_by_secret(token)
        if found is None:
            _limit(
                request,
                scope="api-anonymous",
                key=client_address(request) or "-",
                limit=ANONYMOUS_PER_MINUTE,
            )
            raise _unauthorised("This token is not known.")
        integration = found.integration
        if (
            not found.is_live(timezone.now())
            or not integration.is_active
            or not integration.agency.is_active
        ):
            audit_record(
                action=AuditAction.DENIED,
                actor=integration.account,
                record_type="api.token",
                record_id=found.pk,
                detail={"code": "token_refused", "integration": integration.pk},
            )
            raise _unauthorised("This token was revoked or has expired.")
        _limit(
            request,
            scope="api-token",
            key=str(found.pk),
            limit=integration.rate_per_minute,
        )
        scopes = frozenset(found.scopes) & frozenset(integration.scopes)
        return Caller(
            integration=integration,
            token=found,
            principal=principal_of(integration),
            scopes=scopes,
        )


def caller_of(request: HttpRequest) -> Caller:
    """Return the caller the authentication found (every endpoint is authenticated)."""
    caller = getattr(request, "auth", None)
    if not isinstance(caller, Caller):
        raise _unauthorised("A valid token is needed.")
    return caller


def need(request: HttpRequest, scope: Scope) -> User:
    """Return the caller's principal if its token holds the scope in force; else refuse."""
    caller = caller_of(request)
    if scope not in caller.scopes:
        pending = scope in caller.integration.scopes_pending
        raise Problem(
            status=403,
            code="insufficient-scope",
            title="The token lacks a scope this call needs",
            detail=(
                f"This call needs the scope {scope.value}, which awaits a second person's approval."
                if pending
                else f"This call needs the scope {scope.value}."
            ),
            headers={"WWW-Authenticate": f'Bearer realm="kinga", scope="{scope.value}"'},
        )
    return caller.principal
