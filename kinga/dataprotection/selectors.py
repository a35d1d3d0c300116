"""Reads of the data protection registers, given the viewer; each read of a record audited.

The registers are the data protection officer's (capability `dataprotection.manage`): nobody
else lists or opens them, and a refusal is the same audited 404 as a record that is not there.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kinga.access.policy import allowed_actions, can_do, deny
from kinga.accounts.home import WorkCount
from kinga.accounts.models import Agency, User
from kinga.audit.models import AuditAction, AuditEvent
from kinga.audit.services import audit_record
from kinga.cases.models import Assessment, Case, Note
from kinga.dataprotection.models import (
    Breach,
    BreachMatter,
    BreachStatus,
    LegalHold,
    SubjectRequest,
)
from kinga.dataprotection.processing import processing_record
from kinga.dataprotection.services import (
    Planned,
    ScheduleRow,
    kept_past_period,
    person_matters,
    retention_plan,
    schedule,
)
from kinga.intake.models import Report
from kinga.justice.models import Incident
from kinga.lib.names import query_tokens
from kinga.lib.phones import normalise_phone
from kinga.people.models import IdentifierKind, Person, PersonIdentifier
from kinga.people.selectors import rank_by_name
from kinga.people.services import identifier_index
from kinga.referrals.models import Referral

MANAGE = "dataprotection.manage"

# The actions that show a record to someone: what a breach's scope asks about.
SEEING_ACTIONS = (AuditAction.VIEW, AuditAction.LIST, AuditAction.EXPORT, AuditAction.SEARCH)


def can_manage(viewer: User) -> bool:
    """Return whether the viewer keeps the registers (a data protection officer)."""
    return can_do(viewer, MANAGE)


def refuse(
    viewer: User, *, record_type: str, record_id: object = "", action: str = "view"
) -> Http404:
    """Audit a refusal and return the 404 that says nothing about the record."""
    return deny(viewer, record_type=record_type, record_id=record_id, action=action)


def _officer_or_404(viewer: User, *, record_type: str, record_id: object = "") -> None:
    if not can_do(viewer, MANAGE):
        raise deny(viewer, record_type=record_type, record_id=record_id, action="list")


def breach_list(*, viewer: User) -> list[Breach]:
    """Return every breach, open first and the nearest deadline first; audit the list read."""
    _officer_or_404(viewer, record_type="dataprotection.breach")
    breaches: list[Breach] = list(
        Breach.objects.select_related("agency")
        .defer("description", "assessment", "delay_reason")
        .annotate(matter_count=Count("matters"))
        .order_by("status", "discovered_at")
    )
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="dataprotection.breach",
        detail={"count": len(breaches)},
    )
    return breaches


def breach_get(*, viewer: User, breach_id: int, audit: bool = True) -> Breach:
    """Return the breach for an officer (audited as a view); an audited 404 for anyone else."""
    _officer_or_404(viewer, record_type="dataprotection.breach", record_id=breach_id)
    breach = Breach.objects.select_related("agency", "recorded_by").filter(pk=breach_id).first()
    if breach is None:
        raise deny(viewer, record_type="dataprotection.breach", record_id=breach_id)
    if audit:
        audit_record(
            action=AuditAction.VIEW,
            actor=viewer,
            record_type="dataprotection.breach",
            record_id=breach.pk,
            fields=["description", "assessment"],
        )
    return breach


def breach_matters(*, breach: Breach) -> QuerySet[BreachMatter]:
    """Return the matters named on a breach the caller already holds (through breach_get)."""
    return breach.matters.all()


@dataclass(frozen=True)
class ScopeRow:
    """Who saw the breach's records in the period: one actor, one action, how often."""

    actor_label: str
    agency: str
    action: str
    matters: int
    times: int
    first: datetime.datetime
    last: datetime.datetime


