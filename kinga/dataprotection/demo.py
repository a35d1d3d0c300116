"""Demo data protection: the data protection officer's account and one breach on the clock."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

from kinga.accounts.models import Agency, Role, User
from kinga.accounts.services import authenticator_ensure, user_roles_set
from kinga.dataprotection.models import Breach, BreachKind
from kinga.dataprotection.services import breach_record
from kinga.lib.demo import DEMO_PASSWORD

USERNAME = "dpo"


def officer_ensure() -> User:
    """Return the demo's data protection officer, made once."""
    user, created = User.objects.get_or_create(
        username=USERNAME,
        defaults={
            "first_name": "Faraji",
            "last_name": "Mwachiro",
            "agency": Agency.objects.get(name="Pwani Child Rights Network"),
            "email": f"{USERNAME}@demo.kinga.invalid",
            "phone": "+254700000099",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    user_roles_set(user=user, roles={Role.DATA_PROTECTION_OFFICER}, actor=None)
    authenticator_ensure(user=user)
    return user


def load(*, out: Callable[[str], None]) -> None:
    officer = officer_ensure()
    if not Breach.objects.exists():
        breach_record(
            actor=officer,
            kind=BreachKind.LOST_DEVICE,
            description=(
                "A caseworker's work phone, signed in to Kinga, was stolen from a matatu at "
                "Likoni ferry. The screen lock is not known."
            ),
            discovered_at=timezone.now() - datetime.timedelta(hours=20),
            children_affected=4,
            people_affected=6,
            records_affected=5,
        )
    out(f"    data protection officer '{USERNAME}', {Breach.objects.count()} breach")
