"""Reads of justice, always given the viewer and through `kinga.access.policy`.

An incident is seen by its team (investigators, prosecutors) and the supervisors of their
units; a refusal is the same audited 404 as "not found". The child's case shows the path to
verdict (dates, places, measures, outcomes) to whoever may view the case's justice section;
the court calendar gives each attendee the dates they must come to.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.cases.models import Case, Interview, InterviewState
from kinga.cases.seams import CourtDate, CourtPath, PathStep
from kinga.intake.models import Decision, Report
from kinga.justice.models import (
    Adjournment,
    AdjournmentReason,
    AgeProof,
    Arrest,
    BailCondition,
    BailTerms,
    ChargeCount,
    ChargeDecision,
    ChargeDecisionKind,
    ChargeSheet,
    CountOutcome,
    CountOutcomeKind,
    CourtEvent,
    CourtEventKind,
    CourtEventState,
    CustodyEntry,
    EventKind,
    Evidence,
    FileSubmission,
    Incident,
    IncidentChild,
    IncidentEvent,
    IncidentLead,
    Investigation,
    InvestigationOfficer,
    InvestigationTask,
    Measure,
    PersonOfInterest,
    PersonRole,
    Plea,
    Prosecution,
    Relationship,
    Statement,
    WitnessProtection,
)
from kinga.places.models import County

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.home import WorkCount
    from kinga.accounts.models import User

    Viewer = User | AnonymousUser | None

INCIDENT = "justice.incident"


def _actor(viewer: Viewer) -> User | None:
    return viewer if viewer is not None and viewer.is_authenticated else None


def incidents_visible(*, viewer: Viewer) -> QuerySet[Incident]:
    """Return the incidents the viewer may list, newest first."""
    return (
        policy.visible(viewer, Incident.objects.all())
        .select_related("county", "police_unit")
        .order_by("-opened_at")
    )


def incident_list(*, viewer: Viewer, stage: str = "") -> QuerySet[Incident]:
    """Return the incidents the viewer may list (optionally at one stage), audited as a list."""
    found = incidents_visible(viewer=viewer)
    if stage:
        found = found.filter(stage=stage)
    audit_record(
        action=AuditAction.LIST, actor=_actor(viewer), record_type=INCIDENT, detail={"stage": stage}
    )
    return found


def incident_get(
    *, viewer: Viewer, incident_id: int, action: str = "view", section: str = "summary"
) -> Incident:
    """Return the incident if the viewer may take the action on the section; else 404
    (audited, the same for "not found")."""
    incident = (
        Incident.objects.select_related("county", "ward", "police_unit", "source_report")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise policy.deny(viewer, record_type=INCIDENT, record_id=incident_id)
    policy.require(viewer, action, incident, section, record_type=INCIDENT, record_id=incident_id)
    return incident


def _in_incident(
    viewer: Viewer,
    model: Any,
    record_id: int,
    *,
    action: str = "create",
    related: tuple[str, ...] = (),
) -> Any:
    """Return a record inside an incident the viewer may write justice records of; else 404."""
    record = model.objects.select_related("incident", *related).filter(pk=record_id).first()
    record_type = f"justice.{model.__name__.lower()}"
    if record is None:
        raise policy.deny(viewer, record_type=record_type, record_id=record_id)
    policy.require(viewer, action, record, "justice", record_type=record_type, record_id=record_id)
    return record


def evidence_get(*, viewer: Viewer, evidence_id: int) -> Evidence:
    return _in_incident(viewer, Evidence, evidence_id)  # type: ignore[no-any-return]


def task_get(*, viewer: Viewer, task_id: int) -> InvestigationTask:
    return _in_incident(viewer, InvestigationTask, task_id, action="change")  # type: ignore[no-any-return]


def officer_get(*, viewer: Viewer, officer_id: int) -> InvestigationOfficer:
    return _in_incident(  # type: ignore[no-any-return]
        viewer, InvestigationOfficer, officer_id, action="change", related=("user__agency",)
    )


def submission_get(*, viewer: Viewer, submission_id: int) -> FileSubmission:
    return _in_incident(viewer, FileSubmission, submission_id)  # type: ignore[no-any-return]


def prosecution_get(*, viewer: Viewer, prosecution_id: int) -> Prosecution:
    return _in_incident(  # type: ignore[no-any-return]
        viewer, Prosecution, prosecution_id, related=("lead_prosecutor",)
    )


def count_get(*, viewer: Viewer, count_id: int) -> ChargeCount:
    return _in_incident(  # type: ignore[no-any-return]
        viewer, ChargeCount, count_id, related=("sheet__prosecution",)
    )


def court_event_get(*, viewer: Viewer, event_id: int) -> CourtEvent:
    return _in_incident(  # type: ignore[no-any-return]
        viewer, CourtEvent, event_id, action="change", related=("prosecution",)
    )


def person_of_interest_choices(*, incident: Incident) -> list[PersonOfInterest]:
    """Return the people of an incident the caller has been allowed to write to."""
    return list(
        PersonOfInterest.objects.filter(incident=incident).select_related("person").order_by("pk")
    )


def children_of(*, incident: Incident) -> list[IncidentChild]:
    return list(IncidentChild.objects.filter(incident=incident).select_related("case"))


def child_interviews(*, incident: Incident) -> list[Interview]:
    """Return the interviews held with the incident's children (their dates, never their
    content): the child's statement is one of these, not a new interview."""
    return list(
        Interview.objects.filter(
            case__in=IncidentChild.objects.filter(incident=incident).values("case"),
            state=InterviewState.HELD,
        )
        .select_related("case")
        .order_by("held_on")
    )


