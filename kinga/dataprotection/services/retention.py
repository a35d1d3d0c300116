"""The retention schedule's writes: periods, legal holds, and the run that applies them.

`retention_run` is what `kinga retention run` and the worker call. Records are done in
batches, each in its own (sub)transaction with a tombstone and an audit event per record, so a
failure leaves that batch as it was and the rest done; a record with a tombstone is never done
twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kinga.access.models import MatterType
from kinga.accounts.models import User
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import Case
from kinga.dataprotection.models import (
    LegalHold,
    RetentionAction,
    RetentionRule,
    RetentionRun,
    Tombstone,
)
from kinga.dataprotection.retention import (
    FINISHED_STAGES,
    KINDS,
    KINDS_BY_KEY,
    Kind,
    emptied,
    identity_fields,
    matter_models,
)
from kinga.dataprotection.services.breaches import matter_by_reference, officer_require
from kinga.justice.models import (
    Incident,
    IncidentChild,
    IncidentLead,
    PersonOfInterest,
    Statement,
)
from kinga.lib.reasons import reason_clean
from kinga.people.models import Person, PersonIdentifier, PersonLink, PersonNameToken
from kinga.tasks.registry import periodic

RETENTION_JOB = "dataprotection.retention"

# The tombstone's record type of each kind of matter.
MATTER_RECORD_TYPE: dict[str, str] = {
    MatterType.CASE.value: "cases.case",
    MatterType.REPORT.value: "intake.report",
    MatterType.INCIDENT.value: "justice.incident",
}

# Matters anonymised together, in one transaction (a savepoint inside the worker's task).
BATCH = 100

# Why a record due to expire is kept.
HELD_LEGAL_HOLD = "legal_hold"
HELD_INVESTIGATION = "investigation"


@dataclass(frozen=True)
class ScheduleRow:
    """One kind of record as this deployment keeps it."""

    kind: Kind
    keep_days: int
    legal_basis: str
    set_here: bool


def schedule() -> list[ScheduleRow]:
    """Return the schedule: each kind with this deployment's period and basis."""
    rules = {rule.kind: rule for rule in RetentionRule.objects.all()}
    rows = []
    for kind in KINDS:
        rule = rules.get(kind.key)
        rows.append(
            ScheduleRow(
                kind=kind,
                keep_days=rule.keep_days if rule else kind.default_days,
                legal_basis=rule.legal_basis if rule else str(kind.default_basis),
                set_here=rule is not None,
            )
        )
    return rows


@transaction.atomic(durable=True)
def retention_rule_set(
    *, actor: User, kind: str, keep_days: int, legal_basis: str
) -> RetentionRule:
    """Set this deployment's period and legal basis for one kind of record."""
    officer_require(actor)
    if kind not in KINDS_BY_KEY:
        raise ValidationError({"kind": _("Choose a kind of record on the schedule.")})
    rule = RetentionRule.objects.filter(kind=kind).first() or RetentionRule(kind=kind)
    before = rule.keep_days if rule.pk else KINDS_BY_KEY[kind].default_days
    rule.keep_days = keep_days
    rule.legal_basis = legal_basis.strip()
    rule.updated_by = actor
    rule.updated_at = timezone.now()
    rule.full_clean()
    rule.save()
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="dataprotection.retentionrule",
        record_id=rule.pk,
        fields=["keep_days", "legal_basis"],
        detail={"kind": kind, "keep_days": [before, keep_days]},
    )
    return rule


@transaction.atomic(durable=True)
def legal_hold_place(*, actor: User, reference: str, reason: str) -> LegalHold:
    """Hold a case, incident or report: nothing in it expires until the hold is lifted."""
    officer_require(actor)
    found = matter_by_reference(reference)
    if found is None:
        raise ValidationError(
            {
                "reference": _(
                    "No case, incident or report has this reference. Enter a case code, an "
                    "incident code, or a report as “report 123”."
                )
            }
        )
    matter, label = found
    if LegalHold.objects.filter(
        matter_type=matter.type, matter_id=matter.id, lifted_at__isnull=True
    ).exists():
        raise ValidationError({"reference": _("This record is already held.")})
    if Tombstone.objects.filter(
        record_type=MATTER_RECORD_TYPE[matter.type], record_id=str(matter.id)
    ).exists():
        raise ValidationError(
            {"reference": _("This record was already anonymised: there is nothing left to hold.")}
        )
    hold = LegalHold(
        matter_type=matter.type,
        matter_id=matter.id,
        reference=label,
        reason=reason_clean(reason),
        placed_by=actor,
    )
    hold.full_clean()
    hold.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="dataprotection.legalhold",
        record_id=hold.pk,
        matter_type=matter.type,
        matter_id=matter.id,
        fields=["reason"],
    )
    return hold


