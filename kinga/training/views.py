"""Pages of joint training: courses, sessions, participants' results, certificates, and the
public check of a certificate's code. Each page loads through a selector (trainers only:
anyone else gets the audited 404) and each form calls one service."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinga.accounts.models import User
from kinga.audit.context import client_address
from kinga.lib import ratelimit
from kinga.training import selectors, services
from kinga.training.forms import (
    CourseForm,
    ImportForm,
    ParticipantForm,
    QuestionForm,
    RecordForm,
    RevokeForm,
    SessionForm,
    VerifyForm,
)
from kinga.training.imports import MAX_BYTES, rows_check, unused_day_columns
from kinga.training.models import Audience
from kinga.training.pdf import Line
from kinga.training.pdf import render as render_pdf

# The public check of certificate codes: enough for an employer, too few to guess codes.
VERIFY_RATE = (30, 3600)


def _viewer(request: HttpRequest) -> User:
    return cast(User, request.user)


def _errors_to_form(form: object, error: ValidationError) -> None:
    """Show a service's refusal on the form: on its field when the form has it."""
    add_error = form.add_error  # type: ignore[attr-defined]
    fields = form.fields  # type: ignore[attr-defined]
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            add_error(name if name in fields else None, problems)
    else:
        add_error(None, error.messages)


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    """The trainer's dashboard: every session, newest first, and the courses."""
    viewer = _viewer(request)
    rows = selectors.sessions_for(viewer=viewer)[:200]
    since = timezone.localdate() - dt.timedelta(days=365)
    return render(
        request,
        "training/sessions.html",
        {
            "sessions": rows,
            "courses": selectors.courses_for(viewer=viewer),
            "summary": selectors.training_summary(viewer=viewer, since=since),
        },
    )