# --- reports awaiting an incident -----------------------------------------------------------


def reports_awaiting_incident(*, viewer: Viewer) -> QuerySet[Report]:
    """Return the reports triage decided to open an incident on that the viewer's police unit
    may see and nobody has opened one from yet, oldest first."""
    if not policy.can_do(viewer, "incident.open"):
        return Report.objects.none()
    waiting = Report.objects.filter(decision=Decision.OPEN_INCIDENT).exclude(
        pk__in=Incident.objects.filter(source_report__isnull=False).values("source_report")
    )
    return (
        policy.visible(viewer, waiting)
        .select_related("county", "sub_county", "ward")
        .order_by("decided_at")
    )


def reports_awaiting_incident_page(*, viewer: User, limit: int = 50) -> list[Report]:
    """Return the oldest reports waiting for an incident, and audit the list read."""
    reports = list(reports_awaiting_incident(viewer=viewer)[:limit])
    if policy.can_do(viewer, "incident.open"):
        audit_record(
            action=AuditAction.LIST,
            actor=viewer,
            record_type="intake.report",
            fields=["received_at", "county", "ward"],
            detail={"list": "awaiting_incident", "rows": len(reports)},
        )
    return reports


def report_for_incident(*, viewer: Viewer, report_id: int) -> Report:
    """Return the report to open an incident from, read in full (audited); else 404."""
    report = Report.objects.select_related("county", "ward").filter(pk=report_id).first()
    if report is None:
        raise policy.deny(viewer, record_type="intake.report", record_id=report_id)
    policy.require(
        viewer, "view", report, "summary", record_type="intake.report", record_id=report_id
    )
    audit_record(
        action=AuditAction.VIEW,
        actor=_actor(viewer),
        record_type="intake.report",
        record_id=report.pk,
        matter_type="report",
        matter_id=report.pk,
        fields=["narrative", "place_detail", "categories"],
    )
    return report


# --- the incident page ----------------------------------------------------------------------


@dataclass
class ProsecutionView:
    prosecution: Prosecution
    sheets: list[ChargeSheet]
    current: ChargeSheet | None
    events: list[CourtEvent]
    bail: list[BailTerms]
    protections: list[WitnessProtection]
    adjournments: int
    testimonies: int
    wasted_trips: int


