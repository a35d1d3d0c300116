"""Issue 18 point 2: coverage per agency and county, who has never been, refreshers due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from kinga.accounts.models import Role
from kinga.audit.models import AuditEvent
from kinga.training import selectors, services
from kinga.training.models import Audience
from kinga.training.tests.conftest import Training, make_session

pytestmark = pytest.mark.django_db


def _attend(t: Training, participant, days: int = 3, post: int | None = 15):  # type: ignore[no-untyped-def]
    services.participant_record(
        actor=t.p.trainer,
        participant=participant,
        days_present=participant.session.days()[:days],
        pre_score=10,
        post_score=post,
        feedback_rating=None,
    )


def test_coverage_counts_staff_trained_never_trained_and_people_without_accounts(
    training: Training,
) -> None:
    p = training.p
    second_officer = make_user("chari_investigator", p.police, Role.INVESTIGATOR)
    _attend(
        training,
        services.participant_add(actor=p.trainer, session=training.session, user=p.investigator),
    )
    # on the list but never came: not trained
    services.participant_add(actor=p.trainer, session=training.session, user=second_officer)
    # an officer without a Kinga account, put down under the unit
    _attend(
        training,
        services.participant_add(
            actor=p.trainer, session=training.session, name="Cpl. Wekesa", agency=p.police
        ),
        post=None,
    )
    _attend(
        training,
        services.participant_add(actor=p.trainer, session=training.session, user=p.prosecutor),
    )
    services.certificate_issue(actor=p.trainer, participant=p.investigator.training_places.get())
    result = selectors.coverage(viewer=p.trainer)
    police = next(row for row in result.agencies if row.agency == p.police)
    assert (police.staff, police.staff_trained, police.never_trained) == (2, 1, 1)
    assert police.people_trained == 2
    assert police.certified == 1
    assert police.by_audience == {Audience.POLICE: 2}
    mombasa = next(row for row in result.counties if row.county == "Mombasa")
    assert mombasa.sessions == 1 and mombasa.joint_sessions == 1
    assert mombasa.by_audience == {Audience.POLICE: 2, Audience.PROSECUTOR: 1}
    # for one course only
    other = make_session(p, training.course, audiences=[Audience.POLICE])
    assert selectors.coverage(viewer=p.trainer).counties[0].sessions == 2
    assert other.joint is False


def test_who_has_never_been_and_refreshers_due(training: Training) -> None:
    p = training.p
    never = make_user("kahindi_investigator", p.police, Role.INVESTIGATOR)
    participant = services.participant_add(
        actor=p.trainer, session=training.session, user=p.investigator
    )
    _attend(training, participant)
    today = timezone.localdate()
    rows = selectors.agency_staff_training(viewer=p.trainer, agency_id=p.police.pk, today=today)
    assert [row.user for row in rows] == [never, p.investigator]
    assert rows[0].courses == []
    title, last, due = rows[1].courses[0]
    assert title == training.course.title and last == training.session.ends_on
    assert due == dt.date(last.year + 2, last.month, last.day)
    assert rows[1].due is False
    # twenty-three months on, the refresher is due within the warning window
    later = today + dt.timedelta(days=700)
    rows = selectors.agency_staff_training(viewer=p.trainer, agency_id=p.police.pk, today=later)
    assert rows[1].due is True
    assert AuditEvent.objects.filter(action="list", record_type="training.coverage").count() == 2


def test_a_supervisor_sees_only_their_own_agency(training: Training, client_for) -> None:  # type: ignore[no-untyped-def]
    p = training.p
    result = selectors.coverage(viewer=p.supervisor)
    assert [row.agency for row in result.agencies] == [p.ngo]
    assert result.counties == []
    client = client_for(p.supervisor)
    assert client.get(reverse("training:coverage")).status_code == 200
    assert client.get(reverse("training:coverage_agency", args=[p.ngo.pk])).status_code == 200
    assert client.get(reverse("training:coverage_agency", args=[p.police.pk])).status_code == 404
    with pytest.raises(Http404):
        selectors.agency_staff_training(
            viewer=p.supervisor, agency_id=p.police.pk, today=timezone.localdate()
        )


def test_coverage_is_refused_to_other_roles(training: Training, client_for) -> None:  # type: ignore[no-untyped-def]
    p = training.p
    for outsider in (p.caseworker, p.investigator, p.admin, p.analyst, None):
        response = client_for(outsider).get(reverse("training:coverage"))
        assert response.status_code in (302, 404)
        assert response.status_code == (302 if outsider is None else 404)


def test_coverage_pages_in_a_bounded_number_of_queries(
    training: Training,
    client_for,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    p = training.p
    for number in range(8):
        _attend(
            training,
            services.participant_add(
                actor=p.trainer, session=training.session, name=f"Officer {number}", agency=p.police
            ),
        )
    client = client_for(p.trainer)
    client.get(reverse("training:coverage"))
    with django_assert_max_num_queries(20):
        body = client.get(reverse("training:coverage")).content.decode()
    assert "Mombasa AHTCPU" in body
    with django_assert_max_num_queries(20):
        client.get(reverse("training:coverage_agency", args=[p.police.pk]))