@transaction.atomic(durable=True)
def legal_hold_place_person(*, actor: User, person_id: int, reason: str) -> LegalHold:
    """Hold one person's record (found by name or phone): their identity is kept whatever
    the schedule does to their matters, and a request to delete it is refused."""
    officer_require(actor)
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ValidationError({"reference": _("This person is not in Kinga any more.")})
    if LegalHold.objects.filter(person=person, lifted_at__isnull=True).exists():
        raise ValidationError({"reference": _("This record is already held.")})
    if Tombstone.objects.filter(record_type="people.person", record_id=str(person.pk)).exists():
        raise ValidationError(
            {"reference": _("This record was already anonymised: there is nothing left to hold.")}
        )
    hold = LegalHold(
        person=person, reference=f"P-{person.pk}", reason=reason_clean(reason), placed_by=actor
    )
    hold.full_clean()
    hold.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        record_type="dataprotection.legalhold",
        record_id=hold.pk,
        fields=["reason"],
        detail={"person": person.pk},
    )
    return hold


def held_people(person_ids: set[int] | None = None) -> set[int]:
    """Return the people (of these, when given) whose record is under a live legal hold."""
    holds = LegalHold.objects.filter(person__isnull=False, lifted_at__isnull=True)
    if person_ids is not None:
        holds = holds.filter(person_id__in=sorted(person_ids))
    return {int(pk) for pk in holds.values_list("person_id", flat=True)}


@transaction.atomic(durable=True)
def legal_hold_lift(*, actor: User, hold: LegalHold, reason: str) -> LegalHold:
    """Lift a hold, with the reason (the court's order, the appeal window closed)."""
    officer_require(actor)
    if hold.lifted_at is not None:
        raise ValidationError(_("This hold was already lifted."))
    hold.lifted_by = actor
    hold.lifted_at = timezone.now()
    hold.lift_reason = reason_clean(reason)
    hold.full_clean()
    hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        record_type="dataprotection.legalhold",
        record_id=hold.pk,
        matter_type=hold.matter_type,
        matter_id=hold.matter_id,
        fields=["lifted_by", "lifted_at", "lift_reason"],
    )
    return hold


def held_matters() -> dict[tuple[str, int], str]:
    """Return the matters nothing may expire in, with why: a legal hold on them or on an
    incident that touches them, or an open investigation or prosecution touching them."""
    held: dict[tuple[str, int], str] = {}
    held_incidents: set[int] = set()
    for matter_type, matter_id in LegalHold.objects.filter(
        lifted_at__isnull=True, person__isnull=True
    ).values_list("matter_type", "matter_id"):
        if matter_id is None:
            continue  # the constraint makes a hold without a person hold a matter
        held[(str(matter_type), int(matter_id))] = HELD_LEGAL_HOLD
        if matter_type == MatterType.INCIDENT:
            held_incidents.add(int(matter_id))
    touching = Q(incident_id__in=sorted(held_incidents)) | ~Q(incident__stage__in=FINISHED_STAGES)
    for incident_id, case_id in IncidentChild.objects.filter(touching).values_list(
        "incident_id", "case_id"
    ):
        why = HELD_LEGAL_HOLD if incident_id in held_incidents else HELD_INVESTIGATION
        held.setdefault((MatterType.CASE, case_id), why)
    sources = Q(pk__in=sorted(held_incidents)) | ~Q(stage__in=FINISHED_STAGES)
    for incident_id, report_id in Incident.objects.filter(
        sources, source_report__isnull=False
    ).values_list("pk", "source_report_id"):
        why = HELD_LEGAL_HOLD if incident_id in held_incidents else HELD_INVESTIGATION
        held.setdefault((MatterType.REPORT, int(report_id)), why)
    return held


@dataclass(frozen=True)
class Planned:
    """A record whose period has run: what the schedule does to it, or why it is kept."""

    kind: Kind
    record_id: int
    reference: str
    held: str  # "" when it goes; else why it is kept

    @property
    def action(self) -> str:
        return self.kind.action


def _due(kind: Kind, keep_days: int, now: datetime.datetime) -> Iterator[tuple[int, str]]:
    cutoff = now - datetime.timedelta(days=keep_days)
    records = kind.ended_by(cutoff)
    if kind.record_type == "cases.case":
        yield from records.values_list("pk", "code").order_by("pk").iterator()
    else:
        for pk in records.values_list("pk", flat=True).order_by("pk").iterator():
            yield pk, ""


