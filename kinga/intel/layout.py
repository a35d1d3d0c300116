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
    x = position[:, 0].copy()
    y = position[:, 1].copy()
    ideal2 = ideal**2
    for _step in range(steps):
        # all pairs at once, one coordinate at a time (contiguous arrays, no n×n×2 temporaries)
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        square = dx * dx + dy * dy + 1e-18
        np.fill_diagonal(square, np.inf)
        np.divide(ideal2, square, out=square)
        push_x = (dx * square).sum(axis=1)
        push_y = (dy * square).sum(axis=1)
        if ends.shape[0]:
            along_x = x[ends[:, 0]] - x[ends[:, 1]]
            along_y = y[ends[:, 0]] - y[ends[:, 1]]
            length = np.sqrt(along_x**2 + along_y**2) + 1e-9
            pull_x = along_x * length / ideal
            pull_y = along_y * length / ideal
            push_x -= np.bincount(ends[:, 0], weights=pull_x, minlength=count)
            push_x += np.bincount(ends[:, 1], weights=pull_x, minlength=count)
            push_y -= np.bincount(ends[:, 0], weights=pull_y, minlength=count)
            push_y += np.bincount(ends[:, 1], weights=pull_y, minlength=count)
        # a light pull to the middle keeps separate pieces on the page
        push_x -= x * 0.05
        push_y -= y * 0.05
        size = np.sqrt(push_x**2 + push_y**2) + 1e-9
        step = np.minimum(size, temperature) / size
        x += push_x * step
        y += push_y * step
        temperature *= 0.97
    position = np.column_stack([x, y])
    low = position.min(axis=0)
    span = np.maximum(position.max(axis=0) - low, 1e-9)
    scale = np.array([width - 2 * margin, height - 2 * margin])
    placed: FloatArray = (position - low) / span * scale + margin
    return placed
