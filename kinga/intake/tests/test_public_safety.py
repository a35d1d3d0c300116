"""Safe and forgiving public reporting (issue 13 point 11): the language the browser asks
for, a place that does not add up kept and flagged, Quick exit and a footer for reporters
on every public page, and markup the content-security policy and screen readers accept."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client

from kinga.intake.models import Channel, Report
from kinga.intake.tests.conftest import run_worker
from kinga.intake.tests.test_web_and_triage import web_post
from kinga.places.models import County, Ward
from kinga.wsgi import application

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ("/", "/report/", "/report/?lang=sw", "/report/follow-up/", "/accounts/login/")


def _lean_get(path: str, accept_language: str) -> tuple[str, dict[str, str], str]:
    """GET a page through `kinga.wsgi` (the lean stack gunicorn serves /report/ with)."""
    route, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_LANGUAGE": accept_language,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
    }
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: object) -> None:
        seen.append((status, headers))

    body = b"".join(application(environ, start_response)).decode()
    return seen[0][0], dict(seen[0][1]), body


@pytest.mark.django_db(transaction=True)
def test_report_answers_in_kiswahili_to_a_browser_that_asks_for_it() -> None:
    status, headers, body = _lean_get("/report/", "sw-KE,sw;q=0.9,en;q=0.5")
    assert status.startswith("200")
    assert '<html lang="sw">' in body
    assert "Tueleze kuhusu mtoto aliye hatarini" in body
    assert "Accept-Language" in headers["Vary"]
    # English to a browser that asks for English, and ?lang= still wins over the browser
    assert '<html lang="en">' in _lean_get("/report/", "en-GB,en;q=0.9")[2]
    assert '<html lang="en">' in _lean_get("/report/?lang=en", "sw-KE,sw")[2]
    assert '<html lang="sw">' in _lean_get("/report/follow-up/", "sw")[2]


def test_report_answers_in_kiswahili_through_the_full_stack_too(client: Client) -> None:
    body = client.get("/report/", HTTP_ACCEPT_LANGUAGE="sw").content.decode()
    assert '<html lang="sw">' in body
    body = client.get("/report/?lang=en", HTTP_ACCEPT_LANGUAGE="sw").content.decode()
    assert '<html lang="en">' in body


def test_a_place_that_does_not_add_up_is_stored_flagged_and_shown_to_triage(
    client: Client, personas: Any, client_for: Any
) -> None:
    ukunda = Ward.objects.get(name="Ukunda")
    kilifi = County.objects.get(name="Kilifi")
    response = web_post(client, county=str(kilifi.pk), ward=str(ukunda.pk))
    # the reporter is told nothing is wrong: the thanks page and its code
    assert response.status_code == 200
    assert response.context["code"]
    body = response.content.decode()
    assert "does not" not in body and 'class="error"' not in body
    report = Report.objects.get(channel=Channel.WEB)
    assert report.place_mismatch
    # kept as said: the county given and the ward given
    assert (report.county_id, report.ward_id) == (kilifi.pk, ukunda.pk)
    run_worker()
    # Kilifi's triage (the other NGO persona) sees it, flagged, in the queue and the report
    triage = client_for(personas.caseworker_other)
    queue = triage.get("/intake/triage/").content.decode()
    assert report.reference in queue and "place does not add up" in queue
    page = triage.get(f"/intake/triage/{report.pk}/").content.decode()
    assert "place does not add up" in page


def test_a_place_that_adds_up_is_not_flagged(client: Client, personas: Any) -> None:
    ukunda = Ward.objects.select_related("sub_county").get(name="Ukunda")
    web_post(
        client,
        county=str(ukunda.sub_county.county_id),
        sub_county=str(ukunda.sub_county_id),
        ward=str(ukunda.pk),
    )
    report = Report.objects.get(channel=Channel.WEB)
    assert not report.place_mismatch
    # a ward alone is completed upwards, as before
    web_post(Client(), ward=str(ukunda.pk))
    alone = Report.objects.exclude(pk=report.pk).get()
    assert (alone.county_id, alone.sub_county_id, alone.place_mismatch) == (
        ukunda.sub_county.county_id,
        ukunda.sub_county_id,
        False,
    )


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_aria_describedby_points_at_an_element_that_exists(client: Client, path: str) -> None:
    body = client.get(path).content.decode()
    ids = set(re.findall(r'\sid="([^"]+)"', body))
    described = re.findall(r'aria-describedby="([^"]+)"', body)
    if path.startswith("/report/") and "follow-up" not in path:
        assert described  # the report form's help texts are pointed at
    for value in described:
        for target in value.split():
            assert target in ids, f"{path}: aria-describedby={target} has no element"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_inline_style_on_public_pages(client: Client, path: str) -> None:
    body = client.get(path).content.decode()
    assert not re.search(r"\sstyle=", body), path
    assert "<style" not in body and not re.search(r"<script(?![^>]*\ssrc=)", body)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_quick_exit_and_a_footer_for_reporters(
    client: Client, path: str
) -> None:
    body = client.get(path).content.decode()
    assert "data-quick-exit" in body and "quick-exit.js" in body
    assert "every view is recorded" not in body
    footer = body[body.index('<footer class="site-footer">') :]
    assert "You do not need to give your name" in footer or "Huhitaji kutaja jina lako" in footer


def test_staff_pages_have_no_quick_exit(personas: Any, client_for: Any) -> None:
    body = client_for(personas.caseworker).get("/").content.decode()
    assert "data-quick-exit" not in body and "quick-exit.js" not in body
    assert "every view is recorded" in body


def test_public_pages_leave_no_copy_in_the_browser(client: Client) -> None:
    response = client.get("/report/")
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    form = re.search(r"<form[^>]*data-report-form[^>]*>", body)
    assert form is not None and 'autocomplete="off"' in form.group(0)


def test_emergency_numbers_are_at_the_top_of_the_form_as_phone_links(client: Client) -> None:
    body = client.get("/report/").content.decode()
    top = body[: body.index("<form")]
    assert 'href="tel:116"' in top and 'href="tel:999"' in top


def test_the_consent_checkbox_sits_with_its_label(client: Client) -> None:
    body = client.get("/report/").content.decode()
    consent = re.search(
        r'<div class="field check">\s*<input type="checkbox" name="callback_consent"[^>]*>\s*'
        r'<label for="id_callback_consent">',
        body,
    )
    assert consent is not None


def test_ward_and_sub_county_choices_are_grouped_and_filtered_by_a_script_file(
    client: Client,
) -> None:
    body = client.get("/report/").content.decode()
    ward = body[body.index('name="ward"') : body.index("</select>", body.index('name="ward"'))]
    assert '<optgroup label="Kwale / Msambweni">' in ward
    sub = body[body.index('name="sub_county"') :]
    assert '<optgroup label="Kilifi">' in sub[: sub.index("</select>")]
    assert "intake/places.js" in body
