from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kinga.access.models import BreakGlassReview
from kinga.lib.reasons import MIN_REASON_LENGTH


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need this record now?"),
        min_length=MIN_REASON_LENGTH,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Your reason, your name and everything you open are recorded and reviewed by a "
            "supervisor."
        ),
    )


class BreakGlassReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (BreakGlassReview.ACCEPTED, _("Accept: the access was justified")),
            (BreakGlassReview.FLAGGED, _("Flag: the access was not justified (ends it now)")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
