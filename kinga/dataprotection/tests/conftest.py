"""The data protection officer of the shared personas, by a shorter name."""

from __future__ import annotations

import pytest

from kinga.accounts.models import User


@pytest.fixture
def officer(personas: object) -> User:
    return personas.data_protection_officer  # type: ignore[attr-defined,no-any-return]
