"""Messages to staff, stored as a key with its values and rendered in the reader's language.

A notice, a staff SMS or an email is written once, by whoever causes it, but read later by
someone who may read another language. So the sender stores the English message (marked
with `gettext_noop`, so `make messages` puts it in the catalogues) and its values, and the
text is made when it is read or sent, in the reader's language:

    notify(recipients=[...], message=gettext_noop("Case %(code)s was reopened."),
           values={"code": case.code}, link=reverse("cases:detail", ...))

Values are codes, references and counts, never a child's name or a case detail. Links are
paths of this site; `absolute_link` puts the deployment's `KINGA_BASE_URL` in front of them
for an SMS or an email, so no message ever names another host.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

MessageValues = Mapping[str, str | int]


def message_values_check(values: Mapping[str, object]) -> dict[str, str | int]:
    """Return the values as a plain dict, or raise ValueError when one is not a code or count."""
    checked: dict[str, str | int] = {}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(f"message value {name!r} must be a string or an integer")
        checked[str(name)] = value
    return checked


def message_render(*, message: str, values: MessageValues | None, language: str | None) -> str:
    """Return the message translated into `language` (the active one when None), filled in.

    A message whose translation does not match its values is shown translated but unfilled
    rather than failing the page that shows it.
    """
    if not message:
        return ""
    if language:
        with translation.override(language):
            template = gettext(message)
    else:
        template = gettext(message)
    if not values:
        return template
    try:
        return template % dict(values)
    except (KeyError, ValueError, TypeError):
        return template


def link_check(link: str) -> str:
    """Return the link if it is a path of this site; raise ValueError for anything else."""
    if link and (not link.startswith("/") or link.startswith("//") or "://" in link):
        raise ValueError("a message's link is a path of this site, such as /cases/1/")
    return link


def absolute_link(path: str) -> str:
    """Return the path as an address under the deployment's base URL (KINGA_BASE_URL)."""
    if not path:
        return ""
    return f"{settings.KINGA_BASE_URL.rstrip('/')}{link_check(path)}"
