"""The pages: opening an incident from a report, every step's form, the lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kinga.access import policy
from kinga.justice import selectors
from kinga.justice.models import Incident, IncidentChild
from kinga.justice.tests.conftest import World, child_case, triaged_report

pytestmark = pytest.mark.django_db


def test_an_investigator_opens_an_incident_from_a_triaged_report(
    personas: Any, client_for: Any
) -> None:
    report = triaged_report(personas)
    client = client_for(personas.investigator)
    listing = client.get(reverse("justice:incidents"))
    assert f"R-{report.pk:06d}" in listing.content.decode()
    form = client.get(reverse("justice:open") + f"?report={report.pk}")
    assert form.status_code == 200
    assert "Girls taken to a lodge at Mtwapa" in form.content.decode()
    response = client.post(
        reverse("justice:open"),
        {
            "report": report.pk,
            "county": report.county_id,
            "station": "Mtwapa Police Station",
            "ob_number": "OB 9/02/03/2026",
            "reported_on": timezone.localdate().isoformat(),
            "exploitation_types": ["commercial_in_person"],
        },
    )
    incident = Incident.objects.get(source_report=report)
    assert response.status_code == 302
    assert response["Location"] == reverse("justice:incident", args=[incident.pk])
    assert incident.code.startswith("INC-MSA-")
    assert incident.police_unit == personas.police
    # the report leaves the police queue, and the unit's hold on it ends
    assert list(selectors.reports_awaiting_incident(viewer=personas.investigator)) == []
    assert not policy.can(personas.investigator, "view", report, "summary")
    again = client.post(
        reverse("justice:open"),
        {
            "report": report.pk,
            "county": report.county_id,
            "station": "x",
            "ob_number": "y",
            "reported_on": timezone.localdate().isoformat(),
        },
    )
    assert again.status_code == 404  # the report is no longer the unit's to see
    assert Incident.objects.filter(source_report=report).count() == 1


def test_only_investigators_open_incidents(personas: Any, client_for: Any) -> None:
    for user in (personas.prosecutor, personas.caseworker, personas.supervisor, personas.admin):
        assert client_for(user).get(reverse("justice:open")).status_code == 404


def test_a_report_the_case_opened_from_links_the_child(personas: Any) -> None:
    from kinga.justice import services

    report = triaged_report(personas)
    case = child_case(personas)
    # triage had named the child's case on the report (added to it before)
    type(report).objects.filter(pk=report.pk).update(case_code=case.code)
    report.refresh_from_db()
    incident = services.incident_open(
        actor=personas.investigator,
        report=report,
        facts=services.IncidentInput(
            county=report.county,
            station="Mtwapa",
            ob_number="OB 1/2026",
            reported_on=timezone.localdate(),
        ),
    )
    assert list(IncidentChild.objects.filter(incident=incident).values_list("case", flat=True)) == [
        case.pk
    ]


def test_every_step_form_opens_for_the_team(world: World, client_for: Any) -> None:
    p = world.personas
    incident = world.incident
    sheet = world.prosecution.charge_sheets.get(superseded_at__isnull=True)
    count = sheet.counts.first()
    investigator_urls = [
        reverse(name, args=[incident.pk])
        for name in (
            "justice:link_case",
            "justice:event_add",
            "justice:person_add",
            "justice:lead_add",
            "justice:officer_add",
            "justice:task_add",
            "justice:statement_add",
            "justice:evidence_add",
            "justice:age_proof_add",
            "justice:arrest_add",
            "justice:file_send",
        )
    ] + [reverse("justice:custody_add", args=[world.evidence.pk])]
    prosecutor_urls = [
        reverse("justice:prosecution_open", args=[incident.pk]),
        reverse("justice:amend", args=[world.prosecution.pk]),
        reverse("justice:bail_add", args=[world.prosecution.pk]),
        reverse("justice:schedule", args=[world.prosecution.pk]),
        reverse("justice:protection", args=[world.prosecution.pk]),
        reverse("justice:appeal_add", args=[world.prosecution.pk]),
        reverse("justice:withdraw", args=[world.prosecution.pk]),
        reverse("justice:plea", args=[count.pk]),
        reverse("justice:outcome", args=[count.pk]),
        reverse("justice:sentence", args=[count.pk]),
        reverse("justice:held", args=[world.hearing.pk]),
        reverse("justice:adjourn", args=[world.hearing.pk]),
    ]
    investigator = client_for(p.investigator)
    for url in investigator_urls:
        assert investigator.get(url).status_code == 200, url
    prosecutor = client_for(p.prosecutor)
    for url in prosecutor_urls:
        assert prosecutor.get(url).status_code == 200, url


def test_a_step_refused_by_the_service_shows_why(world: World, client_for: Any) -> None:
    client = client_for(world.personas.investigator)
    response = client.post(
        reverse("justice:link_case", args=[world.incident.pk]), {"case_code": "MSA-1999-000001"}
    )
    assert response.status_code == 200
    assert "No case has this code." in response.content.decode()


def test_the_incident_list_is_the_teams_and_bounded(
    world: World, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(world.personas.prosecutor)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("justice:incidents"))
    assert world.incident.code in response.content.decode()
    other = client_for(world.personas.caseworker).get(reverse("justice:incidents"))
    assert world.incident.code not in other.content.decode()


def test_the_add_person_page_has_one_form_per_person_found_with_unique_ids(
    world: World, client_for: Any
) -> None:
    import re

    from kinga.justice.models import PersonOfInterest

    client = client_for(world.personas.investigator)
    url = reverse("justice:person_add", args=[world.incident.pk])
    page = client.get(url, {"q": "Mohamed Salim"}).content.decode()
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    person_id = world.recruiter.person_id
    assert f'name="existing-{person_id}-role"' in page
    response = client.post(
        f"{url}?q=Mohamed+Salim",
        {
            "which": "existing",
            "q": "Mohamed Salim",
            "person_id": person_id,
            f"existing-{person_id}-role": "transporter",
            f"existing-{person_id}-relationship": "stranger",
        },
    )
    assert response.status_code == 302
    roles = PersonOfInterest.objects.filter(incident=world.incident, person_id=person_id)
    assert sorted(roles.values_list("role", flat=True)) == ["recruiter", "transporter"]


def test_the_court_record_shows_measures_and_bail_conditions_by_name(
    world: World, client_for: Any
) -> None:
    from kinga.justice import services
    from kinga.justice.models import BailCondition, BailKind

    services.bail_record(
        prosecution=world.prosecution,
        actor=world.personas.prosecutor,
        accused=world.recruiter,
        kind=BailKind.CASH_BAIL,
        decided_on=timezone.localdate(),
        amount_kes=200_000,
        conditions=[BailCondition.NO_CONTACT_CHILD, BailCondition.REPORT_TO_STATION],
    )
    page = client_for(world.personas.prosecutor).get(
        reverse("justice:incident", args=[world.incident.pk])
    )
    text = page.content.decode()
    assert "Evidence through an intermediary" in text
    assert "No contact with the child or the child&#x27;s family" in text
    assert "no_contact_child" not in text
    assert "in_camera" not in text
