"""Errors a programmer can use: RFC 9457 problem details, one shape for every error.

Every error of /api/v1/ is `application/problem+json` with `type` (a stable URI naming the
kind of problem, documented on the guide page), `title`, `status` and `detail`; validation
errors add `errors`, one entry per field (`field`, `message`, `code`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse

PROBLEM_TYPE_BASE = "https://kinga.invalid/problems/"
CONTENT_TYPE = "application/problem+json"


@dataclass
class Problem(Exception):
    """An error the API answers with a problem-details body."""

    status: int
    code: str
    title: str
    detail: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, request: HttpRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
            "instance": request.path,
        }
        if self.errors:
            body["errors"] = self.errors
        return body


def problem_response(request: HttpRequest, problem: Problem) -> JsonResponse:
    """Return the problem as a response, with its headers."""
    response = JsonResponse(problem.body(request), status=problem.status, content_type=CONTENT_TYPE)
    for name, value in problem.headers.items():
        response[name] = value
    return response


def field_errors_of(error: ValidationError) -> list[dict[str, str]]:
    """Return one entry per field and message of a Django validation error."""
    entries: list[dict[str, str]] = []
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                entries.append(
                    {
                        "field": "" if name == "__all__" else name,
                        "message": " ".join(str(m) for m in item.messages),
                        "code": item.code or "invalid",
                    }
                )
    else:
        for item in error.error_list:
            entries.append(
                {
                    "field": "",
                    "message": " ".join(str(m) for m in item.messages),
                    "code": item.code or "invalid",
                }
            )
    return entries


def validation_problem(errors: list[dict[str, str]]) -> Problem:
    """Return the 422 problem for these field errors."""
    named = [entry["field"] for entry in errors if entry["field"]]
    detail = (
        "Check these fields: " + ", ".join(dict.fromkeys(named)) + "."
        if named
        else "; ".join(entry["message"] for entry in errors) or "The request is not valid."
    )
    return Problem(
        status=422,
        code="validation",
        title="The request is not valid",
        detail=detail,
        errors=errors,
    )


def request_field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Return field errors from the request parser's (pydantic's) errors.

    Its location is a path like ("body", "payload", "categories", 0) or ("query", "limit");
    the field is what follows the parser's own prefix, dotted.
    """
    entries: list[dict[str, str]] = []
    for item in errors:
        location = [str(part) for part in item.get("loc", ())]
        while location and location[0] in {"body", "query", "path", "header", "payload"}:
            location = location[1:]
        if location and location[0] in {"payload", "filters"}:
            location = location[1:]
        entries.append(
            {
                "field": ".".join(location),
                "message": str(item.get("msg", "Not valid.")),
                "code": str(item.get("type", "invalid")),
            }
        )
    return entries


def not_found() -> Problem:
    """Return the one 404 for absent and out of reach."""
    return Problem(
        status=404,
        code="not-found",
        title="Not found",
        detail="There is nothing here this token may see.",
    )
