"""A small text progress bar for long commands (key rotation, audit verify, matching)."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressBar:
    """Draw `label [#####-----] done/total` on a terminal stream, at most ten times a second."""

    def __init__(self, *, total: int, label: str, stream: TextIO, width: int = 30) -> None:
        self.total = max(total, 0)
        self.label = label
        self.stream = stream
        self.width = width
        self.done = 0
        self._drawn_at = 0.0

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self._drawn_at >= 0.1 or done >= self.total:
            self._draw()
            self._drawn_at = now

    def _draw(self) -> None:
        filled = (
            self.width if self.total == 0 else min(self.width, self.width * self.done // self.total)
        )
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
        self.stream.flush()

    def finish(self) -> None:
        self._draw()
        self.stream.write("\n")
        self.stream.flush()
