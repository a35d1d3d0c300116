"""Nothing typed is lost: a form posted after the session expired is kept, and offered to
be saved once its author has signed in again (password and two-factor).

The post is kept in the new (anonymous) session, which sign-in carries over, encrypted with
the data keys: it may hold case text. It is bound to the account that last signed in fully
in this browser (a signed cookie set at two-factor), so whoever signs in next on a shared
computer never sees someone else's words. The post's CSRF token is checked before it is
kept; after sign-in the author sees what was typed and sends it through the same view
with a fresh token, so CSRF protection still applies to the save itself.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from django.core import signing
from django.http import HttpRequest, HttpResponse

from kinga.lib.crypto import DecryptionError, decrypt, encrypt

SESSION_KEY = "kinga_pending_post"
OWNER_COOKIE = "kinga_last_user"
_CONTEXT = "accounts.pending_post"
_SALT = "kinga.accounts.pending.owner"
# How long a kept post waits for its author to sign in again.
KEEP_SECONDS = 12 * 3600
# Posts larger than this are not kept (a form of case text is far smaller).
MAX_BYTES = 64 * 1024


def owner_cookie_set(response: HttpResponse, *, user_id: int, secure: bool) -> None:
    """Remember, in this browser, which account last signed in fully."""
    response.set_cookie(
        OWNER_COOKIE,
        signing.dumps(user_id, salt=_SALT),
        max_age=KEEP_SECONDS * 4,
        secure=secure,
        httponly=True,
        samesite="Strict",
    )


def _owner(request: HttpRequest) -> int | None:
    raw = request.COOKIES.get(OWNER_COOKIE)
    if not raw:
        return None
    try:
        value = signing.loads(raw, salt=_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def pending_post_keep(request: HttpRequest) -> bool:
    """Keep the request's form fields for after sign-in; return whether they were kept."""
    owner = _owner(request)
    if owner is None or request.FILES:
        return False
    fields = [
        [name, value]
        for name, values in request.POST.lists()
        if name != "csrfmiddlewaretoken"
        for value in values
    ]
    payload = json.dumps(
        {"path": request.path, "fields": fields, "owner": owner, "at": int(time.time())}
    )
    if len(payload) > MAX_BYTES:
        return False
    request.session[SESSION_KEY] = encrypt(payload, context=_CONTEXT)
    return True


def pending_post_take(request: HttpRequest, *, user_id: int) -> dict[str, object] | None:
    """Remove and return the kept post ({"path", "fields", "typed_at"}) if it was posted in
    this user's name, in time. `typed_at` is when it was posted: the page says so, since
    anyone at this browser after the session ended could have typed it."""
    token = request.session.pop(SESSION_KEY, None)
    if not token:
        return None
    try:
        data = json.loads(decrypt(token, context=_CONTEXT))
    except (DecryptionError, ValueError):
        return None
    if data.get("owner") != user_id or time.time() - data.get("at", 0) > KEEP_SECONDS:
        return None
    return {
        "path": data["path"],
        "fields": [tuple(pair) for pair in data["fields"]],
        "typed_at": datetime.fromtimestamp(int(data.get("at", 0)), tz=UTC),
    }


def pending_post_waiting(request: HttpRequest) -> bool:
    """Return whether a kept post waits in this session."""
    return SESSION_KEY in request.session
