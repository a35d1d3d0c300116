"""The public report form's submission token: issued by the server, signed, dated.

No model is imported here, so the load benchmark's client can sign tokens as the form does.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing

# The salt keeps a submission token from being valid as any other value Django signs.
SUBMISSION_SALT = "kinga.intake.public-report-form"


def submission_token_new() -> str:
    """Return a token for one public report form: a random value, signed, with its time.

    The server checks that it made the token and how old it is (`submission_token_check`);
    the random value makes the form single-use (`services.web.report_submit_web`).
    """
    return signing.TimestampSigner(salt=SUBMISSION_SALT).sign(secrets.token_urlsafe(18))


def submission_token_check(token: str) -> str:
    """Return the random value of a token this server issued within its lifetime.

    Raise signing.SignatureExpired when it is too old, signing.BadSignature when the server
    did not make it.
    """
    max_age = settings.KINGA_REPORT_FORM_HOURS * 3600
    value: str = signing.TimestampSigner(salt=SUBMISSION_SALT).unsign(token, max_age=max_age)
    return value
