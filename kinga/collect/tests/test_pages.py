"""The supervisors' pages, the administrator's quarantine, and the volunteer on triage."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import make_user
from kinga.access import policy
from kinga.accounts.models import Role
from kinga.audit.models import AuditEvent
from kinga.collect import services
from kinga.collect.models import DeviceToken, Submission, Volunteer
from kinga.collect.selectors import token_live
from kinga.collect.tests.conftest import FIELD_REPORT
from kinga.collect.tests.odk import Collect
from kinga.intake.models import Report
from kinga.intake.services.routing import route

pytestmark = pytest.mark.django_db


def test_only_supervisors_supervise_and_only_administrators_see_the_quarantine(
    personas: Any,
) -> None:
    for user in personas.all_users():
        assert policy.can_do(user, "collect.supervise") == user.has_role(Role.SUPERVISOR)
        assert policy.can_do(user, "collect.quarantine") == user.has_role(Role.ADMIN)


def test_a_supervisor_sees_their_agencys_volunteers_and_what_they_sent(
    personas: Any, client_for: Any, phone: tuple[Collect, str], volunteer: Volunteer
) -> None:
    collect, _secret = phone
    collect.fill_and_send("kinga_field_report", FIELD_REPORT)
    client = client_for(personas.supervisor)
    page = client.get(reverse("collect:volunteers"))
    assert page.status_code == 200
    assert volunteer.code in page.content.decode()
    assert "Mama Amina Said" in page.content.decode()
    detail = client.get(reverse("collect:volunteer", args=[volunteer.pk]))
    assert detail.status_code == 200
    report = Report.objects.get()
    assert report.reference in detail.content.decode()
    assert AuditEvent.objects.filter(
        record_type="collect.volunteer", record_id=str(volunteer.pk), action="view"
    ).exists()


def test_outsiders_get_404_for_a_volunteer_and_cannot_revoke_or_issue(
    personas: Any, client_for: Any, volunteer: Volunteer
) -> None:
    token, _secret = services.token_issue(actor=None, volunteer=volunteer)
    other_supervisor = make_user("other_supervisor", personas.other_ngo, Role.SUPERVISOR)
    for user in (other_supervisor, personas.caseworker, personas.admin, personas.analyst):
        client = client_for(user)
        assert client.get(reverse("collect:volunteer", args=[volunteer.pk])).status_code == 404
        assert client.post(reverse("collect:token_revoke", args=[token.pk])).status_code == 404
        assert client.post(reverse("collect:token_issue", args=[volunteer.pk])).status_code == 404
    assert DeviceToken.objects.filter(volunteer=volunteer).count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None
    # the other agency's supervisor sees no volunteer of ours in their list
    page = client_for(other_supervisor).get(reverse("collect:volunteers"))
    assert page.status_code == 200
    assert volunteer.code not in page.content.decode()


def test_adding_a_volunteer_and_setting_up_a_phone_shows_the_url_once(
    personas: Any, client_for: Any
) -> None:
    client = client_for(personas.supervisor)
    empty = client.post(reverse("collect:volunteers"), {"name": "  "})
    assert empty.status_code == 200
    assert not Volunteer.objects.exists()
    added = client.post(reverse("collect:volunteers"), {"name": "Bakari Juma"})
    volunteer = Volunteer.objects.get()
    assert added.status_code == 302
    assert volunteer.agency == personas.ngo
    issued = client.post(reverse("collect:token_issue", args=[volunteer.pk]), {"label": "Nokia"})
    assert issued.status_code == 200
    text = issued.content.decode()
    assert "<svg" in text
    url = text.split('class="token-url">', 1)[1].split("<", 1)[0]
    secret = url.rstrip("/").rsplit("/", 1)[-1]
    assert token_live(secret=secret) is not None
    # only the keyed hash is kept; the volunteer's page never shows the URL again
    assert not DeviceToken.objects.filter(token_hash=secret).exists()
    assert (
        secret not in client.get(reverse("collect:volunteer", args=[volunteer.pk])).content.decode()
    )


def test_a_supervisor_revokes_a_lost_phone_at_once(
    personas: Any, client_for: Any, phone: tuple[Collect, str], volunteer: Volunteer
) -> None:
    collect, secret = phone
    token = token_live(secret=secret)
    assert token is not None
    response = client_for(personas.supervisor).post(
        reverse("collect:token_revoke", args=[token.pk])
    )
    assert response.status_code == 302
    assert collect.form_list().status_code == 401


def test_the_quarantine_is_the_administrators_and_shows_no_content(
    personas: Any, client_for: Any, phone: tuple[Collect, str]
) -> None:
    collect, _secret = phone
    collect.post(
        b"<data id='kinga_field_report'><meta><instanceID>uuid:q</instanceID></meta>"
        b"<narrative>secret words</narrative></data>",
        {},
    )
    assert Submission.objects.get().status == "quarantined"
    page = client_for(personas.admin).get(reverse("collect:quarantine"))
    assert page.status_code == 200
    assert "Sent without encryption" in page.content.decode()
    assert "secret words" not in page.content.decode()
    assert client_for(personas.supervisor).get(reverse("collect:quarantine")).status_code == 404


def test_triage_shows_the_volunteer_and_their_name_only_with_identity(
    personas: Any, client_for: Any, phone: tuple[Collect, str], volunteer: Volunteer
) -> None:
    collect, _secret = phone
    collect.fill_and_send("kinga_field_report", {**FIELD_REPORT, "county": "1"})
    report = Report.objects.get()
    route(report, now=report.received_at)  # the worker's routing task
    client = client_for(personas.children_officer)
    queue = client.get(reverse("intake:triage"))
    assert report.reference in queue.content.decode()
    assert "Field volunteer (ODK Collect)" in queue.content.decode()
    page = client.get(reverse("intake:triage_report", args=[report.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Volunteer {volunteer.code}" in text
    assert personas.ngo.name in text
    # the other agency's caseworker: not in their area, the same 404 as nothing
    assert (
        client_for(personas.caseworker_other)
        .get(reverse("intake:triage_report", args=[report.pk]))
        .status_code
        == 404
    )


def test_the_supervisors_pages_take_a_bounded_number_of_queries(
    personas: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def volunteer_with_a_phone(name: str) -> Volunteer:
        volunteer = services.volunteer_add(actor=None, name=name, agency=personas.ngo)
        services.token_issue(actor=None, volunteer=volunteer)
        return volunteer

    first = volunteer_with_a_phone("Volunteer 0")
    client = client_for(personas.supervisor)
    client.get(reverse("collect:volunteers"))  # the session's first request settles it
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("collect:volunteers"))
    for n in range(1, 12):
        volunteer_with_a_phone(f"Volunteer {n}")
    # twelve volunteers cost what one did: no query per row
    with django_assert_max_num_queries(len(one)):
        assert client.get(reverse("collect:volunteers")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("collect:volunteer", args=[first.pk])).status_code == 200