def breach_scope(
    *,
    viewer: User,
    breach: Breach,
    since: datetime.datetime,
    until: datetime.datetime,
) -> list[ScopeRow]:
    """Return who saw, listed, searched or exported the breach's matters between two times.

    From the audit log's metadata only (who, when, what, how often), never a record's
    content; the read is itself audited on the breach.
    """
    _officer_or_404(viewer, record_type="dataprotection.breach", record_id=breach.pk)
    pairs = list(breach.matters.values_list("matter_type", "matter_id"))
    if not pairs:
        return []
    where = Q()
    for matter_type, matter_id in pairs:
        where |= Q(matter_type=matter_type, matter_id=matter_id)
    rows = (
        AuditEvent.objects.filter(where, at__gte=since, at__lte=until, action__in=SEEING_ACTIONS)
        .values("actor_id", "actor_label", "agency_id_at_time", "action")
        .annotate(
            times=Count("pk"),
            matters=Count("matter_id", distinct=True),
            first=Min("at"),
            last=Max("at"),
        )
        .order_by("-times", "actor_label")
    )
    agencies = dict(Agency.objects.values_list("pk", "name"))
    labels = dict(AuditAction.choices)
    audit_record(
        action=AuditAction.SEARCH,
        actor=viewer,
        record_type="dataprotection.breach",
        record_id=breach.pk,
        fields=["audit"],
        detail={"scope": "seen_by", "matters": len(pairs)},
    )
    return [
        ScopeRow(
            actor_label=row["actor_label"] or str(_("(no user)")),
            agency=agencies.get(row["agency_id_at_time"] or 0, ""),
            action=str(labels.get(row["action"], row["action"])),
            matters=row["matters"],
            times=row["times"],
            first=row["first"],
            last=row["last"],
        )
        for row in rows
    ]


def breach_notice(*, viewer: User, breach: Breach, to: str, language: str) -> str:
    """Draft the notice to the Data Commissioner ("commissioner") or the people ("subjects").

    Drafted from the record: what happened, when, how many, the risk, what was done, who to
    ask. The people's notice names no other person and no record. Audited as an export.
    """
    _officer_or_404(viewer, record_type="dataprotection.breach", record_id=breach.pk)
    if to not in ("commissioner", "subjects"):
        raise Http404
    steps = list(breach.actions.filter(step__in=["contained", "decision"]).order_by("at"))
    with translation.override(language):
        text = render_to_string(
            f"dataprotection/notice_{to}.txt",
            {
                "breach": breach,
                "steps": steps,
                "officer": viewer,
                "deadline": breach.commissioner_deadline,
                "matter_count": breach.matters.count(),
            },
        )
    audit_record(
        action=AuditAction.EXPORT,
        actor=viewer,
        record_type="dataprotection.breach",
        record_id=breach.pk,
        fields=["description", "assessment"],
        detail={"notice": to, "language": language},
    )
    return text


def home_work(*, viewer: User, today: datetime.date) -> list[WorkCount]:
    """Count, for a data protection officer, the breaches whose 72-hour clock runs."""
    if not can_do(viewer, MANAGE):
        return []
    running = Breach.objects.filter(
        status=BreachStatus.OPEN, commissioner_notified_at__isnull=True
    ).exclude(commissioner_notice_required=False)
    return [
        WorkCount(
            _("Breaches: the Data Commissioner's clock is running"),
            running.count(),
            reverse("dataprotection:breaches"),
            urgent=True,
        )
    ]


# --- Retention ---------------------------------------------------------------------------

FORECAST_DAYS = 30


@dataclass(frozen=True)
class ScheduleLine:
    """One kind of record on the schedule page, with what falls due now and next month."""

    row: ScheduleRow
    due_now: int
    next_month: int
    held: int
    past_period: int | None  # for the kinds the schedule only reviews


def retention_overview(
    *, viewer: User, now: datetime.datetime
) -> tuple[list[ScheduleLine], list[Planned]]:
    """Return the schedule with its counts, and the records that go within the next month.

    References only (case codes, report and message numbers); the read is audited.
    """
    _officer_or_404(viewer, record_type="dataprotection.retentionrule")
    horizon = now + datetime.timedelta(days=FORECAST_DAYS)
    due_now = retention_plan(now=now)
    by_horizon = retention_plan(now=horizon)
    already = {(item.kind.key, item.record_id) for item in due_now}
    coming = [item for item in by_horizon if (item.kind.key, item.record_id) not in already]
    kept = kept_past_period(now=now)
    lines = [
        ScheduleLine(
            row=row,
            due_now=sum(1 for i in due_now if i.kind.key == row.kind.key and not i.held),
            next_month=sum(1 for i in coming if i.kind.key == row.kind.key and not i.held),
            held=sum(1 for i in by_horizon if i.kind.key == row.kind.key and i.held),
            past_period=kept.get(row.kind.key),
        )
        for row in schedule()
    ]
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="dataprotection.retentionrule",
        detail={"forecast_days": FORECAST_DAYS, "records": len(by_horizon)},
    )
    return lines, by_horizon