@dataclass
class IncidentPage:
    incident: Incident
    allowed: dict[str, frozenset[str]]
    children: list[IncidentChild]
    events: list[IncidentEvent]
    people: list[PersonOfInterest] = field(default_factory=list)
    leads: list[IncidentLead] = field(default_factory=list)
    investigation: Investigation | None = None
    officers: list[InvestigationOfficer] = field(default_factory=list)
    tasks: list[InvestigationTask] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    age_proofs: list[AgeProof] = field(default_factory=list)
    arrests: list[Arrest] = field(default_factory=list)
    files: list[FileSubmission] = field(default_factory=list)
    prosecutions: list[ProsecutionView] = field(default_factory=list)
    path: list[PathStep] = field(default_factory=list)

    def may(self, section: str, action: str = "view") -> bool:
        return action in self.allowed.get(section, frozenset())


def _prosecution_views(incident: Incident) -> list[ProsecutionView]:
    counts = (
        ChargeCount.objects.select_related("accused__person", "outcome", "sentence")
        .prefetch_related(Prefetch("pleas", queryset=Plea.objects.order_by("entered_on", "pk")))
        .order_by("number")
    )
    prosecutions = list(
        Prosecution.objects.filter(incident=incident)
        .select_related("lead_prosecutor")
        .prefetch_related(
            Prefetch(
                "charge_sheets",
                queryset=ChargeSheet.objects.order_by("-version").prefetch_related(
                    Prefetch("counts", queryset=counts)
                ),
            ),
            Prefetch(
                "court_events",
                queryset=CourtEvent.objects.select_related(
                    "adjournment", "accompanied_by"
                ).order_by("scheduled_for", "pk"),
            ),
            Prefetch("bail", queryset=BailTerms.objects.select_related("accused__person")),
            Prefetch("protections", queryset=WitnessProtection.objects.select_related("case")),
        )
        .order_by("pk")
    )
    conditions = {key: str(label) for key, label in BailCondition.choices}
    measures = {key: str(label) for key, label in Measure.choices}
    views = []
    for prosecution in prosecutions:
        sheets = list(prosecution.charge_sheets.all())
        events = list(prosecution.court_events.all())
        for terms in prosecution.bail.all():
            terms.condition_labels = [  # type: ignore[attr-defined]
                conditions.get(code, code) for code in terms.conditions
            ]
        for protection in prosecution.protections.all():
            protection.measure_labels = [  # type: ignore[attr-defined]
                measures.get(code, code) for code in protection.measures
            ]
        views.append(
            ProsecutionView(
                prosecution=prosecution,
                sheets=sheets,
                current=next((sheet for sheet in sheets if sheet.is_current), None),
                events=events,
                bail=list(prosecution.bail.all()),
                protections=list(prosecution.protections.all()),
                adjournments=sum(1 for e in events if e.state == CourtEventState.ADJOURNED),
                testimonies=sum(1 for e in events if e.child_testified),
                wasted_trips=sum(1 for e in events if e.wasted_trip),
            )
        )
    return views


