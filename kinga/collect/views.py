"""The OpenRosa endpoints ODK Collect talks to, and the supervisors' pages.

OpenRosa (`/odk/key/<token>/...`): the phone's token is its only credential, so Collect
needs no password; an unknown or revoked token gets 401 and nothing is read or stored.
These views use no session, user or CSRF token (kinga.wsgi serves `/odk/` through the lean
channel stack).
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.accounts.models import User
from kinga.collect import encryption, openrosa, selectors, services, xforms
from kinga.collect.models import VisitNeed
from kinga.intake.models import Danger
from kinga.lib import ratelimit
from kinga.places.models import County

View = Callable[..., HttpResponse]


def _xml(body: bytes, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    response["X-OpenRosa-Version"] = openrosa.OPENROSA_VERSION
    return response


def _refused() -> HttpResponse:
    response = HttpResponse(status=401)
    response["X-OpenRosa-Version"] = openrosa.OPENROSA_VERSION
    return response


def openrosa_endpoint(view: View) -> View:
    """Admit only a live phone token: anything else is 401, before the body is read."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        found = selectors.phone_for(secret=token)
        if found is None:
            return _refused()
        return view(request, found, *args, **kwargs)

    return csrf_exempt(wrapper)


def _base_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("collect:server", args=[token]))


@openrosa_endpoint
def form_list(request: HttpRequest, found: services.Phone) -> HttpResponse:
    """The OpenRosa form list: each form's id, name, version, MD5 and download URL."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    token = request.resolver_match.kwargs["token"] if request.resolver_match else ""
    base = _base_url(request, token)
    built = []
    for form_id in xforms.FORMS:
        try:
            built.append(xforms.form_build(form_id))
        except encryption.NoCollectKey:
            break  # no form is ever published unencrypted
        except xforms.NotPublished:
            continue
    listed = [
        openrosa.ListedForm(
            form_id=form.form_id,
            name=form.title,
            version=form.version,
            md5=form.md5,
            download_url=f"{base}forms/{form.form_id}.xml",
            manifest_url=f"{base}forms/{form.form_id}/manifest",
        )
        for form in built
    ]
    return _xml(openrosa.form_list(listed))


def _built(form_id: str) -> xforms.BuiltForm:
    try:
        return xforms.form_build(form_id)
    except (KeyError, encryption.NoCollectKey, xforms.NotPublished):
        raise Http404 from None


@openrosa_endpoint
def form_download(request: HttpRequest, found: services.Phone, form_id: str) -> HttpResponse:
    """One form's XForm, carrying the deployment's public key."""
    return _xml(_built(form_id).xml)


@openrosa_endpoint
def form_manifest(request: HttpRequest, found: services.Phone, form_id: str) -> HttpResponse:
    """A form's manifest: Kinga's forms have no media files."""
    _built(form_id)
    return _xml(openrosa.manifest())


def _submission_headers(response: HttpResponse) -> HttpResponse:
    response["X-OpenRosa-Accept-Content-Length"] = str(settings.KINGA_COLLECT_MAX_BYTES)
    return response


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _take_chunked_body(request: HttpRequest) -> int | None:
    """Read a chunked body (no Content-Length) up to one byte past the limit; return its
    length, or None when the server gives no end to it.

    Gunicorn and other servers that de-chunk the body mark `wsgi.input_terminated`; Django
    reads a request without Content-Length as empty, so the body is read here and the
    request is given it, with its length, before anything parses it.
    """
    if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    if not request.META.get("wsgi.input_terminated"):
        return None
    stream, limit = request.META["wsgi.input"], settings.KINGA_COLLECT_MAX_BYTES
    chunks: list[bytes] = []
    taken = 0
    while taken <= limit:
        chunk = stream.read(min(65536, limit + 1 - taken))
        if not chunk:
            break
        chunks.append(chunk)
        taken += len(chunk)
    body = b"".join(chunks)
    request._stream = io.BytesIO(body)  # Django reads the body from here
    request.META["CONTENT_LENGTH"] = str(len(body))
    return len(body)


@openrosa_endpoint
def submission(request: HttpRequest, found: services.Phone) -> HttpResponse:
    """Take a submission: HEAD answers 204 (Collect's check before it sends); POST stores
    the multipart body's `xml_submission_file` and its files, then answers."""
    if request.method == "HEAD":
        return _submission_headers(_xml(b"", status=204))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "HEAD, POST"})
    length = _declared_length(request)
    if length is None:
        length = _take_chunked_body(request)
    if length is None:
        # a body whose end the server cannot know (no length, not chunked through a server
        # that ends it) cannot be held to the limit
        return _submission_headers(
            _xml(openrosa.response(_("Send the length of the submission.")), status=411)
        )
    limit, seconds = ratelimit.parse_rate(settings.KINGA_COLLECT_RATE_LIMIT)
    if not ratelimit.hit(
        scope="collect", key=str(found.token_id), limit=limit, window_seconds=seconds
    ):
        response = _xml(
            openrosa.response(_("Too many at once: Collect will send it later.")), status=429
        )
        response["Retry-After"] = str(min(seconds, 600))
        return _submission_headers(response)
    if length > settings.KINGA_COLLECT_MAX_BYTES:
        return _submission_headers(
            _xml(
                openrosa.response(_("The submission is larger than this server accepts.")),
                status=413,
            )
        )
    try:
        files = request.FILES
        main = files.get("xml_submission_file")
    except (MultiPartParserError, ValueError):
        main = None
    if main is None:
        return _submission_headers(
            _xml(openrosa.response(_("No form was found in what was sent.")), status=400)
        )
    parts = [
        services.Part(
            name=(upload.name or "").rsplit("/", 1)[-1],
            content_type=upload.content_type or "",
            content=upload.read(),
        )
        for key, uploads in files.lists()
        if key != "xml_submission_file"
        for upload in uploads
    ]
    outcome = services.submission_receive(phone=found, xml=main.read(), parts=parts)
    response = _xml(openrosa.response(outcome.message), status=outcome.status)
    return _submission_headers(response)


