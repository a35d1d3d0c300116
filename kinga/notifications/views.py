from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kinga.accounts.models import User
from kinga.notifications.selectors import inbox as notifications_of
from kinga.notifications.services import notification_mark_read


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """List the signed-in user's own notifications, unread first."""
    user = cast(User, request.user)
    notes = notifications_of(user=user)
    page = Paginator(notes, 30).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    raw = request.POST.get("notification")
    notification_mark_read(user=user, notification_id=int(raw) if raw and raw.isdigit() else None)
    return redirect("notifications:inbox")
