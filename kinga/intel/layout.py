"""Where to draw each node: a force layout (Fruchterman and Reingold) in numpy.

Linked nodes pull together, all nodes push apart, and the moves cool down step by step.
Deterministic: the same network is drawn the same way each time (the start is seeded by
the nodes' ids), so a picture printed today matches the one seen yesterday.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def force_layout(
    count: int,
    links: list[tuple[int, int]],
    *,
    seed: int = 1,
    steps: int = 120,
    width: float = 1000.0,
    height: float = 700.0,
    margin: float = 70.0,
) -> FloatArray:
    """Return (count, 2) positions inside width × height, keeping `margin` from the edges."""
    if count == 0:
        return np.zeros((0, 2))
    if count == 1:
        return np.array([[width / 2, height / 2]])
    rng = np.random.default_rng(seed)
    position = rng.uniform(-1.0, 1.0, size=(count, 2))
    ideal = np.sqrt(4.0 / count)
    temperature = 0.2
    ends = np.array(links, dtype=np.int64).reshape(-1, 2)
    for _step in range(steps):
        delta = position[:, None, :] - position[None, :, :]
        distance = np.sqrt((delta**2).sum(axis=2)) + 1e-9
        np.fill_diagonal(distance, np.inf)
        push = (delta / distance[:, :, None] ** 2 * ideal**2).sum(axis=1)
        if ends.shape[0]:
            along = position[ends[:, 0]] - position[ends[:, 1]]
            length = np.sqrt((along**2).sum(axis=1)) + 1e-9
            pull = along * (length / ideal)[:, None]
            np.add.at(push, ends[:, 0], -pull)
            np.add.at(push, ends[:, 1], pull)
        # a light pull to the middle keeps separate pieces on the page
        push -= position * 0.05
        size = np.sqrt((push**2).sum(axis=1)) + 1e-9
        position += push / size[:, None] * np.minimum(size, temperature)[:, None]
        temperature *= 0.97
    low = position.min(axis=0)
    span = np.maximum(position.max(axis=0) - low, 1e-9)
    scale = np.array([width - 2 * margin, height - 2 * margin])
    placed: FloatArray = (position - low) / span * scale + margin
    return placed
