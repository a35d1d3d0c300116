"""Issue 13 points 1 and 9: a referral carries what the service needs to serve the child,
the case shows its referrals, a plan item follows the referral that meets it, a provider
keeps its history, a service says how to reach it, and the reason box belongs to Decline."""

# The `world` and `directory` fixtures are imported from the referral tests: each test's
# parameter of that name "redefines" the import, as pytest means it to.
# ruff: noqa: F811
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kinga.cases import services as case_services
from kinga.cases.models import PlanItem, PlanItemStatus
from kinga.directory import services as directory_services
from kinga.directory.tests.test_directory import directory, ward  # noqa: F401  # fixtures
from kinga.referrals import services
from kinga.referrals.models import Referral
from kinga.referrals.tests.test_referrals import World, consent_to, send, world  # noqa: F401

FEEDBACK = "She stayed four weeks and went home to her grandmother."


def profile(world: World) -> None:
    case_services.case_child_update(
        case=world.case,
        actor=world.p.caseworker,
        given_name="Zawadi",
        family_name="Mwakio",
        sex="female",
        age_estimate=14,
        age_basis="assessed",
        languages=["sw", "nyf"],
    )
    world.case.refresh_from_db()


def test_the_referral_carries_first_name_age_sex_languages_and_needs(
    world: World, client_for
) -> None:
    profile(world)
    consent_to(world, world.p.shelter)
    referral = send(world, child_first_name=None)
    assert (referral.child_first_name, referral.child_age, referral.child_sex) == (
        "Zawadi",
        14,
        "female",
    )
    assert referral.child_age_band == "12-14" and referral.child_languages == ["nyf", "sw"]
    body = client_for(world.p.service_provider).get(f"/referrals/{referral.pk}/").content.decode()
    for shown in (
        "Zawadi",
        "14 years (12 to 14 years)",
        "Female",
        "Kiswahili",
        "Giriama",
        "Shelter",
    ):
        assert shown in body, shown
    # the family name never travels
    assert "Mwakio" not in body


def test_without_consent_nothing_of_the_child_reaches_the_service(world: World) -> None:
    profile(world)
    with pytest.raises(services.ReferralRefused):
        send(world, child_first_name=None)
    assert not Referral.objects.exists()


def test_the_case_page_has_a_referrals_panel_that_follows_the_state(
    world: World, client_for
) -> None:
    consent_to(world, world.p.shelter)
    referral = send(world)
    caseworker = client_for(world.p.caseworker)
    panel = caseworker.get(f"/cases/{world.case.pk}/").content.decode().split('id="referrals"')[1]
    panel = panel.split("</section>")[0]
    assert referral.reference in panel and "Sent" in panel and "answer due" in panel
    services.referral_accept(referral=referral, actor=world.p.service_provider)
    panel = caseworker.get(f"/cases/{world.case.pk}/").content.decode().split('id="referrals"')[1]
    assert "Accepted" in panel.split("</section>")[0]
    # an investigator on the team sees no referral
    case_services.case_team_add(
        case=world.case,
        user=world.p.investigator,
        role_on_case="investigator",
        actor=world.p.caseworker,
    )
    body = client_for(world.p.investigator).get(f"/cases/{world.case.pk}/").content.decode()
    assert 'id="referrals"' not in body and referral.reference not in body


def _plan_item(world: World) -> PlanItem:
    return case_services.plan_item_add(
        case=world.case,
        actor=world.p.caseworker,
        kind="service",
        need="shelter",
        description="A safe place away from the ferry",
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )


def test_a_plan_item_met_by_a_referral_follows_its_state(world: World, client_for) -> None:
    item = _plan_item(world)
    consent_to(world, world.p.shelter)
    caseworker = client_for(world.p.caseworker)
    page = caseworker.get(f"/referrals/refer/case/{world.case.pk}/?place={world.shelter_place.pk}")
    assert (item.pk, "Shelter: A safe place away from the ferry") in page.context["form"].fields[
        "plan_item"
    ].choices
    referral = send(world, plan_item_id=item.pk)
    item.refresh_from_db()
    assert item.referral_id == referral.pk and item.status == PlanItemStatus.OPEN
    services.referral_accept(referral=referral, actor=world.p.service_provider)
    body = caseworker.get(f"/cases/{world.case.pk}/").content.decode()
    assert f"met by {referral.reference}: Accepted" in body
    services.referral_start(referral=referral, actor=world.p.service_provider)
    services.referral_complete(referral=referral, actor=world.p.service_provider, feedback=FEEDBACK)
    item.refresh_from_db()
    assert item.status == PlanItemStatus.DONE


