"""Issue 22 point 4: two people editing the same case plan or child's profile never silently
overwrite each other. The second save is refused, names what changed (stored now against
what the second person started from, who saved and when), keeps everything they typed, and
goes through once saved again from the refused form (which carries the new version)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from kinga.audit.models import AuditEvent
from kinga.cases import services
from kinga.cases.models import Case, PlanItem, RoleOnCase
from kinga.cases.tests.conftest import open_case
from kinga.lib.concurrency import StaleEdit, edit_base_read, edit_base_token

LATER = timezone.localdate() + datetime.timedelta(days=30)

PROFILE = {
    "given_name": "Zawadi",
    "family_name": "Mwakio",
    "other_names": "",
    "sex": "female",
    "age_estimate": "14",
    "age_basis": "apparent",
    "languages": ["sw"],
    "phone": "",
    "birth_certificate": "",
    "guardian_given_name": "",
    "guardian_family_name": "",
    "guardian_phone": "",
}


@pytest.fixture
def officer(personas, case):  # type: ignore[no-untyped-def]
    """The Children's Officer on the case: the second person who edits it."""
    services.case_team_add(
        case=case,
        user=personas.children_officer,
        role_on_case=RoleOnCase.CHILDRENS_OFFICER,
        actor=personas.caseworker,
    )
    return personas.children_officer


