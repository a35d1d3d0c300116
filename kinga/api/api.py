"""The open API, version 1 (`/api/v1/`): django-ninja operations over the same services and
selectors as the pages, so the same policy and audit apply.

Every operation authenticates a token (`kinga.api.auth`), needs one scope, parses its input
into a typed schema, calls one selector or service as the integration's principal, and
answers with a typed schema; every error is a problem-details body (`kinga.api.problems`).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.openapi.schema import OpenAPISchema
from pydantic import BaseModel, BeforeValidator, StrictBool

from kinga.accounts.models import User
from kinga.api import figures, selectors, services
from kinga.api.auth import TokenAuth, caller_of, need
from kinga.api.models import Delivery, DeliveryState, Scope, Subscription, WebhookEvent
from kinga.api.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE
from kinga.api.problems import (
    Problem,
    field_errors_of,
    not_found,
    problem_response,
    request_field_errors,
    validation_problem,
)
from kinga.cases.models import Case, CaseStatus, RiskLevel
from kinga.cases.seams import CourtPath
from kinga.directory.models import ServiceType
from kinga.intake.models import (
    AgeBand,
    CallLanguage,
    CallOutcome,
    Category,
    ChildSex,
    Danger,
    Platform,
    Report,
    ReporterRelation,
)
from kinga.intake.models import (
    Status as ReportStatus,
)
from kinga.intake.services import CallInput, ReportInput
from kinga.referrals import services as referral_services
from kinga.referrals.models import Referral, ReferralStatus
from kinga.referrals.services import ReferralRefused


class KingaAPI(NinjaAPI):
    """The API whose every answer carries the token's rate-limit headers."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        return with_rate_headers(request, response)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Return the schema, with every error answered as `application/problem+json`."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if str(code)[0] in "45" and "application/json" in content:
                        answer["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
        return schema


def with_rate_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Add the rate-limit headers counted for this call, when it was counted."""
    for name, value in getattr(request, "api_rate_headers", {}).items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


DESCRIPTION = """Kinga's open API for the systems around it: the 116 helpline's call system
files calls as reports, a partner reads and answers the referrals made to its agency, refers
children in (they arrive in triage as reports), is told when a hearing is set, and
reads the summaries and court dates of the cases its agency is on the team of, a county's
reporting tool reads aggregate figures (small counts hidden), and anyone with a token reads
the service directory. Every call presents a bearer token of a
registered integration; every call goes through the same access policy and audit as Kinga's
pages. Errors are RFC 9457 problem details. The guide with curl examples is at
/api/v1/guide/."""

api = KingaAPI(
    title="Kinga API",
    version="1",
    description=DESCRIPTION,
    openapi_url="/schema/",
    docs_url="/docs/",
    urls_namespace="api_v1",
    auth=TokenAuth(),
)


def _problem(request: HttpRequest, problem: Problem) -> HttpResponse:
    return with_rate_headers(request, problem_response(request, problem))


@api.exception_handler(Problem)
def _on_problem(request: HttpRequest, error: Problem) -> HttpResponse:
    return _problem(request, error)


@api.exception_handler(RequestValidationError)
def _on_request_invalid(request: HttpRequest, error: RequestValidationError) -> HttpResponse:
    return _problem(request, validation_problem(request_field_errors(list(error.errors))))


@api.exception_handler(ReferralRefused)
def _on_refused_move(request: HttpRequest, error: ReferralRefused) -> HttpResponse:
    return _problem(
        request,
        Problem(
            status=409,
            code="conflict",
            title="The record is not in a state that allows this",
            detail=" ".join(str(message) for message in error.messages),
        ),
    )


@api.exception_handler(ValidationError)
def _on_invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return _problem(request, validation_problem(field_errors_of(error)))


@api.exception_handler(Http404)
def _on_not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return _problem(request, not_found())


@api.exception_handler(PermissionDenied)
def _on_forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return _problem(
        request,
        Problem(
            status=403,
            code="forbidden",
            title="This integration may not do this",
            detail=str(error) or "This integration may not do this.",
        ),
    )


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return _problem(
        request,
        Problem(
            status=401,
            code="unauthorised",
            title="A valid token is needed",
            detail="Send Authorization: Bearer followed by the integration's token.",
            headers={"WWW-Authenticate": 'Bearer realm="kinga"'},
        ),
    )


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return _problem(
        request,
        Problem(
            status=error.status_code,
            code="bad-request" if error.status_code == 400 else "http",
            title=str(error.message),
        ),
    )


# Schemas -------------------------------------------------------------------------------


def _whole_number(value: object) -> object:
    """Take a JSON integer (5 or 5.0, as JSON Schema allows), never a boolean or a fraction."""
    if isinstance(value, bool):
        raise ValueError("a whole number, not true or false")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("a whole number")
        return int(value)
    return value


def _iso_datetime(value: object) -> object:
    """Take an ISO 8601 date and time with its time zone, never a bare number."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DATETIME.match(value):
        raise ValueError("an ISO 8601 date and time, e.g. 2026-12-01T00:00:00Z")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a date and time with its time zone, e.g. 2026-12-01T00:00:00Z")
    return parsed


def _iso_day(value: object) -> object:
    """Take an ISO 8601 day (2026-12-01), never a bare number."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
        raise ValueError("an ISO 8601 day, e.g. 2026-12-01")
    return date.fromisoformat(value)


ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# A day in a query: ISO 8601.
Day = Annotated[date, BeforeValidator(_iso_day)]
# A moment in a query: ISO 8601 with a time zone.
Moment = Annotated[datetime, BeforeValidator(_iso_datetime)]

# The language of a report's messages.
ReportLanguage = Literal["sw", "en"]

# An integer of a request body: no true/false, no "5", no 5.5 turned into a number.
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


class Input(BaseModel):
    """A request body, parsed strictly from JSON (never from an object's attributes)."""


class ProblemOut(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]] | None = None


PROBLEMS: dict[int, type[Schema]] = {
    400: ProblemOut,
    401: ProblemOut,
    403: ProblemOut,
    404: ProblemOut,
    409: ProblemOut,
    422: ProblemOut,
    429: ProblemOut,
}


class CallIn(Input):
    """What the helpline operator kept about the call."""

    outcome: CallOutcome = CallOutcome.REPORTED
    duration_minutes: WholeNumber | None = Field(default=None, ge=0, le=600)
    child_sex: ChildSex = ChildSex.UNKNOWN
    language: CallLanguage = CallLanguage.KISWAHILI


class ReportIn(Input):
    """A helpline call as a report. `call_id` is the caller system's own id of the call:
    the same id again files nothing new."""

    call_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    categories: list[Category] = Field(min_length=1)
    narrative: str = Field(default="", max_length=4000)
    county_id: WholeNumber | None = Field(default=None, ge=1, le=2**31 - 1)
    sub_county_id: WholeNumber | None = Field(default=None, ge=1, le=2**31 - 1)
    ward_id: WholeNumber | None = Field(default=None, ge=1, le=2**31 - 1)
    place_detail: str = Field(default="", max_length=500)
    children_count: WholeNumber | None = Field(default=None, ge=1, le=500)
    age_bands: list[AgeBand] = Field(default_factory=list)
    danger_now: Danger = Danger.UNKNOWN
    online_platform: Platform = Platform.NONE
    reporter_relation: ReporterRelation = ReporterRelation.UNKNOWN
    reporter_phone: str = Field(default="", max_length=20)
    callback_consent: StrictBool = False
    call: CallIn = Field(default_factory=lambda: CallIn())


class ReportOut(Schema):
    """A report's triage state: what happened to it, never what it says."""

    id: int
    reference: str
    channel: str
    status: ReportStatus
    decision: str
    priority: int
    received_at: datetime
    updated_at: datetime


class ReportFiledOut(Schema):
    report: ReportOut
    created: bool
    follow_up_code: str | None = Field(
        default=None,
        description="Only when the report was created by this call; never shown again.",
    )


class ReportPageOut(Schema):
    items: list[ReportOut]
    next_cursor: str | None


class ReferralOut(Schema):
    """A referral made to the integration's agency: what the service needs, no more."""

    id: int
    reference: str
    status: ReferralStatus
    urgency: str
    service: str
    service_id: uuid.UUID
    sending_agency: str
    sent_at: datetime
    due_at: datetime
    answered_at: datetime | None
    child_age_band: str
    child_sex: str
    child_languages: list[str]
    needs: list[str]


class ReferralPageOut(Schema):
    items: list[ReferralOut]
    next_cursor: str | None


class ServicePageOut(Schema):
    items: list[dict[str, Any]]
    next_cursor: str | None


class ReportFilters(Schema):
    status: ReportStatus | None = None
    received_after: Moment | None = None
    received_before: Moment | None = None
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=selectors.PAGE_SIZE, ge=1, le=selectors.PAGE_SIZE_MAX)


