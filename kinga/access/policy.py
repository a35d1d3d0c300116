"""The one access policy: who may do what to which record, and why.

A user sees a record because of a *relationship* to its matter (a case, a report awaiting
triage, an investigation, a prosecution), recorded as an `AccessGrant`. Nothing else
grants access: not being an administrator, not being in the same county, not holding a
role on its own. What a relationship allows depends on the viewer's role, the record's
*section* and the *action*, by the table below. A user with several roles gets the union.

Actions: l = list, v = view, c = create, u = change (update), e = export, d = delete.
Nobody deletes a protected record: a court may ask for it.

Sections: summary (the matter itself: code, status, dates, team, tasks, general notes),
identity (names, dates of birth, phones, addresses, identifiers), care (assessments,
counselling sessions, wellbeing, care notes), justice (statements, interviews, evidence,
justice notes), referral (referrals, and the minimum identity a receiving service needs).

POLICY TABLE
role              relation             summary  identity  care   justice  referral
caseworker        team_member          lvcue    lvcue     lvcue  lv       lvcue
caseworker        triage_area          lvu      lv        -      -        lvc
caseworker        referral_recipient   -        -         -      -        lvu
caseworker        break_glass          lv       v         -      -        -
counsellor        team_member          lv       lv        lvcu   -        lv
supervisor        team_member          lvcue    lvcue     lvcue  lv       lvcue
supervisor        agency_on_team       lvue     lve       lv     lv       lve
supervisor        triage_area          lvu      lv        -      -        lvc
supervisor        referral_recipient   -        -         -      -        lvu
supervisor        break_glass          lv       v         -      -        -
investigator      team_member          lvc      lvc       -      lvcue    -
investigator      triage_area          lv       lv        -      -        -
investigator      break_glass          lv       v         -      -        -
prosecutor        team_member          lv       lv        -      lvcue    -
service_provider  referral_recipient   -        -         -      -        lvu
helpline          author               lv       lv        -      -        -
caseworker        alert_recipient      v        v         -      -        -
supervisor        alert_recipient      v        v         -      -        -
investigator      alert_recipient      v        v         -      -        -
helpline          alert_recipient      v        v         -      -        -
data_protection_officer subject_request ve      ve        ve     -        ve
integration       author               lv       -         -      -        -
integration       referral_recipient   -        -         -      -        lvu
integration       agency_on_team       lv       -         -      lv       -
END POLICY TABLE

Every role × relationship × section × action not in the table is denied; the roles
analyst, trainer and admin appear nowhere, so they see no record content at all.

The data protection officer sees a matter only while answering a data subject's request
about a person on it (subject_request: from the identity check until the decision, at most
a few days past the statutory deadline), to view and export what Kinga holds about that
person; never list (no matter enters a queue or a search), never justice (statements and
evidence stay with the investigation: Data Protection Act 2019 s.51(2)(b)).

No relation gives more than the role it came through. A relation granted to a whole agency
because one of its people joined the matter (agency_on_team) carries that person's role as
its `via_role`, and what it gives any member of the agency is capped at what that role has
as a team member (`CAPPED_BY`): a police unit on a case through its investigator gives the
unit's supervisor what an investigator may see (summary, identity, justice), never care.
Such a grant without a `via_role` gives nothing.

Break-glass opens what protects the child now: the summary (status, risk, team: who to
call), identity (names, contacts) and the placement only as "at a safe place"; never care,
justice, referrals or a confidential location.

Justice records (kinga.justice) all belong to one matter, the incident (`MatterType.INCIDENT`):
the incident and its timeline, people of interest, the investigation, statements, evidence and
its chain of custody, arrests, the file to the prosecutor, prosecutions, charge sheets, pleas,
bail and court events. The investigating officers and the prosecutors are its team members
(granted one by one as they join); their units' supervisors oversee it (agency_on_team, capped
by the role). On an incident, summary is what happened, where and when, and the path to
court; identity is the people of interest and the accused; justice is the investigation,
statements, evidence, charges and the court record. Writes are the justice section's. A police
unit stands in triage_area to a report triage decided to open an incident on, until an
incident is opened from it (summary and identity of the report: what it says). Caseworkers
are never on an incident: the child's case shows the court path (dates, places, measures
for the child, outcomes) to whoever may view the justice section of the *case*, which
leaves out counsellors and service providers; evidence and the accused stay on the incident.

A danger alert (`kinga.intake.services.alerts`) gives each person it reaches, at each step
of its fallback chain, an alert_recipient grant on the report for a few days: what they need
to act (place, what is happening, how many children, the reporter's contact when the
reporter agreed to be called back). It allows view, never list, so an alerted report does
not enter anyone's queues or searches; they reach it through the alert.

An integration (`kinga.api`: a named system of an agency calling the open API) is a
principal of its own, `INTEGRATION`, never a person's role. Its system account holds no role
assignment; the API's authentication gives it this role for the request. It reads the state
of the reports it filed (summary only: it sent what they say) and the referrals made to its
agency, which it may answer, and no more than a service provider of that agency; the
token's scopes narrow it further. A partner's system whose agency is on a case's team
(agency_on_team) reads the case's summary and the court dates of its justice section, capped
like any agency relation by the role its person joined through, and never the child's identity.
A partner's system may refer a child in (`report.refer_in`): the referral arrives as a report
in triage, which the system then reads as the author of it, as a helpline's system does.

Besides records, some things a role may do that are not about one matter (open a new
case, request break-glass, triage) are in `CAPABILITIES`.

The link graph (kinga.intel) shows a link, and the names, numbers and handles at its ends,
to a viewer holding `intel.network` who may `INTEL_ACTION` the `INTEL_SECTION` of the matter
the link comes from (the incident, report or case): investigators on an incident and the
supervisors overseeing it see its people and leads joined to the rest of what they may see,
never a link of a matter they are not on. Exporting a network for a partner agency
(`intel.export`) takes only the links of matters whose `INTEL_EXPORT_SECTION` the viewer may
export: the investigation's own file. Analysts (`intel.patterns`) see counts over the whole
graph, each below k suppressed, and never a node.

Two person records that may be one person (kinga.matching) are reviewed, merged and
unmerged by someone with authority over both: a role holding `person.merge` who may record
people (`PERSON_MERGE_ACTION` on the `PERSON_MERGE_SECTION`) in a matter each record is
linked to. Anyone else is never shown the pair, nor told that it exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from kinga.access.models import AccessGrant, MatterType, Relation
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kinga.accounts.models import User

SECTIONS = ("summary", "identity", "care", "justice", "referral")
ACTIONS = ("list", "view", "create", "change", "export", "delete")
ACTION_LETTERS = {
    "l": "list",
    "v": "view",
    "c": "create",
    "u": "change",
    "e": "export",
    "d": "delete",
}


def parse_table(text: str) -> dict[tuple[str, str], dict[str, frozenset[str]]]:
    """Read the docstring's table into (role, relation) -> section -> actions."""
    lines = text.split("POLICY TABLE", 1)[1].split("END POLICY TABLE", 1)[0].strip().splitlines()
    header = lines[0].split()
    sections = header[2:]
    table: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
    for line in lines[1:]:
        role, relation, *cells = line.split()
        table[(role, relation)] = {
            section: frozenset(ACTION_LETTERS[letter] for letter in cell if letter != "-")
            for section, cell in zip(sections, cells, strict=True)
        }
    return table


