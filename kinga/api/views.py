"""Pages of the api app: integrations for administrators (register, approve scopes, issue,
rotate and revoke tokens) and the API's guide."""

from __future__ import annotations

from datetime import datetime, time
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinga.access.policy import deny
from kinga.accounts.models import Role, User
from kinga.api import selectors, services
from kinga.api.forms import IntegrationForm, TokenForm
from kinga.api.models import CONTENT_SCOPES, Integration, Scope
from kinga.api.problems import not_found, problem_response
from kinga.api.services import IssuedToken


def _viewer(request: HttpRequest) -> User:
    return cast(User, request.user)


def _errors(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(message) for message in error.messages]
    return [str(error) or _("You may not do this.")]


def _require_admin(user: User, record_id: object = "") -> None:
    if not user.has_role(Role.ADMIN):
        raise deny(user, record_type="api.integration", record_id=record_id, action="change")


@login_required
def integration_list(request: HttpRequest) -> HttpResponse:
    """The integrations an administrator manages (or a supervisor approves scopes of)."""
    user = _viewer(request)
    if not user.has_role(Role.ADMIN, Role.SUPERVISOR):
        raise deny(user, record_type="api.integration", record_id="", action="list")
    rows = list(selectors.integrations_for(viewer=user))
    return render(
        request,
        "api/integration_list.html",
        {
            "integrations": rows,
            "may_register": user.has_role(Role.ADMIN),
            "approvable": [
                i.pk
                for i in rows
                if i.scopes_pending and services.scope_may_approve(integration=i, user=user)
            ],
        },
    )


@login_required
def integration_new(request: HttpRequest) -> HttpResponse:
    """Register a named system of an agency."""
    user = _viewer(request)
    _require_admin(user)
    form = IntegrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            integration = services.integration_register(
                actor=user,
                agency=form.cleaned_data["agency"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                rate_per_minute=form.cleaned_data["rate_per_minute"],
            )
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, _errors(error))
        else:
            if integration.scopes_pending:
                messages.info(
                    request,
                    _(
                        "Registered. The scopes that reveal case content wait for a second "
                        "person with authority over the agency."
                    ),
                )
            else:
                messages.success(request, _("Registered."))
            return redirect("api:integration", integration_id=integration.pk)
    return render(request, "api/integration_new.html", {"form": form})


def _detail(
    request: HttpRequest,
    integration: Integration,
    *,
    issued: IssuedToken | None = None,
    token_form: TokenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _viewer(request)
    is_admin = user.has_role(Role.ADMIN)
    offered = [*integration.scopes, *integration.scopes_pending]
    response = render(
        request,
        "api/integration_detail.html",
        {
            "integration": integration,
            "tokens": selectors.tokens_of(integration=integration) if is_admin else [],
            "subscriptions": selectors.subscriptions_of(integration=integration)
            if is_admin
            else [],
            "deliveries": selectors.recent_deliveries(integration=integration) if is_admin else [],
            "is_admin": is_admin,
            "may_approve": bool(integration.scopes_pending)
            and services.scope_may_approve(integration=integration, user=user),
            "scope_labels": dict(Scope.choices),
            "content_scopes": CONTENT_SCOPES,
            "token_form": token_form or TokenForm(scopes=offered),
            "issued": issued,
            "now": timezone.now(),
        },
        status=status,
    )
    if issued is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@login_required
def integration_detail(request: HttpRequest, integration_id: int) -> HttpResponse:
    """One integration: its scopes, its tokens and what may be done with them."""
    user = _viewer(request)
    integration = selectors.integration_for(viewer=user, integration_id=integration_id)
    return _detail(request, integration)


@login_required
@require_POST
def scopes_approve(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Approve the scopes that wait (a second person with authority over the agency)."""
    user = _viewer(request)
    integration = selectors.integration_for(viewer=user, integration_id=integration_id)
    try:
        services.integration_scopes_approve(actor=user, integration=integration)
    except (ValidationError, PermissionDenied) as error:
        for message in _errors(error):
            messages.error(request, message)
    else:
        messages.success(request, _("The scopes are in force."))
    return redirect("api:integration", integration_id=integration.pk)


@login_required
@require_POST
def integration_stop(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Stop the integration: its tokens are refused from the next call."""
    user = _viewer(request)
    _require_admin(user, integration_id)
    integration = selectors.integration_for(viewer=user, integration_id=integration_id)
    services.integration_deactivate(actor=user, integration=integration)
    messages.success(request, _("The integration is stopped; its tokens are refused."))
    return redirect("api:integration", integration_id=integration.pk)


@login_required
@require_POST
def token_new(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Issue a token and show its secret once."""
    user = _viewer(request)
    _require_admin(user, integration_id)
    integration = selectors.integration_for(viewer=user, integration_id=integration_id)
    form = TokenForm(request.POST, scopes=[*integration.scopes, *integration.scopes_pending])
    if not form.is_valid():
        return _detail(request, integration, token_form=form, status=400)
    expires = timezone.make_aware(datetime.combine(form.cleaned_data["expires_on"], time.max))
    try:
        issued = services.token_issue(
            actor=user,
            integration=integration,
            scopes=form.cleaned_data["scopes"],
            expires_at=expires,
        )
    except ValidationError as error:
        for message in _errors(error):
            form.add_error(None, message)
        return _detail(request, integration, token_form=form, status=400)
    return _detail(request, integration, issued=issued)


@login_required
@require_POST
def token_rotate(request: HttpRequest, token_id: int) -> HttpResponse:
    """Replace a token: the new secret is shown once; the old one works a day more."""
    user = _viewer(request)
    _require_admin(user, token_id)
    token = selectors.token_for(viewer=user, token_id=token_id)
    integration = selectors.integration_for(viewer=user, integration_id=token.integration_id)
    try:
        issued = services.token_rotate(actor=user, token=token)
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
        return redirect("api:integration", integration_id=integration.pk)
    return _detail(request, integration, issued=issued)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Refuse a token from the next call on."""
    user = _viewer(request)
    _require_admin(user, token_id)
    token = selectors.token_for(viewer=user, token_id=token_id)
    services.token_revoke(actor=user, token=token)
    messages.success(request, _("The token is revoked."))
    return redirect("api:integration", integration_id=token.integration_id)


def guide(request: HttpRequest) -> HttpResponse:
    """The API's guide: tokens, scopes, errors, paging, idempotency, with curl examples."""
    base = request.build_absolute_uri("/api/v1/")
    return render(
        request,
        "api/guide.html",
        {"base": base, "scopes": Scope.choices, "content_scopes": CONTENT_SCOPES},
    )


def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any other path under /api/v1/: a problem-details 404."""
    return problem_response(request, not_found())