def incident_page(*, viewer: User, incident: Incident) -> IncidentPage:
    """Gather what the viewer may see of the incident, deciding sections once; audit the read."""
    allowed = policy.allowed_actions(viewer, incident)
    sections = [section for section, actions in allowed.items() if "view" in actions]
    page = IncidentPage(
        incident=incident,
        allowed=allowed,
        children=list(
            IncidentChild.objects.filter(incident=incident).select_related("case").order_by("pk")
        ),
        events=list(IncidentEvent.objects.filter(incident=incident).order_by("occurred_on", "pk")),
    )
    # Labels looked up once per page: `get_FOO_display` rebuilds and translates every
    # choice on each call, which for 200 events and 50 people is most of the page's time.
    kinds = {key: str(label) for key, label in EventKind.choices}
    # a county's name, not 200 county rows: the events of an incident share a few
    counties = dict(
        County.objects.filter(pk__in={e.county_id for e in page.events if e.county_id}).values_list(
            "pk", "name"
        )
    )
    for event in page.events:
        event.kind_label = kinds.get(event.kind, event.kind)  # type: ignore[attr-defined]
        event.county_name = counties.get(event.county_id or 0, "")  # type: ignore[attr-defined]
    if "identity" in sections:
        page.people = list(
            PersonOfInterest.objects.filter(incident=incident)
            .select_related("person")
            .order_by("pk")
        )
        roles = {key: str(label) for key, label in PersonRole.choices}
        relationships = {key: str(label) for key, label in Relationship.choices}
        for poi in page.people:
            poi.role_label = roles.get(poi.role, poi.role)  # type: ignore[attr-defined]
            poi.relationship_label = relationships.get(  # type: ignore[attr-defined]
                poi.relationship, poi.relationship
            )
        page.leads = list(IncidentLead.objects.filter(incident=incident).order_by("kind", "pk"))
    if "justice" in sections:
        page.investigation = (
            Investigation.objects.filter(incident=incident).select_related("lead_officer").first()
        )
        page.officers = list(
            InvestigationOfficer.objects.filter(
                incident=incident, ended_at__isnull=True
            ).select_related("user")
        )
        page.tasks = list(
            InvestigationTask.objects.filter(incident=incident)
            .select_related("assigned_to")
            .order_by("done_at", "due_on")
        )
        page.statements = list(
            Statement.objects.filter(incident=incident)
            .select_related("interview")
            .order_by("taken_on")
        )
        page.evidence = list(
            Evidence.objects.filter(incident=incident)
            .prefetch_related(
                Prefetch("custody", queryset=CustodyEntry.objects.order_by("sequence"))
            )
            .order_by("pk")
        )
        page.age_proofs = list(
            AgeProof.objects.filter(incident=incident).select_related("case").order_by("pk")
        )
        page.arrests = list(
            Arrest.objects.filter(incident=incident)
            .select_related("suspect__person", "arrested_by")
            .order_by("arrested_at")
        )
        page.files = list(
            FileSubmission.objects.filter(incident=incident)
            .select_related("prosecutor", "decision")
            .order_by("sent_at")
        )
        page.prosecutions = _prosecution_views(incident)
    page.path = path_of(incident)
    audit_record(
        action=AuditAction.VIEW,
        actor=viewer,
        record_type=INCIDENT,
        record_id=incident.pk,
        matter_type="incident",
        matter_id=incident.pk,
        fields=[
            "code",
            "stage",
            *(["people"] if "identity" in sections else []),
            *(["evidence", "charges"] if "justice" in sections else []),
        ],
        detail={"sections": sections},
    )
    return page


# --- the path from report to verdict --------------------------------------------------------

STEP_LABELS = (
    ("report", "Report"),
    ("case", "Case opened"),
    ("incident", "Incident opened"),
    ("investigation", "Investigation"),
    ("file", "File to the prosecutor"),
    ("charge", "Decision to charge"),
    ("plea", "Plea"),
    ("judgment", "Judgment"),
)


def _step_label(key: str) -> str:
    labels = {
        "report": _("Report"),
        "case": _("Case opened"),
        "incident": _("Incident opened"),
        "investigation": _("Investigation"),
        "file": _("File to the prosecutor"),
        "charge": _("Decision to charge"),
        "plea": _("Plea"),
        "judgment": _("Judgment"),
    }
    return labels[key]


def _date(value: datetime.datetime | datetime.date | None) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value)
    return value


def _first(queryset: QuerySet[Any], field: str) -> Subquery:
    """The earliest value of the field among the incident's rows, as a subquery."""
    return Subquery(queryset.order_by(field).values(field)[:1])