class ReferralFilters(Schema):
    status: ReferralStatus | None = None
    sent_after: Moment | None = None
    sent_before: Moment | None = None
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=selectors.PAGE_SIZE, ge=1, le=selectors.PAGE_SIZE_MAX)


class PageQuery(Schema):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=selectors.PAGE_SIZE, ge=1, le=selectors.PAGE_SIZE_MAX)


def report_out(report: Report) -> ReportOut:
    return ReportOut(
        id=report.pk,
        reference=report.reference,
        channel=report.channel,
        status=ReportStatus(report.status),
        decision=report.decision,
        priority=report.priority,
        received_at=report.received_at,
        updated_at=report.updated_at,
    )


def referral_out(referral: Referral) -> ReferralOut:
    service = referral.service_at_location.service
    return ReferralOut(
        id=referral.pk,
        reference=referral.reference,
        status=ReferralStatus(referral.status),
        urgency=referral.urgency,
        service=service.name,
        service_id=service.pk,
        sending_agency=str(referral.sending_agency),
        sent_at=referral.sent_at,
        due_at=referral.due_at,
        answered_at=referral.answered_at,
        child_age_band=referral.child_age_band,
        child_sex=referral.child_sex,
        child_languages=[str(item) for item in referral.child_languages],
        needs=[str(item) for item in referral.needs],
    )