def test_a_declined_referral_leaves_the_plan_item_open_for_another(world: World) -> None:
    item = _plan_item(world)
    consent_to(world, world.p.shelter)
    referral = send(world, plan_item_id=item.pk)
    services.referral_decline(
        referral=referral, actor=world.p.service_provider, reason="No bed for a girl of 14 tonight"
    )
    item.refresh_from_db()
    assert item.status == PlanItemStatus.OPEN and item.referral_id is None


def test_a_provider_keeps_its_history_of_completed_referrals(world: World, client_for) -> None:
    consent_to(world, world.p.shelter)
    referral = send(world)
    provider = world.p.service_provider
    services.referral_accept(referral=referral, actor=provider)
    services.referral_start(referral=referral, actor=provider)
    services.referral_complete(referral=referral, actor=provider, feedback=FEEDBACK)
    client = client_for(provider)
    assert referral.reference not in client.get("/referrals/received/").content.decode()
    history = client.get("/referrals/received/history/")
    body = history.content.decode()
    assert history.status_code == 200
    assert referral.reference in body and "Completed" in body
    # the history names the referral, never the child; its window on the child is closed
    assert "Mwanaisha" not in body
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    # another organisation's staff do not see it
    other = client_for(world.p.caseworker_other).get("/referrals/received/history/")
    assert referral.reference not in other.content.decode()
    assert client.get("/referrals/received/").status_code == 200
    assert "/referrals/received/history/" in client.get("/referrals/received/").content.decode()


def test_the_reason_box_belongs_to_decline(world: World, client_for) -> None:
    consent_to(world, world.p.shelter)
    referral = send(world)
    body = client_for(world.p.service_provider).get(f"/referrals/{referral.pk}/").content.decode()
    answer = body.split('id="answer"')[1].split("</section>")[0]
    accept_form, rest = answer.split('id="accept"')
    assert 'name="reason"' not in accept_form
    decline = rest.split('<details class="decline" id="decline">')[1].split("</details>")[0]
    assert 'name="reason"' in decline and "Decline</button>" in decline


def test_a_service_page_says_how_to_reach_it(world: World, client_for) -> None:
    shelter = world.d.shelter
    directory_services.phone_add(
        actor=None,
        number="+254700111222",
        phone_type="voice",
        description="Intake desk, 24 hours",
        organization=shelter.organization,
    )
    body = client_for(world.p.caseworker).get(f"/directory/services/{shelter.pk}/").content
    text = body.decode()
    reach = text.split('id="reach"')[1].split("</section>")[0]
    assert 'href="tel:+254700111222"' in reach and "Intake desk, 24 hours" in reach
    assert 'id="confidential-how"' in reach and "refer them through Kinga" in reach


def test_counselling_notes_read_back_to_those_allowed(world: World, client_for) -> None:
    case = world.case
    case_services.case_team_add(
        case=case, user=world.p.counsellor, role_on_case="counsellor", actor=world.p.caseworker
    )
    case_services.case_team_add(
        case=case,
        user=world.p.investigator,
        role_on_case="investigator",
        actor=world.p.caseworker,
    )
    case_services.session_record(
        case=case,
        actor=world.p.counsellor,
        held_on=timezone.localdate(),
        session_type="individual",
        attendance="attended",
        notes="SESSION-NOTES-READ-BACK",
    )
    for reader in (world.p.counsellor, world.p.caseworker):
        body = client_for(reader).get(f"/cases/{case.pk}/").content.decode()
        sessions = body.split('id="sessions"')[1].split("</section>")[0]
        assert "SESSION-NOTES-READ-BACK" in sessions, reader.username
    body = client_for(world.p.investigator).get(f"/cases/{case.pk}/").content.decode()
    assert "SESSION-NOTES-READ-BACK" not in body and 'id="sessions"' not in body