def retention_plan(
    *, now: datetime.datetime, kinds: tuple[str, ...] | None = None
) -> list[Planned]:
    """Return every record whose period has run by `now`, and whether it goes or is held.

    The audit log is reported by count only (`audit_due`): it is never changed.
    """
    held = held_matters()
    plan: list[Planned] = []
    for row in schedule():
        kind = row.kind
        if kind.action == RetentionAction.KEEP or (kinds is not None and kind.key not in kinds):
            continue
        for pk, code in _due(kind, row.keep_days, now):
            why = held.get((kind.matter_type, pk), "") if kind.matter_type else ""
            plan.append(
                Planned(kind=kind, record_id=pk, reference=kind.reference(pk, code), held=why)
            )
    return plan


def kept_past_period(*, now: datetime.datetime) -> dict[str, int]:
    """Return, for each kind the schedule only reviews, how many records are past the period."""
    return {
        row.kind.key: row.kind.ended_by(now - datetime.timedelta(days=row.keep_days)).count()
        for row in schedule()
        if row.kind.action == RetentionAction.KEEP
    }


def _people_needed(people: set[int], done: set[tuple[str, int]]) -> set[int]:
    """Return those of the people a matter not anonymised (nor being anonymised) still needs."""
    # incidents are court records: the schedule never anonymises them, so whoever they
    # name stays named; and a person under a legal hold of their own stays named
    needed: set[int] = held_people(people)
    for model in (PersonOfInterest, IncidentLead, Statement):
        needed |= set(
            model.objects.filter(person_id__in=people).values_list("person_id", flat=True)
        )
    matters_of: dict[int, set[tuple[str, int]]] = {}
    for child_id, case_id in Case.objects.filter(child_id__in=people).values_list("child_id", "pk"):
        matters_of.setdefault(child_id, set()).add((MatterType.CASE.value, case_id))
    for person_id, matter_type, matter_id in PersonLink.objects.filter(
        person_id__in=people
    ).values_list("person_id", "matter_type", "matter_id"):
        matters_of.setdefault(person_id, set()).add((str(matter_type), int(matter_id)))
    elsewhere = {m for matters in matters_of.values() for m in matters} - done
    gone: set[tuple[str, int]] = set()
    for matter_type, record_type in MATTER_RECORD_TYPE.items():
        ids = [str(i) for t, i in elsewhere if t == matter_type]
        if ids:
            gone |= {
                (matter_type, int(record_id))
                for record_id in Tombstone.objects.filter(
                    record_type=record_type, record_id__in=ids
                ).values_list("record_id", flat=True)
            }
    for person_id, matters in matters_of.items():
        if (matters - done) - gone:
            needed.add(person_id)
    return needed


def _people_anonymise(people: set[int], *, kind: Kind, run: RetentionRun) -> None:
    fields = identity_fields(Person)
    Person.objects.filter(pk__in=people).update(**{field.name: emptied(field) for field in fields})
    PersonIdentifier.objects.filter(person_id__in=people).delete()
    PersonNameToken.objects.filter(person_id__in=people).delete()
    removed = [f"people.person.{field.name}" for field in fields] + [
        "people.personidentifier",
        "people.personnametoken",
    ]
    Tombstone.objects.bulk_create(
        [
            Tombstone(
                kind=kind.key,
                record_type="people.person",
                record_id=str(person_id),
                action=RetentionAction.ANONYMISE,
                fields=removed,
                run=run,
            )
            for person_id in sorted(people)
        ]
    )


