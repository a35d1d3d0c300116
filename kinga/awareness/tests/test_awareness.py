"""Issue 18 point 3: campaigns, events, and the reports they bring.

A campaign's code carried on the web form's address (`?c=CODE`) stays through the language
switch and the form's own posts, and the report stores it; a bad code never costs a report.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Personas
from kinga.awareness import selectors, services
from kinga.awareness.models import Campaign, Event
from kinga.intake.models import Channel, Report
from kinga.intake.submission import submission_token_new
from kinga.places.models import SubCounty, Ward

pytestmark = pytest.mark.django_db


def _campaign(p: Personas, *, code: str = "PWANI24", actor: Any = None) -> Campaign:
    return services.campaign_create(
        actor=actor or p.trainer,
        name=f"Linda Mtoto Pwani {code}",
        message="Ukiona kitu, sema: piga 116.",
        languages=["sw", "en"],
        channels=["radio", "beach_hotel"],
        starts_on=timezone.localdate() - dt.timedelta(days=120),
        ends_on=None,
        reporting_code=code,
        promoted_numbers="116",
    )


def _report(**fields: Any) -> Report:
    return Report.objects.create(channel=fields.pop("channel", Channel.WEB), **fields)


def _form(lang: str = "en", **extra: Any) -> dict[str, Any]:
    return {
        "lang": lang,
        "submission": submission_token_new(),
        "categories": ["sexual_exploitation"],
        "narrative": "Girls taken to a bar in Mtwapa at night",
        "danger_now": "no",
        "reporter_relation": "neighbour",
        **extra,
    }


# -- the code on the web form -------------------------------------------------------------


def test_the_campaign_code_survives_the_language_switch_and_is_stored(
    client: Client, personas: Personas
) -> None:
    page = client.get("/report/?lang=en&c=pwani-24").content.decode()
    assert 'name="campaign_code" value="PWANI24"' in page
    # the language switch and the form's own address carry it
    switch = re.search(r'<a href="([^"]+)" hreflang="sw"', page)
    assert switch is not None and "c=PWANI24" in switch.group(1)
    assert 'action="?lang=en&amp;c=PWANI24"' in page
    swahili = client.get("/report/" + switch.group(1).replace("&amp;", "&")).content.decode()
    assert 'name="campaign_code" value="PWANI24"' in swahili
    assert 'lang="sw"' in swahili
    response = client.post("/report/?lang=sw&c=PWANI24", _form("sw", campaign_code="PWANI24"))
    assert response.status_code == 200 and response.context["code"]
    assert Report.objects.get().campaign_code == "PWANI24"


def test_a_form_sent_back_with_an_error_keeps_the_code(client: Client, personas: Personas) -> None:
    data = _form(campaign_code="PWANI24")
    data["submission"] = "forged"
    page = client.post("/report/?lang=en&c=PWANI24", data).content.decode()
    assert not Report.objects.exists()
    assert 'name="campaign_code" value="PWANI24"' in page
    assert "c=PWANI24" in page


def test_a_malformed_code_is_dropped_and_the_report_kept(
    client: Client, personas: Personas
) -> None:
    page = client.get("/report/?lang=en&c=<script>").content.decode()
    assert '<input type="hidden" name="campaign_code" id="id_campaign_code">' in page
    assert "c=" not in re.search(r'<a href="([^"]+)" hreflang="sw"', page).group(1)  # type: ignore[union-attr]
    assert "script%3E" not in page and "&lt;script" not in page
    response = client.post("/report/?lang=en", _form(campaign_code="x" * 300))
    assert response.status_code == 200 and response.context["code"]
    assert Report.objects.get().campaign_code == ""


# -- campaigns and what they brought --------------------------------------------------------


def test_reports_carrying_the_code_count_as_the_campaigns_with_small_counts_suppressed(
    personas: Personas,
) -> None:
    campaign = _campaign(personas)
    for _ in range(6):
        _report(campaign_code="PWANI24")
    for _ in range(2):
        _report(campaign_code="PWANI24", channel=Channel.SMS)
    _report(campaign_code="OTHER1")
    _report()
    page = selectors.campaign_page(viewer=personas.analyst, campaign_id=campaign.pk)
    assert page.reports_with_code.value == 8 and str(page.reports_with_code) == "8"
    # 8 in all and 6 by web would give the 2 by SMS away: no channel is shown
    assert page.by_channel_withheld and page.reports_by_channel == []
    for _ in range(3):
        _report(campaign_code="PWANI24", channel=Channel.SMS)
    page = selectors.campaign_page(viewer=personas.analyst, campaign_id=campaign.pk)
    assert dict((c, str(f)) for c, f in page.reports_by_channel) == {"web": "6", "sms": "5"}
    assert not page.by_channel_withheld
    _report(campaign_code="SMALL1")
    small = _campaign(personas, code="SMALL1")
    page = selectors.campaign_page(viewer=personas.analyst, campaign_id=small.pk)
    assert str(page.reports_with_code) == "<5"


def test_a_campaign_code_must_be_unique_and_well_formed(personas: Personas) -> None:
    from django.core.exceptions import ValidationError

    _campaign(personas)
    with pytest.raises(ValidationError):
        _campaign(personas, code="pwani 24")
    with pytest.raises(ValidationError):
        _campaign(personas, code="no good!")
    assert Campaign.objects.count() == 1


def _ward_in(sub_county: SubCounty) -> Ward:
    return Ward.objects.filter(sub_county=sub_county).order_by("pk").first()  # type: ignore[return-value]


def test_an_event_page_compares_its_area_before_and_after_with_areas_without_events(
    personas: Personas, client_for: Any
) -> None:
    campaign = _campaign(personas)
    subs = list(SubCounty.objects.filter(county__name="Kilifi").order_by("pk"))
    here, elsewhere = subs[0], subs[1]
    held = timezone.localdate() - dt.timedelta(days=40)
    event = services.event_record(
        actor=personas.trainer,
        campaign=campaign,
        held_on=held,
        event_type="baraza",
        ward=_ward_in(here),
        audiences=["parents", "children"],
        estimated_reach=300,
        materials="Posters, leaflets",
    )
    noon = dt.time(12, 0)
    tz = timezone.get_current_timezone()

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, noon, tzinfo=tz)

    for days in (3, 10):  # before: 2 here
        _report(sub_county=here, received_at=at(held - dt.timedelta(days=days)))
    for days in range(1, 8):  # after: 7 here
        _report(sub_county=here, received_at=at(held + dt.timedelta(days=days)))
    for days in range(1, 7):  # 6 before, 5 after in the other sub-counties
        _report(sub_county=elsewhere, received_at=at(held - dt.timedelta(days=days)))
    for days in range(1, 6):
        _report(sub_county=elsewhere, received_at=at(held + dt.timedelta(days=days)))
    _report(sub_county=here, received_at=at(held - dt.timedelta(days=60)))  # out of window
    comparison = selectors.event_page(viewer=personas.supervisor, event_id=event.pk)
    assert (comparison.area_before.value, comparison.area_after.value) == (2, 7)
    assert str(comparison.area_before) == "<5"
    assert comparison.others == len(subs) - 1
    assert (comparison.others_before_total.value, comparison.others_after_total.value) == (6, 5)
    body = client_for(personas.analyst).get(reverse("awareness:event", args=[event.pk]))
    text = body.content.decode()
    assert "association, not proof" in text
    assert "Girls" not in text  # never a report's words


def test_an_event_cannot_be_in_the_future(personas: Personas) -> None:
    from django.core.exceptions import ValidationError

    campaign = _campaign(personas)
    with pytest.raises(ValidationError):
        services.event_record(
            actor=personas.trainer,
            campaign=campaign,
            held_on=timezone.localdate() + dt.timedelta(days=3),
            event_type="school",
            ward=Ward.objects.first(),  # type: ignore[arg-type]
            audiences=["children"],
            estimated_reach=100,
        )
    assert not Event.objects.exists()


# -- who may -------------------------------------------------------------------------------


def test_who_sees_and_who_runs_campaigns(personas: Personas, client_for: Any) -> None:
    p = personas
    campaign = _campaign(p)
    campaign_url = reverse("awareness:campaign", args=[campaign.pk])
    for viewer in (p.trainer, p.supervisor, p.analyst):
        assert client_for(viewer).get(campaign_url).status_code == 200
        assert client_for(viewer).get(reverse("awareness:campaigns")).status_code == 200
    for outsider in (p.caseworker, p.investigator, p.admin, p.helpline, p.service_provider):
        assert client_for(outsider).get(campaign_url).status_code == 404
    assert client_for(None).get(campaign_url).status_code == 302
    # the analyst reads, never writes
    assert client_for(p.analyst).get(reverse("awareness:campaign_new")).status_code == 404
    # a supervisor runs their own agency's campaigns, not the trainer's
    own = _campaign(p, code="NGO1", actor=p.supervisor)
    assert own.agency == p.ngo
    ward = Ward.objects.first()
    with pytest.raises(Http404):
        services.event_record(
            actor=p.supervisor,
            campaign=campaign,
            held_on=timezone.localdate(),
            event_type="school",
            ward=ward,  # type: ignore[arg-type]
            audiences=["children"],
            estimated_reach=10,
        )
    response = client_for(p.supervisor).get(reverse("awareness:event_new", args=[campaign.pk]))
    assert response.status_code == 404
    response = client_for(p.supervisor).post(
        reverse("awareness:event_new", args=[own.pk]),
        {
            "held_on": timezone.localdate().isoformat(),
            "event_type": "school",
            "ward": ward.pk,  # type: ignore[union-attr]
            "audiences": ["children", "teachers"],
            "estimated_reach": 250,
        },
    )
    assert response.status_code == 302
    assert Event.objects.get().campaign == own


def test_the_campaign_form_shows_what_to_fix_and_keeps_what_was_typed(
    personas: Personas, client_for: Any
) -> None:
    response = client_for(personas.trainer).post(
        reverse("awareness:campaign_new"),
        {
            "name": "Sauti ya Mtoto",
            "message": "Report on 116",
            "languages": ["sw"],
            "channels": ["radio"],
            "starts_on": "2026-05-01",
            "reporting_code": "bad code!",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "capital letters and digits" in body and "Sauti ya Mtoto" in body
    assert not Campaign.objects.exists()


# -- the code by SMS and USSD (intake's channels, through intake's seam) -------------------


def test_an_sms_opening_with_a_campaigns_keyword_counts_for_it(
    personas: Personas, gateway: Any
) -> None:
    _campaign(personas, code="PWANI24")
    for message_id, text in (
        ("ATXid_1", "pwani24, kuna wasichana wanapelekwa baa Mtwapa usiku"),
        ("ATXid_2", "Habari, kuna mtoto anauzwa Bamburi"),
    ):
        response = gateway(
            "sms/incoming/",
            {
                "from": f"+25471100000{message_id[-1]}",
                "to": "22384",
                "text": text,
                "date": "2026-12-03 10:00:00",
                "id": message_id,
                "linkId": "",
            },
        )
        assert response.status_code == 200
    codes = dict(Report.objects.values_list("channel_reference", "campaign_code"))
    assert codes == {"ATXid_1": "PWANI24", "ATXid_2": ""}


def test_a_session_on_a_campaigns_own_ussd_code_counts_for_it(
    personas: Personas, gateway: Any
) -> None:
    campaign = _campaign(personas, code="BEACH25")
    services.campaign_update(
        actor=personas.trainer,
        campaign=campaign,
        **{
            **{name: getattr(campaign, name) for name in services.CAMPAIGN_FIELDS},
            "ussd_code": "*384*2025#",
        },
    )
    for session, service_code in (("ATUid_c", "*384*2025#"), ("ATUid_n", "*384*123#")):
        for text in ("", "2", "2*1"):
            response = gateway(
                "ussd/",
                {
                    "sessionId": session,
                    "serviceCode": service_code,
                    "phoneNumber": "+254712345678",
                    "networkCode": "63902",
                    "text": text,
                },
            )
            assert response.status_code == 200
    codes = dict(Report.objects.values_list("channel_reference", "campaign_code"))
    assert codes == {"ATUid_c": "BEACH25", "ATUid_n": ""}
    page = selectors.campaign_page(viewer=personas.trainer, campaign_id=campaign.pk)
    assert page.reports_with_code.value == 1


def test_a_ussd_code_needs_a_reporting_code_and_is_unique(personas: Personas) -> None:
    from django.core.exceptions import ValidationError

    campaign = _campaign(personas, code="")
    fields = {name: getattr(campaign, name) for name in services.CAMPAIGN_FIELDS}
    with pytest.raises(ValidationError) as refused:
        services.campaign_update(
            actor=personas.trainer, campaign=campaign, **{**fields, "ussd_code": "*384*7#"}
        )
    assert "ussd_code" in refused.value.message_dict
    with pytest.raises(ValidationError) as bad:
        services.campaign_update(
            actor=personas.trainer,
            campaign=campaign,
            **{**fields, "reporting_code": "KWALE1", "ussd_code": "384 7"},
        )
    assert "ussd_code" in bad.value.message_dict
    services.campaign_update(
        actor=personas.trainer,
        campaign=campaign,
        **{**fields, "reporting_code": "KWALE1", "ussd_code": "*384*7#"},
    )
    other = _campaign(personas, code="LAMU1")
    with pytest.raises(ValidationError):
        services.campaign_update(
            actor=personas.trainer,
            campaign=other,
            **{
                **{name: getattr(other, name) for name in services.CAMPAIGN_FIELDS},
                "ussd_code": "*384*7#",
            },
        )


def test_a_code_reports_carry_cannot_change_and_edits_are_audited(
    personas: Personas, client_for: Any
) -> None:
    from kinga.audit.models import AuditEvent

    campaign = _campaign(personas, code="PWANI24")
    _report(campaign_code="PWANI24")
    trainer = client_for(personas.trainer)
    data = {
        "name": campaign.name,
        "message": campaign.message,
        "languages": campaign.languages,
        "channels": campaign.channels,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": "",
        "reporting_code": "PWANI25",
        "promoted_numbers": "116 and *384*123#",
        "ussd_code": "",
    }
    url = f"/awareness/campaigns/{campaign.pk}/edit/"
    refused = trainer.post(url, data)
    assert refused.status_code == 400
    assert "116 and *384*123#" in refused.content.decode()  # what was typed is kept
    campaign.refresh_from_db()
    assert campaign.reporting_code == "PWANI24"
    assert trainer.post(url, {**data, "reporting_code": "PWANI24"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.promoted_numbers == "116 and *384*123#"
    event = AuditEvent.objects.filter(record_type="awareness.campaign", action="change").get()
    assert event.fields == ["promoted_numbers"]
    # another agency's supervisor, and an analyst, cannot change it
    from conftest import make_user
    from kinga.accounts.models import Role

    other = make_user("kadzo_supervisor", personas.other_ngo, Role.SUPERVISOR)
    for outsider in (other, personas.analyst, personas.caseworker):
        assert client_for(outsider).post(url, data).status_code == 404
