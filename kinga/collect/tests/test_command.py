"""`kinga collect token`: a volunteer's phone URL, and the QR code Collect scans."""

from __future__ import annotations

import base64
import io
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from kinga.collect.demo import load
from kinga.collect.models import DeviceToken, Volunteer
from kinga.collect.selectors import token_live

pytestmark = pytest.mark.django_db


def test_token_adds_a_volunteer_prints_the_url_and_writes_the_qr(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    out = io.StringIO()
    qr = tmp_path / "phone.png"
    call_command(
        "collect", "token", "Rehema Mwinyi", agency=personas.ngo.name, qr=str(qr), stdout=out
    )
    volunteer = Volunteer.objects.get()
    assert volunteer.agency == personas.ngo
    url = out.getvalue().splitlines()[1]
    assert url.startswith(settings.KINGA_BASE_URL + "/odk/key/")
    assert token_live(secret=url.rstrip("/").rsplit("/", 1)[-1]) is not None
    assert qr.read_bytes().startswith(b"\x89PNG")
    # a second phone for the same volunteer
    call_command("collect", "token", volunteer=volunteer.code, stdout=io.StringIO())
    assert DeviceToken.objects.filter(volunteer=volunteer).count() == 2


def test_the_settings_code_is_what_collect_reads() -> None:
    from kinga.collect.views import collect_settings_code

    code = collect_settings_code("https://kinga.example.org/odk/key/abc/", project="Kinga")
    settings_json = json.loads(zlib.decompress(base64.b64decode(code)))
    assert settings_json["general"]["server_url"] == "https://kinga.example.org/odk/key/abc/"
    assert settings_json["admin"]["change_server"] is False


def test_token_refuses_an_unknown_agency(personas: Any) -> None:
    with pytest.raises(CommandError):
        call_command("collect", "token", "X", agency="No such agency", stdout=io.StringIO())
    assert not Volunteer.objects.exists()


def test_the_demo_volunteer_url_is_the_same_each_load(personas: Any) -> None:
    from kinga.accounts.models import Agency, AgencyKind
    from kinga.places.models import County

    Agency.objects.get_or_create(
        name="Pwani Child Rights Network",
        defaults={"kind": AgencyKind.NGO, "county": County.objects.get(name="Mombasa")},
    )
    lines: list[str] = []
    load(out=lines.append)
    load(out=lines.append)
    assert lines[0] == lines[1]
    assert Volunteer.objects.count() == 1
    assert token_live(secret=lines[0].rstrip("/").rsplit("/", 1)[-1]) is not None