def path_dates(incident: Incident) -> dict[str, datetime.date | None]:
    """Return when the incident reached each step from report to verdict (None: not yet).

    One query: each step's first date is a subquery on the incident's row.
    """
    mine = {"incident_id": OuterRef("pk")}
    found = (
        Incident.objects.filter(pk=incident.pk)
        .annotate(
            case_opened=_first(
                # the link's incident is the outer query's: OuterRef one level further out
                Case.objects.filter(
                    pk__in=IncidentChild.objects.filter(
                        incident_id=OuterRef(OuterRef("pk"))
                    ).values("case")
                ),
                "opened_at",
            ),
            investigated=_first(Investigation.objects.filter(**mine), "created_at"),
            sent=_first(FileSubmission.objects.filter(**mine), "sent_at"),
            charged=_first(
                ChargeDecision.objects.filter(**mine, decision=ChargeDecisionKind.CHARGE),
                "decided_at",
            ),
            pleaded=_first(Plea.objects.filter(**mine), "entered_on"),
            # a withdrawal ends a prosecution without a judgment
            judged=_first(
                CountOutcome.objects.filter(**mine).exclude(outcome=CountOutcomeKind.WITHDRAWN),
                "decided_on",
            ),
        )
        .values("case_opened", "investigated", "sent", "charged", "pleaded", "judged")
        .first()
    )
    row: dict[str, Any] = dict(found) if found else {}
    report = incident.source_report
    return {
        "report": _date(report.received_at) if report is not None else incident.reported_on,
        "case": _date(row.get("case_opened")),
        "incident": _date(incident.opened_at),
        "investigation": _date(row.get("investigated")),
        "file": _date(row.get("sent")),
        "charge": _date(row.get("charged")),
        "plea": row.get("pleaded"),
        "judgment": row.get("judged"),
    }


def path_of(incident: Incident) -> list[PathStep]:
    """Return the steps from report to verdict with how many days each took.

    A step's days count from the latest step above it reached on or before it. A step
    reached before the step just above it (the incident recorded months before the child's
    case was opened, or the case opened while the child was already in care, before this
    report) is marked `earlier` and shows no days: a path never shows a negative time.
    """
    dates = path_dates(incident)
    steps: list[PathStep] = []
    above: list[datetime.date] = []
    for key, _label in STEP_LABELS:
        reached = dates[key]
        days = None
        earlier = False
        if reached is not None and above:
            earlier = reached < above[-1]
            before = [date for date in above if date <= reached]
            if before and not earlier:
                days = (reached - max(before)).days
        steps.append(
            PathStep(label=_step_label(key), reached_on=reached, days=days, earlier=earlier)
        )
        if reached is not None:
            above.append(reached)
    return steps


def court_paths_for_case(*, viewer: Viewer, case: Case) -> list[CourtPath]:
    """Return the path to verdict of each incident the child is in, for the child's case page.

    Only for a viewer of the case's justice section (the case team's caseworkers and
    supervisors, an investigator on the case); counsellors and service providers get
    nothing. Dates, places, the measures granted and outcomes: no evidence, no accused.
    """
    allowed = getattr(case, "allowed", None) or policy.allowed_actions(viewer, case)
    if "view" not in allowed.get("justice", frozenset()):
        return []
    links = list(
        IncidentChild.objects.filter(case=case)
        .select_related("incident__source_report")
        .order_by("incident__opened_at")
    )
    if not links:
        return []
    from django.conf import settings

    now = timezone.now()
    paths = []
    measure_labels = dict(Measure.choices)
    for link in links:
        incident = link.incident
        events = list(
            CourtEvent.objects.filter(incident=incident)
            .select_related("prosecution", "accompanied_by")
            .order_by("scheduled_for")
        )
        protections = list(WitnessProtection.objects.filter(incident=incident, case=case))
        measures = sorted({str(measure_labels.get(m, m)) for p in protections for m in p.measures})
        upcoming = [
            e for e in events if e.state == CourtEventState.SCHEDULED and e.scheduled_for >= now
        ]
        # outside the f-string, where makemessages can find it
        count_word = pgettext("a charge sheet", "Count")
        outcomes = [
            f"{count_word} {o.count.number}: {o.get_outcome_display()}"
            for o in CountOutcome.objects.filter(
                incident=incident, count__sheet__superseded_at__isnull=True
            ).select_related("count")
        ]
        adjourned = sum(1 for e in events if e.state == CourtEventState.ADJOURNED)
        paths.append(
            CourtPath(
                incident_code=incident.code,
                stage=incident.get_stage_display(),
                steps=path_of(incident),
                next_dates=[
                    CourtDate(
                        when=timezone.localtime(e.scheduled_for),
                        court=e.prosecution.court,
                        courtroom=e.courtroom,
                        purpose=e.get_kind_display(),
                        child_attends=e.child_attends,
                        accompanied_by=(
                            e.accompanied_by.get_full_name() or e.accompanied_by.username
                        )
                        if e.accompanied_by
                        else "",
                        measures=measures if e.child_attends else [],
                    )
                    for e in upcoming[:5]
                ],
                measures=measures,
                outcomes=outcomes,
                adjournments=adjourned,
                testimonies=sum(1 for e in events if e.child_testified),
                wasted_trips=sum(1 for e in events if e.wasted_trip),
                adjournment_warning=adjourned > settings.KINGA_ADJOURNMENT_WARNING,
            )
        )
    audit_record(
        action=AuditAction.VIEW,
        actor=_actor(viewer),
        record_type="justice.courtpath",
        record_id=case.pk,
        matter_type="case",
        matter_id=case.pk,
        fields=["court_dates", "measures", "outcomes"],
        detail={"incidents": [link.incident_id for link in links]},
    )
    return paths