def _matters_anonymise(kind: Kind, matter_ids: list[int], run: RetentionRun) -> None:
    """Empty the identity and free text of every record in these matters; keep their figures.

    One UPDATE per kind of record for the whole batch; a tombstone and an audit event per
    matter; the people on them anonymised when no other live matter needs them.
    """
    removed: list[str] = []
    for model, field_name in matter_models(kind.matter_type):
        fields = identity_fields(model)
        if not fields:
            continue
        model._default_manager.filter(**{f"{field_name}__in": matter_ids}).update(
            **{field.name: emptied(field) for field in fields}
        )
        removed.extend(f"{model._meta.label_lower}.{field.name}" for field in fields)
    removed = sorted(set(removed))
    Tombstone.objects.bulk_create(
        [
            Tombstone(
                kind=kind.key,
                record_type=kind.record_type,
                record_id=str(matter_id),
                matter_type=kind.matter_type,
                matter_id=matter_id,
                action=RetentionAction.ANONYMISE,
                fields=removed,
                run=run,
            )
            for matter_id in matter_ids
        ]
    )
    people_of: dict[int, set[int]] = {matter_id: set() for matter_id in matter_ids}
    for matter_id, person_id in PersonLink.objects.filter(
        matter_type=kind.matter_type, matter_id__in=matter_ids
    ).values_list("matter_id", "person_id"):
        people_of[int(matter_id)].add(person_id)
    if kind.matter_type == MatterType.CASE:
        for case_id, child_id in Case.objects.filter(pk__in=matter_ids).values_list(
            "pk", "child_id"
        ):
            people_of[case_id].add(child_id)
    people = {p for group in people_of.values() for p in group}
    people -= {
        int(pk)
        for pk in Tombstone.objects.filter(
            record_type="people.person", record_id__in=[str(p) for p in people]
        ).values_list("record_id", flat=True)
    }
    done = {(str(kind.matter_type), matter_id) for matter_id in matter_ids}
    erase = people - _people_needed(people, done) if people else set()
    if erase:
        _people_anonymise(erase, kind=kind, run=run)
    for matter_id in matter_ids:
        audit_record(
            action=AuditAction.CHANGE,
            actor=None,
            record_type=kind.record_type,
            record_id=matter_id,
            matter_type=kind.matter_type,
            matter_id=matter_id,
            fields=removed,
            detail={
                "retention": RetentionAction.ANONYMISE,
                "kind": kind.key,
                "run": run.pk,
                "people": len(people_of[matter_id] & erase),
            },
        )


def _record_delete(kind: Kind, record_id: int, run: RetentionRun) -> None:
    """Delete a record nothing depends on, leaving its tombstone."""
    from django.apps import apps

    model = apps.get_model(kind.record_type)
    model._default_manager.filter(pk=record_id).delete()
    Tombstone.objects.create(
        kind=kind.key,
        record_type=kind.record_type,
        record_id=str(record_id),
        action=RetentionAction.DELETE,
        run=run,
    )
    audit_record(
        action=AuditAction.DELETE,
        actor=None,
        record_type=kind.record_type,
        record_id=record_id,
        detail={"retention": RetentionAction.DELETE, "kind": kind.key, "run": run.pk},
    )


def retention_run(
    *, now: datetime.datetime | None = None, dry_run: bool = False
) -> tuple[list[Planned], RetentionRun | None]:
    """Apply the schedule: anonymise or delete each record whose period ran, unless held.

    With `dry_run`, change nothing and write nothing: return what would happen. Otherwise
    matters are done by batches of `BATCH`, each in its own transaction (a savepoint inside
    the worker's task), with a tombstone and an audit event per record; return the plan and the run.
    """
    now = now or timezone.now()
    plan = retention_plan(now=now)
    if dry_run or not plan:
        # nothing due leaves no trace: the worker's task row says the job ran
        return plan, None
    run = RetentionRun.objects.create(started_at=now, dry_run=False)
    counts: dict[str, dict[str, int]] = {}
    batches: dict[str, list[int]] = {}
    for item in plan:
        tally = counts.setdefault(item.kind.key, {"due": 0, "held": 0, "done": 0})
        tally["due"] += 1
        if item.held:
            tally["held"] += 1
            continue
        if item.kind.action == RetentionAction.DELETE:
            with transaction.atomic():
                _record_delete(item.kind, item.record_id, run)
            tally["done"] += 1
            continue
        batch = batches.setdefault(item.kind.key, [])
        batch.append(item.record_id)
        if len(batch) >= BATCH:
            with transaction.atomic():
                _matters_anonymise(item.kind, batch, run)
            tally["done"] += len(batch)
            batches[item.kind.key] = []
    for key, batch in batches.items():
        if batch:
            with transaction.atomic():
                _matters_anonymise(KINDS_BY_KEY[key], batch, run)
            counts[key]["done"] += len(batch)
    run.counts = counts
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at"])
    audit_record(
        action=AuditAction.SYSTEM,
        actor=None,
        record_type="dataprotection.retentionrun",
        record_id=run.pk,
        detail={"counts": counts},
    )
    return plan, run


@periodic(RETENTION_JOB, every=datetime.timedelta(days=1))
def retention_job(payload: dict[str, Any], now: datetime.datetime) -> None:
    """Apply the retention schedule once a day."""
    retention_run(now=now)
