from __future__ import annotations

import pytest

from kinga.lib.phones import mask_phone, normalise_phone


@pytest.mark.parametrize(
    "raw",
    [
        "0712345678",
        "0712 345 678",
        "0712-345-678",
        "+254712345678",
        "254712345678",
        "+254 712 345 678",
        "00254712345678",
        "(0712) 345678",
    ],
)
def test_kenyan_mobile_numbers_normalise_to_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+254712345678"


def test_new_01xx_prefix_is_a_valid_mobile_number() -> None:
    assert normalise_phone("0110 123 456") == "+254110123456"


def test_foreign_numbers_keep_their_country() -> None:
    assert normalise_phone("+255 754 123 456") == "+255754123456"


@pytest.mark.parametrize("junk", ["", "   ", "hello", "12", "0712", "07123456789012", "+999 1234"])
def test_junk_is_refused_with_a_clear_message(junk: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        normalise_phone(junk)


def test_refusal_message_does_not_repeat_the_number() -> None:
    with pytest.raises(ValueError) as refused:
        normalise_phone("0712 34")
    assert "0712" not in str(refused.value)


def test_mask_keeps_only_the_country_prefix_and_last_two_digits() -> None:
    assert mask_phone("+254712345678") == "+2547******78"
    assert mask_phone("123") == "***"