# --- the court calendar ---------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarRow:
    event_id: int
    when: datetime.datetime
    court: str
    courtroom: str
    kind: str
    witness: str
    child_attends: bool
    incident_id: int
    incident_code: str
    court_file_number: str
    on_team: bool
    mine: bool


def court_calendar(
    *, viewer: User, start: datetime.date, days: int = 28, limit: int = 500
) -> list[CalendarRow]:
    """Return the scheduled court dates in the window the viewer must know of, soonest first.

    Investigators and prosecutors: the dates of the incidents they are on. Caseworkers and
    supervisors: the dates of the incidents their cases' children are in (date, place and
    purpose). `mine` marks the dates the viewer is to attend in person.
    """
    if not policy.can_do(viewer, "court.calendar"):
        return []
    begin = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    end = begin + datetime.timedelta(days=days)
    on_team = policy.visible_matter_ids(viewer, MatterType.INCIDENT, "summary", "list")
    for_children = IncidentChild.objects.filter(
        case_id__in=policy.visible_matter_ids(viewer, MatterType.CASE, "justice", "list")
    ).values("incident_id")
    team_ids = set(on_team.values_list("matter_id", flat=True))
    rows = (
        CourtEvent.objects.filter(
            Q(incident_id__in=on_team) | Q(incident_id__in=for_children),
            state=CourtEventState.SCHEDULED,
            scheduled_for__gte=begin,
            scheduled_for__lt=end,
        )
        .order_by("scheduled_for", "pk")
        .values_list(
            "pk",
            "scheduled_for",
            "prosecution__court",
            "courtroom",
            "kind",
            "witness",
            "child_attends",
            "incident_id",
            "incident__code",
            "prosecution__court_file_number",
            "prosecution__lead_prosecutor_id",
            "accompanied_by_id",
        )[:limit]
    )
    kinds = dict(CourtEventKind.choices)
    result = [
        CalendarRow(
            event_id=pk,
            when=timezone.localtime(when),
            court=court,
            courtroom=courtroom,
            kind=str(kinds.get(kind, kind)),
            witness=witness,
            child_attends=child,
            incident_id=incident_id,
            incident_code=code,
            court_file_number=file_number if incident_id in team_ids else "",
            on_team=incident_id in team_ids,
            mine=viewer.pk in (prosecutor_id, companion_id) or incident_id in team_ids,
        )
        for (
            pk,
            when,
            court,
            courtroom,
            kind,
            witness,
            child,
            incident_id,
            code,
            file_number,
            prosecutor_id,
            companion_id,
        ) in rows
    ]
    audit_record(
        action=AuditAction.LIST,
        actor=viewer,
        record_type="justice.courtevent",
        detail={"start": start.isoformat(), "days": days, "rows": len(result)},
    )
    return result


# --- the funnel, for insights ---------------------------------------------------------------


