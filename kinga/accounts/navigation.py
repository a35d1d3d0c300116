"""The navigation: which menu entries each role sees.

One list, so a reviewer sees in one place what every role can reach. An entry whose page
does not exist yet is left out rather than linked to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kinga.accounts.models import Role, User


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    roles: frozenset[str]
    superuser: bool = False


NAVIGATION: list[NavItem] = [
    NavItem("intake:helpline_new", _("Log a call"), frozenset({Role.HELPLINE})),
    NavItem("intake:helpline_mine", _("My calls"), frozenset({Role.HELPLINE})),
    NavItem("intake:triage", _("Triage"), frozenset({Role.SUPERVISOR, Role.CASEWORKER})),
    NavItem(
        "intake:signal_measures",
        _("Triage assist: how it measures up"),
        frozenset({Role.SUPERVISOR, Role.CASEWORKER, Role.ANALYST}),
    ),
    NavItem(
        "cases:my_work",
        _("My work"),
        frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.COUNSELLOR}),
    ),
    NavItem(
        "cases:list",
        _("Cases"),
        frozenset(
            {Role.CASEWORKER, Role.SUPERVISOR, Role.COUNSELLOR, Role.INVESTIGATOR, Role.PROSECUTOR}
        ),
    ),
    NavItem(
        "justice:incidents",
        _("Incidents"),
        frozenset({Role.INVESTIGATOR, Role.PROSECUTOR, Role.SUPERVISOR}),
    ),
    NavItem(
        "justice:calendar",
        _("Court calendar"),
        frozenset({Role.INVESTIGATOR, Role.PROSECUTOR, Role.CASEWORKER, Role.SUPERVISOR}),
    ),
    NavItem(
        "matching:queue",
        _("Same person?"),
        frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.INVESTIGATOR}),
    ),
    NavItem("intel:networks", _("Networks"), frozenset({Role.INVESTIGATOR, Role.SUPERVISOR})),
    NavItem("intel:patterns", _("Patterns of exploitation"), frozenset({Role.ANALYST})),
    NavItem("referrals:inbox", _("Referrals received"), frozenset({Role.SERVICE_PROVIDER})),
    NavItem(
        "referrals:outgoing", _("Referrals sent"), frozenset({Role.CASEWORKER, Role.SUPERVISOR})
    ),
    NavItem(
        "directory:search",
        _("Service directory"),
        frozenset(
            {
                Role.CASEWORKER,
                Role.SUPERVISOR,
                Role.COUNSELLOR,
                Role.SERVICE_PROVIDER,
                Role.HELPLINE,
            }
        ),
    ),
    NavItem(
        "directory:manage",
        _("Our directory entries"),
        frozenset({Role.SERVICE_PROVIDER, Role.SUPERVISOR}),
    ),
    NavItem("training:sessions", _("Training"), frozenset({Role.TRAINER})),
    NavItem(
        "training:coverage", _("Training coverage"), frozenset({Role.TRAINER, Role.SUPERVISOR})
    ),
    NavItem("insights:funnel", _("Insights"), frozenset({Role.ANALYST, Role.SUPERVISOR})),
    NavItem(
        "awareness:campaigns",
        _("Awareness"),
        frozenset({Role.TRAINER, Role.SUPERVISOR, Role.ANALYST}),
    ),
    NavItem("access:break_glass_reviews", _("Break-glass reviews"), frozenset({Role.SUPERVISOR})),
    NavItem("collect:volunteers", _("Field volunteers"), frozenset({Role.SUPERVISOR})),
    NavItem("collect:quarantine", _("Field submissions to check"), frozenset({Role.ADMIN})),
    NavItem(
        "collect:home_visits",
        _("Home visits from the field"),
        frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.COUNSELLOR}),
    ),
    NavItem(
        "accounts:access_changes",
        _("Access changes to approve"),
        frozenset({Role.SUPERVISOR, Role.ADMIN}),
        superuser=True,
    ),
    NavItem(
        "dataprotection:breaches",
        _("Breach register"),
        frozenset({Role.DATA_PROTECTION_OFFICER}),
    ),
    NavItem(
        "dataprotection:requests",
        _("Data subjects' requests"),
        frozenset({Role.DATA_PROTECTION_OFFICER}),
    ),
    NavItem(
        "dataprotection:retention",
        _("Retention and legal holds"),
        frozenset({Role.DATA_PROTECTION_OFFICER}),
    ),
    NavItem("api:integrations", _("Integrations"), frozenset({Role.ADMIN, Role.SUPERVISOR})),
    NavItem(
        "dataprotection:processing",
        _("Record of processing"),
        frozenset({Role.DATA_PROTECTION_OFFICER}),
    ),
    NavItem("notifications:inbox", _("Notifications"), frozenset(Role.values)),
    NavItem("admin:index", _("Administration"), frozenset({Role.ADMIN}), superuser=True),
]


def navigation_for(user: User) -> list[tuple[str, str | Promise]]:
    """Return (url, label) for the entries the user's roles may use."""
    items: list[tuple[str, str | Promise]] = []
    roles = user.role_set
    for item in NAVIGATION:
        if not (roles & item.roles or (item.superuser and user.is_superuser)):
            continue
        try:
            items.append((reverse(item.url_name), item.label))
        except NoReverseMatch:
            continue
    return items
