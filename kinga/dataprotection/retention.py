"""The retention schedule's kinds of record: which rows each covers, when they fall due, and
what expiry does to them (Data Protection Act 2019 s.39: kept no longer than needed).

A kind names the records whose period has run (`due`), the action, a default period and its
legal basis; a deployment sets its own period and basis (`RetentionRule`). Anonymising a
matter (a report, a case) empties every encrypted field of every record in it — by design
the encrypted fields are exactly the identity and the free text (DESIGN, "Encrypt
identities at rest") — and every keyed index made from them, and keeps the clear figures
(dates, places, age bands, categories, statuses) so the dashboards still add up.

Never touched: a matter under a legal hold, a case an open investigation or prosecution
touches, and the audit log (its rows are never changed by the application; the chain proves
it), which the schedule lists for review only.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.db.models import CharField, Exists, Field, Model, OuterRef, QuerySet
from django.db.models.functions import Cast
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.audit.models import AuditEvent
from kinga.cases.models import CLOSED_STATUSES, Case
from kinga.dataprotection.models import RetentionAction, Tombstone
from kinga.intake.models import Decision, Report
from kinga.justice.models import Incident, IncidentStage
from kinga.lib.fields import EncryptedTextField
from kinga.messaging.models import FINAL_STATES, OutboundMessage

# Incident stages after which an incident no longer holds the cases it touches by itself
# (a legal hold keeps one for an appeal).
FINISHED_STAGES = (IncidentStage.CONCLUDED, IncidentStage.NOT_CHARGED, IncidentStage.DIVERTED)

# Clear columns that are keys made from identity (blind indexes, hashes, gateway ids).
KEYED_SUFFIXES = ("_index", "_hash", "_digest")
KEYED_NAMES = frozenset({"channel_reference"})


@dataclass(frozen=True)
class Kind:
    """One kind of record on the schedule."""

    key: str
    label: Promise
    covers: Promise
    action: str
    default_days: int
    default_basis: Promise
    record_type: str
    # The matter each record is (holds are on matters); "" when records are not matters.
    matter_type: str
    # The records whose period ended on or before the cutoff (a moment).
    ended_by: Callable[[datetime.datetime], QuerySet[Any]]
    # Who receives these records (for the record of processing).
    recipients: Promise

    @property
    def action_label(self) -> str:
        return str(RetentionAction(self.action).label)

    def reference(self, pk: int, code: str = "") -> str:
        return code or f"{self.record_type.split('.')[1].upper()}-{pk}"


def _not_done(queryset: QuerySet[Any], record_type: str) -> QuerySet[Any]:
    """Leave out the records that already have a tombstone."""
    done = Tombstone.objects.filter(
        record_type=record_type,
        record_id=Cast(OuterRef("pk"), output_field=CharField()),
    )
    return queryset.filter(~Exists(done))


def _reports_no_action(cutoff: datetime.datetime) -> QuerySet[Any]:
    opened_incident = Incident.objects.filter(source_report_id=OuterRef("pk"))
    return _not_done(
        Report.objects.filter(
            decision=Decision.NO_FURTHER_ACTION, decided_at__lte=cutoff, case_code=""
        ).filter(~Exists(opened_incident)),
        "intake.report",
    )


def _closed_cases(cutoff: datetime.datetime) -> QuerySet[Any]:
    return _not_done(
        Case.objects.filter(status__in=CLOSED_STATUSES, closed_at__lte=cutoff), "cases.case"
    )


def _sms_sent(cutoff: datetime.datetime) -> QuerySet[Any]:
    return _not_done(
        OutboundMessage.objects.filter(state__in=FINAL_STATES, created_at__lte=cutoff),
        "messaging.outboundmessage",
    )


def _audit_events(cutoff: datetime.datetime) -> QuerySet[Any]:
    return AuditEvent.objects.filter(at__lte=cutoff)


KINDS: tuple[Kind, ...] = (
    Kind(
        key="reports_no_action",
        label=_("Reports that led nowhere"),
        covers=_(
            "Reports triaged as needing no further action, with no case or incident opened "
            "from them; their helpline calls and additions go with them."
        ),
        action=RetentionAction.ANONYMISE,
        default_days=730,
        default_basis=_(
            "Data Protection Act 2019 s.39: kept no longer than needed; two years lets a "
            "repeated report about the same child be recognised."
        ),
        record_type="intake.report",
        matter_type=MatterType.REPORT,
        ended_by=_reports_no_action,
        recipients=_("Helpline operators and triage caseworkers of the area"),
    ),
    Kind(
        key="closed_cases",
        label=_("Closed cases"),
        covers=_(
            "Survivor cases closed or closed-referred: every record in the case (team, "
            "consent, assessments, plans, notes, referrals) and the child's identity when "
            "no other matter needs it."
        ),
        action=RetentionAction.ANONYMISE,
        default_days=2555,
        default_basis=_(
            "Data Protection Act 2019 s.39, with s.33 for children's data: seven years after "
            "closure, so a survivor returning as a young adult or a late prosecution finds "
            "the record."
        ),
        record_type="cases.case",
        matter_type=MatterType.CASE,
        ended_by=_closed_cases,
        recipients=_(
            "The case team; agencies receiving a referral (the minimum they need); the "
            "police and prosecutors on a linked incident (the justice section)"
        ),
    ),
    Kind(
        key="sms_sent",
        label=_("Text messages sent"),
        covers=_("Outgoing SMS once delivered or failed: the number and the text."),
        action=RetentionAction.DELETE,
        default_days=180,
        default_basis=_(
            "Data Protection Act 2019 s.39: needed only to prove delivery; nothing depends on them."
        ),
        record_type="messaging.outboundmessage",
        matter_type="",
        ended_by=_sms_sent,
        recipients=_("The SMS gateway (Africa's Talking) as processor"),
    ),
    Kind(
        key="audit_events",
        label=_("Audit events"),
        covers=_(
            "Who saw or changed what, when. Kept whole: the keyed chain proves nothing was "
            "removed, so Kinga never changes them; past the period they are listed for "
            "review."
        ),
        action=RetentionAction.KEEP,
        default_days=3650,
        default_basis=_(
            "Data Protection Act 2019 s.41 (security safeguards) and the courts' need to "
            "know who saw a child's record."
        ),
        record_type="audit.auditevent",
        matter_type="",
        ended_by=_audit_events,
        recipients=_("Supervisors overseeing a matter (its trail); the data protection officer"),
    ),
)

KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


@cache
def matter_models(matter_type: str) -> list[tuple[type[Model], str]]:
    """Return every model whose rows belong to matters of that type, with the field naming it."""
    found: list[tuple[type[Model], str]] = []
    for model in apps.get_models():
        if getattr(model, "access_matter_type", None) == matter_type:
            found.append((model, str(model.access_matter_field)))  # type: ignore[attr-defined]
    return found


def identity_fields(model: type[Model]) -> list[Field[Any, Any]]:
    """Return the model's encrypted fields and the keyed columns made from them."""
    fields: list[Field[Any, Any]] = []
    for field in model._meta.concrete_fields:
        if (
            isinstance(field, EncryptedTextField)
            or isinstance(field, CharField)
            and (field.name in KEYED_NAMES or field.name.endswith(KEYED_SUFFIXES))
        ):
            fields.append(field)
    return fields


def emptied(field: Field[Any, Any]) -> Any:
    """Return the value that holds nothing, for this field."""
    if field.null:
        return None
    if field.has_default():
        default = field.get_default()
        if isinstance(default, list | dict):
            return type(default)()
    return ""