# A system of an agency calling the open API (kinga.api). Not a `Role`: nobody is given it;
# the API's authentication sets it on the integration's system account for the request.
INTEGRATION = "integration"

# The rules as data. The table in the docstring is the readable form; a test checks that
# the two say the same thing, and another walks every cell through `can` on a database.
POLICY: dict[tuple[str, str], dict[str, frozenset[str]]] = {
    (Role.CASEWORKER, Relation.TEAM_MEMBER): {
        "summary": frozenset({"list", "view", "create", "change", "export"}),
        "identity": frozenset({"list", "view", "create", "change", "export"}),
        "care": frozenset({"list", "view", "create", "change", "export"}),
        "justice": frozenset({"list", "view"}),
        "referral": frozenset({"list", "view", "create", "change", "export"}),
    },
    (Role.CASEWORKER, Relation.TRIAGE_AREA): {
        "summary": frozenset({"list", "view", "change"}),
        "identity": frozenset({"list", "view"}),
        "referral": frozenset({"list", "view", "create"}),
    },
    (Role.CASEWORKER, Relation.REFERRAL_RECIPIENT): {
        "referral": frozenset({"list", "view", "change"}),
    },
    (Role.CASEWORKER, Relation.BREAK_GLASS): {
        "summary": frozenset({"list", "view"}),
        "identity": frozenset({"view"}),
    },
    (Role.COUNSELLOR, Relation.TEAM_MEMBER): {
        "summary": frozenset({"list", "view"}),
        "identity": frozenset({"list", "view"}),
        "care": frozenset({"list", "view", "create", "change"}),
        "referral": frozenset({"list", "view"}),
    },
    (Role.SUPERVISOR, Relation.TEAM_MEMBER): {
        "summary": frozenset({"list", "view", "create", "change", "export"}),
        "identity": frozenset({"list", "view", "create", "change", "export"}),
        "care": frozenset({"list", "view", "create", "change", "export"}),
        "justice": frozenset({"list", "view"}),
        "referral": frozenset({"list", "view", "create", "change", "export"}),
    },
    (Role.SUPERVISOR, Relation.AGENCY_ON_TEAM): {
        "summary": frozenset({"list", "view", "change", "export"}),
        "identity": frozenset({"list", "view", "export"}),
        "care": frozenset({"list", "view"}),
        "justice": frozenset({"list", "view"}),
        "referral": frozenset({"list", "view", "export"}),
    },
    (Role.SUPERVISOR, Relation.TRIAGE_AREA): {
        "summary": frozenset({"list", "view", "change"}),
        "identity": frozenset({"list", "view"}),
        "referral": frozenset({"list", "view", "create"}),
    },
    (Role.SUPERVISOR, Relation.REFERRAL_RECIPIENT): {
        "referral": frozenset({"list", "view", "change"}),
    },
    (Role.SUPERVISOR, Relation.BREAK_GLASS): {
        "summary": frozenset({"list", "view"}),
        "identity": frozenset({"view"}),
    },
    (Role.INVESTIGATOR, Relation.TEAM_MEMBER): {
        "summary": frozenset({"list", "view", "create"}),
        "identity": frozenset({"list", "view", "create"}),
        "justice": frozenset({"list", "view", "create", "change", "export"}),
    },
    (Role.INVESTIGATOR, Relation.TRIAGE_AREA): {
        "summary": frozenset({"list", "view"}),
        "identity": frozenset({"list", "view"}),
    },
    (Role.INVESTIGATOR, Relation.BREAK_GLASS): {
        "summary": frozenset({"list", "view"}),
        "identity": frozenset({"view"}),
    },
    (Role.PROSECUTOR, Relation.TEAM_MEMBER): {
        "summary": frozenset({"list", "view"}),
        "identity": frozenset({"list", "view"}),
        "justice": frozenset({"list", "view", "create", "change", "export"}),
    },
    (Role.SERVICE_PROVIDER, Relation.REFERRAL_RECIPIENT): {
        "referral": frozenset({"list", "view", "change"}),
    },
    (Role.HELPLINE, Relation.AUTHOR): {
        "summary": frozenset({"list", "view"}),
        "identity": frozenset({"list", "view"}),
    },
    # a danger alert reached them: what they need to act, through the alert only (no list)
    (Role.CASEWORKER, Relation.ALERT_RECIPIENT): {
        "summary": frozenset({"view"}),
        "identity": frozenset({"view"}),
    },
    (Role.SUPERVISOR, Relation.ALERT_RECIPIENT): {
        "summary": frozenset({"view"}),
        "identity": frozenset({"view"}),
    },
    (Role.INVESTIGATOR, Relation.ALERT_RECIPIENT): {
        "summary": frozenset({"view"}),
        "identity": frozenset({"view"}),
    },
    (Role.HELPLINE, Relation.ALERT_RECIPIENT): {
        "summary": frozenset({"view"}),
        "identity": frozenset({"view"}),
    },
    # answering a data subject's request: what Kinga holds about the person, to export
    (Role.DATA_PROTECTION_OFFICER, Relation.SUBJECT_REQUEST): {
        "summary": frozenset({"view", "export"}),
        "identity": frozenset({"view", "export"}),
        "care": frozenset({"view", "export"}),
        "referral": frozenset({"view", "export"}),
    },
    # a system of an agency, through the open API (kinga.api): never wider than the web
    (INTEGRATION, Relation.AUTHOR): {
        "summary": frozenset({"list", "view"}),
    },
    (INTEGRATION, Relation.REFERRAL_RECIPIENT): {
        "referral": frozenset({"list", "view", "change"}),
    },
    # a partner's system whose agency is on a case's team: the summary and the court dates
    (INTEGRATION, Relation.AGENCY_ON_TEAM): {
        "summary": frozenset({"list", "view"}),
        "justice": frozenset({"list", "view"}),
    },
}

