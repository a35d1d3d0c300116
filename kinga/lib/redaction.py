"""Keep the gateway's callback key, and field phones' tokens, out of logs.

The gateway may send the key in the callback URL's query (`?key=...`), and a request line
is what the development server, a 404 warning or an error report writes down. This filter
rewrites a log record's message so the key's value never reaches a handler.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings

REDACTED = "[redacted]"
# `key=` as a query parameter: after `?` or `&`, up to the next separator.
_QUERY_KEY = re.compile(r"(?P<name>[?&](?:amp;)?key=)[^&\s\"'#]*", re.IGNORECASE)
# A field phone's token is its URL's path: /odk/key/<token>/ (kinga.collect).
_PHONE_TOKEN = re.compile(r"(?P<name>/odk/key/)[^/\s\"'?#]+")


def redact(text: str) -> str:
    """Return the text with every `key=` query value, and the callback key itself, hidden."""
    text = _QUERY_KEY.sub(lambda match: match.group("name") + REDACTED, text)
    text = _PHONE_TOKEN.sub(lambda match: match.group("name") + REDACTED, text)
    secret = getattr(settings, "KINGA_AT_CALLBACK_KEY", "") if settings.configured else ""
    if secret and len(secret) >= 8 and secret in text:
        text = text.replace(secret, REDACTED)
    return text


class RedactCallbackKey(logging.Filter):
    """Rewrite a record's message so it carries no callback key; never drop the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the logger's problem, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
