"""Reads the referral workflow's pages need beside `kinga.referrals.selectors`: who answers
a referral, and one referral's page (audited as the read it is).

The rule "who answers for the receiving agency" lives here once: the page asks it to show
the buttons, and the services check it before they move a referral.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from kinga.access import policy
from kinga.accounts.models import Role, User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.directory.models import Location
from kinga.referrals.models import Referral
from kinga.referrals.selectors import (
    REFERRAL,
    referral_address_visible_to,
    referral_for_viewer,
    referral_sides,
)


def referral_receiver_is(*, viewer: User, referral: Referral) -> bool:
    """Return whether the viewer answers the referral for the receiving agency."""
    return (
        viewer.agency_id is not None
        and viewer.agency_id == referral.receiving_agency_id
        and viewer.has_role(
            Role.SERVICE_PROVIDER, Role.SUPERVISOR, Role.CASEWORKER, policy.INTEGRATION
        )
        and policy.can(viewer, "change", referral, "referral")
    )


@dataclass(frozen=True)
class ReferralPage:
    """One referral as its page shows it to this viewer, and what the viewer may do."""

    referral: Referral
    location: Location
    sending: bool
    receiving: bool
    address_visible: bool
    may_answer: bool
    may_withdraw: bool


def referral_page(*, viewer: User, referral_id: int) -> ReferralPage:
    """Return the referral's page for the sending team or the receiving service (404,
    audited, for anyone else), and audit the read with the fields it shows."""
    referral = referral_for_viewer(viewer=viewer, referral_id=referral_id)
    sending, receiving = referral_sides(viewer, referral)
    location = referral.service_at_location.location
    address_visible = location.has_address and referral_address_visible_to(viewer, location)
    fields = ["status", "urgency", "reason", "child_told", "child_first_name", "needs"]
    if address_visible and location.confidential:
        fields += ["location.address", "location.coordinates"]
    with transaction.atomic():
        audit_record(
            action=AuditAction.VIEW,
            actor=viewer,
            record_type=REFERRAL,
            record_id=referral.pk,
            matter_type=referral.matter_type,
            matter_id=referral.matter_id,
            fields=fields,
        )
    return ReferralPage(
        referral=referral,
        location=location,
        sending=sending,
        receiving=receiving,
        address_visible=address_visible,
        may_answer=referral_receiver_is(viewer=viewer, referral=referral),
        may_withdraw=sending and policy.can(viewer, "create", referral, "referral"),
    )