# Relations granted to a whole agency reach only these roles within it; the rest are
# granted to one user at a time.
AGENCY_RELATIONS = frozenset(
    {Relation.AGENCY_ON_TEAM, Relation.REFERRAL_RECIPIENT, Relation.TRIAGE_AREA}
)

# A grant of these relations carries the role of the person it came through (`via_role`);
# it gives no more than that role has through the relation named here.
CAPPED_BY: dict[str, str] = {Relation.AGENCY_ON_TEAM: Relation.TEAM_MEMBER}


def cap_of(via_role: str, relation: str) -> dict[str, frozenset[str]] | None:
    """Return section -> actions a grant of the relation through `via_role` is capped at.

    None when the relation is not capped; empty when it is capped and the role gives nothing
    (a capped grant without a role gives nothing).
    """
    capped_by = CAPPED_BY.get(relation)
    if capped_by is None:
        return None
    return POLICY.get((via_role, capped_by), {})


def team_roles(roles: Iterable[str]) -> list[str]:
    """Return the roles among these that give something as a team member, in table order."""
    held = set(roles)
    return [
        str(role)
        for (role, relation) in POLICY
        if relation == Relation.TEAM_MEMBER and role in held
    ]


# What a role may do that is not about one matter.
CAPABILITIES: dict[str, frozenset[str]] = {
    "case.open": frozenset({Role.CASEWORKER, Role.SUPERVISOR}),
    "report.log_call": frozenset({Role.HELPLINE, INTEGRATION}),
    # a partner agency's system refers a child in, as a report to triage (kinga.api)
    "report.refer_in": frozenset({INTEGRATION}),
    "report.triage": frozenset({Role.CASEWORKER, Role.SUPERVISOR}),
    "break_glass.request": frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.INVESTIGATOR}),
    "break_glass.review": frozenset({Role.SUPERVISOR}),
    "case.approve": frozenset({Role.SUPERVISOR}),
    "consent.override": frozenset({Role.SUPERVISOR}),
    "directory.browse": frozenset(
        {Role.CASEWORKER, Role.SUPERVISOR, Role.COUNSELLOR, Role.SERVICE_PROVIDER, Role.HELPLINE}
    ),
    "aggregate.view": frozenset({Role.ANALYST, Role.SUPERVISOR}),
    "incident.open": frozenset({Role.INVESTIGATOR}),
    "court.calendar": frozenset(
        {Role.INVESTIGATOR, Role.PROSECUTOR, Role.CASEWORKER, Role.SUPERVISOR}
    ),
    # the law's duties (kinga.dataprotection): breaches, retention and holds, requests
    "dataprotection.manage": frozenset({Role.DATA_PROTECTION_OFFICER}),
    # joint training (kinga.training): trainers run it; supervisors see their agency's coverage
    "training.manage": frozenset({Role.TRAINER}),
    "training.coverage": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    "person.merge": frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.INVESTIGATOR}),
    # the link graph (kinga.intel): networks of the matters one may see; counts for analysts
    "intel.network": frozenset({Role.INVESTIGATOR, Role.SUPERVISOR}),
    "intel.export": frozenset({Role.INVESTIGATOR}),
    "intel.patterns": frozenset({Role.ANALYST}),
    # awareness campaigns (kinga.awareness): counts of reports only, never a report
    "awareness.manage": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    "awareness.view": frozenset({Role.TRAINER, Role.SUPERVISOR, Role.ANALYST}),
    # field volunteers of the supervisor's own agency, their phones' tokens, what they sent
    "collect.supervise": frozenset({Role.SUPERVISOR}),
    # field submissions that could not be filed (metadata only, never content)
    "collect.quarantine": frozenset({Role.ADMIN}),
}