# Reports -------------------------------------------------------------------------------


def report_input(
    payload: ReportIn | ReferralSendIn,
    *,
    narrative: str,
    reporter_relation: str,
    language: str,
    reporter_phone: str = "",
    callback_consent: bool = False,
) -> ReportInput:
    """What a report filed through the API says, whichever door it came in by (a helpline
    call, a partner's referral): the what, where, how many and how urgent both carry, with
    the words and the reporter each door names its own way."""
    return ReportInput(
        categories=[str(item) for item in payload.categories],
        narrative=narrative,
        county_id=payload.county_id,
        sub_county_id=payload.sub_county_id,
        ward_id=payload.ward_id,
        place_detail=payload.place_detail,
        children_count=payload.children_count,
        age_bands=[str(item) for item in payload.age_bands],
        danger_now=str(payload.danger_now),
        online_platform=str(payload.online_platform),
        reporter_relation=reporter_relation,
        reporter_phone=reporter_phone,
        callback_consent=callback_consent,
        language=language,
    )


@api.post(
    "/reports/",
    response={201: ReportFiledOut, 200: ReportFiledOut, **PROBLEMS},
    tags=["reports"],
    summary="File a helpline call as a report",
)
def report_create(request: HttpRequest, payload: ReportIn) -> Status[ReportFiledOut]:
    """File the call through intake's pipeline (triage routing, danger alerts) once per
    `call_id`: 201 the first time, with the reporter's follow-up code; 200 with the same
    report every time after. Needs `report:write`."""
    principal = need(request, Scope.REPORT_WRITE)
    caller = caller_of(request)
    data = report_input(
        payload,
        narrative=payload.narrative,
        reporter_relation=str(payload.reporter_relation),
        reporter_phone=payload.reporter_phone,
        callback_consent=payload.callback_consent,
        language="en" if payload.call.language == CallLanguage.ENGLISH else "sw",
    )
    call = CallInput(
        outcome=str(payload.call.outcome),
        duration_minutes=payload.call.duration_minutes,
        caller_relation=str(payload.reporter_relation),
        child_sex=str(payload.call.child_sex),
        language=str(payload.call.language),
    )
    filed = services.report_file(
        actor=principal,
        integration=caller.integration,
        call_id=payload.call_id,
        data=data,
        call=call,
    )
    body = ReportFiledOut(
        report=report_out(filed.report),
        created=filed.created,
        follow_up_code=filed.follow_up_code or None,
    )
    return Status(201 if filed.created else 200, body)


