"""Break-glass pages, the review queue and a matter's "who has seen this" trail."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kinga.access import selectors, services
from kinga.access.forms import BreakGlassForm, BreakGlassReviewForm
from kinga.access.models import MatterType
from kinga.access.policy import Matter, can_do, can_see_trail, deny, matter_exists
from kinga.accounts.models import User


def _matter(user: User, matter_type: str, matter_id: int, *, action: str) -> Matter:
    """Return the matter named in the URL; an unknown type is an audited 404 like any other."""
    if matter_type not in MatterType.values:
        raise deny(user, record_type="access.matter", record_id=matter_id, action=action)
    return Matter(type=matter_type, id=matter_id)


def _refuse(user: User, matter: Matter, *, action: str) -> Http404:
    """Audit a refusal on the matter's trail when it exists; the answer is the same 404."""
    return deny(
        user,
        record_type=f"access.{matter.type}",
        record_id=matter.id,
        action=action,
        matter=matter if matter_exists(matter) else None,
    )


@login_required
def break_glass(request: HttpRequest, matter_type: str, matter_id: int) -> HttpResponse:
    """Ask for the reason, then open emergency access to the matter for a few hours."""
    user = cast(User, request.user)
    matter = _matter(user, matter_type, matter_id, action="break_glass")
    if not can_do(user, "break_glass.request") or not matter_exists(matter):
        # the same answer for a role that may not and a record that is not there
        raise _refuse(user, matter, action="break_glass")
    home = reverse("home")
    next_url = request.POST.get("next") or request.GET.get("next") or home
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = home
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.break_glass_open(user=user, matter=matter, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as error:
            form.add_error(
                "reason", str(error.messages[0] if isinstance(error, ValidationError) else error)
            )
        else:
            messages.warning(
                request,
                _("Break-glass access is open for a few hours. A supervisor will review it."),
            )
            return redirect(next_url)
    return render(
        request,
        "access/break_glass.html",
        {"form": form, "matter": matter, "next": next_url},
    )


@login_required
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    """The supervisor's queue of break-glass grants awaiting review, and the decisions."""
    user = cast(User, request.user)
    if not can_do(user, "break_glass.review"):
        raise deny(user, record_type="access.breakglassgrant", record_id="", action="list")
    if request.method == "POST":
        form = BreakGlassReviewForm(request.POST)
        grant = (
            selectors.break_glass_for_review(viewer=user)
            .filter(
                pk=request.POST.get("grant", "0")
                if str(request.POST.get("grant", "")).isdigit()
                else 0
            )
            .first()
        )
        if grant is None:
            raise deny(
                user, record_type="access.breakglassgrant", record_id=request.POST.get("grant", "")
            )
        if form.is_valid():
            try:
                services.break_glass_review(
                    grant=grant,
                    reviewer=user,
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, _("Review recorded."))
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.error(request, _("Choose accept or flag."))
        return redirect("access:break_glass_reviews")
    pending, done = selectors.break_glass_review_queue(viewer=user)
    return render(
        request,
        "access/break_glass_reviews.html",
        {"pending": pending, "done": done, "form": BreakGlassReviewForm()},
    )


@login_required
def trail(request: HttpRequest, matter_type: str, matter_id: int) -> HttpResponse:
    """Who has seen or changed this matter, for the supervisor who oversees it."""
    user = cast(User, request.user)
    matter = _matter(user, matter_type, matter_id, action="trail")
    if not can_see_trail(user, matter):
        raise _refuse(user, matter, action="trail")
    events = selectors.matter_trail(viewer=user, matter=matter)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "access/trail.html", {"page": page, "matter": matter})