# What "authority over a person record" means for matching: this action on this section
# of a matter the record is linked to (recording people there), with "person.merge".
PERSON_MERGE_SECTION = "identity"
PERSON_MERGE_ACTION = "create"

# What shows a link of the graph (kinga.intel) and its ends: this action on this section of
# the matter it comes from, with "intel.network"; exporting it, the investigation's export.
INTEL_SECTION = "identity"
INTEL_ACTION = "list"
INTEL_EXPORT_SECTION = "justice"
INTEL_EXPORT_ACTION = "export"


# What each role may count (kinga.insights): dashboard -> scope of the rows counted. Counts
# only, never a record: "programme" counts every agency's records, "county" those of the
# county the viewer's agency serves. Every count is suppressed below k (KINGA_INSIGHTS_K)
# with its complements; identities and free text never reach a dashboard or an export.
# A role not named here counts nothing; the matrix test walks every cell.
COUNTING: dict[str, dict[str, str]] = {
    Role.ANALYST: {
        "funnel": "programme",
        "response": "programme",
        "referrals": "programme",
        "survivors": "programme",
        "justice": "programme",
        "reporting": "programme",
        "map": "programme",
        "export": "programme",
        "ctdc": "programme",
        "report": "programme",
        # the HTCDS-field rows for partner agencies (k-anonymous, no identity)
        "htcds": "programme",
    },
    Role.SUPERVISOR: {
        "funnel": "county",
        "response": "county",
        "referrals": "county",
        "survivors": "county",
        "reporting": "county",
        "map": "county",
        "export": "county",
        "report": "county",
        "htcds": "county",
    },
    # a system of an agency reading figures through the open API (kinga.api, figures:read):
    # the county its agency serves, the same suppressed counts as the dashboards
    INTEGRATION: {
        "reporting": "county",
        "referrals": "county",
    },
}
COUNTING_SCOPES = ("programme", "county")


