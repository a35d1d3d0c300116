"""The forms ODK Collect downloads: XLSForms kept in `xlsforms/`, built into XForms by pyxform.

Each form's source is an XLSForm written as Markdown tables (pyxform reads them as it reads
a spreadsheet; a diff shows every change). At build time it gets:
- its settings: the form id, a version that changes with the source and with the key, and
  the deployment's RSA public key, so Collect encrypts every finalised submission;
- the shared choice lists its `choices from` line names, from the web form's own codes and
  labels (`kinga.intake.models`) in English and Kiswahili, and the coastal gazetteer
  (counties, sub-counties, wards, filtered by the answer above them).

A build takes pyxform a fraction of a second, so each form is built once per process and key
(`form_build`), and its MD5 (the form list's `hash`) with it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db.models import Count, Max, TextChoices
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kinga.awareness.models import Audience as EventAudience
from kinga.awareness.models import EventType
from kinga.awareness.selectors import campaigns_for_field
from kinga.collect import encryption
from kinga.collect.models import VisitNeed
from kinga.intake.models import AgeBand, Category, Danger, Platform, ReporterRelation
from kinga.places.models import County, SubCounty, Ward

SOURCES = Path(__file__).resolve().parent / "xlsforms"
LANGUAGES = (("en", "English (en)"), ("sw", "Kiswahili (sw)"))


class Files(StrEnum):
    """What a filled form becomes: a report in triage, a home visit on its case, an
    awareness event of its campaign."""

    REPORT = "report"
    HOME_VISIT = "home_visit"
    EVENT = "event"


@dataclass(frozen=True)
class FormSpec:
    """A form Kinga publishes: its id (the XForm's), its source, its title, and what a
    filled one is filed as."""

    form_id: str
    source: str
    title: str | Promise
    files: Files


FORMS: dict[str, FormSpec] = {
    spec.form_id: spec
    for spec in (
        FormSpec("kinga_field_report", "field_report.md", _("Field report"), Files.REPORT),
        FormSpec("kinga_home_visit", "home_visit.md", _("Home visit follow-up"), Files.HOME_VISIT),
        FormSpec("kinga_awareness_event", "awareness_event.md", _("Awareness event"), Files.EVENT),
    )
}

# The shared lists a source may name: the web form's choices, in its codes and labels.
SHARED_CHOICES: dict[str, type[TextChoices]] = {
    "Category": Category,
    "Danger": Danger,
    "AgeBand": AgeBand,
    "Platform": Platform,
    "ReporterRelation": ReporterRelation,
    "VisitNeed": VisitNeed,
    "EventType": EventType,
    "EventAudience": EventAudience,
}
# Answers the phone never offers: a child does not report through a volunteer's phone.
LEFT_OUT = {("relation", "self"), ("platform", "")}


class NotPublished(Exception):
    """The form cannot be filled now (the awareness-event form with no campaign running)."""


@dataclass(frozen=True)
class BuiltForm:
    form_id: str
    version: str
    title: str
    xml: bytes
    md5: str


def _source_text(spec: FormSpec) -> str:
    return (SOURCES / spec.source).read_text(encoding="utf-8")


def _choices_from(text: str) -> dict[str, str]:
    """Return list name -> where its choices come from, from the source's `choices from` line."""
    match = re.search(r"^\|\s*choices from\s*\|(.*)\|\s*$", text, flags=re.MULTILINE)
    if match is None:
        return {}
    pairs = [part.split("=", 1) for part in match.group(1).split(",") if "=" in part]
    return {name.strip(): origin.strip() for name, origin in pairs}


def _labels(text: str | Promise) -> dict[str, str]:
    labels = {}
    for code, column in LANGUAGES:
        with translation.override(code):
            labels[f"label::{column}"] = str(text)
    return labels


def _shared_rows(
    list_name: str, origin: str, campaigns: tuple[tuple[int, str], ...]
) -> list[dict[str, str]]:
    if origin == "places":
        return _place_rows(list_name)
    if origin == "campaigns":
        # the campaign's own name in both languages (it is a name, not a phrase)
        return [{"list_name": list_name, "name": str(pk), **_same(name)} for pk, name in campaigns]
    choices = SHARED_CHOICES[origin]
    return [
        {"list_name": list_name, "name": str(value), **_labels(label)}
        for value, label in choices.choices
        if (list_name, value) not in LEFT_OUT
    ]


def _place_rows(list_name: str) -> list[dict[str, str]]:
    """Return the coastal gazetteer's rows of one level; each names the level above it."""
    if list_name == "county":
        return [
            {"list_name": "county", "name": str(county.code), **_same(county.name)}
            for county in County.objects.filter(coastal=True).order_by("name")
        ]
    if list_name == "sub_county":
        return [
            {
                "list_name": "sub_county",
                "name": str(sub.pk),
                "county": str(sub.county.code),
                **_same(sub.name),
            }
            for sub in SubCounty.objects.filter(county__coastal=True)
            .select_related("county")
            .order_by("name")
        ]
    return [
        {
            "list_name": "ward",
            "name": str(ward.pk),
            "sub_county": str(ward.sub_county_id),
            **_same(ward.name),
        }
        for ward in Ward.objects.filter(sub_county__county__coastal=True).order_by("name")
    ]


def _same(name: str) -> dict[str, str]:
    return {f"label::{column}": name for _code, column in LANGUAGES}


def _workbook(
    spec: FormSpec,
    *,
    version: str,
    public_key: str,
    campaigns: tuple[tuple[int, str], ...] = (),
) -> dict[str, Any]:
    from pyxform.xls2json_backends import md_to_dict

    text = _source_text(spec)
    book: dict[str, Any] = md_to_dict(text)
    rows = list(book.get("choices", []))
    for list_name, origin in _choices_from(text).items():
        rows.extend(_shared_rows(list_name, origin, campaigns))
    book["choices"] = rows
    book["choices_header"] = [{key: None for row in rows for key in row}]
    book["settings"] = [
        {
            "form_title": _title(spec),
            "form_id": spec.form_id,
            "version": version,
            "public_key": public_key,
            "default_language": LANGUAGES[0][1],
        }
    ]
    book["settings_header"] = [{key: None for key in book["settings"][0]}]
    book.setdefault("sheet_names", [])
    book["sheet_names"] = [*book["sheet_names"], "settings"]
    return book


def _title(spec: FormSpec) -> str:
    titles = []
    for code, _column in LANGUAGES:
        with translation.override(code):
            titles.append(str(spec.title))
    return " / ".join(dict.fromkeys(titles))


def form_version(
    spec: FormSpec, *, key_id: str, campaigns: tuple[tuple[int, str], ...] = ()
) -> str:
    """Return the form's version: it changes when its source or the deployment's key does
    (and so Collect fetches the form again, with the new key), and for the awareness-event
    form when the campaigns it lists do."""
    digest = hashlib.sha256(_source_text(spec).encode()).hexdigest()[:8]
    if not campaigns:
        return f"{digest}-{key_id}"
    listed = hashlib.sha256(repr(campaigns).encode()).hexdigest()[:6]
    return f"{digest}-{key_id}-{listed}"


def form_build(form_id: str) -> BuiltForm:
    """Return the XForm of a published form, built with the deployment's current key.

    Raise KeyError for a form Kinga does not publish; raise `encryption.NoCollectKey` when
    the deployment has no key (no form is published unencrypted); raise NotPublished for
    the awareness-event form while no campaign runs (it would offer none to choose).
    """
    spec = FORMS[form_id]
    public = encryption.public_key()
    # the gazetteer's state is part of the key: a changed gazetteer builds the form anew
    places = Ward.objects.aggregate(last=Max("pk"), count=Count("pk"))
    # and so are the campaigns the event form lists (a new campaign: a new version)
    campaigns = (
        tuple(campaigns_for_field(today=timezone.localdate())) if spec.files == Files.EVENT else ()
    )
    if spec.files == Files.EVENT and not campaigns:
        raise NotPublished(form_id)
    return _built(
        spec.form_id, public.base64, public.key_id, (places["last"], places["count"]), campaigns
    )


@lru_cache(maxsize=32)
def _built(
    form_id: str,
    public_key: str,
    key_id: str,
    places: tuple[int | None, int],
    campaigns: tuple[tuple[int, str], ...] = (),
) -> BuiltForm:
    from pyxform.xls2xform import convert

    spec = FORMS[form_id]
    version = form_version(spec, key_id=key_id, campaigns=campaigns)
    book = _workbook(spec, version=version, public_key=public_key, campaigns=campaigns)
    xml = convert(xlsform=book, pretty_print=False).xform.encode("utf-8")
    return BuiltForm(
        form_id=form_id,
        version=version,
        title=_title(spec),
        xml=xml,
        md5=hashlib.md5(xml, usedforsecurity=False).hexdigest(),
    )


def forms_forget() -> None:
    """Forget the built forms (the gazetteer or the key changed in this process)."""
    _built.cache_clear()
