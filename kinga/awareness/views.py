"""Awareness pages: campaigns, their events, and what reports did around them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kinga.access.policy import deny
from kinga.accounts.models import User
from kinga.awareness import selectors, services
from kinga.awareness.forms import CampaignForm, EventForm
from kinga.awareness.models import Audience, Channel, Language
from kinga.intake.models import Channel as ReportChannel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _viewer(request: HttpRequest) -> User:
    return cast(User, request.user)


def _labels(choices: Sequence[tuple[str, StrOrPromise]], values: list[str]) -> list[str]:
    names = dict(choices)
    return [str(names.get(value, value)) for value in values]


def _errors_to_form(form: CampaignForm | EventForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    rows = selectors.campaigns_for(viewer=viewer)
    return render(
        request,
        "awareness/campaigns.html",
        {"campaigns": rows, "can_manage": services.may_manage(viewer)},
    )


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not services.may_manage(viewer):
        raise deny(viewer, record_type="awareness.campaign", record_id="", action="create")
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=viewer, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("awareness:campaign", campaign.pk)
    return render(
        request,
        "awareness/form.html",
        {"form": form, "title": _("New campaign"), "back": reverse("awareness:campaigns")},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Change a campaign (its own agency's managers, or a trainer)."""
    viewer = _viewer(request)
    item = selectors.campaign_get(viewer=viewer, campaign_id=campaign_id)
    if not services.may_manage(viewer, item):
        raise deny(viewer, record_type="awareness.campaign", record_id=item.pk, action="change")
    initial = {name: getattr(item, name) for name in services.CAMPAIGN_FIELDS}
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(actor=viewer, campaign=item, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("awareness:campaign", item.pk)
    return render(
        request,
        "awareness/form.html",
        {
            "form": form,
            "title": _("Change %(campaign)s") % {"campaign": item.name},
            "back": reverse("awareness:campaign", args=[item.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    viewer = _viewer(request)
    page = selectors.campaign_page(viewer=viewer, campaign_id=campaign_id)
    report_link = ""
    if page.campaign.reporting_code:
        report_link = request.build_absolute_uri(
            reverse("intake:report") + f"?c={page.campaign.reporting_code}"
        )
    channels = dict(ReportChannel.choices)
    return render(
        request,
        "awareness/campaign.html",
        {
            "page": page,
            "languages": _labels(Language.choices, page.campaign.languages),
            "channels": _labels(Channel.choices, page.campaign.channels),
            "by_channel": [(channels.get(code, code), n) for code, n in page.reports_by_channel],
            "report_link": report_link,
            "can_manage": services.may_manage(viewer, page.campaign),
        },
    )


@login_required
def event_new(request: HttpRequest, campaign_id: int) -> HttpResponse:
    viewer = _viewer(request)
    item = selectors.campaign_get(viewer=viewer, campaign_id=campaign_id)
    if not services.may_manage(viewer, item):
        raise deny(viewer, record_type="awareness.campaign", record_id=item.pk, action="change")
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_record(actor=viewer, campaign=item, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Event recorded."))
            return redirect("awareness:event", event.pk)
    return render(
        request,
        "awareness/form.html",
        {
            "form": form,
            "title": _("New event of %(campaign)s") % {"campaign": item.name},
            "back": reverse("awareness:campaign", args=[item.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def event(request: HttpRequest, event_id: int) -> HttpResponse:
    viewer = _viewer(request)
    comparison = selectors.event_page(viewer=viewer, event_id=event_id)
    return render(
        request,
        "awareness/event.html",
        {
            "c": comparison,
            "k": selectors.K,
            "weeks": selectors.WINDOW_WEEKS,
            "audiences": _labels(Audience.choices, comparison.event.audiences),
        },
    )
