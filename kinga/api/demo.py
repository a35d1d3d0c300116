"""Demo integrations: the 116 helpline's call system, the Salama shelter's case system, and
the Pwani network's case system (its cases' summaries and court dates, the county's figures).

Registered by the demo administrator; the shelter's referral scopes approved by the second
person the rule names. Each gets a token, printed once by the loader (synthetic data only).
Idempotent: a second run finds them and does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from kinga.accounts.models import Agency, User
from kinga.api import services
from kinga.api.models import Integration, Scope

PLAN = [
    (
        "Child Helpline 116 Coast Desk",
        "116 call system",
        [Scope.REPORT_WRITE, Scope.REPORT_READ, Scope.DIRECTORY_READ],
    ),
    (
        "Salama Rescue Home",
        "Salama case system",
        [Scope.REFERRAL_READ, Scope.REFERRAL_WRITE, Scope.DIRECTORY_READ, Scope.WEBHOOK_MANAGE],
    ),
    (
        "Pwani Child Rights Network",
        "Pwani case system",
        [Scope.CASE_READ, Scope.JUSTICE_READ, Scope.FIGURES_READ, Scope.DIRECTORY_READ],
    ),
]


def load(*, out: Callable[[str], None]) -> None:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return
    for agency_name, name, scopes in PLAN:
        agency = Agency.objects.filter(name=agency_name).first()
        if agency is None or Integration.objects.filter(agency=agency, name=name).exists():
            continue
        integration = services.integration_register(
            actor=admin, agency=agency, name=name, scopes=list(scopes)
        )
        if integration.scopes_pending:
            approvers = services.scope_approvers(integration=integration)
            if approvers:
                integration = services.integration_scopes_approve(
                    actor=approvers[0], integration=integration
                )
        issued = services.token_issue(actor=admin, integration=integration, scopes=list(scopes))
        out(f"    {name}: token {issued.secret} (shown once)")