# --- supervisors -------------------------------------------------------------------------


def _supervisor(request: HttpRequest) -> User:
    user = cast(User, request.user)
    if not selectors.may_supervise(user):
        raise policy.deny(user, record_type="collect.volunteer", record_id="", action="collect")
    return user


class VolunteerForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=120,
        help_text=gettext_lazy("As the volunteer is known to your agency."),
    )
    county = forms.ModelChoiceField(
        label=gettext_lazy("County"),
        queryset=County.objects.filter(coastal=True).order_by("name"),
        required=False,
    )


class TokenForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Which phone"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("So you know which token to revoke if this phone is lost."),
    )


@login_required
def volunteers(request: HttpRequest) -> HttpResponse:
    """The supervisor's volunteers: who is active, what they sent; add one."""
    viewer = _supervisor(request)
    form = VolunteerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = services.volunteer_add(
                actor=viewer,
                name=form.cleaned_data["name"],
                agency=viewer.agency,  # type: ignore[arg-type]
                county=form.cleaned_data["county"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error if isinstance(error, ValidationError) else _("Not allowed."))
        else:
            return redirect("collect:volunteer", volunteer.pk)
    rows = selectors.volunteer_list(viewer=viewer)
    return render(request, "collect/volunteers.html", {"rows": rows, "form": form})


@login_required
def volunteer(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    """One volunteer: their phones' tokens and what they sent."""
    viewer = _supervisor(request)
    page = selectors.volunteer_page(viewer=viewer, volunteer_id=volunteer_id)
    return render(request, "collect/volunteer.html", {"page": page, "token_form": TokenForm()})


def collect_settings_code(server_url: str, *, project: str) -> str:
    """Return what ODK Collect's "scan QR code" reads: the settings JSON, deflated, base64."""
    settings_json = {
        "general": {"server_url": server_url, "username": "", "password": ""},
        "admin": {"change_server": False},
        "project": {"name": project},
    }
    packed = zlib.compress(json.dumps(settings_json, separators=(",", ":")).encode())
    return base64.b64encode(packed).decode()


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=6)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


@login_required
@require_POST
def token_issue(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    """Issue a phone's token and show its URL and QR code, once."""
    viewer = _supervisor(request)
    found = selectors.volunteer_for(viewer=viewer, volunteer_id=volunteer_id)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return redirect("collect:volunteer", found.pk)
    try:
        token, secret = services.token_issue(
            actor=viewer, volunteer=found, label=form.cleaned_data["label"]
        )
    except ValidationError as error:
        page = selectors.volunteer_page(viewer=viewer, volunteer_id=found.pk)
        form.add_error(None, error)
        return render(request, "collect/volunteer.html", {"page": page, "token_form": form})
    url = _base_url(request, secret)
    code = collect_settings_code(url, project="Kinga")
    return render(
        request,
        "collect/token_issued.html",
        {"volunteer": found, "token": token, "url": url, "qr": qr_svg(code)},
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke a phone's token at once."""
    viewer = _supervisor(request)
    token = selectors.token_for(viewer=viewer, token_id=token_id)
    services.token_revoke(actor=viewer, token=token)
    return redirect("collect:volunteer", token.volunteer_id)


@login_required
@require_POST
def volunteer_deactivate(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    """Stop a volunteer reporting: every phone of theirs is refused from now on."""
    viewer = _supervisor(request)
    found = selectors.volunteer_for(viewer=viewer, volunteer_id=volunteer_id)
    services.volunteer_deactivate(actor=viewer, volunteer=found)
    messages.success(request, _("The volunteer is deactivated; their phones are refused."))
    return redirect("collect:volunteer", found.pk)


@login_required
def home_visits(request: HttpRequest) -> HttpResponse:
    """Home visits from the field on the cases whose care records the viewer may read."""
    viewer = cast(User, request.user)
    rows = selectors.home_visit_list(viewer=viewer)
    return render(request, "collect/home_visits.html", {"rows": rows})


@login_required
def home_visit(request: HttpRequest, visit_id: int) -> HttpResponse:
    """One home visit: what the volunteer saw; its caseworker marks it read."""
    viewer = cast(User, request.user)
    visit = selectors.home_visit_get(viewer=viewer, visit_id=visit_id)
    if request.method == "POST":
        services.home_visit_read(actor=viewer, visit=visit)
        messages.success(request, _("Marked read."))
        return redirect("collect:home_visits")
    needs = dict(VisitNeed.choices)
    return render(
        request,
        "collect/home_visit.html",
        {
            "visit": visit,
            "needs": [str(needs.get(need, need)) for need in visit.needs],
            "danger": dict(Danger.choices).get(visit.danger_now, visit.danger_now),
            "may_mark_read": policy.can(viewer, "change", visit, "care"),
        },
    )


@login_required
def quarantine(request: HttpRequest) -> HttpResponse:
    """The administrator's quarantine: what came in and could not be filed."""
    viewer = cast(User, request.user)
    if not selectors.may_see_quarantine(viewer):
        raise policy.deny(viewer, record_type="collect.submission", record_id="", action="list")
    rows = selectors.quarantine(viewer=viewer)
    return render(request, "collect/quarantine.html", {"rows": rows})


@login_required
@require_POST
def quarantine_retry(request: HttpRequest, submission_id: int) -> HttpResponse:
    """Try a quarantined submission again (after a key came back, say)."""
    viewer = cast(User, request.user)
    submission = selectors.quarantined_for(viewer=viewer, submission_id=submission_id)
    services.quarantine_retry(actor=viewer, submission=submission)
    return redirect("collect:quarantine")