@api.get("/reports/", response={200: ReportPageOut, **PROBLEMS}, tags=["reports"])
def report_list(request: HttpRequest, filters: Query[ReportFilters]) -> ReportPageOut:
    """The reports this integration filed, oldest first, with their triage state.
    Needs `report:read`."""
    principal = need(request, Scope.REPORT_READ)
    page = selectors.reports_filed(
        viewer=principal,
        status=filters.status,
        received_after=filters.received_after,
        received_before=filters.received_before,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return ReportPageOut(items=[report_out(r) for r in page.rows], next_cursor=page.next_cursor)


@api.get("/reports/{report_id}/", response={200: ReportOut, **PROBLEMS}, tags=["reports"])
def report_detail(request: HttpRequest, report_id: int) -> ReportOut:
    """One report this integration filed: its triage state. Needs `report:read`."""
    principal = need(request, Scope.REPORT_READ)
    return report_out(selectors.report_state(viewer=principal, report_id=report_id))


# Referrals a partner sends in ---------------------------------------------------------


class ReferralSendIn(Input):
    """A child a partner agency's system refers to Kinga. `reference` is the partner's own
    reference of the referral: the same reference again files nothing new."""

    reference: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    reason: str = Field(
        min_length=1,
        max_length=4000,
        description="Why the child is referred: what happened, as the partner knows it.",
    )
    services: list[ServiceType] = Field(
        min_length=1, description="The services asked for (the directory's service types)."
    )
    categories: list[Category] = Field(min_length=1)
    county_id: WholeNumber | None = Field(default=None, ge=1, le=2**31 - 1)
    sub_county_id: WholeNumber | None = Field(default=None, ge=1, le=2**31 - 1)
    ward_id: WholeNumber | None = Field(default=None, ge=1, le=2**31 - 1)
    place_detail: str = Field(default="", max_length=500)
    children_count: WholeNumber | None = Field(default=None, ge=1, le=500)
    age_bands: list[AgeBand] = Field(default_factory=list)
    danger_now: Danger = Danger.UNKNOWN
    online_platform: Platform = Platform.NONE
    language: ReportLanguage = Field(
        default="sw", description="The language the child and family speak: sw or en."
    )


class ReferralSentOut(Schema):
    """The report a referral in became, with its triage state; read it again at `report.id`
    with `report:read`, or be told with the `report.changed` webhook."""

    report: ReportOut
    created: bool
    reference: str


@api.post(
    "/referrals-in/",
    response={201: ReferralSentOut, 200: ReferralSentOut, **PROBLEMS},
    tags=["referrals"],
    summary="Refer a child in (it arrives in triage as a report)",
)
def referral_send(request: HttpRequest, payload: ReferralSendIn) -> Status[ReferralSentOut]:
    """Refer a child to Kinga from a partner's own system, once per `reference`: the referral
    arrives in the county's triage queue as a report marked as this agency's, with its
    reference, reason and the services asked for; triage opens a case from it or links it
    to one. 201 the first time; 200 with the same report every time after.
    Needs `referral:send`."""
    principal = need(request, Scope.REFERRAL_SEND)
    data = report_input(
        payload,
        narrative=payload.reason,
        reporter_relation=ReporterRelation.PROFESSIONAL,
        language=payload.language,
    )
    try:
        sent = services.referral_receive(
            actor=principal,
            integration=caller_of(request).integration,
            reference=payload.reference,
            services=[str(item) for item in payload.services],
            data=data,
        )
    except ValidationError as error:
        # the reason is the report's words: name the field as the caller sent it
        if hasattr(error, "error_dict") and "narrative" in error.error_dict:
            error.error_dict["reason"] = error.error_dict.pop("narrative")
        raise
    body = ReferralSentOut(
        report=report_out(sent.report), created=sent.created, reference=sent.reference
    )
    return Status(201 if sent.created else 200, body)


# Referrals -----------------------------------------------------------------------------


@api.get("/referrals/", response={200: ReferralPageOut, **PROBLEMS}, tags=["referrals"])
def referral_list(request: HttpRequest, filters: Query[ReferralFilters]) -> ReferralPageOut:
    """The open referrals made to this integration's agency, oldest first.
    Needs `referral:read`."""
    principal = need(request, Scope.REFERRAL_READ)
    page = selectors.referrals_received(
        viewer=principal,
        status=filters.status,
        sent_after=filters.sent_after,
        sent_before=filters.sent_before,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return ReferralPageOut(items=[referral_out(r) for r in page.rows], next_cursor=page.next_cursor)


@api.get("/referrals/{referral_id}/", response={200: ReferralOut, **PROBLEMS}, tags=["referrals"])
def referral_detail(request: HttpRequest, referral_id: int) -> ReferralOut:
    """One referral made to this integration's agency. Needs `referral:read`."""
    principal = need(request, Scope.REFERRAL_READ)
    return referral_out(selectors.referral_received(viewer=principal, referral_id=referral_id))


class DeclineIn(Input):
    reason: str = Field(min_length=1, max_length=2000, description="Why the service declines.")


class CompleteIn(Input):
    feedback: str = Field(min_length=1, max_length=4000, description="Feedback for the case.")


def _answerable(request: HttpRequest, referral_id: int) -> tuple[Referral, User]:
    principal = need(request, Scope.REFERRAL_WRITE)
    referral = selectors.referral_received(
        viewer=principal, referral_id=referral_id, action="change"
    )
    return referral, principal


@api.post(
    "/referrals/{referral_id}/accept/",
    response={200: ReferralOut, **PROBLEMS},
    tags=["referrals"],
)
def referral_accept(request: HttpRequest, referral_id: int) -> ReferralOut:
    """Accept a referral made to this agency; the sender is told. Needs `referral:write`."""
    referral, principal = _answerable(request, referral_id)
    return referral_out(referral_services.referral_accept(referral=referral, actor=principal))


@api.post(
    "/referrals/{referral_id}/decline/",
    response={200: ReferralOut, **PROBLEMS},
    tags=["referrals"],
)
def referral_decline(request: HttpRequest, referral_id: int, payload: DeclineIn) -> ReferralOut:
    """Decline a referral with the reason; access ends and the sender is told.
    Needs `referral:write`."""
    referral, principal = _answerable(request, referral_id)
    return referral_out(
        referral_services.referral_decline(
            referral=referral, actor=principal, reason=payload.reason
        )
    )


@api.post(
    "/referrals/{referral_id}/start/",
    response={200: ReferralOut, **PROBLEMS},
    tags=["referrals"],
)
def referral_start(request: HttpRequest, referral_id: int) -> ReferralOut:
    """Record that the service has started with the child. Needs `referral:write`."""
    referral, principal = _answerable(request, referral_id)
    return referral_out(referral_services.referral_start(referral=referral, actor=principal))


@api.post(
    "/referrals/{referral_id}/complete/",
    response={200: ReferralOut, **PROBLEMS},
    tags=["referrals"],
)
def referral_complete(request: HttpRequest, referral_id: int, payload: CompleteIn) -> ReferralOut:
    """Complete a referral with feedback for the case; access ends.
    Needs `referral:write`."""
    referral, principal = _answerable(request, referral_id)
    return referral_out(
        referral_services.referral_complete(
            referral=referral, actor=principal, feedback=payload.feedback
        )
    )


# Webhooks ------------------------------------------------------------------------------


class SubscriptionIn(Input):
    event: WebhookEvent
    url: str = Field(max_length=500, description="An https:// address of the receiver.")


class SubscriptionOut(Schema):
    id: int
    event: WebhookEvent
    url: str
    is_active: bool
    created_at: datetime


class SubscriptionCreatedOut(Schema):
    subscription: SubscriptionOut
    secret: str = Field(description="The signing secret, shown this once.")


class DeliveryOut(Schema):
    id: int
    event: WebhookEvent
    record_type: str
    record_id: int
    state: DeliveryState
    attempts: int
    last_status_code: int | None
    last_error: str
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveryPageOut(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


def subscription_out(subscription: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.pk,
        event=WebhookEvent(subscription.event),
        url=subscription.url,
        is_active=subscription.is_active,
        created_at=subscription.created_at,
    )


def delivery_out(delivery: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.pk,
        event=WebhookEvent(delivery.event),
        record_type=delivery.record_type,
        record_id=delivery.record_id,
        state=DeliveryState(delivery.state),
        attempts=delivery.attempts,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        next_attempt_at=delivery.next_attempt_at,
        delivered_at=delivery.delivered_at,
    )


@api.post(
    "/webhooks/",
    response={201: SubscriptionCreatedOut, **PROBLEMS},
    tags=["webhooks"],
    summary="Subscribe to an event",
)
def webhook_create(request: HttpRequest, payload: SubscriptionIn) -> Status[SubscriptionCreatedOut]:
    """Be told at an https address when something this integration may see changes; the
    answer carries the signing secret once. Needs `webhook:manage` and the event's read
    scope."""
    principal = need(request, Scope.WEBHOOK_MANAGE)
    made = services.subscription_create(
        actor=principal,
        integration=caller_of(request).integration,
        event=str(payload.event),
        url=payload.url,
    )
    return Status(
        201,
        SubscriptionCreatedOut(
            subscription=subscription_out(made.subscription), secret=made.secret
        ),
    )


@api.get("/webhooks/", response={200: list[SubscriptionOut], **PROBLEMS}, tags=["webhooks"])
def webhook_list(request: HttpRequest) -> list[SubscriptionOut]:
    """This integration's subscriptions. Needs `webhook:manage`."""
    need(request, Scope.WEBHOOK_MANAGE)
    integration = caller_of(request).integration
    return [subscription_out(s) for s in selectors.subscriptions_of(integration=integration)]


@api.delete(
    "/webhooks/{subscription_id}/", response={200: SubscriptionOut, **PROBLEMS}, tags=["webhooks"]
)
def webhook_end(request: HttpRequest, subscription_id: int) -> SubscriptionOut:
    """End a subscription. Needs `webhook:manage`."""
    principal = need(request, Scope.WEBHOOK_MANAGE)
    subscription = selectors.subscription_of(
        integration=caller_of(request).integration, subscription_id=subscription_id
    )
    return subscription_out(services.subscription_end(actor=principal, subscription=subscription))


@api.get(
    "/webhooks/{subscription_id}/deliveries/",
    response={200: DeliveryPageOut, **PROBLEMS},
    tags=["webhooks"],
)
def webhook_deliveries(
    request: HttpRequest, subscription_id: int, page: Query[PageQuery]
) -> DeliveryPageOut:
    """The delivery log of a subscription, newest first. Needs `webhook:manage`."""
    need(request, Scope.WEBHOOK_MANAGE)
    subscription = selectors.subscription_of(
        integration=caller_of(request).integration, subscription_id=subscription_id
    )
    found = selectors.deliveries_of(subscription=subscription, cursor=page.cursor, limit=page.limit)
    return DeliveryPageOut(
        items=[delivery_out(d) for d in found.rows], next_cursor=found.next_cursor
    )


# The directory -------------------------------------------------------------------------


@api.get("/directory/services/", response={200: ServicePageOut, **PROBLEMS}, tags=["directory"])
def directory_services(request: HttpRequest, page: Query[PageQuery]) -> ServicePageOut:
    """The directory's services as HSDS 3.0 records (never a confidential address).
    Needs `directory:read`."""
    need(request, Scope.DIRECTORY_READ)
    found = selectors.directory_services(cursor=page.cursor, limit=page.limit)
    return ServicePageOut(items=found.rows, next_cursor=found.next_cursor)


@api.get(
    "/directory/services/{service_id}/",
    response={200: dict[str, Any], **PROBLEMS},
    tags=["directory"],
)
def directory_service(request: HttpRequest, service_id: uuid.UUID) -> dict[str, Any]:
    """One service as a full HSDS 3.0 record. Needs `directory:read`."""
    need(request, Scope.DIRECTORY_READ)
    record = selectors.directory_service(service_id=service_id)
    if record is None:
        raise not_found()
    return record


# Cases the integration's agency is on the team of --------------------------------------


class CaseOut(Schema):
    """What a partner on the team may know of a case: its code and state, never the child."""

    id: int
    code: str
    status: CaseStatus
    risk_level: RiskLevel
    county: str
    owning_agency: str
    opened_at: datetime
    closed_at: datetime | None
    updated_at: datetime


class CasePageOut(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class CaseFilters(Schema):
    status: CaseStatus | None = None
    opened_after: Moment | None = None
    opened_before: Moment | None = None
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=selectors.PAGE_SIZE, ge=1, le=selectors.PAGE_SIZE_MAX)


class CourtDateOut(Schema):
    """A date the child's case is in court."""

    when: datetime
    court: str
    courtroom: str
    purpose: str
    child_attends: bool


class CourtPathOut(Schema):
    """Where one incident the child is in stands on the way to a verdict, and its next dates."""

    incident_code: str
    stage: str
    next_dates: list[CourtDateOut]
    adjournments: int


class CaseCourtDatesOut(Schema):
    case_id: int
    code: str
    paths: list[CourtPathOut]


def case_out(case: Case) -> CaseOut:
    return CaseOut(
        id=case.pk,
        code=case.code,
        status=CaseStatus(case.status),
        risk_level=RiskLevel(case.risk_level),
        county=case.county.name,
        owning_agency=case.owning_agency.name,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        updated_at=case.updated_at,
    )


def court_path_out(path: CourtPath) -> CourtPathOut:
    return CourtPathOut(
        incident_code=path.incident_code,
        stage=path.stage,
        next_dates=[
            CourtDateOut(
                when=moment.when,
                court=moment.court,
                courtroom=moment.courtroom,
                purpose=moment.purpose,
                child_attends=moment.child_attends,
            )
            for moment in path.next_dates
        ],
        adjournments=path.adjournments,
    )


@api.get("/cases/", response={200: CasePageOut, **PROBLEMS}, tags=["cases"])
def case_list(request: HttpRequest, filters: Query[CaseFilters]) -> CasePageOut:
    """The cases this integration's agency is on the team of, oldest first: code, state and
    dates, never the child's identity. Needs `case:read`."""
    principal = need(request, Scope.CASE_READ)
    page = selectors.cases_on_team(
        viewer=principal,
        status=filters.status,
        opened_after=filters.opened_after,
        opened_before=filters.opened_before,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return CasePageOut(items=[case_out(c) for c in page.rows], next_cursor=page.next_cursor)


@api.get("/cases/{case_id}/", response={200: CaseOut, **PROBLEMS}, tags=["cases"])
def case_detail(request: HttpRequest, case_id: int) -> CaseOut:
    """One case this integration's agency is on the team of. Needs `case:read`."""
    principal = need(request, Scope.CASE_READ)
    return case_out(selectors.case_summary(viewer=principal, case_id=case_id))


@api.get(
    "/cases/{case_id}/court-dates/",
    response={200: CaseCourtDatesOut, **PROBLEMS},
    tags=["cases"],
)
def case_court_dates(request: HttpRequest, case_id: int) -> CaseCourtDatesOut:
    """The next court dates of each incident the case's child is in, as the child's
    caseworker sees them: when, which court, what for, whether the child attends. Only
    for an agency whose person on the team may see the case's justice section (not a
    counsellor's). Needs `justice:read`."""
    principal = need(request, Scope.JUSTICE_READ)
    case, paths = selectors.case_court_dates(viewer=principal, case_id=case_id)
    return CaseCourtDatesOut(
        case_id=case.pk, code=case.code, paths=[court_path_out(path) for path in paths]
    )


# Aggregate figures ---------------------------------------------------------------------


class FigureQuery(Schema):
    start: Day | None = Field(default=None, description="First day counted (a year ago).")
    end: Day | None = Field(default=None, description="Last day counted (today).")


class FigureRowOut(Schema):
    code: str
    cells: list[int | None]
    total: int | None


class FigureOut(Schema):
    """A table of counts: a count below k, and the counts that would give it away, is null."""

    key: str
    k: int
    start: date
    end: date
    county_id: int | None
    columns: list[str]
    rows: list[FigureRowOut]
    column_totals: list[int | None]
    total: int | None


def figure_out(figure: figures.Figure) -> FigureOut:
    cells = figure.cells
    return FigureOut(
        key=figure.key,
        k=figure.k,
        start=figure.start,
        end=figure.end,
        county_id=figure.county_id,
        columns=figure.columns,
        rows=[
            FigureRowOut(
                code=row,
                cells=[cells[(row, column)] for column in figure.columns],
                total=cells[(row, "")],
            )
            for row in figure.rows
        ],
        column_totals=[cells[("", column)] for column in figure.columns],
        total=cells[("", "")],
    )


@api.get("/figures/reports-by-channel/", response={200: FigureOut, **PROBLEMS}, tags=["figures"])
def figures_reports(request: HttpRequest, period: Query[FigureQuery]) -> FigureOut:
    """Reports received, month by month and by channel, in the county the integration's
    agency serves; small counts hidden as on the dashboards. Needs `figures:read`."""
    principal = need(request, Scope.FIGURES_READ)
    return figure_out(
        figures.reports_by_channel(viewer=principal, start=period.start, end=period.end)
    )


@api.get("/figures/referrals-by-provider/", response={200: FigureOut, **PROBLEMS}, tags=["figures"])
def figures_referrals(request: HttpRequest, period: Query[FigureQuery]) -> FigureOut:
    """Referrals sent in the period, by the kind of service receiving them and where each
    stands now, in the integration's county; small counts hidden. Needs `figures:read`."""
    principal = need(request, Scope.FIGURES_READ)
    return figure_out(
        figures.referrals_by_provider(viewer=principal, start=period.start, end=period.end)
    )