def counting_scope(viewer: User | AnonymousUser | None, dashboard: str) -> str | None:
    """Return the widest scope the viewer's roles may count the dashboard in; None if none."""
    scopes = {COUNTING.get(role, {}).get(dashboard) for role in _roles(viewer)} - {None}
    for scope in COUNTING_SCOPES:
        if scope in scopes:
            if scope == "county" and getattr(viewer, "agency_id", None) is None:
                continue
            return scope
    return None


def dashboards_of(viewer: User | AnonymousUser | None) -> list[str]:
    """Return the dashboards the viewer may count, in the table's order."""
    names: list[str] = []
    for role in _roles(viewer):
        names.extend(name for name in COUNTING.get(role, {}) if name not in names)
    return [
        name for name in COUNTING[Role.ANALYST] if name in names and counting_scope(viewer, name)
    ]


@dataclass(frozen=True)
class Matter:
    """A reference to the thing access is granted on: a case, report, investigation..."""

    type: str
    id: int


class ProtectedRecord(Protocol):
    """A model instance that knows which matter it belongs to."""

    def access_matter(self) -> Matter: ...


def matter_of(record: ProtectedRecord | Matter) -> Matter:
    """Return the matter a record belongs to."""
    if isinstance(record, Matter):
        return record
    return record.access_matter()


def matter_model(matter_type: str) -> type[Model] | None:
    """Return the model whose rows are matters of that type (it declares itself the matter)."""
    from django.apps import apps

    for model in apps.get_models():
        if (
            getattr(model, "access_matter_type", None) == matter_type
            and getattr(model, "access_matter_field", None) == "pk"
        ):
            return model
    return None


def matter_exists(matter: Matter) -> bool:
    """Return whether the matter is a real record (break-glass is never on a made-up one)."""
    model = matter_model(matter.type)
    return model is not None and model._default_manager.filter(pk=matter.id).exists()


def _roles(viewer: User | AnonymousUser | None) -> frozenset[str]:
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return frozenset()
    return viewer.role_set


def relations_allowing(
    roles: Iterable[str], section: str, action: str
) -> tuple[frozenset[str], frozenset[str]]:
    """Return (relations held personally, relations held through the agency) that allow it."""
    personal: set[str] = set()
    through_agency: set[str] = set()
    for role in roles:
        for (table_role, relation), sections in POLICY.items():
            if table_role == role and action in sections.get(section, frozenset()):
                (through_agency if relation in AGENCY_RELATIONS else personal).add(relation)
                if relation in AGENCY_RELATIONS:
                    # an agency relation may also be granted to one user (e.g. a named
                    # Children's Officer on a referral)
                    personal.add(relation)
    return frozenset(personal), frozenset(through_agency)