def legal_holds(*, viewer: User) -> list[LegalHold]:
    """Return the live holds and the last lifted ones, with their reasons; audit the read."""
    _officer_or_404(viewer, record_type="dataprotection.legalhold")
    holds = list(
        LegalHold.objects.select_related("placed_by", "lifted_by").order_by(
            "lifted_at", "-placed_at"
        )[:200]
    )
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="dataprotection.legalhold",
        fields=["reason", "lift_reason"],
        detail={"count": len(holds)},
    )
    return holds


def legal_hold_get(*, viewer: User, hold_id: int) -> LegalHold:
    """Return a hold for an officer; an audited 404 for anyone else or none."""
    _officer_or_404(viewer, record_type="dataprotection.legalhold", record_id=hold_id)
    hold = LegalHold.objects.filter(pk=hold_id).first()
    if hold is None:
        raise deny(viewer, record_type="dataprotection.legalhold", record_id=hold_id)
    return hold


# --- Data subjects' requests ---------------------------------------------------------------


def request_list(*, viewer: User) -> list[SubjectRequest]:
    """Return the requests, open ones first by deadline; audit the list read."""
    _officer_or_404(viewer, record_type="dataprotection.subjectrequest")
    requests = list(
        SubjectRequest.objects.defer(
            "requester_name", "requester_contact", "details", "decision_note"
        ).order_by("decided_at", "due_at")
    )
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="dataprotection.subjectrequest",
        detail={"count": len(requests)},
    )
    return requests


def request_get(*, viewer: User, request_id: int, audit: bool = True) -> SubjectRequest:
    """Return the request for an officer (audited); an audited 404 for anyone else."""
    _officer_or_404(viewer, record_type="dataprotection.subjectrequest", record_id=request_id)
    request = SubjectRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise deny(viewer, record_type="dataprotection.subjectrequest", record_id=request_id)
    if audit:
        audit_record(
            action=AuditAction.VIEW,
            actor=viewer,
            record_type="dataprotection.subjectrequest",
            record_id=request.pk,
            fields=["requester_name", "requester_contact", "details", "decision_note"],
        )
    return request


def _day(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def _person_part(person: Person) -> dict[str, object]:
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "other_names": person.other_names,
        "aliases": list(person.aliases or []),
        "sex": person.sex,
        "date_of_birth": _day(person.date_of_birth),
        "age_estimate": person.age_estimate,
        "age_band": person.age_band,
        "nationality": person.nationality,
        "languages": list(person.languages or []),
        "home_ward": str(person.home_ward) if person.home_ward_id else "",
        "village": person.village,
        "identifiers": [
            {"kind": identifier.kind, "platform": identifier.platform, "value": identifier.value}
            for identifier in person.identifiers.all()
        ],
    }


def _case_part(viewer: User, case: Case, allowed: dict[str, frozenset[str]]) -> dict[str, object]:
    part: dict[str, object] = {
        "type": "case",
        "reference": case.code,
        "status": case.status,
        "opened": _day(case.opened_at),
        "closed": _day(case.closed_at),
        "county": str(case.county),
    }
    sections = [s for s, actions in allowed.items() if "export" in actions]
    part["notes"] = [
        {"date": _day(note.created_at), "section": note.policy_section, "text": note.text}
        for note in Note.objects.filter(case=case).order_by("created_at")
        if note.policy_section in sections
    ]
    if "care" in sections:
        part["assessments"] = [
            {
                "date": _day(a.assessed_on),
                "kind": a.kind,
                "trafficking_status": a.trafficking_status,
                "risks": a.risk_notes,
                "best_interests": a.best_interests,
                "child_views": a.child_views,
            }
            for a in Assessment.objects.filter(case=case).order_by("assessed_on", "pk")
        ]
    if "referral" in sections:
        part["referrals"] = [
            {
                "date": _day(r.sent_at),
                "to": str(r.receiving_agency),
                "status": r.status,
                "reason": r.reason,
            }
            for r in Referral.objects.filter(case=case).select_related("receiving_agency")
        ]
    return part