def _opened(client, url: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the form shows when opened, as it would be posted back unchanged."""
    form = client.get(url).context["form"]
    return _posted(form)


def _posted(form) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The form's values as a browser posts them (nothing for an empty field)."""
    values = {name: form[name].value() for name in form.fields}
    return {name: "" if value is None else value for name, value in values.items()}


def _version(posted, case=None, *, item=None) -> int:  # type: ignore[no-untyped-def]
    """The version an edit form was opened on, read from its sealed edit base."""
    record = f"cases.planitem:{item.pk}" if item else f"people.person:{case.child_id}"
    base = edit_base_read(str(posted["edit_base"]), record=record)
    assert base is not None
    return base.version


def _body(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_second_save_of_the_childs_profile_is_refused_and_keeps_what_was_typed(
    personas, case, officer, client_for
) -> None:
    url = f"/cases/{case.pk}/add/child/"
    amina, zuhura = client_for(personas.caseworker), client_for(officer)
    first = {**_opened(amina, url), **PROFILE}
    second = {**_opened(zuhura, url), **PROFILE}
    assert _version(first, case) == _version(second, case)  # both opened on the same version

    assert (
        amina.post(url, {**first, "given_name": "Zawadi", "other_names": "Zizi"}).status_code == 302
    )
    typed = {**second, "family_name": "Mwakio-Kahindi", "guardian_given_name": "Mama Zawadi"}
    refused = zuhura.post(url, typed)

    assert refused.status_code == 200
    child = Case.objects.get(pk=case.pk).child
    assert child.family_name == "Mwakio" and child.other_names == "Zizi"  # the first save stands
    conflict = refused.context["conflict"]
    assert [change.name for change in conflict.changes] == [
        "given_name",
        "family_name",
        "other_names",
        "sex",
        "age_estimate",
        "languages",
    ]
    other = next(change for change in conflict.changes if change.name == "other_names")
    assert (other.started, other.stored) == ("—", "Zizi")
    assert conflict.saved_by == str(personas.caseworker)
    assert conflict.saved_at is not None
    body = _body(refused)
    assert "Someone else saved this record meanwhile" in body
    assert f"Saved by {personas.caseworker}" in body
    assert "stored now «Zizi»" in body
    # nothing the second person typed is lost
    form = refused.context["form"]
    assert form["family_name"].value() == "Mwakio-Kahindi"
    assert form["guardian_given_name"].value() == "Mama Zawadi"
    assert 'value="Mwakio-Kahindi"' in body and 'value="Mama Zawadi"' in body
    # the refused form carries the stored version: saved again, it goes through
    again = _posted(form)
    assert _version(again, case) == _version(typed, case) + 1
    assert zuhura.post(url, {**again, "other_names": "Zizi"}).status_code == 302
    child.refresh_from_db()
    assert (child.family_name, child.other_names) == ("Mwakio-Kahindi", "Zizi")


def test_a_guardian_change_alone_makes_an_open_profile_form_stale(
    personas, case, officer, client_for
) -> None:
    url = f"/cases/{case.pk}/add/child/"
    amina, zuhura = client_for(personas.caseworker), client_for(officer)
    first, second = _opened(amina, url), _opened(zuhura, url)
    assert amina.post(url, {**first, "guardian_phone": "0722000111"}).status_code == 302
    refused = zuhura.post(url, {**second, "given_name": "Neema"})
    assert refused.status_code == 200
    changes = {c.name: c for c in refused.context["conflict"].changes}
    assert list(changes) == ["guardian_phone"]
    assert changes["guardian_phone"].stored == "+254722000111"
    assert Case.objects.get(pk=case.pk).child.given_name == "Mwanaisha"


def test_a_refused_save_writes_nothing(personas, case, officer, client_for) -> None:
    url = f"/cases/{case.pk}/add/child/"
    amina, zuhura = client_for(personas.caseworker), client_for(officer)
    first, second = _opened(amina, url), _opened(zuhura, url)
    amina.post(url, {**first, "other_names": "Zizi"})
    child = Case.objects.get(pk=case.pk).child
    version, changes = child.version, AuditEvent.objects.filter(action="change").count()
    zuhura.post(url, {**second, "given_name": "Neema", "guardian_given_name": "Bibi"})
    child.refresh_from_db()
    assert child.version == version and child.given_name == "Mwanaisha"
    assert AuditEvent.objects.filter(action="change").count() == changes
    assert (
        not AuditEvent.objects.filter(action="create", record_type="people.person")
        .exclude(record_id=str(child.pk))
        .exists()
    )  # no guardian was created


def test_an_altered_or_foreign_edit_base_is_refused_with_a_clear_message(
    personas, case, officer, client_for
) -> None:
    url = f"/cases/{case.pk}/add/child/"
    amina = client_for(personas.caseworker)
    opened = _opened(amina, url)
    # a token made for another record (another child) does not open on this one
    foreign = edit_base_token(record="people.person:999999", version=1, values={})
    for token in ("", "forged", foreign, str(opened["edit_base"])[:-2] + "xx"):
        response = amina.post(url, {**opened, "edit_base": token, "given_name": "Neema"})
        assert response.status_code == 200
        assert "This form is out of date" in _body(response)
        assert response.context["form"]["given_name"].value() == "Neema"
    assert Case.objects.get(pk=case.pk).child.given_name == "Mwanaisha"


def test_the_edit_base_hides_the_values_it_carries(personas, case, client_for) -> None:
    opened = _opened(client_for(personas.caseworker), f"/cases/{case.pk}/add/child/")
    token = str(opened["edit_base"])
    assert "Mwanaisha" not in token
    base = edit_base_read(token, record=f"people.person:{case.child_id}")
    assert base is not None and base.values["given_name"] == "Mwanaisha"


def _item(personas, case) -> PlanItem:  # type: ignore[no-untyped-def]
    return services.plan_item_add(
        case=case,
        actor=personas.caseworker,
        kind="goal",
        need="education",
        description="Back in school by next term",
        due_on=LATER,
    )


def test_a_second_save_of_a_plan_item_is_refused_and_keeps_what_was_typed(
    personas, case, officer, client_for
) -> None:
    item = _item(personas, case)
    url = f"/cases/{case.pk}/plan_item/{item.pk}/edit/"
    amina, zuhura = client_for(personas.caseworker), client_for(officer)
    first, second = _opened(amina, url), _opened(zuhura, url)
    assert _version(first, item=item) == _version(second, item=item)

    assert (
        amina.post(url, {**first, "description": "Enrolled at Likoni Primary, class 6"}).status_code
        == 302
    )
    typed = {
        **second,
        "description": "Vocational course in tailoring instead",
        "need": "livelihood",
    }
    refused = zuhura.post(url, typed)

    assert refused.status_code == 200
    item.refresh_from_db()
    assert item.description == "Enrolled at Likoni Primary, class 6" and item.need == "education"
    conflict = refused.context["conflict"]
    assert [(c.name, c.started, c.stored) for c in conflict.changes] == [
        ("description", "Back in school by next term", "Enrolled at Likoni Primary, class 6")
    ]
    assert conflict.saved_by == str(personas.caseworker)
    body = _body(refused)
    assert "Vocational course in tailoring instead" in body  # the typed text, kept
    assert "Enrolled at Likoni Primary, class 6" in body  # beside what is stored now
    form = refused.context["form"]
    assert form["need"].value() == "livelihood"
    again = _posted(form)
    assert zuhura.post(url, again).status_code == 302
    item.refresh_from_db()
    assert item.description == "Vocational course in tailoring instead"
    assert item.need == "livelihood" and item.version == 3


def test_a_referral_moving_a_plan_item_makes_an_open_form_stale(personas, case) -> None:
    item = _item(personas, case)
    opened = item.version
    PlanItem.objects.filter(pk=item.pk).update(referral_id=77)  # met by a referral
    services.plan_items_follow_referral(
        case_id=case.pk, referral_id=77, status="completed", actor=personas.caseworker
    )
    with pytest.raises(StaleEdit):
        services.plan_item_update(
            item=item,
            actor=personas.caseworker,
            need="education",
            description="Back in school by next term",
            due_on=LATER,
            status="open",
            expected_version=opened,
        )
    item.refresh_from_db()
    assert item.status == "done"


def test_an_approved_plan_changes_only_its_items_status(personas, case, client_for) -> None:
    item = _item(personas, case)
    services.plan_submit(plan=item.plan, actor=personas.caseworker)
    services.plan_approve(plan=item.plan, actor=personas.supervisor)
    url = f"/cases/{case.pk}/plan_item/{item.pk}/edit/"
    amina = client_for(personas.caseworker)
    opened = _opened(amina, url)
    refused = amina.post(url, {**opened, "description": "Something else"})
    assert refused.status_code == 200
    assert "only the status changes now" in _body(refused)
    assert refused.context["form"]["description"].value() == "Something else"
    assert amina.post(url, {**opened, "status": "done"}).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.description) == ("done", "Back in school by next term")


def test_only_the_team_may_open_a_plan_item_to_change_it(personas, case, client_for) -> None:
    item = _item(personas, case)
    url = f"/cases/{case.pk}/plan_item/{item.pk}/edit/"
    for user in (personas.caseworker_other, personas.investigator, personas.admin):
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).post(url, {"description": "x"}).status_code == 404
    # an item of another case is not reached through that case, even by its own caseworker
    other = open_case(personas, given_name="Rehema")
    response = client_for(personas.caseworker).get(f"/cases/{other.pk}/plan_item/{item.pk}/edit/")
    assert response.status_code == 404
