"""The load benchmark's arithmetic: turns pool into one rate and one set of percentiles."""

from __future__ import annotations

import math
from typing import Any

from kinga.intake.bench import _summary


def turn(requests: int, seconds: float, latencies: list[float], web: list[float]) -> dict[str, Any]:
    return {
        "requests": requests,
        "errors": 0,
        "answered": requests,
        "ussd_ack": 1,
        "web_ack": len(web),
        "seconds": seconds,
        "latencies_ms": {"ussd": latencies, "ussd_last": [], "web": web},
    }


def test_turns_pool_rates_over_all_windows_and_percentiles_over_all_requests() -> None:
    fast = turn(100, 5.0, [10.0] * 99 + [20.0], [])
    slow = turn(50, 5.0, [90.0] * 49, [300.0])
    pooled = _summary([fast, slow])
    assert pooled["per_second"] == 150 / 10.0  # not the mean of 20 and 10 per second
    assert pooled["p50_ms"] == 10.0
    assert pooled["p99_ms"] == 90.0  # the slow turn's requests are in the tail
    assert pooled["web_p99_ms"] == 300.0
    assert pooled["ussd_ack"] == 2 and pooled["web_ack"] == 1


def test_a_turn_without_web_posts_has_no_web_percentile() -> None:
    assert math.isnan(_summary([turn(10, 1.0, [5.0] * 10, [])])["web_p99_ms"])


def test_a_variant_names_the_settings_it_changes() -> None:
    import pytest

    from kinga.intake.bench import variant_environment

    assert variant_environment("") == {}
    assert variant_environment("KINGA_PG_PREPARE_THRESHOLD=0  KINGA_CONN_MAX_AGE=0") == {
        "KINGA_PG_PREPARE_THRESHOLD": "0",
        "KINGA_CONN_MAX_AGE": "0",
    }
    for wrong in ("KINGA_PG_PREPARE_THRESHOLD", "lower=1", "A-B=2"):
        with pytest.raises(ValueError, match="NAME=value"):
            variant_environment(wrong)