@login_required
def courses(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return render(
        request, "training/courses.html", {"courses": selectors.courses_for(viewer=viewer)}
    )


@login_required
def course_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    selectors.courses_for(viewer=viewer)  # trainers only
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(actor=viewer, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Course saved."))
            return redirect("training:course", course.pk)
    return render(
        request,
        "training/form.html",
        {"form": form, "title": _("New course"), "back": reverse("training:courses")},
    )


@login_required
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    """Change a course; the audit names what changed."""
    viewer = _viewer(request)
    item = selectors.course_get(viewer=viewer, course_id=course_id)
    initial = {name: getattr(item, name) for name in services.COURSE_FIELDS}
    form = CourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(actor=viewer, course=item, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Course saved."))
            return redirect("training:course", item.pk)
    return render(
        request,
        "training/form.html",
        {
            "form": form,
            "title": _("Change %(course)s") % {"course": item.title},
            "back": reverse("training:course", args=[item.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def course(request: HttpRequest, course_id: int) -> HttpResponse:
    viewer = _viewer(request)
    item = selectors.course_get(viewer=viewer, course_id=course_id)
    return render(
        request,
        "training/course.html",
        {
            "course": item,
            "question_form": QuestionForm(),
            "audiences": _audience_labels(item.audiences),
        },
    )


@login_required
@require_POST
def question_add(request: HttpRequest, course_id: int) -> HttpResponse:
    viewer = _viewer(request)
    item = selectors.course_get(viewer=viewer, course_id=course_id)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(actor=viewer, course=item, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Question added."))
            return redirect("training:course", item.pk)
    return render(
        request,
        "training/course.html",
        {"course": item, "question_form": form, "audiences": _audience_labels(item.audiences)},
        status=400,
    )


def _audience_labels(values: list[str]) -> list[str]:
    labels = dict(Audience.choices)
    return [str(labels.get(value, value)) for value in values]


@login_required
def session_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    selectors.sessions_for(viewer=viewer)  # trainers only
    form = SessionForm(request.POST or None, initial={"course": request.GET.get("course")})
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(actor=viewer, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Session saved. Add its participants."))
            return redirect("training:session", session.pk)
    return render(
        request,
        "training/form.html",
        {"form": form, "title": _("New training session"), "back": reverse("training:sessions")},
    )


@login_required
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    """Change a session (dates, venue, who takes part); nothing recorded is lost by it."""
    viewer = _viewer(request)
    item = selectors.session_get(viewer=viewer, session_id=session_id)
    initial = {name: getattr(item, name) for name in services.SESSION_FIELDS}
    initial["agencies"] = list(item.agencies.all())
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_update(actor=viewer, session=item, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Session saved."))
            return redirect("training:session", item.pk)
    return render(
        request,
        "training/form.html",
        {
            "form": form,
            "title": _("Change the session of %(date)s") % {"date": item.starts_on.isoformat()},
            "back": reverse("training:session", args=[item.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def session(request: HttpRequest, session_id: int) -> HttpResponse:
    """A session: its participants, days present, scores, gains and certificates."""
    viewer = _viewer(request)
    page = selectors.session_page(viewer=viewer, session_id=session_id)
    return render(
        request,
        "training/session.html",
        {
            "page": page,
            "audiences": _audience_labels(page.session.audiences),
            "present_kinds": _audience_labels(page.audiences_present),
            "participant_form": ParticipantForm(),
        },
    )


@login_required
def participant_add(request: HttpRequest, session_id: int) -> HttpResponse:
    viewer = _viewer(request)
    item = selectors.session_get(viewer=viewer, session_id=session_id)
    form = ParticipantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.participant_add(
                actor=viewer,
                session=item,
                user=data["user"],
                name=data["name"],
                agency=data["agency"],
                agency_name=data["agency_name"],
                job_title=data["job_title"],
                audience=data["audience"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Participant added."))
            return redirect("training:session", item.pk)
    return render(
        request,
        "training/form.html",
        {
            "form": form,
            "title": _("Add a participant"),
            "back": reverse("training:session", args=[item.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def participant_record(request: HttpRequest, participant_id: int) -> HttpResponse:
    """A participant's days present, scores and feedback."""
    viewer = _viewer(request)
    participant = selectors.participant_get(viewer=viewer, participant_id=participant_id)
    item = participant.session
    initial = {
        "days": [row.day.isoformat() for row in participant.attendance.all()],
        "pre_score": participant.pre_score,
        "post_score": participant.post_score,
        "feedback_rating": participant.feedback_rating,
        "feedback_text": participant.feedback_text,
    }
    form = RecordForm(request.POST or None, initial=initial, session=item)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.participant_record(
                actor=viewer,
                participant=participant,
                days_present=data["days"],
                pre_score=data["pre_score"],
                post_score=data["post_score"],
                feedback_rating=data["feedback_rating"],
                feedback_text=data["feedback_text"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Results saved."))
            return redirect("training:session", item.pk)
    return render(
        request,
        "training/form.html",
        {
            "form": form,
            "title": _("Results of %(name)s") % {"name": participant.display_name()},
            "back": reverse("training:session", args=[item.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def certificate_issue(request: HttpRequest, participant_id: int) -> HttpResponse:
    viewer = _viewer(request)
    participant = selectors.participant_get(viewer=viewer, participant_id=participant_id)
    try:
        certificate, code = services.certificate_issue(actor=viewer, participant=participant)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Certificate issued for %(name)s; its code is %(code)s.")
            % {"name": certificate.name_on_certificate, "code": code},
        )
    return redirect("training:session", participant.session_id)


@login_required
def certificate_pdf(request: HttpRequest, certificate_id: int) -> HttpResponse:
    """The certificate as a PDF, in English and Kiswahili on the same page."""
    viewer = _viewer(request)
    certificate = selectors.certificate_get(viewer=viewer, certificate_id=certificate_id)
    item = certificate.participant.session
    verify = request.build_absolute_uri(reverse("certificates:verify"))
    lines: list[Line] = []
    for language in ("en", "sw"):
        with translation.override(language):
            lines += [
                Line(_("Certificate of completion"), size=26, bold=True, gap_before=6),
                Line(_("This certifies that"), size=13),
                Line(certificate.name_on_certificate, size=22, bold=True),
                Line(
                    _("completed %(course)s, %(start)s to %(end)s, %(venue)s, %(county)s.")
                    % {
                        "course": item.course.title,
                        "start": item.starts_on.isoformat(),
                        "end": item.ends_on.isoformat(),
                        "venue": item.venue,
                        "county": item.county.name,
                    },
                    size=12,
                ),
            ]
        lines.append(Line("", size=8))
    lines.append(
        Line(
            f"{_('Verification code')}: {certificate.code}  ·  {verify}?code={certificate.code}",
            size=11,
            gap_before=14,
        )
    )
    if certificate.revoked_at is not None:
        lines.append(Line(_("REVOKED"), size=20, bold=True))
    response = HttpResponse(
        render_pdf(lines, title="Kinga certificate"), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.pk}.pdf"'
    return response


@login_required
def certificate_revoke(request: HttpRequest, certificate_id: int) -> HttpResponse:
    viewer = _viewer(request)
    certificate = selectors.certificate_get(viewer=viewer, certificate_id=certificate_id)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_revoke(
                actor=viewer, certificate=certificate, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Certificate revoked."))
            return redirect("training:session", certificate.participant.session_id)
    return render(
        request,
        "training/form.html",
        {
            "form": form,
            "title": _("Revoke the certificate of %(name)s")
            % {"name": certificate.name_on_certificate},
            "back": reverse("training:session", args=[certificate.participant.session_id]),
        },
    )


def certificate_verify(request: HttpRequest) -> HttpResponse:
    """The public check: a code in the address or typed in gives valid, revoked or unknown."""
    form = VerifyForm(request.GET or None)
    result = None
    limited = False
    if form.is_bound and form.is_valid():
        limit, seconds = VERIFY_RATE
        if ratelimit.hit(
            scope="certificate_verify",
            key=client_address(request) or "unknown",
            limit=limit,
            window_seconds=seconds,
        ):
            result = selectors.certificate_verify(code=form.cleaned_data["code"])
        else:
            limited = True
    response = render(
        request,
        "training/verify.html",
        {"form": form, "result": result, "limited": limited},
        status=429 if limited else 200,
    )
    # a code in the address should not travel on to other sites or stay in shared caches
    response["Cache-Control"] = "no-store"
    return response


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    """Who has been trained, by agency and county; a supervisor sees their own agency."""
    viewer = _viewer(request)
    course_id = request.GET.get("course", "")
    result = selectors.coverage(
        viewer=viewer, course_id=int(course_id) if course_id.isdigit() else None
    )
    course_choices = selectors.courses_for(viewer=viewer) if result.everyone else []
    return render(
        request,
        "training/coverage.html",
        {"coverage": result, "courses": course_choices},
    )


@login_required
def coverage_agency(request: HttpRequest, agency_id: int) -> HttpResponse:
    """An agency's staff: the courses each attended, refreshers due, and who never came."""
    viewer = _viewer(request)
    agency = selectors.coverage_agency(viewer=viewer, agency_id=agency_id)
    rows = selectors.agency_staff_training(
        viewer=viewer, agency_id=agency.pk, today=timezone.localdate()
    )
    return render(
        request,
        "training/coverage_agency.html",
        {"agency": agency, "rows": rows, "today": timezone.localdate()},
    )


@login_required
def import_upload(request: HttpRequest, session_id: int) -> HttpResponse:
    """Upload an attendance or score sheet; its preview follows, nothing is written yet."""
    viewer = _viewer(request)
    item = selectors.session_get(viewer=viewer, session_id=session_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.import_upload(
                actor=viewer,
                session=item,
                filename=upload.name or "",
                content=upload.read(MAX_BYTES + 1),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            return redirect("training:import_preview", batch.pk)
    return render(
        request,
        "training/form.html",
        {
            "form": form,
            "title": _("Import attendance and scores"),
            "back": reverse("training:session", args=[item.pk]),
            "multipart": True,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def import_preview(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Show every row of an uploaded sheet with its problems; import on confirmation."""
    viewer = _viewer(request)
    batch = selectors.import_batch_get(viewer=viewer, batch_id=batch_id)
    if request.method == "POST" and batch.imported_at is None:
        try:
            done = services.import_apply(
                actor=viewer, batch=batch, skip_bad=request.POST.get("skip_bad") == "1"
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            batch = selectors.import_batch_get(viewer=viewer, batch_id=batch_id)
        else:
            messages.success(
                request,
                _("%(imported)s rows imported, %(skipped)s skipped.")
                % {"imported": done.imported_rows, "skipped": done.skipped_rows},
            )
            return redirect("training:session", done.session_id)
    checks = []
    unused: list[str] = []
    if batch.imported_at is None:
        sheet = services.import_sheet(batch)
        checks = rows_check(session=batch.session, sheet=sheet)
        unused = unused_day_columns(session=batch.session, sheet=sheet)
    bad = sum(1 for check in checks if not check.ok)
    return render(
        request,
        "training/import_preview.html",
        {
            "batch": batch,
            "checks": checks,
            "bad": bad,
            "good": len(checks) - bad,
            "unused": unused,
        },
        status=200,
    )
