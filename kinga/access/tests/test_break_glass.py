from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import make_user
from kinga.access import services
from kinga.access.models import AccessGrant, BreakGlassGrant, BreakGlassReview, Relation
from kinga.access.policy import Matter, can
from kinga.accounts.models import Role
from kinga.audit.models import AuditAction, AuditEvent
from kinga.cases.tests.conftest import open_case
from kinga.notifications.models import Notification

REASON = "Child reported missing from the shelter tonight; police need the guardian's contact."

pytestmark = pytest.mark.django_db


@pytest.fixture
def matter(personas):
    """A real case owned by the caseworker, overseen by the NGO's supervisor."""
    return open_case(personas).access_matter()


def test_break_glass_opens_time_limited_access_and_notifies_the_supervisor(personas, matter):
    outsider = personas.investigator
    assert not can(outsider, "view", matter, "summary")
    grant = services.break_glass_open(user=outsider, matter=matter, reason=REASON)
    assert can(outsider, "view", matter, "summary")
    assert can(outsider, "view", matter, "identity")
    assert not can(outsider, "view", matter, "care"), "care notes stay closed"
    assert not can(outsider, "change", matter, "summary")
    hours = (grant.ends_at - grant.starts_at).total_seconds() / 3600
    assert hours == pytest.approx(4)
    assert Notification.objects.filter(recipient=personas.supervisor).count() == 1
    note = Notification.objects.get(recipient=personas.supervisor)
    assert str(matter.id) not in note.text  # no case detail in the text
    event = AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS).get()
    assert event.matter_id == matter.id and event.actor == outsider
    # the reason stays on the grant (encrypted), never in the audit log
    assert event.reason == "" and REASON not in str(event.detail)
    assert grant.reason == REASON


def test_break_glass_ends_when_its_time_is_up(personas, matter):
    grant = services.break_glass_open(user=personas.investigator, matter=matter, reason=REASON)
    AccessGrant.objects.filter(pk=grant.access_grant_id).update(
        ends_at=timezone.now() - timedelta(seconds=1)
    )
    assert not can(personas.investigator, "view", matter, "summary")


def test_break_glass_needs_a_real_reason_and_a_role_that_allows_it(personas, matter):
    with pytest.raises(ValidationError):
        services.break_glass_open(user=personas.investigator, matter=matter, reason="urgent")
    for user in (personas.analyst, personas.admin, personas.counsellor, personas.service_provider):
        with pytest.raises(PermissionDenied):
            services.break_glass_open(user=user, matter=matter, reason=REASON)
    assert not BreakGlassGrant.objects.exists()


def test_supervisor_accepts_or_flags_and_a_flag_ends_access(personas, matter):
    grant = services.break_glass_open(user=personas.investigator, matter=matter, reason=REASON)
    with pytest.raises(ValidationError):
        services.break_glass_review(
            grant=grant, reviewer=personas.supervisor, decision=BreakGlassReview.FLAGGED
        )
    services.break_glass_review(
        grant=grant,
        reviewer=personas.supervisor,
        decision=BreakGlassReview.FLAGGED,
        note="No emergency on record; the family was already with the caseworker.",
    )
    grant.refresh_from_db()
    assert grant.review == BreakGlassReview.FLAGGED
    assert not can(personas.investigator, "view", matter, "summary")
    with pytest.raises(ValidationError):
        services.break_glass_review(
            grant=grant, reviewer=personas.supervisor, decision=BreakGlassReview.ACCEPTED
        )
    assert AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS_REVIEW).count() == 1


def test_nobody_reviews_their_own_break_glass(personas, matter, settings):
    # the supervisor is the only one of the matter and of the agency: the programme reviews
    reviewer = make_user("fatuma_reviewer", personas.programme, Role.SUPERVISOR)
    settings.KINGA_BREAK_GLASS_REVIEWERS = [reviewer.username]
    other_case = open_case(personas, given_name="Zawadi").access_matter()
    grant = services.break_glass_open(user=personas.supervisor, matter=other_case, reason=REASON)
    with pytest.raises(PermissionDenied):
        services.break_glass_review(
            grant=grant, reviewer=personas.supervisor, decision=BreakGlassReview.ACCEPTED
        )


def test_break_glass_pages(personas, matter, client_for):
    client = client_for(personas.investigator)
    url = f"/access/break-glass/case/{matter.id}/?next=/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "short", "next": "/"})
    assert response.status_code == 200 and not BreakGlassGrant.objects.exists()
    response = client.post(url, {"reason": REASON, "next": "/"})
    assert response.status_code == 302
    assert can(personas.investigator, "view", matter, "summary")
    # the analyst may not even ask
    assert client_for(personas.analyst).get(url).status_code == 404
    # the supervisor's queue shows it; another agency's supervisor's does not
    supervisor = client_for(personas.supervisor)
    page = supervisor.get("/access/break-glass/reviews/")
    assert "missing from the shelter tonight" in page.content.decode()
    grant = BreakGlassGrant.objects.get()
    response = supervisor.post(
        "/access/break-glass/reviews/", {"grant": grant.pk, "decision": "accepted", "note": ""}
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.review == BreakGlassReview.ACCEPTED
    for outsider in (personas.caseworker, personas.analyst, personas.admin):
        assert client_for(outsider).get("/access/break-glass/reviews/").status_code == 404


def test_trail_page_is_for_the_overseeing_supervisor_only(personas, matter, client_for):
    services.break_glass_open(user=personas.investigator, matter=matter, reason=REASON)
    url = f"/access/trail/case/{matter.id}/"
    response = client_for(personas.supervisor).get(url)
    assert response.status_code == 200
    assert "omari_investigator" in response.content.decode()
    for outsider in (
        personas.caseworker,  # on the team but not a supervisor
        personas.investigator,
        personas.analyst,
        personas.admin,
        personas.caseworker_other,
    ):
        assert client_for(outsider).get(url).status_code == 404
    denied = AuditEvent.objects.filter(action=AuditAction.DENIED, record_id=str(matter.id))
    assert denied.count() == 5
    assert client_for(None).get(url).status_code == 302  # to sign in


def test_bulk_agency_grants_give_each_agency_access_with_one_event(personas):
    matter = Matter("report", 88)
    before = AuditEvent.objects.count()
    services.access_grant_agencies(
        matter=matter,
        relation=Relation.TRIAGE_AREA,
        agencies=[personas.ngo, personas.childrens_services],
        actor=None,
        source_type="report",
        source_id=88,
    )
    assert AuditEvent.objects.count() == before + 1
    assert can(personas.caseworker, "view", matter, "summary")
    assert can(personas.children_officer, "view", matter, "summary")
    assert not can(personas.caseworker_other, "view", matter, "summary")