def via_roles_allowing(relation: str, section: str, action: str) -> frozenset[str] | None:
    """Return the `via_role`s whose cap on the relation allows the action; None if uncapped."""
    capped_by = CAPPED_BY.get(relation)
    if capped_by is None:
        return None
    return frozenset(
        role
        for (role, table_relation), sections in POLICY.items()
        if table_relation == capped_by and action in sections.get(section, frozenset())
    )


def _grant_condition(who: Q, relations: frozenset[str], section: str, action: str) -> Q:
    """Return the SQL condition for grants of `who` in these relations, caps applied."""
    uncapped = sorted(r for r in relations if r not in CAPPED_BY)
    condition = Q(who, relation__in=uncapped) if uncapped else Q(pk__in=[])
    for relation in sorted(relations - set(uncapped)):
        via = via_roles_allowing(relation, section, action) or frozenset()
        condition |= Q(who, relation=relation, via_role__in=sorted(via))
    return condition


def live_grants(
    viewer: User | AnonymousUser | None,
    section: str,
    action: str,
    *,
    only: frozenset[str] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> QuerySet[AccessGrant] | None:
    """Return the viewer's live grants whose relation allows the action on the section.

    `only` and `exclude` narrow the relations considered (a referral's recipient sees the
    referral its grant names, not every referral of the case). A grant capped by the role it
    came through (`CAPPED_BY`) counts only when that role allows the action too. None when
    nothing can allow.
    """
    roles = _roles(viewer)
    if not roles:
        return None
    user: User = viewer  # type: ignore[assignment]
    personal, through_agency = relations_allowing(roles, section, action)
    if only is not None:
        personal, through_agency = personal & only, through_agency & only
    personal, through_agency = personal - exclude, through_agency - exclude
    if through_agency and user.agency_id is None:
        through_agency = frozenset()
    if not personal and not through_agency:
        return None
    condition = Q(pk__in=[])
    if personal:
        condition |= _grant_condition(Q(user_id=user.pk), personal, section, action)
    if through_agency:
        condition |= _grant_condition(Q(agency_id=user.agency_id), through_agency, section, action)
    return AccessGrant.objects.live().filter(condition)


def relations_of(viewer: User | AnonymousUser | None, matter: Matter) -> frozenset[tuple[str, str]]:
    """Return the live (relation, via_role) pairs the viewer (or their agency) holds."""
    roles = _roles(viewer)
    if not roles:
        return frozenset()
    user: User = viewer  # type: ignore[assignment]
    who = Q(user_id=user.pk)
    if user.agency_id is not None:
        who |= Q(agency_id=user.agency_id, relation__in=AGENCY_RELATIONS)
    rows = (
        AccessGrant.objects.live()
        .filter(who, matter_type=matter.type, matter_id=matter.id)
        .values_list("relation", "via_role")
    )
    return frozenset((str(relation), str(via_role)) for relation, via_role in rows)


def actions_through(role: str, relation: str, via_role: str = "") -> dict[str, frozenset[str]]:
    """Return section -> actions that a role gets through one grant of the relation.

    The table's row for (role, relation), capped by what `via_role` has when the relation
    is capped: no relation gives more than the role it came through.
    """
    row = POLICY.get((role, relation), {})
    cap = cap_of(via_role, relation)
    if cap is None:
        return dict(row)
    return {
        section: actions & cap.get(section, frozenset())
        for section, actions in row.items()
        if actions & cap.get(section, frozenset())
    }


def allowed_actions(
    viewer: User | AnonymousUser | None, record: ProtectedRecord | Matter
) -> dict[str, frozenset[str]]:
    """Return section -> actions the viewer may take on the record's matter (one query)."""
    roles = _roles(viewer)
    relations = relations_of(viewer, matter_of(record)) if roles else frozenset()
    result: dict[str, set[str]] = {section: set() for section in SECTIONS}
    for role in roles:
        for relation, via_role in relations:
            for section, actions in actions_through(role, relation, via_role).items():
                result[section] |= actions
    return {section: frozenset(actions) for section, actions in result.items()}


def can(
    viewer: User | AnonymousUser | None,
    action: str,
    record: ProtectedRecord | Matter,
    section: str,
) -> bool:
    """Return whether the viewer may take the action on that section of the record."""
    if action not in ACTIONS or section not in SECTIONS:
        raise ValueError(f"unknown action {action!r} or section {section!r}")
    return action in allowed_actions(viewer, record)[section]


def can_do(viewer: User | AnonymousUser | None, capability: str) -> bool:
    """Return whether the viewer's roles allow something not tied to one matter."""
    return bool(_roles(viewer) & CAPABILITIES[capability])


M = TypeVar("M", bound=Model)


def visible(
    viewer: User | AnonymousUser | None,
    queryset: QuerySet[M],
    *,
    section: str = "summary",
    action: str = "list",
) -> QuerySet[M]:
    """Return the part of the queryset the viewer may take the action on, filtered in SQL.

    The model names its matter with `access_matter_type` (a MatterType) and
    `access_matter_field` (the field holding the matter's id: "pk" for the matter itself,
    "case_id" for a record inside a case).
    """
    model: Any = queryset.model
    if not _roles(viewer):
        return queryset.none()
    matters = visible_matter_ids(viewer, model.access_matter_type, section, action)
    return queryset.filter(**{f"{model.access_matter_field}__in": matters})


def visible_matter_ids(
    viewer: User | AnonymousUser | None,
    matter_type: str,
    section: str,
    action: str,
    *,
    exclude: frozenset[str] = frozenset(),
) -> QuerySet[AccessGrant, Any]:
    """Return a subquery of the ids of matters of that type the viewer may take the action on.

    For records that are not themselves inside one matter (a person linked to several):
    filter `matter_id__in=visible_matter_ids(...)` beside `matter_type=...`.
    """
    grants = live_grants(viewer, section, action, exclude=exclude)
    if grants is None:
        return AccessGrant.objects.none().values("matter_id")
    return grants.filter(matter_type=matter_type).values("matter_id")


def require(
    viewer: User | AnonymousUser | None,
    action: str,
    record: ProtectedRecord | Matter,
    section: str,
    *,
    record_type: str = "",
    record_id: object = "",
) -> None:
    """Raise Http404 — the same as "not found" — and audit the attempt unless allowed."""
    if can(viewer, action, record, section):
        return
    matter = matter_of(record)
    audit_record(
        action=AuditAction.DENIED,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type=record_type,
        record_id=record_id,
        matter_type=matter.type,
        matter_id=matter.id,
        detail={"wanted": action, "section": section},
    )
    raise Http404


def deny(
    viewer: User | AnonymousUser | None,
    *,
    record_type: str,
    record_id: object,
    action: str = "view",
    section: str = "summary",
    matter: ProtectedRecord | Matter | None = None,
) -> Http404:
    """Audit an attempt on a record that does not exist or is out of reach; return the 404.

    Give `matter` when the record exists, so the refusal shows on that matter's "who has
    seen this" trail; the answer is the same 404 either way, so it says nothing about it.
    """
    where = matter_of(matter) if matter is not None else None
    audit_record(
        action=AuditAction.DENIED,
        actor=viewer if viewer is not None and viewer.is_authenticated else None,
        record_type=record_type,
        record_id=record_id,
        matter_type=where.type if where is not None else "",
        matter_id=where.id if where is not None else None,
        detail={"wanted": action, "section": section},
    )
    return Http404()


__all__ = [
    "ACTIONS",
    "INTEGRATION",
    "CAPABILITIES",
    "POLICY",
    "SECTIONS",
    "Matter",
    "MatterType",
    "Relation",
    "CAPPED_BY",
    "COUNTING",
    "counting_scope",
    "dashboards_of",
    "actions_through",
    "allowed_actions",
    "can",
    "can_do",
    "deny",
    "matter_of",
    "relations_of",
    "require",
    "visible",
    "live_grants",
    "visible_matter_ids",
]


def can_see_trail(viewer: User | AnonymousUser | None, record: ProtectedRecord | Matter) -> bool:
    """Return whether the viewer may read who has seen the matter: a supervisor overseeing it."""
    if Role.SUPERVISOR not in _roles(viewer):
        return False
    relations = {relation for relation, _via in relations_of(viewer, matter_of(record))}
    return bool(relations & {Relation.AGENCY_ON_TEAM, Relation.TEAM_MEMBER})
