"""The learning gain, reported honestly.

Per participant: the raw difference (post − pre) and the normalised gain
(post − pre) / (max − pre), the share of what there was left to learn that was learnt. Per
session: only those who sat both tests count, and how many they are is always shown beside
the figures; the session's normalised gain is the class-average one,
(mean post − mean pre) / (max − mean pre), beside the mean of the participants' own.
Somebody who scored full marks before the course has no normalised gain (nothing was left
to learn): they count in the raw figures, not in the mean of normalised gains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Gain:
    raw: int | None
    normalised: float | None


def participant_gain(pre: int | None, post: int | None, maximum: int) -> Gain:
    """Return one participant's gain; None parts when a test was not sat or pre was full."""
    if pre is None or post is None:
        return Gain(raw=None, normalised=None)
    raw = post - pre
    if pre >= maximum:
        return Gain(raw=raw, normalised=None)
    return Gain(raw=raw, normalised=raw / (maximum - pre))


@dataclass(frozen=True)
class SessionGain:
    participants: int
    sat_pre: int
    sat_post: int
    sat_both: int
    # sat the pre-test and never the post-test
    pre_only: int
    mean_pre: float | None
    mean_post: float | None
    mean_raw: float | None
    class_normalised: float | None
    mean_normalised: float | None
    # how many the mean of normalised gains is over (those who sat both and were not full)
    normalised_over: int


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def session_gain(scores: Iterable[tuple[int | None, int | None]], maximum: int) -> SessionGain:
    """Return the session's figures from (pre, post) of each participant."""
    pairs = list(scores)
    both = [(pre, post) for pre, post in pairs if pre is not None and post is not None]
    mean_pre = _mean([float(pre) for pre, _post in both])
    mean_post = _mean([float(post) for _pre, post in both])
    class_normalised = None
    if mean_pre is not None and mean_post is not None and mean_pre < maximum:
        class_normalised = (mean_post - mean_pre) / (maximum - mean_pre)
    normalised = [
        gain.normalised
        for pre, post in both
        if (gain := participant_gain(pre, post, maximum)).normalised is not None
    ]
    return SessionGain(
        participants=len(pairs),
        sat_pre=sum(1 for pre, _post in pairs if pre is not None),
        sat_post=sum(1 for _pre, post in pairs if post is not None),
        sat_both=len(both),
        pre_only=sum(1 for pre, post in pairs if pre is not None and post is None),
        mean_pre=mean_pre,
        mean_post=mean_post,
        mean_raw=_mean([float(post - pre) for pre, post in both]),
        class_normalised=class_normalised,
        mean_normalised=_mean(normalised),
        normalised_over=len(normalised),
    )
