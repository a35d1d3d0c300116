"""The referral workflow: the consent gate, who sees what, the state machine, overdue
alerts, confidential addresses, emergency referrals from a report, and the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Personas
from kinga.access.models import AccessGrant, MatterType, Relation
from kinga.access.services import access_grant
from kinga.accounts.models import User
from kinga.audit.models import AuditEvent
from kinga.cases import services as case_services
from kinga.cases.models import Case, ConsentBasis, Promise, PromiseState, RoleOnCase
from kinga.cases.selectors import case_page
from kinga.cases.tests.conftest import open_case
from kinga.directory import services as directory_services
from kinga.directory.models import ServiceAtLocation
from kinga.directory.tests.test_directory import (  # noqa: F401  # the fixture
    SHELTER_STREET,
    Directory,
    _service,
    directory,
    ward,
)
from kinga.intake.models import Channel, Report
from kinga.notifications.models import Notification
from kinga.referrals import services
from kinga.referrals.models import (
    TRANSITIONS,
    Referral,
    ReferralStatus,
    Urgency,
)
from kinga.referrals.selectors import (
    referral_address_visible_to,
    referral_inbox,
    referral_outgoing,
    referrals_for_case_timeline,
)
from kinga.tasks.services import run_due

T = dt.time
REASON = "She needs a safe bed tonight away from the ferry."
TOLD = "That a safe home for girls will take her tonight."


@dataclass
class World:
    p: Personas
    d: Directory
    case: Case
    shelter_place: ServiceAtLocation
    hospital_place: ServiceAtLocation


@pytest.fixture
def world(personas: Personas, directory: Directory) -> World:  # noqa: F811
    p = personas
    case = open_case(p)
    hospital_org = directory_services.organization_create(
        actor=None, name="Coast GBV Centre", description="Clinic", agency=p.hospital
    )
    tononoka = ward("Tononoka")
    hospital_location = directory_services.location_create(
        organization=hospital_org,
        actor=None,
        fields={
            "name": "GBV centre",
            "ward": tononoka,
            "latitude": float(tononoka.latitude),
            "longitude": float(tononoka.longitude),
            "address_1": "Moi Avenue",
            "city": "Mombasa",
        },
    )
    hospital = _service(
        hospital_org,
        hospital_location,
        "Post-rape care at the GBV centre",
        ["post_rape_care"],
        dict.fromkeys(range(7), (T(0), T(0))),
    )
    return World(
        p=p,
        d=directory,
        case=case,
        shelter_place=directory.shelter.service_at_locations.get(),
        hospital_place=hospital.service_at_locations.get(),
    )


def consent_to(world: World, agency: object) -> None:
    case_services.consent_record(
        case=world.case,
        actor=world.p.caseworker,
        purpose="referral",
        recipient_agency=agency,  # type: ignore[arg-type]
        given_by="child",
        explained="What the shelter is and that she may leave it.",
    )


def send(world: World, *, place: ServiceAtLocation | None = None, **extra: object) -> Referral:
    fields: dict[str, object] = {
        "case": world.case,
        "actor": world.p.caseworker,
        "service_at_location": place or world.shelter_place,
        "urgency": Urgency.URGENT,
        "reason": REASON,
        "child_told": TOLD,
        "needs": ["shelter", "safety"],
        "childrens_officer": world.p.children_officer,
    }
    fields.update(extra)
    return services.referral_send(**fields)  # type: ignore[arg-type]


@pytest.fixture
def referral(world: World) -> Referral:
    consent_to(world, world.p.shelter)
    return send(world)


# --- the consent gate ----------------------------------------------------------------------------


def test_a_referral_without_consent_is_refused_with_what_to_do(world: World) -> None:
    with pytest.raises(services.ReferralRefused) as refused:
        send(world)
    message = " ".join(refused.value.messages)
    assert "No consent is recorded" in message
    assert "Record the consent" in message
    assert not Referral.objects.exists()


def test_withdrawn_consent_refuses_the_referral(world: World) -> None:
    consent_to(world, world.p.shelter)
    consent = world.case.consents.get()
    case_services.consent_withdraw(consent=consent, actor=world.p.caseworker, note="She said no")
    with pytest.raises(services.ReferralRefused) as refused:
        send(world)
    assert "was withdrawn" in " ".join(refused.value.messages)
    assert not Referral.objects.exists()


def test_consent_for_another_agency_does_not_open_this_one(world: World) -> None:
    consent_to(world, world.p.hospital)
    with pytest.raises(services.ReferralRefused):
        send(world)
    assert send(world, place=world.hospital_place).receiving_agency == world.p.hospital


def test_a_supervisor_overrides_consent_with_a_reason(world: World) -> None:
    p = world.p
    case_services.case_team_add(
        case=world.case, user=p.supervisor, role_on_case=RoleOnCase.SUPERVISOR, actor=p.caseworker
    )
    referral = send(
        world,
        actor=p.supervisor,
        override_reason="Her guardian is the suspect; she cannot stay home tonight.",
    )
    assert referral.consent is not None
    assert referral.consent.basis == ConsentBasis.OVERRIDE
    assert AuditEvent.objects.filter(
        record_type="cases.consent", record_id=str(referral.consent.pk)
    ).exists()


def test_an_override_without_the_permission_is_refused(world: World) -> None:
    with pytest.raises(PermissionDenied):
        send(world, override_reason="I think it cannot wait for her guardian to come.")
    assert not Referral.objects.exists()


def test_an_override_needs_a_written_reason(world: World) -> None:
    p = world.p
    case_services.case_team_add(
        case=world.case, user=p.supervisor, role_on_case=RoleOnCase.SUPERVISOR, actor=p.caseworker
    )
    with pytest.raises(ValidationError):
        send(world, actor=p.supervisor, override_reason="urgent")
    assert not Referral.objects.exists()


def test_a_childs_referral_always_names_a_childrens_officer(world: World) -> None:
    consent_to(world, world.p.shelter)
    with pytest.raises(services.ReferralRefused):
        send(world, childrens_officer=None)
    with pytest.raises(services.ReferralRefused):
        send(world, childrens_officer=world.p.caseworker_other)
    referral = send(world)
    grant = AccessGrant.objects.live().get(
        user=world.p.children_officer, relation=Relation.REFERRAL_RECIPIENT
    )
    assert (grant.matter_type, grant.matter_id) == (MatterType.CASE, world.case.pk)
    assert referral_inbox(viewer=world.p.children_officer) == [referral]


# --- sending: access, promise, notifications -----------------------------------------------------


def test_sending_grants_the_receiving_agency_and_makes_a_promise(referral: Referral) -> None:
    grant = AccessGrant.objects.live().get(agency=referral.receiving_agency)
    assert grant.relation == Relation.REFERRAL_RECIPIENT
    assert (grant.source_type, grant.source_id) == ("referrals.referral", str(referral.pk))
    promise = Promise.objects.get(pk=referral.promise_id)
    assert promise.kind == "referral" and promise.state == PromiseState.OPEN
    assert referral.due_at - referral.sent_at == dt.timedelta(days=2)


def test_due_time_follows_urgency(world: World) -> None:
    consent_to(world, world.p.shelter)
    emergency = send(world, urgency=Urgency.EMERGENCY)
    routine = send(world, urgency=Urgency.ROUTINE)
    assert emergency.due_at - emergency.sent_at == dt.timedelta(hours=4)
    assert routine.due_at - routine.sent_at == dt.timedelta(days=7)


def test_notifications_name_no_child(
    world: World, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    consent_to(world, world.p.shelter)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        referral = send(world)
    note = Notification.objects.get(recipient=world.p.service_provider)
    assert referral.reference in note.text
    assert "Mwanaisha" not in note.text and world.case.code not in note.text
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.referral_accept(referral=referral, actor=world.p.service_provider)
    told = Notification.objects.get(recipient=world.p.caseworker, kind="referral")
    assert "accepted" in told.text and "Mwanaisha" not in told.text


# --- the provider's view -------------------------------------------------------------------------


def test_the_provider_sees_only_its_referrals(
    world: World, client_for: Callable[..., Client]
) -> None:
    p = world.p
    consent_to(world, p.shelter)
    consent_to(world, p.hospital)
    mine = send(world)
    theirs = send(world, place=world.hospital_place)
    assert referral_inbox(viewer=p.service_provider) == [mine]
    client = client_for(p.service_provider)
    page = client.get(reverse("referrals:inbox"))
    assert page.status_code == 200
    assert mine.reference in page.content.decode()
    assert theirs.reference not in page.content.decode()
    shown = client.get(reverse("referrals:detail", args=[mine.pk]))
    assert shown.status_code == 200
    body = shown.content.decode()
    assert "Mwanaisha" in body  # the first name the service needs
    assert "Kahindi" not in body  # nothing more of the identity
    assert client.get(reverse("referrals:detail", args=[theirs.pk])).status_code == 404


def test_every_other_section_of_the_case_is_404_for_the_provider(
    referral: Referral, client_for: Callable[..., Client]
) -> None:
    case = referral.case
    assert case is not None
    client = client_for(User.objects.get(username="rehema_shelter"))
    urls = [
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:print", args=[case.pk]),
        reverse("referrals:refer_case", args=[case.pk]),
        *(
            reverse(f"cases:{name}", args=[case.pk])
            for name in (
                "consent_record",
                "note_add",
                "assessment_record",
                "session_record",
                "interview_record",
                "team_add",
            )
        ),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_outsiders_get_404_on_a_referral(
    referral: Referral, world: World, client_for: Callable[..., Client]
) -> None:
    p = world.p
    url = reverse("referrals:detail", args=[referral.pk])
    for outsider in (
        p.caseworker_other,
        p.investigator,
        p.prosecutor,
        p.analyst,
        p.admin,
        p.helpline,
    ):
        assert client_for(outsider).get(url).status_code == 404, outsider.username
    assert client_for(None).get(url).status_code == 302  # to sign in
    case_services.case_team_add(
        case=world.case, user=p.counsellor, role_on_case=RoleOnCase.COUNSELLOR, actor=p.caseworker
    )
    for insider in (p.caseworker, p.counsellor, p.service_provider, p.children_officer):
        assert client_for(insider).get(url).status_code == 200, insider.username


def test_only_the_receiver_answers(referral: Referral, world: World) -> None:
    for someone in (world.p.caseworker, world.p.children_officer, world.p.caseworker_other):
        with pytest.raises((Http404, PermissionDenied)):
            services.referral_accept(referral=referral, actor=someone)
    with pytest.raises(Http404):
        services.referral_withdraw(
            referral=referral, actor=world.p.service_provider, reason="We cannot take her now."
        )


# --- the state machine ---------------------------------------------------------------------------


def test_every_transition_outside_the_machine_is_refused(referral: Referral) -> None:
    for status in ReferralStatus.values:
        for target in ReferralStatus.values:
            referral.status = status
            if target in TRANSITIONS[status]:
                services.referral_transition_check(referral, target)
            else:
                with pytest.raises(services.ReferralRefused):
                    services.referral_transition_check(referral, target)


def test_illegal_steps_are_refused_by_the_services(referral: Referral, world: World) -> None:
    provider = world.p.service_provider
    feedback = "Placed for three weeks; back in school next term."
    with pytest.raises(services.ReferralRefused):
        services.referral_start(referral=referral, actor=provider)
    with pytest.raises(services.ReferralRefused):
        services.referral_complete(referral=referral, actor=provider, feedback=feedback)
    services.referral_accept(referral=referral, actor=provider)
    with pytest.raises(services.ReferralRefused):
        services.referral_accept(referral=referral, actor=provider)
    with pytest.raises(services.ReferralRefused):
        services.referral_decline(referral=referral, actor=provider, reason="No bed after all.")
    with pytest.raises(services.ReferralRefused):
        services.referral_complete(referral=referral, actor=provider, feedback=feedback)
    services.referral_start(referral=referral, actor=provider)
    services.referral_complete(referral=referral, actor=provider, feedback=feedback)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED
    with pytest.raises(services.ReferralRefused) as refused:
        services.referral_withdraw(
            referral=referral, actor=world.p.caseworker, reason="She has gone home to her aunt."
        )
    assert "closed" in " ".join(refused.value.messages)


def test_declining_needs_a_reason_and_ends_access(referral: Referral, world: World) -> None:
    provider = world.p.service_provider
    with pytest.raises(ValidationError):
        services.referral_decline(referral=referral, actor=provider, reason="full")
    services.referral_decline(
        referral=referral, actor=provider, reason="No bed free for girls of 15 this week."
    )
    assert not AccessGrant.objects.live().filter(agency=world.p.shelter).exists()
    assert not AccessGrant.objects.live().filter(user=world.p.children_officer).exists()
    assert referral_inbox(viewer=provider) == []
    promise = Promise.objects.get(pk=referral.promise_id)
    assert promise.state == PromiseState.EXPLAINED


def test_completion_keeps_the_promise_and_feeds_the_case_timeline(
    referral: Referral, world: World
) -> None:
    provider = world.p.service_provider
    services.referral_accept(referral=referral, actor=provider)
    services.referral_start(referral=referral, actor=provider)
    services.referral_complete(
        referral=referral, actor=provider, feedback="Placed for three weeks; back in school."
    )
    assert Promise.objects.get(pk=referral.promise_id).state == PromiseState.KEPT
    entries = referrals_for_case_timeline(viewer=world.p.caseworker, case=world.case)
    assert {entry.section for entry in entries} == {"referral"}
    assert any("back in school" in entry.summary for entry in entries)
    case = Case.objects.get(pk=world.case.pk)
    page = case_page(viewer=world.p.caseworker, case=case)
    assert any("back in school" in entry.summary for entry in page.timeline)
    assert referrals_for_case_timeline(viewer=world.p.investigator, case=world.case) == []


def test_withdrawal_needs_a_reason_and_explains_the_promise(
    referral: Referral, world: World
) -> None:
    with pytest.raises(ValidationError):
        services.referral_withdraw(referral=referral, actor=world.p.caseworker, reason="no")
    services.referral_withdraw(
        referral=referral, actor=world.p.caseworker, reason="Her aunt came for her this morning."
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN
    assert Promise.objects.get(pk=referral.promise_id).state == PromiseState.EXPLAINED
    assert not AccessGrant.objects.live().filter(agency=world.p.shelter).exists()


# --- overdue -------------------------------------------------------------------------------------


def test_an_unanswered_referral_alerts_the_sender_and_supervisor_once(
    referral: Referral, world: World
) -> None:
    before = referral.due_at - dt.timedelta(minutes=1)
    run_due(now=before)
    assert not Notification.objects.filter(kind="referral_overdue").exists()
    later = referral.due_at + dt.timedelta(minutes=1)
    run_due(now=later)
    alerted = set(
        Notification.objects.filter(kind="referral_overdue").values_list("recipient", flat=True)
    )
    assert alerted == {world.p.caseworker.pk, world.p.supervisor.pk}
    run_due(now=later + dt.timedelta(hours=1))
    assert Notification.objects.filter(kind="referral_overdue").count() == 2
    services.referral_overdue_check({"referral_id": referral.pk}, later)
    assert Notification.objects.filter(kind="referral_overdue").count() == 2
    outgoing = referral_outgoing(viewer=world.p.caseworker, now=later)
    assert outgoing[0] == referral


def test_an_answered_referral_raises_no_alert(referral: Referral, world: World) -> None:
    services.referral_accept(referral=referral, actor=world.p.service_provider)
    run_due(now=referral.due_at + dt.timedelta(minutes=1))
    assert not Notification.objects.filter(kind="referral_overdue").exists()


def test_the_sender_list_puts_overdue_first(world: World) -> None:
    consent_to(world, world.p.shelter)
    routine = send(world, urgency=Urgency.ROUTINE)
    emergency = send(world, urgency=Urgency.EMERGENCY)
    later = timezone.now() + dt.timedelta(hours=5)
    assert referral_outgoing(viewer=world.p.caseworker, now=later) == [emergency, routine]
    assert referral_outgoing(viewer=world.p.caseworker_other) == []


# --- confidential addresses ----------------------------------------------------------------------


def test_the_shelter_address_opens_to_referral_handlers_only(
    world: World, client_for: Callable[..., Client]
) -> None:
    p = world.p
    location = world.d.shelter_place
    assert not referral_address_visible_to(p.caseworker, location)
    consent_to(world, p.shelter)
    referral = send(world)
    assert referral_address_visible_to(p.caseworker, location)
    assert referral_address_visible_to(p.children_officer, location)
    for outsider in (p.caseworker_other, p.investigator, p.helpline, p.analyst):
        assert not referral_address_visible_to(outsider, location), outsider.username
    page = client_for(p.caseworker).get(reverse("referrals:detail", args=[referral.pk]))
    assert SHELTER_STREET in page.content.decode()
    for url in (reverse("referrals:outgoing"), reverse("directory:search")):
        assert SHELTER_STREET not in client_for(p.caseworker).get(url).content.decode()
    assert (
        SHELTER_STREET
        not in client_for(p.service_provider).get(reverse("referrals:inbox")).content.decode()
    )
    services.referral_withdraw(
        referral=referral, actor=p.caseworker, reason="Her aunt came for her this morning."
    )
    assert not referral_address_visible_to(p.caseworker, location)
    page = client_for(p.caseworker).get(reverse("referrals:detail", args=[referral.pk]))
    assert SHELTER_STREET not in page.content.decode()


# --- emergency referral from a report ------------------------------------------------------------


def test_an_emergency_referral_from_a_report_moves_to_the_case(world: World) -> None:
    p = world.p
    report = Report.objects.create(
        channel=Channel.HELPLINE, categories=["sexual_exploitation"], age_bands=["15-17"]
    )
    access_grant(
        matter=report.access_matter(),
        relation=Relation.TRIAGE_AREA,
        actor=None,
        agency=p.ngo,
        source_type="intake.report",
        source_id=report.pk,
    )
    with pytest.raises(ValidationError):
        services.referral_send_emergency(
            report=report,
            actor=p.caseworker,
            service_at_location=world.shelter_place,
            reason=REASON,
            emergency_basis="urgent",
            child_told=TOLD,
            childrens_officer=p.children_officer,
        )
    referral = services.referral_send_emergency(
        report=report,
        actor=p.caseworker,
        service_at_location=world.shelter_place,
        reason=REASON,
        emergency_basis="Sleeping at the ferry; in danger tonight. No guardian can be reached.",
        child_told=TOLD,
        child_first_name="Zuri",
        childrens_officer=p.children_officer,
    )
    assert referral.urgency == Urgency.EMERGENCY
    assert referral.access_matter().type == MatterType.REPORT
    assert referral_inbox(viewer=p.service_provider) == [referral]
    assert referral.due_at - referral.sent_at == dt.timedelta(hours=4)
    # the report is decided: the area's triage grants end, the sender still sees the referral
    AccessGrant.objects.filter(source_type="intake.report").update(revoked_at=timezone.now())
    assert referral in referral_outgoing(viewer=p.caseworker)

    case = world.case
    moved = services.referral_attach_to_case(referral=referral, case=case, actor=p.caseworker)
    assert (moved.matter_type, moved.matter_id) == (MatterType.CASE, case.pk)
    shelter_grants = AccessGrant.objects.live().filter(agency=p.shelter)
    assert [(g.matter_type, g.matter_id) for g in shelter_grants] == [(MatterType.CASE, case.pk)]
    assert not AccessGrant.objects.live().filter(matter_type=MatterType.REPORT).exists()
    assert moved.promise_id is not None
    assert referral_inbox(viewer=p.service_provider) == [moved]
    with pytest.raises(services.ReferralRefused):
        services.referral_attach_to_case(referral=moved, case=case, actor=p.caseworker)


def test_a_report_referral_needs_the_triage_relation(world: World) -> None:
    report = Report.objects.create(channel=Channel.HELPLINE, categories=["other"])
    with pytest.raises(Http404):
        services.referral_send_emergency(
            report=report,
            actor=world.p.caseworker,
            service_at_location=world.shelter_place,
            reason=REASON,
            emergency_basis="Sleeping at the ferry; in danger tonight.",
            child_told=TOLD,
            childrens_officer=world.p.children_officer,
        )


# --- pages ---------------------------------------------------------------------------------------


def test_the_refer_page_searches_and_sends(world: World, client_for: Callable[..., Client]) -> None:
    consent_to(world, world.p.shelter)
    client = client_for(world.p.caseworker)
    url = reverse("referrals:refer_case", args=[world.case.pk])
    search = {"service_type": "rescue_shelter", "ward": ward("Ukunda").pk, "open_now": "on"}
    found = client.get(url, search)
    assert found.status_code == 200
    assert "Emergency shelter for girls" in found.content.decode()
    assert SHELTER_STREET not in found.content.decode()
    chosen = client.get(url, {**search, "place": world.shelter_place.pk})
    assert "Consent to refer" in chosen.content.decode()
    sent = client.post(
        url + "?place=" + str(world.shelter_place.pk),
        {
            "place": world.shelter_place.pk,
            "urgency": Urgency.EMERGENCY,
            "reason": REASON,
            "child_told": TOLD,
            "child_first_name": "Mwanaisha",
            "childrens_officer": world.p.children_officer.pk,
            "needs": ["shelter"],
        },
    )
    referral = Referral.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == reverse("referrals:detail", args=[referral.pk])


def test_the_provider_answers_through_the_pages(
    referral: Referral, world: World, client_for: Callable[..., Client]
) -> None:
    client = client_for(world.p.service_provider)
    act = lambda name: reverse(f"referrals:{name}", args=[referral.pk])  # noqa: E731
    assert client.post(act("accept")).status_code == 302
    assert client.post(act("start")).status_code == 302
    client.post(act("complete"), {"feedback": "Placed; the caseworker visits on Friday."})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    outsider = client_for(world.p.caseworker_other)
    assert outsider.post(act("withdraw"), {"reason": "x" * 30}).status_code == 404


def test_list_pages_stay_within_a_few_queries(
    referral: Referral,
    world: World,
    client_for: Callable[..., Client],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    provider = client_for(world.p.service_provider)
    sender = client_for(world.p.caseworker)
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        assert provider.get(reverse("referrals:inbox")).status_code == 200
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        assert sender.get(reverse("referrals:outgoing")).status_code == 200
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        assert sender.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200


def test_a_referral_starts_from_a_case_code(
    world: World, client_for: Callable[..., Client]
) -> None:
    client = client_for(world.p.caseworker)
    started = client.get(reverse("referrals:refer_start"), {"case_code": world.case.code})
    assert started["Location"] == reverse("referrals:refer_case", args=[world.case.pk])
    outsider = client_for(world.p.caseworker_other)
    refused = outsider.get(reverse("referrals:refer_start"), {"case_code": world.case.code})
    assert refused["Location"] == reverse("referrals:outgoing")


def test_opening_the_case_at_triage_attaches_the_emergency_referral(world: World) -> None:
    from kinga.intake.services import report_decide
    from kinga.places.models import County

    p = world.p
    report = Report.objects.create(
        channel=Channel.HELPLINE,
        categories=["sexual_exploitation"],
        age_bands=["15-17"],
        county=County.objects.get(name="Mombasa"),
    )
    access_grant(
        matter=report.access_matter(),
        relation=Relation.TRIAGE_AREA,
        actor=None,
        agency=p.ngo,
        source_type="intake.report",
        source_id=report.pk,
    )
    referral = services.referral_send_emergency(
        report=report,
        actor=p.caseworker,
        service_at_location=world.shelter_place,
        reason=REASON,
        emergency_basis="Sleeping at the ferry; in danger tonight. No guardian can be reached.",
        child_told=TOLD,
        childrens_officer=p.children_officer,
    )
    report_decide(
        report=report,
        actor=p.caseworker,
        decision="open_case",
        reason="A girl in danger at the ferry; the shelter has her tonight.",
    )
    referral.refresh_from_db()
    assert referral.case is not None
    assert referral.case.source_report_id == report.pk
    assert referral_inbox(viewer=p.service_provider) == [referral]
    assert referral.promise_id is not None


# --- issue 11 holes 8 and 9 ----------------------------------------------------------------


def test_prefilling_the_childs_first_name_is_an_audited_identity_read(
    world: World, client_for: Callable[..., Client]
) -> None:
    """Guards issue 11 hole 9: the refer page pre-filled the child's first name from the
    identity section without an audit event. The read is audited as a view of identity."""
    consent_to(world, world.p.shelter)
    start = AuditEvent.objects.count()
    url = reverse("referrals:refer_case", args=[world.case.pk])
    page = client_for(world.p.caseworker).get(url, {"place": world.shelter_place.pk})
    assert page.status_code == 200
    assert 'value="Mwanaisha"' in page.content.decode()
    read = AuditEvent.objects.filter(
        seq__gt=start,
        action="view",
        actor=world.p.caseworker,
        record_type="people.person",
        record_id=str(world.case.child_id),
    ).get()
    assert read.matter_type == "case" and read.matter_id == world.case.pk
    assert read.fields == ["given_name"] and read.detail["section"] == "identity"


def test_the_promise_of_a_referral_does_not_show_it_to_readers_without_referrals(
    referral: Referral, world: World, client_for: Callable[..., Client]
) -> None:
    """Guards issue 11 hole 9: the promise a referral makes copied the referral's details
    (its reference and the service, e.g. a shelter) into the case summary, which an
    investigator on the team reads without any right to the referral section."""
    case_services.case_team_add(
        case=world.case,
        user=world.p.investigator,
        role_on_case=RoleOnCase.INVESTIGATOR,
        actor=world.p.caseworker,
    )
    service_name = world.shelter_place.service.name
    promise = Promise.objects.get(pk=referral.promise_id)
    assert service_name not in promise.description

    def promises_panel(user: User) -> str:
        body = client_for(user).get(reverse("cases:detail", args=[world.case.pk])).content
        text = body.decode()
        start = text.index('id="promises"')
        return text[start : text.index("</section>", start)]

    investigator = promises_panel(world.p.investigator)
    assert "A referral" in investigator  # the promise itself is summary: still tracked
    assert service_name not in investigator and referral.reference not in investigator
    caseworker = promises_panel(world.p.caseworker)
    assert service_name in caseworker and referral.reference in caseworker


def test_an_old_promise_with_copied_details_is_not_shown_without_referrals(
    referral: Referral, world: World, client_for: Callable[..., Client]
) -> None:
    """Guards issue 11 hole 9 for promises stored before the fix, whose text still holds
    the referral's details: the page renders referral promises from the referral only."""
    service_name = world.shelter_place.service.name
    Promise.objects.filter(pk=referral.promise_id).update(
        description=f"Referral {referral.reference} to {service_name}"
    )
    case_services.case_team_add(
        case=world.case,
        user=world.p.investigator,
        role_on_case=RoleOnCase.INVESTIGATOR,
        actor=world.p.caseworker,
    )
    body = client_for(world.p.investigator).get(reverse("cases:detail", args=[world.case.pk]))
    assert body.status_code == 200
    assert service_name.encode() not in body.content


