"""Demo agencies of the coast and one account per role (synthetic people only)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from kinga.accounts.models import Agency, AgencyKind, Role, User
from kinga.accounts.services import authenticator_ensure, user_roles_set
from kinga.lib.demo import DEMO_PASSWORD
from kinga.places.models import County

AGENCIES = [
    # name, kind, county
    ("Mombasa Anti-Human Trafficking and Child Protection Unit", AgencyKind.POLICE_UNIT, "Mombasa"),
    ("Kwale County Police Child Protection Desk", AgencyKind.POLICE_UNIT, "Kwale"),
    ("ODPP Mombasa Office", AgencyKind.PROSECUTION_OFFICE, "Mombasa"),
    ("Children's Services Mombasa", AgencyKind.CHILDRENS_SERVICES, "Mombasa"),
    ("Children's Services Kwale", AgencyKind.CHILDRENS_SERVICES, "Kwale"),
    ("Children's Services Kilifi", AgencyKind.CHILDRENS_SERVICES, "Kilifi"),
    ("Pwani Child Rights Network", AgencyKind.NGO, "Mombasa"),
    ("Tumaini Girls Initiative", AgencyKind.NGO, "Kilifi"),
    ("Salama Rescue Home", AgencyKind.SHELTER, "Kwale"),
    ("Coast General Hospital GBV Recovery Centre", AgencyKind.HOSPITAL, "Mombasa"),
    ("Haki Pwani Legal Aid Clinic", AgencyKind.LEGAL_AID, "Mombasa"),
    ("Child Helpline 116 Coast Desk", AgencyKind.HELPLINE, "Mombasa"),
    ("Pwani Judicial Training Centre", AgencyKind.TRAINING_INSTITUTION, "Mombasa"),
]

# username, first, last, agency, roles, on call
ACCOUNTS = [
    ("helpline", "Kazungu", "Baya", "Child Helpline 116 Coast Desk", {Role.HELPLINE}, False),
    ("caseworker", "Amina", "Said", "Pwani Child Rights Network", {Role.CASEWORKER}, True),
    ("caseworker2", "Baraka", "Charo", "Tumaini Girls Initiative", {Role.CASEWORKER}, True),
    ("childrenofficer", "Zuhura", "Mwinyi", "Children's Services Mombasa", {Role.CASEWORKER}, True),
    ("counsellor", "Neema", "Kadzo", "Pwani Child Rights Network", {Role.COUNSELLOR}, False),
    (
        "investigator",
        "Omari",
        "Mwakazi",
        "Mombasa Anti-Human Trafficking and Child Protection Unit",
        {Role.INVESTIGATOR},
        True,
    ),
    ("prosecutor", "Halima", "Abdalla", "ODPP Mombasa Office", {Role.PROSECUTOR}, False),
    ("shelter", "Rehema", "Mwanajuma", "Salama Rescue Home", {Role.SERVICE_PROVIDER}, False),
    (
        "hospital",
        "Fatuma",
        "Chengo",
        "Coast General Hospital GBV Recovery Centre",
        {Role.SERVICE_PROVIDER},
        False,
    ),
    ("legalaid", "Bakari", "Ngala", "Haki Pwani Legal Aid Clinic", {Role.SERVICE_PROVIDER}, False),
    ("supervisor", "Juma", "Mwadime", "Pwani Child Rights Network", {Role.SUPERVISOR}, True),
    ("analyst", "Wanjiku", "Mutua", "Pwani Child Rights Network", {Role.ANALYST}, False),
    ("trainer", "Mwakio", "Mghanga", "Pwani Judicial Training Centre", {Role.TRAINER}, False),
    ("admin", "Salim", "Omar", "Pwani Child Rights Network", {Role.ADMIN}, False),
]


def roles_label(roles: set[Role]) -> str:
    return ", ".join(sorted(roles))


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    for name, kind, county in AGENCIES:
        Agency.objects.update_or_create(
            name=name, defaults={"kind": kind, "county": County.objects.get(name=county)}
        )
    for index, (username, first, last, agency_name, roles, on_call) in enumerate(ACCOUNTS):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "agency": Agency.objects.get(name=agency_name),
                "on_call": on_call,
                "phone": f"+2547000000{index:02d}",
                "email": f"{username}@demo.kinga.invalid",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user_roles_set(user=user, roles=set(roles), actor=None)
        authenticator_ensure(user=user)
    out(f"    {len(AGENCIES)} agencies, {len(ACCOUNTS)} accounts")
