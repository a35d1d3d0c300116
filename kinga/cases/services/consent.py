"""Consent, assent and overrides, and the question "may this be shared"."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access import policy
from kinga.audit.models import AuditAction
from kinga.cases.models import (
    Case,
    CaseEvent,
    Consent,
    ConsentBasis,
    ConsentGivenBy,
)
from kinga.cases.services.base import (
    _audit,
    _event,
    _label,
    _notify,
    _require,
)
from kinga.lib.reasons import reason_clean

if TYPE_CHECKING:
    from kinga.accounts.models import Agency, User


# --- consent ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentDecision:
    """Whether something may be shared: `reason` is a stable slug for logs and messages."""

    allowed: bool
    consent: Consent | None
    reason: str


def consent_allows(*, case: Case, recipient_agency: Agency, purpose: str) -> ConsentDecision:
    """Answer "may this case be shared with that agency for that purpose" from its consents.

    A live consent (not withdrawn, not expired) for that agency and purpose allows it,
    including a legal basis recorded instead of consent and a supervisor's override.
    Withdrawal stops every later share; what was shared before stays shared.
    """
    today = timezone.localdate()
    rows = list(
        Consent.objects.filter(
            case=case, recipient_agency=recipient_agency, purpose=purpose
        ).order_by("-given_on", "-pk")
    )
    for row in rows:
        if row.withdrawn_at is None and (row.expires_on is None or row.expires_on >= today):
            reason = "override" if row.basis == ConsentBasis.OVERRIDE else "consent"
            if row.basis not in (ConsentBasis.CONSENT, ConsentBasis.ASSENT, ConsentBasis.OVERRIDE):
                reason = "legal_basis"
            return ConsentDecision(True, row, reason)
    if any(row.withdrawn_at is not None for row in rows):
        return ConsentDecision(False, None, "withdrawn")
    if rows:
        return ConsentDecision(False, None, "expired")
    return ConsentDecision(False, None, "no_consent")


def _consent_clean(consent: Consent) -> None:
    errors: dict[str, str] = {}
    official = consent.given_by in (ConsentGivenBy.CHILDRENS_OFFICER, ConsentGivenBy.COURT)
    if official and consent.basis in (ConsentBasis.CONSENT, ConsentBasis.ASSENT):
        errors["basis"] = _("A Children's Officer or a court acts on a legal basis: name it.")
    if consent.given_by == ConsentGivenBy.CHILD and consent.basis not in (
        ConsentBasis.CONSENT,
        ConsentBasis.ASSENT,
    ):
        errors["basis"] = _("A child gives consent or assent, not another legal basis.")
    if consent.basis == ConsentBasis.ASSENT and not consent.child_assented:
        errors["child_assented"] = _("Assent means the child agreed: tick it.")
    if consent.given_by == ConsentGivenBy.SUPERVISOR_OVERRIDE:
        errors["given_by"] = _("Overrides are made with the override action.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic(durable=True)
def consent_record(
    *,
    case: Case,
    actor: User,
    purpose: str,
    recipient_agency: Agency,
    given_by: str,
    explained: str,
    basis: str = ConsentBasis.CONSENT,
    child_assented: bool = False,
    given_by_name: str = "",
    given_on: datetime.date | None = None,
    expires_on: datetime.date | None = None,
) -> Consent:
    """Record consent, assent or another legal basis to share for one purpose with one agency."""
    _require(actor, "create", case, "referral")
    consent = Consent(
        case=case,
        created_by=actor,
        purpose=purpose,
        recipient_agency=recipient_agency,
        given_by=given_by,
        basis=basis,
        child_assented=child_assented,
        given_by_name=given_by_name.strip(),
        explained=explained.strip(),
        given_on=given_on or timezone.localdate(),
        expires_on=expires_on,
    )
    consent.full_clean()
    _consent_clean(consent)
    consent.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.CONSENT,
        gettext_noop("Consent recorded: %(purpose)s → %(agency)s"),
        params={"purpose": _label(consent, "purpose"), "agency": recipient_agency.name},
        section="referral",
        record=consent,
        happened_on=consent.given_on,
    )
    _audit(
        actor,
        consent,
        fields=["purpose", "recipient_agency", "given_by", "basis", "explained", "given_by_name"],
    )
    return consent


@transaction.atomic(durable=True)
def consent_withdraw(*, consent: Consent, actor: User, note: str = "") -> Consent:
    """Withdraw a consent now: nothing more is shared on it."""
    case = consent.case
    _require(actor, "create", case, "referral")
    if consent.withdrawn_at is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor
    consent.withdrawal_note = note.strip()
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    _event(
        case,
        actor,
        CaseEvent.Kind.CONSENT,
        gettext_noop("Consent withdrawn: %(purpose)s → %(agency)s"),
        params={"purpose": _label(consent, "purpose"), "agency": consent.recipient_agency.name},
        section="referral",
        record=consent,
    )
    _audit(actor, consent, action=AuditAction.CHANGE, fields=["withdrawn_at", "withdrawal_note"])
    return consent


# Not durable: referral_send records its override inside the referral's transaction.
@transaction.atomic
def consent_override(
    *, case: Case, recipient_agency: Agency, purpose: str, actor: User, reason: str
) -> Consent:
    """Allow sharing without consent, for a written reason: supervisors overseeing the case only."""
    if not policy.can_do(actor, "consent.override"):
        raise PermissionDenied(_("Only a supervisor may override consent."))
    _require(actor, "change", case, "summary")
    reason = reason_clean(reason)
    consent = Consent(
        case=case,
        created_by=actor,
        purpose=purpose,
        recipient_agency=recipient_agency,
        given_by=ConsentGivenBy.SUPERVISOR_OVERRIDE,
        basis=ConsentBasis.OVERRIDE,
        explained=reason,
    )
    consent.full_clean()
    consent.save(force_insert=True)
    _event(
        case,
        actor,
        CaseEvent.Kind.CONSENT,
        gettext_noop("Consent overridden by a supervisor: %(purpose)s → %(agency)s"),
        params={"purpose": _label(consent, "purpose"), "agency": recipient_agency.name},
        section="referral",
        record=consent,
    )
    _audit(
        actor,
        consent,
        fields=["purpose", "recipient_agency", "basis", "explained"],
        # the written reason is the consent record's `explained`; the event refers to it
        detail={"override": True},
    )
    _notify(
        [case.caseworker],
        gettext_noop("A supervisor overrode consent on case %(code)s."),
        case,
        actor,
    )
    return consent