def test_a_referral_out_of_reach_is_refused_on_its_cases_trail(
    referral: Referral, world: World, client_for: Callable[..., Client]
) -> None:
    """Guards issue 11 hole 8: refusing a real referral is the same 404 as a missing one,
    and the refusal goes on the trail of the case it belongs to."""
    outsider = client_for(world.p.caseworker_other)
    real = outsider.get(reverse("referrals:detail", args=[referral.pk]))
    missing = outsider.get(reverse("referrals:detail", args=[referral.pk + 1000]))
    assert real.status_code == missing.status_code == 404
    assert real.content == missing.content
    assert AuditEvent.objects.filter(
        action="denied",
        actor=world.p.caseworker_other,
        matter_type="case",
        matter_id=world.case.pk,
    ).exists()


def test_a_step_a_referral_service_refuses_is_audited(
    referral: Referral, world: World, client_for: Callable[..., Client]
) -> None:
    """Guards issue 11 hole 8: the sender "accepting" its own referral is refused inside
    the service's transaction, which took the audit event with it. The 404 is audited."""
    response = client_for(world.p.caseworker).post(reverse("referrals:accept", args=[referral.pk]))
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT
    assert AuditEvent.objects.filter(
        action="denied",
        actor=world.p.caseworker,
        record_type="referrals.referral",
        matter_type="case",
        matter_id=world.case.pk,
    ).exists()


