"""Who sees what of an incident: each persona, each kind of record, through the one policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kinga.access import policy
from kinga.audit.models import AuditAction, AuditEvent
from kinga.justice import selectors
from kinga.justice.models import Evidence, Incident, PersonOfInterest, Prosecution
from kinga.justice.tests.conftest import World

pytestmark = pytest.mark.django_db


def _sections(user: Any, incident: Incident) -> dict[str, frozenset[str]]:
    return {k: v for k, v in policy.allowed_actions(user, incident).items() if v}


def test_the_team_sees_the_incident_and_writes_its_justice_records(world: World) -> None:
    p = world.personas
    investigator = _sections(p.investigator, world.incident)
    assert investigator["justice"] >= {"view", "create", "change"}
    assert "view" in investigator["identity"]
    prosecutor = _sections(p.prosecutor, world.incident)
    assert prosecutor["justice"] >= {"view", "create", "change"}
    assert "view" in prosecutor["identity"]


def test_nobody_else_has_any_section_of_the_incident(world: World) -> None:
    p = world.personas
    outsiders = [
        p.caseworker,
        p.caseworker_other,
        p.counsellor,
        p.supervisor,
        p.service_provider,
        p.helpline,
        p.analyst,
        p.trainer,
        p.admin,
        p.children_officer,
    ]
    for user in outsiders:
        assert _sections(user, world.incident) == {}, user.username
    # and no list of incidents, evidence, people or prosecutions reaches them in SQL
    for user in outsiders:
        for model in (Incident, Evidence, PersonOfInterest, Prosecution):
            assert not policy.visible(user, model.objects.all()).exists(), (user, model)


def test_the_police_unit_supervisor_oversees_what_an_investigator_may_see(
    world: World, personas: Any
) -> None:
    from conftest import make_user
    from kinga.accounts.models import Role

    chief = make_user("kassim_supervisor", personas.police, Role.SUPERVISOR)
    sections = _sections(chief, world.incident)
    assert set(sections) == {"summary", "identity", "justice"}
    assert "create" not in sections["justice"]


def test_every_page_of_the_incident_is_a_404_to_outsiders_and_audited(
    world: World, client_for: Any
) -> None:
    p = world.personas
    urls = [
        reverse("justice:incident", args=[world.incident.pk]),
        reverse("justice:evidence_add", args=[world.incident.pk]),
        reverse("justice:custody_add", args=[world.evidence.pk]),
        reverse("justice:person_add", args=[world.incident.pk]),
        reverse("justice:amend", args=[world.prosecution.pk]),
        reverse("justice:schedule", args=[world.prosecution.pk]),
        reverse("justice:adjourn", args=[world.hearing.pk]),
        reverse("justice:incident_edit", args=[world.incident.pk]),
        reverse("justice:officer_remove", args=[world.incident.officers.get().pk]),
    ]
    for user in (
        p.caseworker,
        p.counsellor,
        p.service_provider,
        p.analyst,
        p.admin,
        p.supervisor,
        p.caseworker_other,
    ):
        client = client_for(user)
        for url in urls:
            before = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=user).count()
            assert client.get(url).status_code == 404, (user.username, url)
            after = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=user).count()
            assert after == before + 1, (user.username, url)
    assert client_for(None).get(urls[0]).status_code == 302
    # a made-up incident is the same 404
    assert (
        client_for(p.investigator).get(reverse("justice:incident", args=[99999])).status_code == 404
    )


def test_the_team_reads_the_incident_page_and_the_read_is_audited(
    world: World, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    p = world.personas
    client = client_for(p.investigator)
    url = reverse("justice:incident", args=[world.incident.pk])
    with django_assert_max_num_queries(45):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mohamed Salim" in body and "PExh. 1" in body and "E123 of 2026" in body
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW,
        actor=p.investigator,
        record_type="justice.incident",
        record_id=str(world.incident.pk),
    ).exists()
    assert client_for(p.prosecutor).get(url).status_code == 200


def test_the_caseworker_sees_dates_places_measures_and_outcomes_on_the_case_only(
    world: World, client_for: Any
) -> None:
    p = world.personas
    case_url = reverse("cases:detail", args=[world.case.pk])
    body = client_for(p.caseworker).get(case_url).content.decode()
    assert "Path to verdict" in body
    assert "Shanzu Law Courts" in body and "Court 3" in body
    assert "Evidence through an intermediary" in body
    # never the evidence, never the accused
    for secret in ("PExh. 1", "Mohamed", "Salim", "Klaus", "chat export", world.evidence.sha256):
        assert secret not in body


def test_counsellor_on_the_case_sees_nothing_of_the_court_path(
    world: World, client_for: Any
) -> None:
    body = (
        client_for(world.personas.counsellor)
        .get(reverse("cases:detail", args=[world.case.pk]))
        .content.decode()
    )
    assert "Path to verdict" not in body
    assert "Shanzu" not in body
    assert selectors.court_paths_for_case(viewer=world.personas.counsellor, case=world.case) == []


def test_a_service_provider_and_others_get_no_court_path(world: World) -> None:
    p = world.personas
    for user in (p.service_provider, p.analyst, p.admin, p.caseworker_other):
        assert selectors.court_paths_for_case(viewer=user, case=world.case) == []


def test_the_police_see_a_report_sent_for_an_incident_until_one_is_opened(
    personas: Any,
) -> None:
    from kinga.justice.tests.conftest import triaged_report

    report = triaged_report(personas)
    waiting = selectors.reports_awaiting_incident(viewer=personas.investigator)
    assert list(waiting) == [report]
    # the report is not the caseworker's any more, nor anyone else's
    for user in (personas.prosecutor, personas.counsellor, personas.analyst):
        assert list(selectors.reports_awaiting_incident(viewer=user)) == []
    assert policy.can(personas.investigator, "view", report, "summary")
    assert not policy.can(personas.investigator, "change", report, "summary")


def test_the_list_of_reports_waiting_for_an_incident_is_an_audited_read(
    personas: Any, client_for: Any
) -> None:
    from kinga.justice.tests.conftest import triaged_report

    triaged_report(personas)
    client_for(personas.investigator).get(reverse("justice:incidents"))
    read = AuditEvent.objects.filter(
        action=AuditAction.LIST, actor=personas.investigator, record_type="intake.report"
    ).get()
    assert read.detail == {"list": "awaiting_incident", "rows": 1}


def test_the_funnel_is_counts_for_the_aggregate_view_only(world: World) -> None:
    p = world.personas
    funnel = selectors.justice_funnel(viewer=p.analyst)
    counts = dict(funnel.steps)
    assert counts["Report"] == 1 and counts["File to the prosecutor"] == 1
    assert counts["Decision to charge"] == 1 and counts["Judgment"] == 0
    assert selectors.justice_funnel(viewer=p.investigator).steps == []