def _report_part(report: Report, allowed: dict[str, frozenset[str]]) -> dict[str, object]:
    part: dict[str, object] = {
        "type": "report",
        "reference": f"R-{report.pk}",
        "received": _day(report.received_at),
        "channel": report.channel,
        "categories": list(report.categories),
        "county": str(report.county) if report.county_id else "",
        "what_happened": report.narrative,
    }
    if "export" in allowed["identity"]:
        part["place"] = report.place_detail
    return part


def _incident_part(incident: Incident) -> dict[str, object]:
    return {
        "type": "incident",
        "reference": incident.code,
        "opened": _day(incident.opened_at),
        "stage": incident.stage,
        "what_happened": incident.summary,
        "withheld": "justice",
    }


def person_export(*, viewer: User, request: SubjectRequest) -> dict[str, object]:
    """Return everything Kinga holds on the request's person that the viewer may export.

    Matter by matter, through the policy (`subject_request` grants the officer while the
    request is answered): the person's identity, each case (notes by section, assessments,
    referrals), report and incident summary. What the policy keeps back (statements and
    evidence, or a matter no longer open to the viewer) is listed as withheld, never shown.
    Each matter's export is audited on its trail.
    """
    _officer_or_404(viewer, record_type="dataprotection.subjectrequest", record_id=request.pk)
    person = Person.objects.select_related("home_ward").get(pk=request.person_id)
    matters: list[dict[str, object]] = []
    withheld: list[dict[str, str]] = []
    identity_shown = False
    for matter in person_matters(request.person_id):
        allowed = allowed_actions(viewer, matter)
        if "export" not in allowed["summary"]:
            withheld.append({"type": matter.type, "id": str(matter.id), "why": "no_access"})
            continue
        identity_shown = identity_shown or "export" in allowed["identity"]
        if matter.type == "case":
            case = Case.objects.select_related("county").get(pk=matter.id)
            matters.append(_case_part(viewer, case, allowed))
        elif matter.type == "report":
            matters.append(
                _report_part(Report.objects.select_related("county").get(pk=matter.id), allowed)
            )
        elif matter.type == "incident":
            matters.append(_incident_part(Incident.objects.get(pk=matter.id)))
            withheld.append({"type": "incident", "id": str(matter.id), "why": "justice"})
        audit_record(
            action=AuditAction.EXPORT,
            actor=viewer,
            record_type=f"dataprotection.subjectrequest.{matter.type}",
            record_id=request.pk,
            matter_type=matter.type,
            matter_id=matter.id,
            fields=sorted(s for s, actions in allowed.items() if "export" in actions),
        )
    return {
        "request": request.code,
        "kind": request.kind,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "controller": "Kinga",
        "person": _person_part(person) if identity_shown else None,
        "matters": matters,
        "withheld": withheld,
    }


def person_export_lines(export: dict[str, object]) -> list[str]:
    """Return the export as readable lines (for the PDF)."""
    lines = [
        str(_("What Kinga holds about you")),
        str(_("Request %(code)s, made on %(when)s"))
        % {"code": export["request"], "when": export["generated_at"]},
        "",
    ]
    person = export.get("person")
    if isinstance(person, dict):
        lines.append(str(_("About you")))
        for key, value in person.items():
            if value not in ("", None, [], {}):
                lines.append(f"  {key.replace('_', ' ')}: {value}")
        lines.append("")
    for matter in export.get("matters", []):  # type: ignore[attr-defined]
        lines.append(f"{matter['type'].title()} {matter['reference']}")
        for key, value in matter.items():
            if key in ("type", "reference") or value in ("", None, []):
                continue
            if isinstance(value, list) and any(isinstance(item, dict) for item in value):
                lines.append(f"  {key.replace('_', ' ')}:")
                for item in value:
                    lines.append(
                        "    - "
                        + "; ".join(f"{k}: {v}" for k, v in item.items() if v not in ("", None))
                    )
            elif isinstance(value, list):
                lines.append(f"  {key.replace('_', ' ')}: {', '.join(str(v) for v in value)}")
            else:
                lines.append(f"  {key.replace('_', ' ')}: {value}")
        lines.append("")
    if export.get("withheld"):
        lines.append(str(_("Held back")))
        lines.append(
            str(
                _(
                    "Statements and evidence of an investigation or prosecution are not given "
                    "while it runs (Data Protection Act 2019 s.51(2)(b))."
                )
            )
        )
    return lines


