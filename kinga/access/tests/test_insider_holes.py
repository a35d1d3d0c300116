"""Issue 11's insider attacks on the policy, replayed: each test would pass on the old code's
holes only if the hole came back.

- hole 1: an agency on a team through an investigator gave its supervisor care notes;
- hole 3: break-glass on a record nobody reviews, or on a record that does not exist;
- hole 4: break-glass opened justice notes and a confidential shelter's address.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ObjectDoesNotExist, ValidationError

from conftest import Personas, make_user
from kinga.access import services
from kinga.access.models import AccessGrant, BreakGlassGrant, Relation
from kinga.access.policy import ACTIONS, SECTIONS, Matter, allowed_actions, can
from kinga.access.selectors import break_glass_for_review
from kinga.accounts.models import Role
from kinga.cases import services as case_services
from kinga.cases.models import RoleOnCase, Sensitivity
from kinga.cases.tests.conftest import open_case
from kinga.directory.tests.test_directory import SHELTER_STREET, directory  # noqa: F401
from kinga.notifications.models import Notification
from kinga.referrals.tests.test_referrals import World, consent_to, send, world  # noqa: F401

pytestmark = pytest.mark.django_db

REASON = "The child ran from the shelter tonight and we need her guardian's number now."
CARE_WORDS = "She spoke of nightmares about the lodge owner"
JUSTICE_WORDS = "Statement names the boda rider who collected her"


@pytest.fixture
def police_supervisor(personas: Personas):
    return make_user("wekesa_supervisor", personas.police, Role.SUPERVISOR)


def test_a_police_supervisor_never_reads_care_through_the_investigator(
    personas: Personas, police_supervisor, client_for
) -> None:
    """Guards issue 11 hole 1: adding an investigator to the team let the police unit's
    supervisor read counselling notes, wellbeing and the child's identity export."""
    p = personas
    case = open_case(p)
    case_services.case_team_add(
        case=case, user=p.investigator, role_on_case=RoleOnCase.INVESTIGATOR, actor=p.caseworker
    )
    case_services.note_add(
        case=case, actor=p.caseworker, sensitivity=Sensitivity.CARE, text=CARE_WORDS
    )
    case_services.note_add(
        case=case, actor=p.investigator, sensitivity=Sensitivity.JUSTICE, text=JUSTICE_WORDS
    )
    allowed = allowed_actions(police_supervisor, case)
    assert allowed["care"] == frozenset()
    assert "export" not in allowed["identity"]
    assert allowed["justice"] >= {"view"}
    # what the police supervisor may do is never more than the investigator may
    investigator = allowed_actions(p.investigator, case)
    for section in SECTIONS:
        assert allowed[section] <= investigator[section], section
    page = client_for(police_supervisor).get(f"/cases/{case.pk}/").content.decode()
    assert CARE_WORDS not in page
    assert JUSTICE_WORDS in page
    # the NGO's own supervisor still oversees all of it, through the caseworker
    assert can(p.supervisor, "view", case, "care")


def test_the_agency_leaves_with_its_last_member_of_that_role(
    personas: Personas, police_supervisor
) -> None:
    """Guards issue 11 hole 1: an agency's grant ends with the role it came through."""
    p = personas
    case = open_case(p)
    member = case_services.case_team_add(
        case=case, user=p.investigator, role_on_case=RoleOnCase.INVESTIGATOR, actor=p.caseworker
    )
    assert can(police_supervisor, "view", case, "justice")
    case_services.case_team_remove(member=member, actor=p.caseworker)
    assert not can(police_supervisor, "view", case, "summary")
    live = AccessGrant.objects.live().filter(matter_type="case", matter_id=case.pk, agency=p.police)
    assert not live.exists()