@pytest.mark.parametrize("answer", ["declined", "withdrawn"])
def test_decline_and_withdraw_audit_hold_none_of_the_typed_reason(
    referral: Referral, world: World, answer: str
) -> None:
    """Guards issue 11 hole 5: a decline's or withdrawal's reason stays on the referral; the
    audit event refers to it and names the status, never the words."""
    from kinga.audit.tests.raw import assert_no_typed_words, last_seq

    typed = "Mattresses flooded; Khadija's dormitory closed until Grandmother Salama returns"
    before = last_seq()
    if answer == "declined":
        services.referral_decline(referral=referral, actor=world.p.service_provider, reason=typed)
    else:
        services.referral_withdraw(referral=referral, actor=world.p.caseworker, reason=typed)
    assert_no_typed_words(typed, since_seq=before)
    event = AuditEvent.objects.get(
        seq__gt=before, record_type="referrals.referral", record_id=str(referral.pk)
    )
    assert event.reason == "" and event.detail == {"status": answer}


def test_consent_override_audit_refers_to_the_consent_record(world: World) -> None:
    """Guards issue 11 hole 5: the override's written reason is the consent record's own
    (encrypted) text; the audit event refers to that record."""
    from kinga.audit.tests.raw import assert_no_typed_words, last_seq

    p = world.p
    case_services.case_team_add(
        case=world.case, user=p.supervisor, role_on_case=RoleOnCase.SUPERVISOR, actor=p.caseworker
    )
    typed = "Stepfather Juma threatens her; neighbours overheard quarrelling"
    before = last_seq()
    referral = send(world, actor=p.supervisor, override_reason=typed)
    assert_no_typed_words(typed, since_seq=before)
    event = AuditEvent.objects.get(record_type="cases.consent", record_id=str(referral.consent.pk))
    assert event.reason == "" and "explained" in event.fields


