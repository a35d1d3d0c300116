"""Issue 22 point 4: two prosecutors amending the charge sheet from the same version cannot
both file. The second is told a newer version exists (who filed it, when, what it says),
keeps the draft they typed, and files once they save again from the refused form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from conftest import make_user
from kinga.accounts.models import Role
from kinga.justice import services
from kinga.justice.models import ChargeSheet
from kinga.justice.tests.conftest import World
from kinga.lib.concurrency import StaleEdit, edit_base_read


@pytest.fixture
def second(world: World) -> Any:
    """Another prosecutor of the same office, on the incident's team."""
    p = world.personas
    user = make_user("salma_prosecutor", p.prosecution, Role.PROSECUTOR)
    with transaction.atomic():
        services._grant_member(world.incident, user, p.prosecutor, Role.PROSECUTOR)
    return user


def _opened(client: Any, url: str) -> dict[str, Any]:
    """The amend form and its counts as a browser posts them back unchanged."""
    response = client.get(url)
    form, formset = response.context["form"], response.context["formset"]
    data: dict[str, Any] = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            f"counts-{key}": value
            for key, value in formset.management_form.initial.items()
            if key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
        }
    )
    for index, count in enumerate(formset.forms):
        for name in count.fields:
            value = count[name].value()
            data[f"counts-{index}-{name}"] = "" if value is None else value
    data["filed_on"] = str(data["filed_on"])
    return data


def _body(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_second_amendment_from_the_same_version_is_refused_and_keeps_the_draft(
    world: World, second: Any, client_for: Any
) -> None:
    url = reverse("justice:amend", args=[world.prosecution.pk])
    halima, salma = client_for(world.personas.prosecutor), client_for(second)
    first, draft = _opened(halima, url), _opened(salma, url)
    record = f"justice.prosecution:{world.prosecution.pk}"
    base = edit_base_read(first["edit_base"], record=record)
    assert base is not None and base.version == 1
    assert edit_base_read(draft["edit_base"], record=record).version == 1  # type: ignore[union-attr]

    filed = halima.post(
        url,
        {**first, "note": "Adds the harbouring count", "counts-1-particulars": "At Mtwapa"},
    )
    assert filed.status_code == 302
    typed = {
        **draft,
        "note": "Corrects the buyer's count to defilement",
        "counts-1-offence": "soa-8",
        "counts-1-particulars": "Defiled a girl of 15 at a guest house in Shanzu",
    }
    refused = salma.post(url, typed)

    assert refused.status_code == 200
    sheets = ChargeSheet.objects.filter(prosecution=world.prosecution)
    assert sheets.count() == 2  # the second amendment filed nothing
    current = sheets.get(superseded_at__isnull=True)
    assert current.version == 2 and current.amendment_note == "Adds the harbouring count"
    conflict = refused.context["conflict"]
    assert conflict.saved_by == str(world.personas.prosecutor)
    changes = {change.name: change for change in conflict.changes}
    assert set(changes) == {"version", "amendment_note", "count_2"}
    assert (changes["version"].started, changes["version"].stored) == ("1", "2")
    assert changes["amendment_note"].stored == "Adds the harbouring count"
    assert changes["count_2"].stored.endswith("At Mtwapa")
    body = _body(refused)
    assert "Someone else saved this record meanwhile" in body
    assert "Charge sheet version" in body and "Count 2" in body
    # the draft is all still there: the note and the counts as typed
    assert refused.context["form"]["note"].value() == "Corrects the buyer's count to defilement"
    formset = refused.context["formset"]
    assert formset.forms[1]["particulars"].value() == (
        "Defiled a girl of 15 at a guest house in Shanzu"
    )
    assert "Defiled a girl of 15 at a guest house in Shanzu" in body

    # saved again from the refused form (it carries version 2), the amendment files as v3
    again = {**typed, "edit_base": refused.context["form"]["edit_base"].value()}
    assert salma.post(url, again).status_code == 302
    latest = ChargeSheet.objects.get(prosecution=world.prosecution, superseded_at__isnull=True)
    assert latest.version == 3
    assert latest.amendment_note == "Corrects the buyer's count to defilement"
    assert latest.counts.get(number=2).offence == "soa-8"


def test_the_service_refuses_an_amendment_from_a_superseded_version(world: World) -> None:
    prosecutor = world.personas.prosecutor
    count = services.CountInput(offence="ctipa-3", accused=world.recruiter)
    services.charge_sheet_amend(
        prosecution=world.prosecution,
        actor=prosecutor,
        filed_on=world.prosecution.filed_on,
        note="First amendment",
        counts=[count],
        expected_version=1,
    )
    with pytest.raises(StaleEdit) as refused:
        services.charge_sheet_amend(
            prosecution=world.prosecution,
            actor=prosecutor,
            filed_on=world.prosecution.filed_on,
            note="Drafted from version 1",
            counts=[count],
            expected_version=1,
        )
    assert refused.value.stored_version == 2
    assert refused.value.saved_by == str(prosecutor)
    assert ChargeSheet.objects.filter(prosecution=world.prosecution).count() == 2


def test_a_forged_edit_base_files_nothing(world: World, client_for: Any) -> None:
    url = reverse("justice:amend", args=[world.prosecution.pk])
    halima = client_for(world.personas.prosecutor)
    draft = _opened(halima, url)
    response = halima.post(url, {**draft, "note": "An amendment", "edit_base": "k1$forged"})
    assert response.status_code == 200
    assert "This form is out of date" in _body(response)
    assert response.context["form"]["note"].value() == "An amendment"
    assert ChargeSheet.objects.filter(prosecution=world.prosecution).count() == 1
