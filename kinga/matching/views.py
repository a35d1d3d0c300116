"""Pages of matching: the review queue, a pair side by side, merge, reject and unmerge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kinga.access import policy
from kinga.accounts.models import User
from kinga.matching import selectors, services
from kinga.matching.models import CandidateStatus

FIELD_LABELS = {
    "given_name": gettext_lazy("Given name"),
    "family_name": gettext_lazy("Family name"),
    "date_of_birth": gettext_lazy("Date of birth or age"),
    "sex": gettext_lazy("Sex"),
    "phone": gettext_lazy("Phone"),
    "national_id": gettext_lazy("Identity document"),
    "address": gettext_lazy("Address"),
    "postcode": gettext_lazy("Postcode"),
    "place": gettext_lazy("Place"),
}
# The matcher's level names (kinga.people.matcher.COMPARISONS), as reviewers read them.
LEVEL_LABELS = {
    "not known": gettext_lazy("not known for one of them"),
    "different": gettext_lazy("different"),
    "alike": gettext_lazy("alike"),
    "close": gettext_lazy("close (spelling or sound)"),
    "same": gettext_lazy("the same"),
    "age compatible": gettext_lazy("fits the age estimate"),
    "one slip apart": gettext_lazy("one typing slip apart"),
    "none shared": gettext_lazy("none shared"),
    "shared": gettext_lazy("shared (siblings may share one)"),
    "elsewhere": gettext_lazy("elsewhere"),
    "same county": gettext_lazy("same county"),
    "same sub-county": gettext_lazy("same sub-county"),
    "same ward": gettext_lazy("same ward"),
    "same village or estate": gettext_lazy("same village or estate"),
}


@dataclass(frozen=True)
class Row:
    label: str
    level: str
    weight: float
    agrees: bool
    known: bool


def _rows(rows: list[selectors.ExplanationRow]) -> list[Row]:
    return [
        Row(
            label=str(FIELD_LABELS.get(row.field, row.field)),
            level=str(LEVEL_LABELS.get(row.level, row.level)),
            weight=row.weight,
            agrees=row.agrees,
            known=row.known,
        )
        for row in rows
    ]


def _viewer(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """List the pairs waiting for the viewer's review (or those merged), naming no one."""
    viewer = _viewer(request)
    if not policy.can_do(viewer, "person.merge"):
        raise policy.deny(viewer, record_type="matching.matchcandidate", record_id=None)
    status = request.GET.get("status", CandidateStatus.OPEN)
    if status not in CandidateStatus.values:
        status = CandidateStatus.OPEN
    candidates = selectors.review_queue(viewer=viewer, status=status)
    return render(
        request,
        "matching/queue.html",
        {
            "candidates": [
                (
                    candidate,
                    [row for row in _rows(selectors.explanation_rows(candidate)) if row.agrees],
                )
                for candidate in candidates
            ],
            "status": status,
            "statuses": CandidateStatus.choices,
        },
    )


@login_required
def candidate(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Show the two records side by side, with which fields agreed and how much each weighed."""
    page = selectors.candidate_page(viewer=_viewer(request), candidate_id=candidate_id)
    return render(
        request,
        "matching/candidate.html",
        {"page": page, "rows": _rows(page.rows), "open": CandidateStatus.OPEN},
    )


def _decide(request: HttpRequest, candidate_id: int, decision: str) -> HttpResponse:
    viewer = _viewer(request)
    page = selectors.candidate_page(viewer=viewer, candidate_id=candidate_id)
    try:
        if decision == "merge":
            services.person_merge(candidate=page.candidate, actor=viewer)
            messages.success(request, _("The two records are now one person. You can undo this."))
        elif decision == "reject":
            services.candidate_reject(candidate=page.candidate, actor=viewer)
            messages.success(request, _("Recorded as two different people."))
        else:
            if page.merge is None:
                raise ValidationError(_("These records are not merged."))
            services.person_unmerge(merge=page.merge, actor=viewer)
            messages.success(request, _("The merge is undone: two records again, as before."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("matching:candidate", candidate_id)


@login_required
@require_POST
def merge(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Merge the pair's two records as one person."""
    return _decide(request, candidate_id, "merge")


@login_required
@require_POST
def reject(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Record the pair as two different people."""
    return _decide(request, candidate_id, "reject")


@login_required
@require_POST
def unmerge(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Undo the pair's merge."""
    return _decide(request, candidate_id, "unmerge")
