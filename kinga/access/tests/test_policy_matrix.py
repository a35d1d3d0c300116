"""The policy matrix: every role × relationship × section × action, against the docstring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_user
from kinga.access import policy
from kinga.access.models import AccessGrant, Relation
from kinga.access.policy import (
    ACTIONS,
    POLICY,
    SECTIONS,
    Matter,
    can,
    parse_table,
    visible_matter_ids,
)
from kinga.accounts.models import Agency, AgencyKind, Role
from kinga.places.models import County


def test_docstring_table_and_data_say_the_same_thing() -> None:
    assert policy.__doc__ is not None
    table = parse_table(policy.__doc__)
    data = {
        (str(role), str(relation)): {
            section: frozenset(sections.get(section, frozenset())) for section in SECTIONS
        }
        for (role, relation), sections in POLICY.items()
    }
    assert table == data


def test_roles_without_record_access_appear_nowhere() -> None:
    roles_in_table = {role for role, _relation in POLICY}
    assert Role.ADMIN not in roles_in_table
    assert Role.ANALYST not in roles_in_table
    assert Role.TRAINER not in roles_in_table
    # the data protection officer only through a data subject's request, never listing
    officer_rows = {relation for role, relation in POLICY if role == Role.DATA_PROTECTION_OFFICER}
    assert officer_rows == {Relation.SUBJECT_REQUEST}
    assert all(
        "list" not in actions and "change" not in actions
        for (role, _relation), cells in POLICY.items()
        if role == Role.DATA_PROTECTION_OFFICER
        for actions in cells.values()
    )
    assert not POLICY[(Role.DATA_PROTECTION_OFFICER, Relation.SUBJECT_REQUEST)].get("justice")
    assert all("delete" not in actions for cells in POLICY.values() for actions in cells.values())


def _grant(matter: Matter, relation: str, user: object, agency: Agency, via_role: str = "") -> None:
    if relation in policy.AGENCY_RELATIONS:
        if relation in policy.CAPPED_BY and not via_role:
            # the widest role, so the table's own row is what is measured
            via_role = Role.SUPERVISOR
        AccessGrant.objects.create(
            matter_type=matter.type,
            matter_id=matter.id,
            relation=relation,
            agency=agency,
            via_role=via_role,
        )
    else:
        AccessGrant.objects.create(
            matter_type=matter.type, matter_id=matter.id, relation=relation, user=user
        )


@pytest.mark.django_db
def test_every_cell_of_the_matrix_matches_the_table() -> None:
    assert policy.__doc__ is not None
    table = parse_table(policy.__doc__)
    county = County.objects.get(name="Mombasa")
    mismatches: list[str] = []
    matter_id = 1000
    for role in Role.values:
        for relation in Relation.values:
            matter_id += 1
            agency = Agency.objects.create(
                name=f"Agency {role} {relation}", kind=AgencyKind.NGO, county=county
            )
            user = make_user(f"{role}_{relation}"[:150], agency, role)
            matter = Matter(type="case", id=matter_id)
            _grant(matter, relation, user, agency)
            expected = table.get((role, relation), {})
            for section in SECTIONS:
                for action in ACTIONS:
                    want = action in expected.get(section, frozenset())
                    got = can(user, action, matter, section)
                    if want != got:
                        mismatches.append(f"{role} × {relation} × {section} × {action}: {got}")
                    # the SQL path (lists, searches) says the same as the Python path
                    in_sql = AccessGrant.objects.filter(
                        matter_id__in=visible_matter_ids(user, "case", section, action)
                    ).exists()
                    if want != in_sql:
                        mismatches.append(f"SQL {role} × {relation} × {section} × {action}")
            # and nothing leaks to a matter the user has no relation to
            other = Matter(type="case", id=matter_id + 500_000)
            assert not any(
                can(user, action, other, section) for section in SECTIONS for action in ACTIONS
            )
    assert mismatches == []


@pytest.mark.django_db
def test_no_relationship_means_nothing_even_for_superusers_and_same_county(personas) -> None:
    matter = Matter(type="case", id=42)
    # A caseworker of the same county and agency as the team, but not on it, sees nothing.
    AccessGrant.objects.create(
        matter_type="case", matter_id=42, relation=Relation.TEAM_MEMBER, user=personas.caseworker
    )
    same_agency = make_user("colleague_same_agency", personas.ngo, Role.CASEWORKER)
    assert not can(same_agency, "view", matter, "summary")
    personas.admin.is_superuser = True
    personas.admin.save()
    assert not any(can(personas.admin, a, matter, s) for s in SECTIONS for a in ACTIONS)
    assert can(personas.caseworker, "view", matter, "care")


@pytest.mark.django_db
def test_expired_and_revoked_grants_give_nothing(personas) -> None:
    matter = Matter(type="case", id=7)
    grant = AccessGrant.objects.create(
        matter_type="case", matter_id=7, relation=Relation.TEAM_MEMBER, user=personas.caseworker
    )
    assert can(personas.caseworker, "view", matter, "summary")
    grant.ends_at = timezone.now() - timedelta(seconds=1)
    grant.save()
    assert not can(personas.caseworker, "view", matter, "summary")
    grant.ends_at = None
    grant.revoked_at = timezone.now()
    grant.save()
    assert not can(personas.caseworker, "view", matter, "summary")
    future = AccessGrant.objects.create(
        matter_type="case",
        matter_id=7,
        relation=Relation.TEAM_MEMBER,
        user=personas.caseworker,
        starts_at=timezone.now() + timedelta(hours=1),
    )
    assert future.pk and not can(personas.caseworker, "view", matter, "summary")


@pytest.mark.django_db
def test_matter_types_do_not_bleed(personas) -> None:
    AccessGrant.objects.create(
        matter_type="report", matter_id=5, relation=Relation.TEAM_MEMBER, user=personas.caseworker
    )
    assert can(personas.caseworker, "view", Matter("report", 5), "summary")
    assert not can(personas.caseworker, "view", Matter("case", 5), "summary")


@pytest.mark.django_db
def test_inactive_and_anonymous_users_get_nothing(personas) -> None:
    from django.contrib.auth.models import AnonymousUser

    AccessGrant.objects.create(
        matter_type="case", matter_id=9, relation=Relation.TEAM_MEMBER, user=personas.caseworker
    )
    assert not can(AnonymousUser(), "view", Matter("case", 9), "summary")
    assert not can(None, "view", Matter("case", 9), "summary")
    personas.caseworker.is_active = False
    personas.caseworker.save()
    assert not can(personas.caseworker, "view", Matter("case", 9), "summary")


def test_unknown_action_or_section_is_an_error() -> None:
    with pytest.raises(ValueError):
        can(None, "peek", Matter("case", 1), "summary")
    with pytest.raises(ValueError):
        can(None, "view", Matter("case", 1), "secrets")


@pytest.mark.django_db
def test_an_agency_relation_gives_no_more_than_the_role_it_came_through() -> None:
    """Guards issue 11 hole 1 over the whole matrix: for every viewer role, every role an
    agency came onto a case through, every section and action, what the viewer gets through
    the agency is the table's row capped by that role's team-member row, in Python and SQL."""
    assert policy.__doc__ is not None
    table = parse_table(policy.__doc__)
    county = County.objects.get(name="Mombasa")
    mismatches: list[str] = []
    matter_id = 700_000
    for relation, capped_by in policy.CAPPED_BY.items():
        for via_role in [*Role.values, "unknown"]:
            cap = table.get((via_role, capped_by), {})
            for role in Role.values:
                matter_id += 1
                agency = Agency.objects.create(
                    name=f"Cap {relation} {via_role} {role}", kind=AgencyKind.NGO, county=county
                )
                user = make_user(f"cap_{via_role}_{role}"[:150], agency, role)
                matter = Matter(type="case", id=matter_id)
                _grant(matter, relation, user, agency, via_role=via_role)
                row = table.get((role, relation), {})
                for section in SECTIONS:
                    for action in ACTIONS:
                        want = action in row.get(section, frozenset()) and action in cap.get(
                            section, frozenset()
                        )
                        got = can(user, action, matter, section)
                        in_sql = AccessGrant.objects.filter(
                            matter_id=matter_id,
                            matter_id__in=visible_matter_ids(user, "case", section, action),
                        ).exists()
                        if want != got or want != in_sql:
                            mismatches.append(
                                f"{role} via {via_role} × {section} × {action}: "
                                f"python {got}, sql {in_sql}"
                            )
    assert mismatches == []
    # the case that was reported: a police unit through its investigator
    cap = table[(Role.INVESTIGATOR, Relation.TEAM_MEMBER)]
    assert not cap.get("care")


def test_break_glass_never_opens_care_justice_or_referrals_for_any_role() -> None:
    """Guards issue 11 hole 4: the table says which sections break-glass opens, per role."""
    for (role, relation), sections in POLICY.items():
        if relation != Relation.BREAK_GLASS:
            continue
        assert sections.get("summary", frozenset()) <= {"list", "view"}, role
        assert sections.get("identity", frozenset()) <= {"view"}, role
        for closed in ("care", "justice", "referral"):
            assert not sections.get(closed), (role, closed)


# Capabilities not tied to a matter, role by role: a new one is a new row here.
CAPABILITY_ROLES = {
    "training.manage": {Role.TRAINER},
    "training.coverage": {Role.TRAINER, Role.SUPERVISOR},
    "awareness.manage": {Role.TRAINER, Role.SUPERVISOR},
    "awareness.view": {Role.TRAINER, Role.SUPERVISOR, Role.ANALYST},
    "intel.network": {Role.INVESTIGATOR, Role.SUPERVISOR},
    "intel.export": {Role.INVESTIGATOR},
    "intel.patterns": {Role.ANALYST},
    "collect.supervise": {Role.SUPERVISOR},
    "collect.quarantine": {Role.ADMIN},
}


@pytest.mark.django_db
def test_capabilities_of_training_and_awareness_by_role() -> None:
    county = County.objects.get(name="Mombasa")
    agency = Agency.objects.create(name="Capabilities", kind=AgencyKind.NGO, county=county)
    for role in Role.values:
        user = make_user(f"capability_{role}", agency, role)
        for capability, roles in CAPABILITY_ROLES.items():
            assert policy.can_do(user, capability) == (role in roles), (role, capability)


def test_what_each_role_may_count_is_the_counting_table() -> None:
    """insights (issue 17): every role × dashboard cell of `COUNTING`, and nothing beyond it.
    Only the roles of the aggregate view count; none of them holds a record relation."""
    # the open API's integration principal counts too (issue 20), through its own row
    people = set(policy.COUNTING) - {policy.INTEGRATION}
    assert people == set(policy.CAPABILITIES["aggregate.view"])
    assert people & {role for role, _relation in POLICY} == {Role.SUPERVISOR}
    dashboards = list(policy.COUNTING[Role.ANALYST])
    for role in Role.values:
        for dashboard in dashboards:
            scope = policy.COUNTING.get(role, {}).get(dashboard)
            assert scope in (None, *policy.COUNTING_SCOPES), (role, dashboard)
    assert all(scope == "programme" for scope in policy.COUNTING[Role.ANALYST].values())
    assert all(scope == "county" for scope in policy.COUNTING[Role.SUPERVISOR].values())
    # the anonymised publication (CTDC shape) is the analyst's alone
    assert "ctdc" not in policy.COUNTING[Role.SUPERVISOR]
    # the HTCDS-field rows for partner agencies: the programme's, or the supervisor's county
    assert policy.COUNTING[Role.ANALYST]["htcds"] == "programme"
    assert policy.COUNTING[Role.SUPERVISOR]["htcds"] == "county"
    # the justice dashboard counts the courts of the whole programme: analysts only
    assert "justice" not in policy.COUNTING[Role.SUPERVISOR]
    assert set(policy.COUNTING[Role.SUPERVISOR]) <= set(dashboards)
    # an integration counts its agency's county, the reporting and referral figures only
    assert policy.COUNTING[policy.INTEGRATION] == {"reporting": "county", "referrals": "county"}


@pytest.mark.django_db
def test_matching_authority_over_a_person_record_follows_the_table() -> None:
    """Every role × relationship: authority to review and merge a person record (issue 15)
    is the `person.merge` capability and `PERSON_MERGE_ACTION` on the identity section of
    a matter the record is linked to; nothing else gives it."""
    from kinga.matching.selectors import mergeable_person_ids
    from kinga.people.models import Person, PersonLink

    assert policy.__doc__ is not None
    table = parse_table(policy.__doc__)
    county = County.objects.get(name="Mombasa")
    mismatches: list[str] = []
    matter_id = 9000
    for role in Role.values:
        for relation in Relation.values:
            matter_id += 1
            agency = Agency.objects.create(
                name=f"Merge {role} {relation}", kind=AgencyKind.NGO, county=county
            )
            user = make_user(f"m_{role}_{relation}"[:150], agency, role)
            matter = Matter(type="incident", id=matter_id)
            _grant(matter, relation, user, agency)
            person = Person.objects.create(kind="suspect")
            PersonLink.objects.create(
                person=person, matter_type="incident", matter_id=matter_id, role="suspect"
            )
            stranger = Person.objects.create(kind="suspect")
            expected = role in policy.CAPABILITIES[
                "person.merge"
            ] and policy.PERSON_MERGE_ACTION in table.get((role, relation), {}).get(
                policy.PERSON_MERGE_SECTION, frozenset()
            )
            ids = set(
                Person.objects.filter(pk__in=mergeable_person_ids(user)).values_list(
                    "pk", flat=True
                )
            )
            if (person.pk in ids) != expected:
                mismatches.append(f"{role} × {relation}: {person.pk in ids}")
            assert stranger.pk not in ids
    assert mismatches == []
    # Only relations through which a matter's people are recorded give it.
    assert policy.CAPABILITIES["person.merge"] == frozenset(
        {Role.CASEWORKER, Role.SUPERVISOR, Role.INVESTIGATOR}
    )


@pytest.mark.django_db
def test_every_cell_of_the_integration_principal_matches_the_table(personas) -> None:
    """The open API's principal (kinga.api): an integration of an agency, through every
    relation, gets exactly the table's `integration` row, in Python and in SQL; its system
    account outside a call (no role assignment) gets nothing anywhere."""
    from kinga.api import services as api_services
    from kinga.api.auth import principal_of
    from kinga.api.models import Scope

    assert policy.__doc__ is not None
    table = parse_table(policy.__doc__)
    assert {role for role, _relation in table if role == policy.INTEGRATION}
    integration = api_services.integration_register(
        actor=personas.admin,
        agency=personas.helpline_centre,
        name="Matrix system",
        scopes=[Scope.REPORT_WRITE],
    )
    principal = principal_of(integration)
    account = type(principal).objects.get(pk=principal.pk)  # the account as the pages see it
    mismatches: list[str] = []
    matter_id = 900_000
    for relation in Relation.values:
        matter_id += 1
        matter = Matter(type="report", id=matter_id)
        _grant(matter, relation, principal, personas.helpline_centre)
        expected = table.get((policy.INTEGRATION, relation), {})
        for section in SECTIONS:
            for action in ACTIONS:
                want = action in expected.get(section, frozenset())
                got = can(principal, action, matter, section)
                in_sql = AccessGrant.objects.filter(
                    matter_id=matter_id,
                    matter_id__in=visible_matter_ids(principal, "report", section, action),
                ).exists()
                if want != got or want != in_sql:
                    mismatches.append(f"integration × {relation} × {section} × {action}")
                assert not can(account, action, matter, section)
    assert mismatches == []
    # never wider than a person of the agency through the same relation: the service
    # provider's row bounds the referral recipient, the helpline operator's the author
    for relation, person_role in (
        (Relation.REFERRAL_RECIPIENT, Role.SERVICE_PROVIDER),
        (Relation.AUTHOR, Role.HELPLINE),
        (Relation.AGENCY_ON_TEAM, Role.SUPERVISOR),
    ):
        mine = table[(policy.INTEGRATION, relation)]
        theirs = table[(person_role, relation)]
        for section, actions in mine.items():
            assert actions <= theirs.get(section, frozenset()), (relation, section)
    # its capabilities: filing a call and referring a child in (both land in triage as
    # reports), nothing that opens, triages or reviews
    held = {name for name, roles in policy.CAPABILITIES.items() if policy.INTEGRATION in roles}
    assert held == {"report.log_call", "report.refer_in"}
    # referring in is the systems' way only: a person refers through the report form
    assert policy.CAPABILITIES["report.refer_in"] == frozenset({policy.INTEGRATION})


@pytest.mark.django_db
def test_what_the_link_graph_shows_and_shares_follows_the_table() -> None:
    """intel (issue 16), every role × relationship: a link of the graph from a matter is
    shown to a holder of `intel.network` who may `INTEL_ACTION` that matter's
    `INTEL_SECTION` (caps applied), and put in a partner's file by a holder of
    `intel.export` who may `INTEL_EXPORT_ACTION` its `INTEL_EXPORT_SECTION`; nothing else
    shows it, and a link of a matter the user has no relation to is never shown."""
    from kinga.intel.models import Edge, Node
    from kinga.intel.selectors import exportable_edges, visible_edges

    assert policy.__doc__ is not None
    table = parse_table(policy.__doc__)
    county = County.objects.get(name="Mombasa")
    mismatches: list[str] = []
    matter_id = 1_200_000

    def allows(role: str, relation: str, section: str, action: str) -> bool:
        row = table.get((role, relation), {})
        capped_by = policy.CAPPED_BY.get(relation)
        cap = table.get((Role.SUPERVISOR, capped_by), {}) if capped_by else None
        return action in row.get(section, frozenset()) and (
            cap is None or action in cap.get(section, frozenset())
        )

    for role in Role.values:
        for relation in Relation.values:
            matter_id += 1
            agency = Agency.objects.create(
                name=f"Intel {role} {relation}", kind=AgencyKind.POLICE_UNIT, county=county
            )
            user = make_user(f"i_{role}_{relation}"[:150], agency, role)
            matter = Matter(type="incident", id=matter_id)
            _grant(matter, relation, user, agency)
            a = Node.objects.create(kind="person", key=f"person:m{matter_id}")
            b = Node.objects.create(kind="phone", key=f"phone:m{matter_id}")
            edge = Edge.objects.create(
                a=a,
                b=b,
                kind="uses",
                origin_type="incident",
                origin_id=matter_id,
                matter_type="incident",
                matter_id=matter_id,
                source_type="justice.incidentlead",
                source_id=1,
            )
            stranger = Edge.objects.create(
                a=a,
                b=b,
                kind="lead",
                origin_type="incident",
                origin_id=matter_id + 900_000,
                matter_type="incident",
                matter_id=matter_id + 900_000,
                source_type="justice.incidentlead",
                source_id=2,
            )
            shown = role in policy.CAPABILITIES["intel.network"] and allows(
                role, relation, policy.INTEL_SECTION, policy.INTEL_ACTION
            )
            shared = role in policy.CAPABILITIES["intel.export"] and allows(
                role, relation, policy.INTEL_EXPORT_SECTION, policy.INTEL_EXPORT_ACTION
            )
            got_shown = visible_edges(user).filter(pk=edge.pk).exists()
            got_shared = exportable_edges(user).filter(pk=edge.pk).exists()
            if shown != got_shown or shared != got_shared:
                mismatches.append(f"{role} × {relation}: shown {got_shown}, shared {got_shared}")
            assert not visible_edges(user).filter(pk=stranger.pk).exists()
            assert not exportable_edges(user).filter(pk=stranger.pk).exists()
    assert mismatches == []
    # the investigator on the incident and the supervisor overseeing it see the links; an
    # analyst, a counsellor, an administrator never do, whatever relation they hold
    assert table[(Role.INVESTIGATOR, Relation.TEAM_MEMBER)][policy.INTEL_SECTION]
    for role in (Role.ANALYST, Role.COUNSELLOR, Role.ADMIN, Role.TRAINER):
        assert role not in policy.CAPABILITIES["intel.network"]


def test_an_integration_on_a_team_is_capped_by_the_role_its_agency_joined_through(
    personas,
) -> None:
    """A partner's system reads a case through its agency's agency_on_team grant (issue 20):
    for every role a person may join a team as, it gets the table's integration row cut to
    what that role has as a team member, in Python and in SQL; never identity or care."""
    from kinga.api import services as api_services
    from kinga.api.auth import principal_of
    from kinga.api.models import Scope

    integration = api_services.integration_register(
        actor=personas.admin, agency=personas.ngo, name="Cap system", scopes=[Scope.CASE_READ]
    )
    principal = principal_of(integration)
    row = POLICY[(policy.INTEGRATION, Relation.AGENCY_ON_TEAM)]
    assert not row.get("identity") and not row.get("care") and not row.get("referral")
    mismatches: list[str] = []
    matter_id = 950_000
    for via_role in Role.values:
        matter_id += 1
        matter = Matter(type="case", id=matter_id)
        _grant(matter, Relation.AGENCY_ON_TEAM, principal, personas.ngo, via_role=via_role)
        cap = POLICY.get((via_role, Relation.TEAM_MEMBER), {})
        for section in SECTIONS:
            for action in ACTIONS:
                want = action in row.get(section, frozenset()) & cap.get(section, frozenset())
                got = can(principal, action, matter, section)
                in_sql = AccessGrant.objects.filter(
                    matter_id=matter_id,
                    matter_id__in=visible_matter_ids(principal, "case", section, action),
                ).exists()
                if want != got or want != in_sql:
                    mismatches.append(f"via {via_role} × {section} × {action}")
    assert mismatches == []
