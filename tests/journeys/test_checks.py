"""The journey suite's own checks fail when they should (issue 22 points 2 and 5)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_public_form_passes_the_accessibility_check_and_carries_the_headers(journey) -> None:
    journey.goto("/report/")
    journey.check("the public report form")
    assert journey.checked and journey.documents[-1].url.endswith("/report/")


def test_the_accessibility_check_fails_a_page_with_a_serious_violation(journey) -> None:
    journey.goto("/report/")
    # A form field with no label and an image with no words are what a screen reader cannot use.
    journey.page.evaluate(
        "() => { document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<input type=text><img src=/static/x.png>'); }"
    )
    with pytest.raises(AssertionError, match="accessibility violations"):
        journey.check()


def test_the_header_check_fails_a_document_without_the_headers(journey) -> None:
    journey.goto("/report/")
    journey.documents[-1].headers.pop("x-frame-options")
    with pytest.raises(AssertionError, match="x-frame-options"):
        journey.assert_headers()
    journey.documents.clear()
    journey.goto("/report/")  # what the fixture checks at the end is whole again