REFERRAL_STEPS = ("accept", "decline", "start", "complete", "withdraw", "attach")


def test_every_referral_step_has_its_own_url_and_view() -> None:
    """Issue 12 point 5: no dispatcher; each step's name resolves to a view of its own."""
    from django.urls import resolve

    for step in REFERRAL_STEPS:
        match = resolve(reverse(f"referrals:{step}", args=[7]))
        assert match.func.__name__ == f"referral_{step}", step


@pytest.mark.parametrize("step", REFERRAL_STEPS)
def test_each_referral_step_is_an_audited_404_for_an_outsider(
    referral: Referral, world: World, client_for: Callable[..., Client], step: str
) -> None:
    """Issue 12 point 5 with issue 11's rule: an outsider posting any step gets the 404 of a
    missing referral, audited, and the referral does not move."""
    outsider = world.p.caseworker_other
    before = AuditEvent.objects.filter(action="denied", actor=outsider).count()
    response = client_for(outsider).post(
        reverse(f"referrals:{step}", args=[referral.pk]),
        {"reason": "x" * 30, "feedback": "y" * 30, "case_code": world.case.code},
    )
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied", actor=outsider).count() > before
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_an_unknown_referral_step_is_the_referrals_audited_404(
    referral: Referral, world: World, client_for: Callable[..., Client]
) -> None:
    """Issue 12 point 5: a step that does not exist is refused like one out of reach, on
    the referral's trail."""
    response = client_for(world.p.service_provider).post(f"/referrals/{referral.pk}/act/explode/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        action="denied",
        actor=world.p.service_provider,
        record_type="referrals.referral",
        record_id=str(referral.pk),
    ).exists()


