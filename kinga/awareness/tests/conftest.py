"""The gateway's callbacks (SMS, USSD) as intake's tests post them: a campaign's keyword and
USSD code are counted when reports arrive on those channels."""

from __future__ import annotations

import pytest

from kinga.awareness.for_intake import codes_forget
from kinga.intake.tests.conftest import _channel_settings, gateway  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _campaign_codes_forgotten() -> None:
    # the codes held in the process must not outlive the test (and its rolled-back rows)
    codes_forget()