def processing_export(*, viewer: User, fmt: str) -> dict[str, object]:
    """Return the record of processing for export; audit the export."""
    _officer_or_404(viewer, record_type="dataprotection.processing")
    audit_record(
        action=AuditAction.EXPORT,
        actor=viewer,
        record_type="dataprotection.processing",
        detail={"format": fmt},
    )
    return processing_record()


# --- finding the person a request is about ----------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A person a request may be about, as the officer is shown them before any check: what
    kind of record, the age band, and the references of the matters they are on; never a
    name, a phone or anything read from an encrypted field."""

    person_id: int
    kind: str
    age_band: str
    references: list[str]


def _references(person_id: int) -> list[str]:
    matters = person_matters(person_id)
    ids: dict[str, list[int]] = {}
    for matter in matters:
        ids.setdefault(matter.type, []).append(matter.id)
    labels = [
        str(code)
        for code in Case.objects.filter(pk__in=ids.get("case", [])).values_list("code", flat=True)
    ]
    labels += [
        str(code)
        for code in Incident.objects.filter(pk__in=ids.get("incident", [])).values_list(
            "code", flat=True
        )
    ]
    labels += [f"R-{pk}" for pk in sorted(ids.get("report", []))]
    return sorted(labels)


def subjects_found(
    *, viewer: User, name: str = "", phone: str = "", limit: int = 10
) -> list[Subject]:
    """Return the persons a request may be about whose names sound like `name` and who hold
    `phone` (either or both), best first, through the encrypted search tokens and the phone's
    blind index: the database never compares a clear name. Only the data protection officer
    searches; the search is audited with its terms hashed, and its answer names no one."""
    _officer_or_404(viewer, record_type="people.person")
    parts = query_tokens(name) if name.strip() else []
    holders: set[int] | None = None
    if phone.strip():
        try:
            canonical = normalise_phone(phone)
        except ValueError:
            raise ValidationError(
                {"phone": _("This is not a phone number Kinga can read. Write it as 0712 345678.")}
            ) from None
        holders = set(
            PersonIdentifier.objects.filter(
                kind=IdentifierKind.PHONE,
                blind_index=identifier_index(IdentifierKind.PHONE, canonical),
            ).values_list("person_id", flat=True)
        )
    if parts:
        among = (
            PersonIdentifier.objects.filter(person_id__in=sorted(holders)).values("person_id")
            if holders is not None
            else None
        )
        order = rank_by_name(parts, among=among, limit=limit)
    elif holders is not None:
        order = sorted(holders, reverse=True)[:limit]
    else:
        raise ValidationError({"name": _("Write a name or a phone number to look for.")})
    people = Person.objects.in_bulk(order)
    found = [
        Subject(
            person_id=pk,
            kind=people[pk].get_kind_display(),
            age_band=people[pk].age_band or "",
            references=_references(pk),
        )
        for pk in order
        if pk in people
    ]
    audit_record(
        action=AuditAction.SEARCH,
        actor=viewer,
        record_type="people.person",
        search_terms=" ".join(part for part in (name.strip(), phone.strip()) if part),
        detail={"results": len(found), "for": "subject_request"},
    )
    return found


def subject_get(*, viewer: User, person_id: int) -> Subject:
    """Return the person a request is being recorded about, as `subjects_found` shows them;
    the same 404 for no such person and for a viewer who is not the officer."""
    _officer_or_404(viewer, record_type="people.person", record_id=person_id)
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise deny(viewer, record_type="people.person", record_id=person_id)
    return Subject(
        person_id=person.pk,
        kind=person.get_kind_display(),
        age_band=person.age_band or "",
        references=_references(person.pk),
    )