def test_the_provider_declines_on_its_own_url_with_a_reason(
    referral: Referral, world: World, client_for: Callable[..., Client]
) -> None:
    """Issue 12 point 5: the decline URL takes the reason and goes back to the inbox."""
    response = client_for(world.p.service_provider).post(
        reverse("referrals:decline", args=[referral.pk]),
        {"reason": "No bed free tonight; try the Kilifi shelter."},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:inbox")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED


def test_list_and_page_reads_are_audited_by_the_selectors(referral: Referral, world: World) -> None:
    """Issue 12 point 4: the selectors behind the inbox, the sent list and a referral's page
    audit the read themselves, so no view has to remember to."""
    from kinga.referrals.selectors_access import referral_page

    provider, sender = world.p.service_provider, world.p.caseworker
    referral_inbox(viewer=provider)
    referral_outgoing(viewer=sender)
    page = referral_page(viewer=provider, referral_id=referral.pk)
    assert page.may_answer and not page.sending
    assert AuditEvent.objects.filter(
        action="list", actor=provider, record_type="referrals.referral"
    ).exists()
    assert AuditEvent.objects.filter(
        action="list", actor=sender, record_type="referrals.referral"
    ).exists()
    assert AuditEvent.objects.filter(
        action="view", actor=provider, record_type="referrals.referral", record_id=str(referral.pk)
    ).exists()
