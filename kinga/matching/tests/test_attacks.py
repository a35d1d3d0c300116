"""Issue 15 point 4: the review as an attacker tries it. Another agency's insider, an
account that once had authority, a break-glass reader, an administrator and a forged
request: none may merge, unmerge or learn of a pair, and each refusal is audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_agency, make_user
from kinga.access.models import AccessGrant, Relation
from kinga.accounts.models import AgencyKind, Role
from kinga.audit.models import AuditAction, AuditEvent
from kinga.matching.models import CandidateStatus, MatchCandidate, PersonMerge
from kinga.matching.selectors import review_queue
from kinga.matching.services import person_merge
from kinga.matching.tests.conftest import SuspectPair, on_team

pytestmark = pytest.mark.django_db


def _decisions(client, pair: SuspectPair) -> list[int]:  # type: ignore[no-untyped-def]
    return [
        client.post(reverse(name, args=[pair.candidate.pk])).status_code
        for name in ("matching:merge", "matching:reject", "matching:unmerge")
    ]


def test_another_police_units_investigator_with_break_glass_on_both_cannot_merge(
    personas, client_for, pair: SuspectPair
) -> None:
    # Break-glass lets a reader see a matter in an emergency; it never lets them record
    # people there, so it gives no authority to join two records.
    unit = make_agency("Kilifi AHTCPU", AgencyKind.POLICE_UNIT, "Kilifi")
    insider = make_user("kahindi_investigator", unit, Role.INVESTIGATOR)
    for incident in (pair.first_incident, pair.second_incident):
        AccessGrant.objects.create(
            matter_type=incident.type,
            matter_id=incident.id,
            relation=Relation.BREAK_GLASS,
            user=insider,
        )
    client = client_for(insider)
    assert client.get(reverse("matching:candidate", args=[pair.candidate.pk])).status_code == 404
    assert _decisions(client, pair) == [404, 404, 404]
    assert review_queue(viewer=insider) == []
    assert not PersonMerge.objects.exists()
    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidateStatus.OPEN
    denied = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=insider)
    assert denied.count() >= 4


def test_an_investigator_who_lost_a_grant_cannot_undo_a_merge_made_before(
    personas, client_for, pair: SuspectPair
) -> None:
    merge = person_merge(candidate=pair.candidate, actor=personas.investigator)
    AccessGrant.objects.filter(
        user=personas.investigator, matter_id=pair.first_incident.id
    ).delete()
    client = client_for(personas.investigator)
    assert client.post(reverse("matching:unmerge", args=[pair.candidate.pk])).status_code == 404
    merge.refresh_from_db()
    assert merge.undone_at is None
    assert MatchCandidate.objects.get(pk=pair.candidate.pk).status == CandidateStatus.MERGED


def test_an_administrator_put_on_both_incidents_still_cannot_merge(
    personas, client_for, pair: SuspectPair
) -> None:
    # A compromised administrator adds themselves to both teams: the administrator's role
    # holds no authority to join records, and may not be combined with one that does.
    from django.core.exceptions import ValidationError

    from kinga.accounts.services import roles_validate

    with pytest.raises(ValidationError):
        roles_validate({Role.ADMIN, Role.INVESTIGATOR})
    for incident in (pair.first_incident, pair.second_incident):
        on_team(personas.admin, incident)
    client = client_for(personas.admin)
    assert client.get(reverse("matching:candidate", args=[pair.candidate.pk])).status_code == 404
    assert _decisions(client, pair) == [404, 404, 404]
    assert review_queue(viewer=personas.admin) == []
    assert not PersonMerge.objects.exists()


def test_a_forged_merge_without_the_form_token_is_refused(
    personas, client_for, pair: SuspectPair
) -> None:
    signed_in = client_for(personas.investigator)
    forged = Client(enforce_csrf_checks=True)
    forged.cookies = signed_in.cookies
    response = forged.post(reverse("matching:merge", args=[pair.candidate.pk]))
    assert response.status_code == 403
    assert not PersonMerge.objects.exists()


def test_the_page_of_a_pair_never_lists_a_matter_the_reviewer_may_not_see(
    personas, client_for, pair: SuspectPair
) -> None:
    from kinga.access.policy import Matter
    from kinga.people.services import person_link

    # The suspect is also named in another agency's case the investigator is not on.
    elsewhere = Matter(type="case", id=880_001)
    person_link(person=pair.first, matter=elsewhere, role="suspect", actor=None)
    page = client_for(personas.investigator).get(
        reverse("matching:candidate", args=[pair.candidate.pk])
    )
    assert page.status_code == 200
    assert "880001" not in page.content.decode()
