from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from kinga.access.models import AccessGrant, Relation
from kinga.audit.models import AuditAction, AuditEvent
from kinga.matching.models import CandidateStatus, MatchCandidate, PersonMerge
from kinga.matching.selectors import review_queue
from kinga.matching.services import person_merge, person_unmerge
from kinga.matching.tests.conftest import SuspectPair, on_team

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Every stored row of the people tables, as the database holds them."""
    tables = [
        "people_person",
        "people_personlink",
        "people_personidentifier",
        "people_personnametoken",
    ]
    rows: dict[str, list[tuple[object, ...]]] = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 - fixed names
            rows[table] = list(cursor.fetchall())
    return rows


def test_a_new_record_is_matched_and_queued_for_the_investigator_on_both(
    personas, pair: SuspectPair
) -> None:
    assert pair.candidate.status == CandidateStatus.OPEN
    assert pair.candidate.probability >= 0.5
    assert pair.candidate.explanation["phone"][0] == "shared"
    assert pair.candidate.explanation["given_name"][0] == "same"
    assert [c.pk for c in review_queue(viewer=personas.investigator)] == [pair.candidate.pk]


def test_the_pair_shows_side_by_side_with_why_and_each_view_is_audited(
    personas, client_for, pair: SuspectPair
) -> None:
    response = client_for(personas.investigator).get(
        reverse("matching:candidate", args=[pair.candidate.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Omar Bakari" in page and "Omari Bakar" in page
    assert "Babu" in page
    assert "shared (siblings may share one)" in page
    views = AuditEvent.objects.filter(
        action=AuditAction.VIEW, record_type="people.person", actor=personas.investigator
    )
    assert sorted(int(e.record_id) for e in views) == sorted([pair.first.pk, pair.second.pk])


def test_the_queue_names_no_one(personas, client_for, pair: SuspectPair) -> None:
    response = client_for(personas.investigator).get(reverse("matching:queue"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Pair {pair.candidate.pk}" in page
    assert "Omar" not in page and "Bakar" not in page


def test_merge_keeps_every_record_and_unmerge_restores_them_exactly(
    personas, client_for, pair: SuspectPair
) -> None:
    before = snapshot()
    client = client_for(personas.investigator)
    response = client.post(reverse("matching:merge", args=[pair.candidate.pk]))
    assert response.status_code == 302
    merge = PersonMerge.objects.get(candidate=pair.candidate)
    assert merge.undone_at is None and merge.merged_by == personas.investigator
    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidateStatus.MERGED
    assert snapshot() == before  # no person record was rewritten
    assert review_queue(viewer=personas.investigator) == []
    response = client.post(reverse("matching:unmerge", args=[pair.candidate.pk]))
    assert response.status_code == 302
    merge.refresh_from_db()
    assert merge.undone_by == personas.investigator and merge.undone_at is not None
    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidateStatus.OPEN
    assert pair.candidate.decided_by is None
    assert snapshot() == before
    assert [c.pk for c in review_queue(viewer=personas.investigator)] == [pair.candidate.pk]
    events = list(
        AuditEvent.objects.filter(
            record_type="matching.personmerge", record_id=str(merge.pk)
        ).order_by("seq")
    )
    assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.CHANGE]
    assert all(e.actor == personas.investigator for e in events)


def test_the_same_pair_can_be_merged_again_after_an_unmerge(personas, pair: SuspectPair) -> None:
    first = person_merge(candidate=pair.candidate, actor=personas.investigator)
    person_unmerge(merge=first, actor=personas.investigator)
    again = person_merge(candidate=pair.candidate, actor=personas.investigator)
    assert again.pk != first.pk
    assert PersonMerge.objects.filter(candidate=pair.candidate).count() == 2


def test_rejecting_records_two_people_and_a_decided_pair_cannot_be_decided_again(
    personas, client_for, pair: SuspectPair
) -> None:
    client = client_for(personas.investigator)
    client.post(reverse("matching:reject", args=[pair.candidate.pk]))
    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidateStatus.REJECTED
    response = client.post(reverse("matching:merge", args=[pair.candidate.pk]), follow=True)
    assert "This pair was already decided." in response.content.decode()
    assert not PersonMerge.objects.exists()


@pytest.mark.parametrize(
    "who",
    [
        "caseworker_other",
        "admin",
        "analyst",
        "counsellor",
        "service_provider",
        "helpline",
        "trainer",
    ],
)
def test_outsiders_never_learn_the_pair_exists(
    personas, client_for, pair: SuspectPair, who: str
) -> None:
    user = getattr(personas, who)
    client = client_for(user)
    for name in ("matching:candidate", "matching:merge", "matching:reject", "matching:unmerge"):
        url = reverse(name, args=[pair.candidate.pk])
        response = client.post(url) if name != "matching:candidate" else client.get(url)
        assert response.status_code == 404, (who, name)
    missing = client.get(reverse("matching:candidate", args=[pair.candidate.pk + 1000]))
    assert missing.status_code == 404
    assert review_queue(viewer=user) == []
    assert (
        pair.candidate.pk
        and MatchCandidate.objects.get(pk=pair.candidate.pk).status == CandidateStatus.OPEN
    )
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, actor=user).exists()


def test_authority_over_one_record_is_not_enough(personas, client_for, pair: SuspectPair) -> None:
    # A second investigator on the first incident only: sees neither the pair nor its count.
    from conftest import make_user
    from kinga.accounts.models import Role

    colleague = make_user("salim_investigator", personas.police, Role.INVESTIGATOR)
    on_team(colleague, pair.first_incident)
    assert review_queue(viewer=colleague) == []
    response = client_for(colleague).get(reverse("matching:candidate", args=[pair.candidate.pk]))
    assert response.status_code == 404
    assert (
        "Pair"
        not in client_for(colleague)
        .get(reverse("matching:queue"))
        .content.decode()
        .split("<h1>")[1]
        .split("</h1>")[1]
    )


def test_viewing_without_recording_rights_is_not_authority(
    personas, client_for, pair: SuspectPair
) -> None:
    # The prosecutor on both incidents may view identity there, not record people: no review.
    for incident in (pair.first_incident, pair.second_incident):
        on_team(personas.prosecutor, incident)
    assert review_queue(viewer=personas.prosecutor) == []
    response = client_for(personas.prosecutor).get(
        reverse("matching:candidate", args=[pair.candidate.pk])
    )
    assert response.status_code == 404


def test_a_revoked_grant_ends_authority(personas, client_for, pair: SuspectPair) -> None:
    AccessGrant.objects.filter(
        user=personas.investigator, matter_id=pair.second_incident.id, relation=Relation.TEAM_MEMBER
    ).delete()
    assert review_queue(viewer=personas.investigator) == []
    response = client_for(personas.investigator).post(
        reverse("matching:merge", args=[pair.candidate.pk])
    )
    assert response.status_code == 404
    assert not PersonMerge.objects.exists()


def test_get_on_a_decision_is_refused(personas, client_for, pair: SuspectPair) -> None:
    response = client_for(personas.investigator).get(
        reverse("matching:merge", args=[pair.candidate.pk])
    )
    assert response.status_code == 405
    assert not PersonMerge.objects.exists()


def test_the_home_counts_pairs_only_for_those_with_authority(
    personas, client_for, pair: SuspectPair
) -> None:
    from django.utils import timezone

    from kinga.matching.selectors import home_work

    today = timezone.localdate()
    (work,) = home_work(viewer=personas.investigator, today=today)
    assert work.count == 1
    assert home_work(viewer=personas.caseworker_other, today=today) == []
    assert home_work(viewer=personas.admin, today=today) == []