def test_an_agency_grant_without_the_role_it_came_through_gives_nothing(
    personas: Personas,
) -> None:
    """Guards issue 11 hole 1: fail closed; the database refuses such a grant too."""
    from django.db import IntegrityError, transaction

    with pytest.raises(ValidationError):
        services.access_grant(
            matter=Matter("case", 1),
            relation=Relation.AGENCY_ON_TEAM,
            actor=None,
            agency=personas.ngo,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessGrant.objects.create(
            matter_type="case", matter_id=1, relation=Relation.AGENCY_ON_TEAM, agency=personas.ngo
        )
    AccessGrant.objects.create(
        matter_type="case",
        matter_id=1,
        relation=Relation.AGENCY_ON_TEAM,
        agency=personas.ngo,
        via_role="unknown",
    )
    assert not any(
        can(personas.supervisor, action, Matter("case", 1), section)
        for section in SECTIONS
        for action in ACTIONS
    )


# --- hole 3: break-glass that nobody reviews ------------------------------------------------------


@pytest.fixture
def report_matter(personas: Personas) -> Matter:
    """A public report in Kilifi's triage queue: its team has no supervisor."""
    from kinga.intake.models import Channel, Report

    report = Report.objects.create(channel=Channel.WEB, narrative="A girl at the beach bar.")
    matter = report.access_matter()
    services.access_grant(
        matter=matter, relation=Relation.TRIAGE_AREA, actor=None, agency=personas.other_ngo
    )
    return matter


def test_break_glass_with_no_reviewer_in_reach_is_refused(
    personas: Personas, report_matter: Matter, settings
) -> None:
    """Guards issue 11 hole 3: on a record whose team has no supervisor, a break-glass was
    granted and nobody was told."""
    settings.KINGA_BREAK_GLASS_REVIEWERS = []
    with pytest.raises(ValidationError):
        services.break_glass_open(user=personas.investigator, matter=report_matter, reason=REASON)
    assert not BreakGlassGrant.objects.exists()
    assert not can(personas.investigator, "view", report_matter, "summary")


def test_break_glass_with_no_supervisor_goes_to_the_designated_reviewers(
    personas: Personas, report_matter: Matter, settings, client_for
) -> None:
    """Guards issue 11 hole 3: the programme's designated reviewers are told at once and the
    grant waits in their queue until decided."""
    reviewer = make_user("fatuma_reviewer", personas.programme, Role.SUPERVISOR)
    settings.KINGA_BREAK_GLASS_REVIEWERS = [reviewer.username]
    grant = services.break_glass_open(
        user=personas.investigator, matter=report_matter, reason=REASON
    )
    assert Notification.objects.filter(recipient=reviewer).count() == 1
    assert list(break_glass_for_review(viewer=reviewer)) == [grant]
    page = client_for(reviewer).get("/access/break-glass/reviews/").content.decode()
    assert f"grant-{grant.pk}" in page
    services.break_glass_review(grant=grant, reviewer=reviewer, decision="accepted")
    assert list(break_glass_for_review(viewer=reviewer)) == []


def test_break_glass_tells_the_users_own_agency_supervisors(
    personas: Personas, report_matter: Matter, police_supervisor
) -> None:
    """Guards issue 11 hole 3: the user's own agency's supervisors come first."""
    grant = services.break_glass_open(
        user=personas.investigator, matter=report_matter, reason=REASON
    )
    assert Notification.objects.filter(recipient=police_supervisor).count() == 1
    assert list(break_glass_for_review(viewer=police_supervisor)) == [grant]


def test_no_break_glass_on_a_record_that_does_not_exist(
    personas: Personas, police_supervisor, client_for
) -> None:
    """Guards issue 11 hole 3: break-glass was accepted on made-up case numbers."""
    with pytest.raises(ObjectDoesNotExist):
        services.break_glass_open(
            user=personas.investigator, matter=Matter("case", 987654), reason=REASON
        )
    client = client_for(personas.investigator)
    missing = client.post("/access/break-glass/case/987654/", {"reason": REASON, "next": "/"})
    assert missing.status_code == 404
    assert not BreakGlassGrant.objects.exists()
    assert not AccessGrant.objects.filter(matter_id=987654).exists()


# --- hole 4: break-glass opens too much -----------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.SUPERVISOR, Role.INVESTIGATOR])
def test_break_glass_opens_only_what_protects_the_child_now(
    personas: Personas, role: str, client_for
) -> None:
    """Guards issue 11 hole 4: a caseworker of another NGO breaking glass read police notes;
    no role's break-glass opens care, justice or referrals (where a shelter's address is)."""
    p = personas
    case = open_case(p)
    case_services.note_add(
        case=case, actor=p.caseworker, sensitivity=Sensitivity.CARE, text=CARE_WORDS
    )
    case_services.case_team_add(
        case=case, user=p.investigator, role_on_case=RoleOnCase.INVESTIGATOR, actor=p.caseworker
    )
    case_services.note_add(
        case=case, actor=p.investigator, sensitivity=Sensitivity.JUSTICE, text=JUSTICE_WORDS
    )
    outsider = make_user(f"outsider_{role}", p.other_ngo, role)
    services.break_glass_open(user=outsider, matter=case.access_matter(), reason=REASON)
    allowed = allowed_actions(outsider, case)
    assert allowed["summary"] == {"list", "view"}
    assert allowed["identity"] == {"view"}
    assert allowed["care"] == allowed["justice"] == allowed["referral"] == frozenset()
    page = client_for(outsider).get(f"/cases/{case.pk}/").content.decode()
    assert "Mwanaisha" in page  # who the child is: what protects her now
    assert CARE_WORDS not in page and JUSTICE_WORDS not in page


def test_break_glass_shows_a_placement_only_as_a_safe_place(world: World, client_for) -> None:  # noqa: F811
    """Guards issue 11 hole 4: a caseworker of another NGO breaking glass read a
    confidential shelter's street address; now the page says only "at a safe place"."""
    from kinga.referrals import services as referral_services

    p, case = world.p, world.case
    consent_to(world, p.shelter)
    referral = send(world)
    referral_services.referral_accept(referral=referral, actor=p.service_provider)
    services.break_glass_open(user=p.caseworker_other, matter=case.access_matter(), reason=REASON)
    page = client_for(p.caseworker_other).get(f"/cases/{case.pk}/").content.decode()
    assert "At a safe place" in page
    assert SHELTER_STREET not in page and "Salama" not in page
    # the owning caseworker sees the referral itself, so no vague placement line
    own = client_for(p.caseworker).get(f"/cases/{case.pk}/").content.decode()
    assert "At a safe place" not in own


def test_a_second_break_glass_while_one_is_live_is_refused(personas: Personas) -> None:
    """One live break-glass per person and record: a second would only add noise to review."""
    case = open_case(personas)
    services.break_glass_open(
        user=personas.investigator, matter=case.access_matter(), reason=REASON
    )
    with pytest.raises(ValidationError):
        services.break_glass_open(
            user=personas.investigator, matter=case.access_matter(), reason=REASON
        )
    assert BreakGlassGrant.objects.count() == 1