@dataclass(frozen=True)
class Funnel:
    """How many incidents reached each step, and why hearings were adjourned."""

    steps: list[tuple[str, int]]
    adjournment_reasons: list[tuple[str, int]]
    median_days: dict[str, float | None]


def _median(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def justice_funnel(*, viewer: Viewer, since: datetime.date | None = None) -> Funnel:
    """Return the report-to-verdict funnel over incidents (opened since a date) and the
    adjournment reasons: counts only, for the aggregate view (analysts, supervisors). The
    insights app suppresses small cells before it shows them."""
    if not policy.can_do(viewer, "aggregate.view"):
        return Funnel(steps=[], adjournment_reasons=[], median_days={})
    incidents = Incident.objects.all()
    if since is not None:
        incidents = incidents.filter(opened_at__date__gte=since)
    ids = incidents.values("pk")
    reached: dict[str, int] = {}
    reached["report"] = incidents.count()
    reached["case"] = incidents.filter(children__isnull=False).distinct().count()
    reached["incident"] = reached["report"]
    reached["investigation"] = Investigation.objects.filter(incident_id__in=ids).count()
    reached["file"] = (
        FileSubmission.objects.filter(incident_id__in=ids).values("incident").distinct().count()
    )
    reached["charge"] = (
        ChargeDecision.objects.filter(incident_id__in=ids, decision=ChargeDecisionKind.CHARGE)
        .values("incident")
        .distinct()
        .count()
    )
    reached["plea"] = Plea.objects.filter(incident_id__in=ids).values("incident").distinct().count()
    # a withdrawal ends a prosecution without a judgment
    judged = CountOutcome.objects.filter(incident_id__in=ids).exclude(
        outcome=CountOutcomeKind.WITHDRAWN
    )
    reached["judgment"] = judged.values("incident").distinct().count()
    reasons = Counter(
        Adjournment.objects.filter(incident_id__in=ids).values_list("reason", flat=True)
    )
    labels = dict(AdjournmentReason.choices)
    durations: dict[str, list[int]] = defaultdict(list)
    opened = dict(incidents.values_list("pk", "opened_at"))
    for incident_id, sent in FileSubmission.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "sent_at"
    ):
        durations["incident_to_file"].append((sent - opened[incident_id]).days)
    for incident_id, decided in judged.values_list("incident_id", "decided_on"):
        durations["incident_to_judgment"].append(
            (decided - timezone.localdate(opened[incident_id])).days
        )
    audit_record(
        action=AuditAction.LIST,
        actor=_actor(viewer),
        record_type="justice.funnel",
        detail={"since": since.isoformat() if since else None},
    )
    return Funnel(
        steps=[(_step_label(key), reached[key]) for key, _label in STEP_LABELS],
        adjournment_reasons=[
            (str(labels.get(reason, reason)), count) for reason, count in reasons.most_common()
        ],
        median_days={key: _median(values) for key, values in durations.items()},
    )


def home_work(*, viewer: User, today: datetime.date) -> list[WorkCount]:
    """Return the viewer's justice work for their home: the court dates of the coming week
    (those they attend in person marked), and for investigators the reports triage sent to
    their unit that still wait for an incident."""
    from kinga.accounts.home import WorkCount

    work: list[WorkCount] = []
    if policy.can_do(viewer, "incident.open"):
        waiting = reports_awaiting_incident(viewer=viewer).count()
        work.append(
            WorkCount(
                _("Reports waiting for an incident"),
                waiting,
                reverse("justice:incidents"),
                urgent=waiting > 0,
            )
        )
    if policy.can_do(viewer, "court.calendar"):
        week = court_calendar(viewer=viewer, start=today, days=7)
        attend = sum(1 for row in week if row.mine)
        if attend:
            work.append(
                WorkCount(
                    _("Court dates you attend this week"),
                    attend,
                    reverse("justice:calendar"),
                    urgent=True,
                )
            )
        work.append(
            WorkCount(_("Court dates in the next 7 days"), len(week), reverse("justice:calendar"))
        )
    return work
